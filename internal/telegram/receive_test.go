package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/sqlite"
	"github.com/tongxin/tongxin/internal/storetest"
	"github.com/tongxin/tongxin/internal/telegram"
	"github.com/tongxin/tongxin/internal/tgfake"
)

var discard = slog.New(slog.DiscardHandler)

func openStore(t *testing.T, dir string, sealer hotline.Sealer) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), dir, sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// recorded is an inbound event as the tests compare it.
type recorded struct {
	ExtID, Address string
}

// inbound lists the recorded Telegram events in the order they were
// recorded.
func inbound(t *testing.T, s hotline.Store) []recorded {
	t.Helper()
	var out []recorded
	misses := 0
	for id := int64(1); misses < 20; id++ {
		in, err := s.FindInbound(context.Background(), id)
		if errors.Is(err, hotline.ErrNotFound) {
			misses++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if in.Channel != hotline.ChannelTelegram {
			t.Fatalf("inbound %d has channel %q", id, in.Channel)
		}
		out = append(out, recorded{in.ExtID, in.Address})
	}
	return out
}

const goodUpdate = `{"update_id":500,"message":{"message_id":1,"date":1,"chat":{"id":77,"type":"private"},` +
	`"from":{"id":77,"is_bot":false,"first_name":"A","language_code":"ug"},"text":"/start"}}`

func TestWebhookSecret(t *testing.T) {
	tests := []struct {
		name       string
		configured string
		header     *string // nil: no header at all
		want       int
	}{
		{"right secret", "s3cret_Token-1", ptr("s3cret_Token-1"), http.StatusOK},
		{"no header", "s3cret_Token-1", nil, http.StatusUnauthorized},
		{"empty header", "s3cret_Token-1", ptr(""), http.StatusUnauthorized},
		{"wrong secret", "s3cret_Token-1", ptr("s3cret_Token-2"), http.StatusUnauthorized},
		{"prefix of the secret", "s3cret_Token-1", ptr("s3cret_Token-"), http.StatusUnauthorized},
		{"secret with more after it", "s3cret_Token-1", ptr("s3cret_Token-1x"), http.StatusUnauthorized},
		{"other case", "s3cret_Token-1", ptr("S3CRET_TOKEN-1"), http.StatusUnauthorized},
		{"nothing configured, no header", "", nil, http.StatusUnauthorized},
		{"nothing configured, empty header", "", ptr(""), http.StatusUnauthorized},
		{"nothing configured, some header", "", ptr("anything"), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := openStore(t, t.TempDir(), storetest.NewSealer(t))
			var wakes atomic.Int32
			h := &telegram.Webhook{
				Receiver: &telegram.Receiver{Store: store, Wake: func() { wakes.Add(1) }},
				Secret:   tt.configured,
				Log:      discard,
			}
			ts := httptest.NewServer(h)
			defer ts.Close()
			req, _ := http.NewRequest(http.MethodPost, ts.URL, bytes.NewReader([]byte(goodUpdate)))
			req.Header.Set("Content-Type", "application/json")
			if tt.header != nil {
				req.Header.Set("X-Telegram-Bot-Api-Secret-Token", *tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			got := inbound(t, store)
			if tt.want == http.StatusOK {
				if diff := cmp.Diff([]recorded{{"500", "77"}}, got); diff != "" {
					t.Fatalf("recorded (-want +got):\n%s", diff)
				}
				if wakes.Load() != 1 {
					t.Fatalf("Wake called %d times", wakes.Load())
				}
				return
			}
			if len(got) != 0 || wakes.Load() != 0 {
				t.Fatalf("a rejected request was recorded (%v) or woke the processor (%d)", got, wakes.Load())
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestReceiverFilesUpdatesByChat(t *testing.T) {
	fake := newFake(t)
	store := openStore(t, t.TempDir(), storetest.NewSealer(t))
	var wakes atomic.Int32
	r := &telegram.Receiver{Store: store, Wake: func() { wakes.Add(1) }}
	ctx := context.Background()
	withID := func(id int, u models.Update) []byte {
		u.ID = int64(id)
		return mustJSON(t, u)
	}
	// A callback whose message is inaccessible has only the user to go by.
	inaccessible := []byte(`{"update_id":6,"callback_query":{"id":"cb6","from":{"id":55,"is_bot":false,"first_name":"C"},` +
		`"chat_instance":"1","data":"n:menu"}}`)
	bodies := [][]byte{
		withID(1, fake.TextUpdate(42, "你好", "zh-hans")),
		withID(2, fake.CallbackUpdate(43, 9, "n:menu", "ug")),
		memberUpdate("private", "member", "kicked"), // update_id 7, chat 42
		[]byte(`{"update_id":4,"edited_message":{"message_id":1,"date":1,"chat":{"id":44,"type":"private"},"text":"x"}}`),
		withID(5, fake.TextUpdate(-100123, "group", "")),
		inaccessible,
	}
	for _, b := range bodies {
		dup, err := r.Receive(ctx, b)
		if err != nil || dup {
			t.Fatalf("Receive(%s) = %v, %v", b, dup, err)
		}
	}
	want := []recorded{{"1", "42"}, {"2", "43"}, {"7", "42"}, {"4", "44"}, {"5", "-100123"}, {"6", "55"}}
	if diff := cmp.Diff(want, inbound(t, store)); diff != "" {
		t.Fatalf("recorded (-want +got):\n%s", diff)
	}

	// The same update again is a duplicate: not recorded, nobody woken.
	dup, err := r.Receive(ctx, bodies[0])
	if err != nil || !dup {
		t.Fatalf("second delivery: duplicate=%v err=%v", dup, err)
	}
	if got := len(inbound(t, store)); got != len(want) {
		t.Fatalf("%d events after a duplicate, want %d", got, len(want))
	}
	if wakes.Load() != int32(len(want)) {
		t.Fatalf("Wake called %d times for %d new updates", wakes.Load(), len(want))
	}

	for _, bad := range []string{`{}`, `{"update_id":0,"message":{}}`, `{"update_id":-3}`, `nope`, "{\"update_id\":9,\"message\":{\"text\":\"\xff\"}}"} {
		if _, err := r.Receive(ctx, []byte(bad)); !errors.Is(err, telegram.ErrBadUpdate) {
			t.Errorf("Receive(%q) = %v, want ErrBadUpdate", bad, err)
		}
	}
}

// pollerFixture is a fake Bot API over HTTP and a way to start pollers
// against it.
type pollerFixture struct {
	fake *tgfake.Server
	api  *telegram.API
}

func newPollerFixture(t *testing.T) *pollerFixture {
	t.Helper()
	fake := newFake(t)
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	return &pollerFixture{fake: fake, api: &telegram.API{BaseURL: ts.URL, Token: token}}
}

// start runs a poller until ctx ends or stop is called; stop waits until
// it has returned.
func (f *pollerFixture) start(t *testing.T, ctx context.Context, r *telegram.Receiver) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	p := &telegram.Poller{Receiver: r, API: f.api, Timeout: time.Second, Log: discard}
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("poller returned %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("poller did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestPollerRecordsInOrderOnceAcrossRestarts(t *testing.T) {
	f := newPollerFixture(t)
	store := openStore(t, t.TempDir(), storetest.NewSealer(t))
	ids := []int64{
		f.fake.Deliver(f.fake.TextUpdate(42, "一", "zh-hans")),
		f.fake.Deliver(f.fake.TextUpdate(43, "ئىككى", "ug")),
		f.fake.Deliver(f.fake.CommandUpdate(42, "/menu", "zh-hans")),
	}
	want := []recorded{
		{strconv.FormatInt(ids[0], 10), "42"},
		{strconv.FormatInt(ids[1], 10), "43"},
		{strconv.FormatInt(ids[2], 10), "42"},
	}

	// The first poller is cancelled the moment it has recorded the first
	// update: it cannot save an offset or confirm anything to Telegram,
	// which keeps every update and sends them all again.
	firstCtx, cancelFirst := context.WithCancel(context.Background())
	var once sync.Once
	recordedOne := make(chan struct{})
	first := &telegram.Receiver{Store: store, Wake: func() { once.Do(func() { cancelFirst(); close(recordedOne) }) }}
	stopFirst := f.start(t, firstCtx, first)
	select {
	case <-recordedOne:
	case <-waitCtx(t).Done():
		t.Fatal("the first poller recorded nothing")
	}
	stopFirst()
	if diff := cmp.Diff(want[:1], inbound(t, store)); diff != "" {
		t.Fatalf("the first poller recorded (-want +got):\n%s", diff)
	}
	if off, err := store.Setting(context.Background(), "telegram.poll_offset"); !errors.Is(err, hotline.ErrNotFound) {
		t.Fatalf("the cancelled poller saved offset %q (%v)", off, err)
	}

	var wakes atomic.Int32
	second := &telegram.Receiver{Store: store, Wake: func() { wakes.Add(1) }}
	stopSecond := f.start(t, context.Background(), second)
	if err := f.fake.WaitDelivered(waitCtx(t), ids[2]); err != nil {
		t.Fatal(err)
	}
	stopSecond()
	if diff := cmp.Diff(want, inbound(t, store)); diff != "" {
		t.Fatalf("recorded (-want +got):\n%s", diff)
	}
	// The second poller got all three again; the first was a duplicate.
	if n := int(wakes.Load()); n != len(want)-1 {
		t.Errorf("the second poller woke the processor %d times for %d new updates", n, len(want)-1)
	}
	off, err := store.Setting(context.Background(), "telegram.poll_offset")
	if err != nil {
		t.Fatal(err)
	}
	if off != strconv.FormatInt(ids[2]+1, 10) {
		t.Errorf("poll offset %s, want %d", off, ids[2]+1)
	}

	// A third poller starts where the second left off and records only
	// what is new.
	stopThird := f.start(t, context.Background(), &telegram.Receiver{Store: store})
	id := f.fake.Deliver(f.fake.TextUpdate(44, "四", "ko"))
	if err := f.fake.WaitDelivered(waitCtx(t), id); err != nil {
		t.Fatal(err)
	}
	stopThird()
	want = append(want, recorded{strconv.FormatInt(id, 10), "44"})
	if diff := cmp.Diff(want, inbound(t, store)); diff != "" {
		t.Fatalf("after the third poller (-want +got):\n%s", diff)
	}
	for _, c := range f.fake.CallsTo("getUpdates") {
		if c.Params["offset"] == "0" || c.Params["offset"] == "" {
			continue
		}
		off, _ := strconv.ParseInt(c.Params["offset"], 10, 64)
		if off > id+1 {
			t.Errorf("getUpdates with offset %d: beyond the last update %d", off, id)
		}
	}
}

// failingInbound is a store that cannot record inbound events but
// otherwise works.
type failingInbound struct{ hotline.Store }

func (failingInbound) RecordInbound(context.Context, *hotline.Inbound) (bool, error) {
	return false, errors.New("disk full")
}

func TestPollerConfirmsNothingItCouldNotRecord(t *testing.T) {
	tests := []struct {
		name   string
		broken func(t *testing.T, dir string, sealer hotline.Sealer) hotline.Store
	}{
		{"store closed", func(t *testing.T, dir string, sealer hotline.Sealer) hotline.Store {
			s := openStore(t, dir, sealer)
			s.Close() // the database is gone
			return s
		}},
		// Settings still work here, so saving the offset cannot hide a
		// poller that moves on past an update it did not record.
		{"recording fails, settings work", func(t *testing.T, dir string, sealer hotline.Sealer) hotline.Store {
			return failingInbound{openStore(t, dir, sealer)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newPollerFixture(t)
			dir, sealer := t.TempDir(), storetest.NewSealer(t)
			id := f.fake.Deliver(f.fake.TextUpdate(42, "你好", "zh-hans"))
			stop := f.start(t, context.Background(), &telegram.Receiver{Store: tt.broken(t, dir, sealer)})
			pollerRecordsOnlyOnceTheStoreIsBack(t, f, stop, dir, sealer, id)
		})
	}
}

func pollerRecordsOnlyOnceTheStoreIsBack(t *testing.T, f *pollerFixture, stop func(), dir string, sealer hotline.Sealer, id int64) {
	t.Helper()
	// The poller fetches the update, fails to record it, and asks again
	// (after its backoff) from the same place.
	calls, err := f.fake.WaitCalls(waitCtx(t), "getUpdates", 2)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	for _, c := range calls {
		off, _ := strconv.ParseInt(c.Params["offset"], 10, 64)
		if off > id {
			t.Fatalf("getUpdates with offset %d confirmed update %d, which was never recorded", off, id)
		}
	}

	// Telegram still holds the update: with the store back, it is recorded.
	store := openStore(t, dir, sealer)
	if off, err := store.Setting(context.Background(), "telegram.poll_offset"); err == nil {
		if n, _ := strconv.ParseInt(off, 10, 64); n > id {
			t.Fatalf("offset %d saved past update %d, which was never recorded", n, id)
		}
	}
	stop = f.start(t, context.Background(), &telegram.Receiver{Store: store})
	if err := f.fake.WaitDelivered(waitCtx(t), id); err != nil {
		t.Fatal(err)
	}
	stop()
	want := []recorded{{strconv.FormatInt(id, 10), "42"}}
	if diff := cmp.Diff(want, inbound(t, store)); diff != "" {
		t.Fatalf("recorded (-want +got):\n%s", diff)
	}
}
