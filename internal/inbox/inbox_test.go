package inbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/i18n"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/inbox"
	"github.com/tongxin/tongxin/internal/sqlite"
	"github.com/tongxin/tongxin/internal/storetest"
	"github.com/tongxin/tongxin/locales"
)

const channelName = "test"

// event is the test channel's payload.
type event struct {
	Addr string `json:"addr"`
	Text string `json:"text"`
	// Kind is "" for a message, or "blocked", "unblocked" or "ignore".
	Kind string `json:"kind,omitempty"`
}

// testChannel is a channel whose payloads are events. It records which
// events it rendered replies for, in order, and can hold an event in
// Decode until released or panic while rendering one.
type testChannel struct {
	mu       sync.Mutex
	current  map[string]string   // address → text of the event in hand
	handled  map[string][]string // address → texts answered, in order
	rendered map[string]int      // address → messages rendered
	renders  map[string]int      // text → Render calls
	hold     map[string]chan struct{}
	holding  chan string
	panicOn  map[string]bool
}

func newTestChannel() *testChannel {
	return &testChannel{
		current:  map[string]string{},
		handled:  map[string][]string{},
		rendered: map[string]int{},
		renders:  map[string]int{},
		hold:     map[string]chan struct{}{},
		holding:  make(chan string, 10),
		panicOn:  map[string]bool{},
	}
}

func (c *testChannel) Name() string { return channelName }

func (c *testChannel) Decode(payload []byte) (inbox.Event, error) {
	var e event
	if err := json.Unmarshal(payload, &e); err != nil {
		return inbox.Event{}, fmt.Errorf("not an event: %w", err)
	}
	c.mu.Lock()
	hold := c.hold[e.Text]
	c.current[e.Addr] = e.Text
	c.mu.Unlock()
	if hold != nil {
		c.holding <- e.Text
		<-hold
	}
	switch e.Kind {
	case "blocked":
		return inbox.Event{Blocked: true}, nil
	case "unblocked":
		return inbox.Event{Unblocked: true}, nil
	case "ignore":
		return inbox.Event{Ignore: true}, nil
	}
	return inbox.Event{In: bot.Inbound{Kind: bot.KindText, Text: e.Text, LangHint: "zh-Hans"}}, nil
}

func (c *testChannel) Acknowledge(context.Context, inbox.Event) error { return nil }

func (c *testChannel) Render(address, _ string, out []bot.Outbound) ([]inbox.Rendered, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	text := c.current[address]
	c.renders[text]++
	if c.panicOn[text] {
		panic("render exploded on " + text)
	}
	c.handled[address] = append(c.handled[address], text)
	var r []inbox.Rendered
	for _, o := range out {
		b, _ := json.Marshal(map[string]string{"text": o.Text, "reply_to": text})
		r = append(r, inbox.Rendered{Payload: b})
	}
	c.rendered[address] += len(r)
	return r, nil
}

func (c *testChannel) answered(address string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.handled[address]...)
}

var (
	catalogOnce sync.Once
	catalog     *i18n.Catalog
	catalogErr  error
)

type fixture struct {
	t     *testing.T
	store *sqlite.Store
	ch    *testChannel
	p     *inbox.Processor
	ext   atomic.Int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, t.TempDir(), storetest.NewSealer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := hotline.Seed(ctx, store); err != nil {
		t.Fatal(err)
	}
	catalogOnce.Do(func() { catalog, catalogErr = i18n.Load(locales.FS, nil) })
	if catalogErr != nil {
		t.Fatal(catalogErr)
	}
	ch := newTestChannel()
	p := &inbox.Processor{
		Store:    store,
		Engine:   bot.New(catalog, time.UTC),
		Sessions: store.Sessions(30*time.Minute, nil),
		Channels: []inbox.Channel{ch},
	}
	return &fixture{t: t, store: store, ch: ch, p: p}
}

// record stores an inbound payload for addr and returns its id.
func (f *fixture) record(addr string, payload []byte) int64 {
	f.t.Helper()
	in := &hotline.Inbound{
		Channel: channelName, ExtID: fmt.Sprint(f.ext.Add(1)), Address: addr,
		Payload: payload, ReceivedAt: time.Now(),
	}
	if dup, err := f.store.RecordInbound(context.Background(), in); err != nil || dup {
		f.t.Fatalf("record: duplicate=%v err=%v", dup, err)
	}
	return in.ID
}

func (f *fixture) say(addr, text string) int64 {
	f.t.Helper()
	b, _ := json.Marshal(event{Addr: addr, Text: text})
	return f.record(addr, b)
}

