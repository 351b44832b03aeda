package dispatch_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tongxin/tongxin/internal/dispatch"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/sqlite"
	"github.com/tongxin/tongxin/internal/storetest"
)

// recorder is a channel that records what it was asked to send and fails
// the way it is told to.
type recorder struct {
	mu     sync.Mutex
	sends  []send
	script map[string][]error // payload → errors for its first attempts
	done   chan struct{}
	want   int
}

type send struct {
	address, payload string
	at               time.Time
}

func (r *recorder) Send(_ context.Context, m hotline.Outbox) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if errs := r.script[string(m.Payload)]; len(errs) > 0 {
		r.script[string(m.Payload)] = errs[1:]
		if errs[0] != nil {
			return "", errs[0]
		}
	}
	r.sends = append(r.sends, send{m.Address, string(m.Payload), time.Now()})
	if len(r.sends) == r.want {
		close(r.done)
	}
	return fmt.Sprint(len(r.sends)), nil
}

func (r *recorder) sent() []send {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]send(nil), r.sends...)
}

type fixture struct {
	store hotline.Store
	rec   *recorder
	d     *dispatch.Dispatcher
}

func newFixture(t *testing.T, limits dispatch.Limits, want int) *fixture {
	t.Helper()
	s, err := sqlite.Open(context.Background(), t.TempDir(), storetest.NewSealer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	rec := &recorder{script: map[string][]error{}, done: make(chan struct{}), want: want}
	d := &dispatch.Dispatcher{
		Store:   s,
		Senders: map[string]dispatch.Sender{"test": rec},
		Limits:  map[string]dispatch.Limits{"test": limits},
		Backoff: func(int) time.Duration { return time.Millisecond },
	}
	return &fixture{store: s, rec: rec, d: d}
}

// enqueue queues messages to addresses, creating the residents.
func (f *fixture) enqueue(t *testing.T, msgs ...[2]string) {
	t.Helper()
	err := f.store.Update(context.Background(), func(tx hotline.Tx) error {
		for _, m := range msgs {
			a := hotline.Address{Channel: "test", ID: m[0]}
			r, err := tx.FindResidentByAddress(context.Background(), a)
			if errors.Is(err, hotline.ErrNotFound) {
				r = &hotline.Resident{}
				err = tx.CreateResident(context.Background(), r, a)
			}
			if err != nil {
				return err
			}
			if err := tx.EnqueueOutbox(context.Background(), &hotline.Outbox{Channel: "test", Address: m[0], ResidentID: r.ID, Payload: []byte(m[1])}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	f.d.Wake()
}

func (f *fixture) wait(t *testing.T) {
	t.Helper()
	select {
	case <-f.rec.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("only %d of %d messages sent", len(f.rec.sent()), f.rec.want)
	}
}

// statusOf waits until message payload has left pending, and returns its row.
func (f *fixture) statusOf(t *testing.T, payload string) hotline.Outbox {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		all, err := f.store.FindOutbox(context.Background(), hotline.OutboxFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range all {
			if string(m.Payload) == payload && m.Status != hotline.OutboxPending {
				return m
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("message %q never left pending", payload)
	return hotline.Outbox{}
}

func TestOrderAndPacingPerAddress(t *testing.T) {
	const gap = 100 * time.Millisecond
	f := newFixture(t, dispatch.Limits{PerAddress: gap}, 6)
	f.enqueue(t, [2]string{"a", "a1"}, [2]string{"b", "b1"}, [2]string{"a", "a2"}, [2]string{"b", "b2"}, [2]string{"a", "a3"}, [2]string{"b", "b3"})
	f.run(t)
	f.wait(t)
	byAddr := map[string][]send{}
	for _, s := range f.rec.sent() {
		byAddr[s.address] = append(byAddr[s.address], s)
	}
	for addr, ss := range byAddr {
		for i, s := range ss {
			if want := fmt.Sprintf("%s%d", addr, i+1); s.payload != want {
				t.Errorf("address %s: message %d is %s, want %s", addr, i, s.payload, want)
			}
			if i > 0 && s.at.Sub(ss[i-1].at) < gap {
				t.Errorf("address %s: messages %d and %d only %s apart", addr, i, i+1, s.at.Sub(ss[i-1].at))
			}
		}
	}
	// Addresses do not wait for each other: b1 goes before a2.
	order := map[string]int{}
	for i, s := range f.rec.sent() {
		order[s.payload] = i
	}
	if order["b1"] > order["a2"] {
		t.Errorf("b1 waited behind a2: %v", order)
	}
}

func TestChannelRateIsShared(t *testing.T) {
	f := newFixture(t, dispatch.Limits{PerSecond: 20, Burst: 1}, 10)
	var msgs [][2]string
	for i := 0; i < 10; i++ {
		msgs = append(msgs, [2]string{fmt.Sprint("r", i), fmt.Sprint("m", i)})
	}
	f.enqueue(t, msgs...)
	start := time.Now()
	f.run(t)
	f.wait(t)
	// Ten messages at 20 a second with no burst take at least 9/20 s.
	if took := time.Since(start); took < 450*time.Millisecond {
		t.Errorf("10 messages to 10 addresses took %s; the channel rate of 20/s was not applied", took)
	}
}

func TestRetryAfterIsHonouredAndNotCounted(t *testing.T) {
	f := newFixture(t, dispatch.Limits{}, 2)
	f.d.MaxAttempts = 2
	busy := &dispatch.RetryAfterError{After: 50 * time.Millisecond, Err: errors.New("429")}
	f.rec.script["x1"] = []error{busy, busy, busy, busy}
	f.enqueue(t, [2]string{"x", "x1"}, [2]string{"x", "x2"})
	f.run(t)
	f.wait(t)
	got := f.rec.sent()
	if got[0].payload != "x1" || got[1].payload != "x2" {
		t.Fatalf("order after 429s: %v", got)
	}
	m := f.statusOf(t, "x1")
	if m.Status != hotline.OutboxSent || m.Attempts != 0 {
		t.Errorf("after four 429s: status %s attempts %d; 429s must not count", m.Status, m.Attempts)
	}
}

func TestFailuresParkAndBlockedStops(t *testing.T) {
	f := newFixture(t, dispatch.Limits{}, 2)
	f.d.MaxAttempts = 3
	boom := errors.New("502 bad gateway")
	f.rec.script["p1"] = []error{boom, boom, boom, boom}
	f.rec.script["q1"] = []error{&dispatch.PermanentError{Err: errors.New("400 can't parse entities")}}
	f.rec.script["r1"] = []error{fmt.Errorf("403: %w", dispatch.ErrBlocked)}
	f.rec.script["s1"] = []error{boom}
	f.enqueue(t, [2]string{"p", "p1"}, [2]string{"p", "p2"}, [2]string{"q", "q1"}, [2]string{"r", "r1"}, [2]string{"r", "r2"}, [2]string{"s", "s1"})
	f.run(t)
	f.wait(t)
	if m := f.statusOf(t, "p1"); m.Status != hotline.OutboxParked || m.Attempts != 2 || m.LastError == "" {
		t.Errorf("p1 after 3 failures: %+v", m)
	}
	if m := f.statusOf(t, "q1"); m.Status != hotline.OutboxParked || m.Attempts != 0 {
		t.Errorf("q1 rejected once: %+v", m)
	}
	if m := f.statusOf(t, "r1"); m.Status != hotline.OutboxBlocked {
		t.Errorf("r1: %+v", m)
	}
	if m := f.statusOf(t, "r2"); m.Status != hotline.OutboxBlocked {
		t.Errorf("r2 to a blocked address must not be sent: %+v", m)
	}
	if m := f.statusOf(t, "s1"); m.Status != hotline.OutboxSent || m.Attempts != 1 {
		t.Errorf("s1 after one failure: %+v", m)
	}
	st, err := f.store.FindAddressState(context.Background(), hotline.Address{Channel: "test", ID: "r"})
	if err != nil || st.BlockedAt == nil {
		t.Errorf("address r not marked blocked: %+v %v", st, err)
	}
	var payloads []string
	for _, s := range f.rec.sent() {
		payloads = append(payloads, s.payload)
	}
	if fmt.Sprint(payloads) != "[p2 s1]" && fmt.Sprint(payloads) != "[s1 p2]" {
		t.Errorf("sent %v, want p2 (after p1 was parked) and s1", payloads)
	}
}

func TestBackoffGrows(t *testing.T) {
	b := dispatch.ExponentialBackoff(time.Second, 10*time.Second)
	prev := time.Duration(0)
	for n := 1; n <= 4; n++ {
		d := b(n)
		if d < prev || d < time.Second<<(n-1) || d > (time.Second<<(n-1))*5/4+time.Nanosecond {
			t.Errorf("backoff %d = %s", n, d)
		}
		prev = d
	}
	if d := b(20); d < 10*time.Second || d > 12500*time.Millisecond {
		t.Errorf("backoff is not capped: %s", d)
	}
}