func (f *fixture) signal(addr, kind string) int64 {
	f.t.Helper()
	b, _ := json.Marshal(event{Addr: addr, Text: kind, Kind: kind})
	return f.record(addr, b)
}

func (f *fixture) inbound(id int64) *hotline.Inbound {
	f.t.Helper()
	in, err := f.store.FindInbound(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return in
}

func (f *fixture) processed(id int64) bool { return f.inbound(id).ProcessedAt != nil }

// run runs the processor until the test ends.
func (f *fixture) run() {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.p.Run(ctx) }()
	f.t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				f.t.Errorf("Run returned %v", err)
			}
		case <-time.After(15 * time.Second):
			f.t.Error("Run did not return after cancel")
		}
	})
}

// waitFor polls cond until it holds or a deadline passes.
func (f *fixture) waitFor(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

func (f *fixture) allProcessed(ids ...int64) func() bool {
	return func() bool {
		for _, id := range ids {
			if !f.processed(id) {
				return false
			}
		}
		return true
	}
}

func (f *fixture) outbox(addr string) []hotline.Outbox {
	f.t.Helper()
	ch := channelName
	out, err := f.store.FindOutbox(context.Background(), hotline.OutboxFilter{Channel: &ch, Address: &addr})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func TestRunKeepsOrderPerAddressAndRunsAddressesInParallel(t *testing.T) {
	f := newFixture(t)
	release := make(chan struct{})
	f.ch.hold["A1"] = release
	var a, b []int64
	a = append(a, f.say("A", "A1"))
	b = append(b, f.say("B", "B1"))
	a = append(a, f.say("A", "A2"))
	b = append(b, f.say("B", "B2"))
	a = append(a, f.say("A", "A3"))
	b = append(b, f.say("B", "B3"))
	a = append(a, f.say("A", "A4"), f.say("A", "A5"))
	f.run()

	select {
	case got := <-f.ch.holding:
		if got != "A1" {
			t.Fatalf("holding %s, want A1", got)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("A1 was never picked up")
	}
	// A is stuck on A1; B goes on.
	f.waitFor("B's events", f.allProcessed(b...))
	if diff := cmp.Diff([]string{"B1", "B2", "B3"}, f.ch.answered("B")); diff != "" {
		t.Fatalf("B answered (-want +got):\n%s", diff)
	}
	for _, id := range a {
		if f.processed(id) {
			t.Fatalf("event %d of A was processed while A1 was still in hand", id)
		}
	}
	if got := f.ch.answered("A"); len(got) != 0 {
		t.Fatalf("A answered %v before A1 was done", got)
	}

	close(release)
	f.waitFor("A's events", f.allProcessed(a...))
	if diff := cmp.Diff([]string{"A1", "A2", "A3", "A4", "A5"}, f.ch.answered("A")); diff != "" {
		t.Fatalf("A answered (-want +got):\n%s", diff)
	}

	// The outbox holds A's replies in the order of A's events.
	var order []string
	out := f.outbox("A")
	for i := len(out) - 1; i >= 0; i-- { // FindOutbox is newest first
		var m struct {
			ReplyTo string `json:"reply_to"`
		}
		if err := json.Unmarshal(out[i].Payload, &m); err != nil {
			t.Fatal(err)
		}
		if len(order) == 0 || order[len(order)-1] != m.ReplyTo {
			order = append(order, m.ReplyTo)
		}
	}
	if diff := cmp.Diff([]string{"A1", "A2", "A3", "A4", "A5"}, order); diff != "" {
		t.Fatalf("outbox order of A (-want +got):\n%s", diff)
	}

	// An event recorded later is picked up once the processor is woken.
	late := f.say("A", "A6")
	f.p.Wake()
	f.waitFor("A6", f.allProcessed(late))
}

func TestUndecodablePayloadIsSetAsideAndKept(t *testing.T) {
	f := newFixture(t)
	garbage := []byte(`{"addr": "C", "text": 12`)
	bad := f.record("C", garbage)
	good := f.say("C", "C2")
	f.run()
	f.waitFor("C's events", f.allProcessed(bad, good))

	in := f.inbound(bad)
	if !strings.HasPrefix(in.Error, "decode:") {
		t.Errorf("error text %q, want it to start with \"decode:\"", in.Error)
	}
	if string(in.Payload) != string(garbage) {
		t.Errorf("payload %q, want the original %q", in.Payload, garbage)
	}
	if e := f.inbound(good).Error; e != "" {
		t.Errorf("the next event failed: %q", e)
	}
	if diff := cmp.Diff([]string{"C2"}, f.ch.answered("C")); diff != "" {
		t.Errorf("C answered (-want +got):\n%s", diff)
	}
	if got := len(f.outbox("C")); got == 0 {
		t.Error("no reply queued to the event after the bad one")
	}
}

func TestPanickingEventIsRetriedThenSetAside(t *testing.T) {
	f := newFixture(t)
	// Every reading of the clock is an hour later, so the backoff between
	// attempts has always passed.
	var hours atomic.Int64
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f.p.Now = func() time.Time { return start.Add(time.Duration(hours.Add(1)) * time.Hour) }
	f.p.MaxAttempts = 3
	f.ch.panicOn["A1"] = true
	a1 := f.say("A", "A1")
	a2 := f.say("A", "A2")
	b1 := f.say("B", "B1")
	f.run()
	f.waitFor("every event", f.allProcessed(a1, a2, b1))

	if e := f.inbound(a1).Error; !strings.Contains(e, "panic") || !strings.Contains(e, "render exploded on A1") {
		t.Errorf("set-aside event has error %q, want the panic", e)
	}
	f.ch.mu.Lock()
	attempts := f.ch.renders["A1"]
	f.ch.mu.Unlock()
	if attempts != f.p.MaxAttempts {
		t.Errorf("A1 was tried %d times, want MaxAttempts = %d", attempts, f.p.MaxAttempts)
	}
	for _, id := range []int64{a2, b1} {
		if e := f.inbound(id).Error; e != "" {
			t.Errorf("event %d failed: %q", id, e)
		}
	}
	if diff := cmp.Diff([]string{"A2"}, f.ch.answered("A")); diff != "" {
		t.Errorf("A answered (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"B1"}, f.ch.answered("B")); diff != "" {
		t.Errorf("B answered (-want +got):\n%s", diff)
	}
	// The failed attempts left nothing behind: A's outbox holds only A2's replies.
	f.ch.mu.Lock()
	want := f.ch.rendered["A"]
	f.ch.mu.Unlock()
	if got := len(f.outbox("A")); got != want || want == 0 {
		t.Errorf("A has %d outbox rows, want the %d rendered for A2", got, want)
	}
}

func TestBlockedAndUnblocked(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	addr := hotline.Address{Channel: channelName, ID: "D"}
	blockedAt := func() *time.Time {
		t.Helper()
		st, err := f.store.FindAddressState(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		return st.BlockedAt
	}
	steps := []struct {
		name    string
		record  func() int64
		blocked bool
		replies bool
	}{
		{"first message", func() int64 { return f.say("D", "你好") }, false, true},
		{"blocks the bot", func() int64 { return f.signal("D", "blocked") }, true, false},
		{"unblocks the bot", func() int64 { return f.signal("D", "unblocked") }, false, false},
		{"blocks again", func() int64 { return f.signal("D", "blocked") }, true, false},
		{"an edit is ignored", func() int64 { return f.signal("D", "ignore") }, true, false},
		{"writes again", func() int64 { return f.say("D", "我回来了") }, false, true},
	}
	for _, st := range steps {
		before := len(f.outbox("D"))
		id := st.record()
		if err := f.p.Process(ctx, *f.inbound(id)); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		in := f.inbound(id)
		if in.ProcessedAt == nil || in.Error != "" {
			t.Fatalf("%s: processed=%v error=%q", st.name, in.ProcessedAt != nil, in.Error)
		}
		if got := blockedAt() != nil; got != st.blocked {
			t.Errorf("%s: blocked=%v, want %v", st.name, got, st.blocked)
		}
		if got := len(f.outbox("D")) > before; got != st.replies {
			t.Errorf("%s: replies queued=%v, want %v", st.name, got, st.replies)
		}
	}

	// Signals from an address nobody wrote from create nobody.
	for _, kind := range []string{"blocked", "unblocked", "ignore"} {
		id := f.signal("E", kind)
		if err := f.p.Process(ctx, *f.inbound(id)); err != nil {
			t.Fatal(err)
		}
		if !f.processed(id) {
			t.Errorf("%s from a stranger left unprocessed", kind)
		}
	}
	if _, err := f.store.FindResidentByAddress(ctx, hotline.Address{Channel: channelName, ID: "E"}); !errors.Is(err, hotline.ErrNotFound) {
		t.Errorf("a resident was created for a stranger's signals: %v", err)
	}
	if got := len(f.outbox("E")); got != 0 {
		t.Errorf("%d replies queued to a stranger's signals", got)
	}
}
