package tgfake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

func TestWebhookDelivery(t *testing.T) {
	s, _, b := newFake(t)
	ctx := testCtx(t)

	var (
		mu        sync.Mutex
		busy      = map[int64]int{} // requests in progress per chat
		overlap   bool
		failed    bool
		delivered = map[int64][]int64{} // acknowledged update ids per chat
		chat2     = make(chan struct{})
		chat2Once sync.Once
	)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get(secretHeader); got != "s3cret_-" {
			t.Errorf("secret header = %q", got)
		}
		var u models.Update
		if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
			t.Errorf("decode update: %v", err)
			return
		}
		chat := u.Message.Chat.ID
		mu.Lock()
		busy[chat]++
		overlap = overlap || busy[chat] > 1
		failFirst := chat == 1 && !failed
		failed = failed || chat == 1
		mu.Unlock()
		defer func() {
			mu.Lock()
			busy[chat]--
			mu.Unlock()
		}()
		if chat == 2 {
			chat2Once.Do(func() { close(chat2) })
		}
		if failFirst {
			// Hold chat 1's first update until chat 2's arrives: the chats
			// are delivered in parallel, and chat 1's queue is blocked.
			select {
			case <-chat2:
			case <-ctx.Done():
				t.Error("chat 2 was not delivered while chat 1 was pending")
			}
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		mu.Lock()
		delivered[chat] = append(delivered[chat], u.ID)
		mu.Unlock()
	}))
	t.Cleanup(receiver.Close)

	if _, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: receiver.URL + "/hook", SecretToken: "s3cret_-"}); err != nil {
		t.Fatal(err)
	}
	a1 := s.Deliver(s.TextUpdate(1, "one", ""))
	a2 := s.Deliver(s.TextUpdate(1, "two", ""))
	b1 := s.Deliver(s.TextUpdate(2, "other chat", ""))
	a3 := s.Deliver(s.TextUpdate(1, "three", ""))
	for _, id := range []int64{a1, a2, b1, a3} {
		if err := s.WaitDelivered(ctx, id); err != nil {
			t.Fatal(err)
		}
	}

	mu.Lock()
	defer mu.Unlock()
	if overlap {
		t.Error("two updates of one chat were in flight at once")
	}
	if got := mustJSON(delivered[1]); got != mustJSON([]int64{a1, a2, a3}) {
		t.Errorf("chat 1 acknowledged %s, want %v", got, []int64{a1, a2, a3})
	}
	var a1Statuses []int
	for _, d := range s.Deliveries() {
		if d.UpdateID == a1 {
			a1Statuses = append(a1Statuses, d.Status)
		}
	}
	if mustJSON(a1Statuses) != "[500,200]" {
		t.Errorf("attempts for the first update: %v, want [500 200]", a1Statuses)
	}
	info, err := b.GetWebhookInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.URL != receiver.URL+"/hook" || info.PendingUpdateCount != 0 || info.MaxConnections != 40 ||
		info.LastErrorMessage != "Wrong response from the webhook: 500 Internal Server Error" || info.LastErrorDate == 0 {
		t.Errorf("webhook info = %+v", info)
	}
}

func TestWebhookRetryAfter(t *testing.T) {
	t.Parallel()
	s, _, b := newFake(t)
	ctx := testCtx(t)
	var mu sync.Mutex
	calls := 0
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if calls++; calls == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	t.Cleanup(receiver.Close)
	if _, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: receiver.URL}); err != nil {
		t.Fatal(err)
	}
	id := s.Deliver(s.TextUpdate(1, "hi", ""))
	if err := s.WaitDelivered(ctx, id); err != nil {
		t.Fatal(err)
	}
	d := s.Deliveries()
	if len(d) != 2 || d[0].Status != 429 || d[1].Status != 200 {
		t.Fatalf("deliveries = %+v", d)
	}
	if gap := d[1].Time.Sub(d[0].Time); gap < time.Second {
		t.Errorf("retried after %v, want at least the 1s of Retry-After", gap)
	}
}

func TestWebhookDeletedFallsBackToGetUpdates(t *testing.T) {
	s, ts, b := newFake(t)
	ctx := testCtx(t)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(receiver.Close)
	if _, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: receiver.URL}); err != nil {
		t.Fatal(err)
	}
	id := s.Deliver(s.TextUpdate(1, "hi", ""))
	if err := s.wait(ctx, func() bool { return len(s.deliveries) >= 2 }); err != nil {
		t.Fatal(err)
	}
	if _, err := b.DeleteWebhook(ctx, &bot.DeleteWebhookParams{}); err != nil {
		t.Fatal(err)
	}
	// Poll until the last failed attempt has returned the update to the queue.
	for {
		r := <-poll(t, ts.URL, "timeout=1")
		if strings.Contains(mustJSON(r.body["result"]), `"text":"hi"`) {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the undelivered update never reached getUpdates")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.acked[id] {
		t.Error("update acknowledged before an offset confirmed it")
	}
}

func TestSetWebhookChecks(t *testing.T) {
	_, _, b := newFake(t)
	ctx := testCtx(t)
	tests := []struct {
		name   string
		params bot.SetWebhookParams
		err    string
	}{
		{"base64 secret", bot.SetWebhookParams{URL: "https://example.org", SecretToken: "abc+/="}, "secret token contains unallowed characters"},
		{"long secret", bot.SetWebhookParams{URL: "https://example.org", SecretToken: strings.Repeat("a", 257)}, "secret token contains unallowed characters"},
		{"not http", bot.SetWebhookParams{URL: "ftp://example.org"}, "bad webhook: HTTPS url must be provided for webhook"},
		{"ok", bot.SetWebhookParams{URL: "https://example.org", SecretToken: strings.Repeat("a", 256), MaxConnections: 500}, ""},
	}
	for _, tt := range tests {
		_, err := b.SetWebhook(ctx, &tt.params)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.err)
		}
	}
	if info, err := b.GetWebhookInfo(ctx); err != nil || info.URL != "https://example.org" || info.MaxConnections != 100 {
		t.Errorf("webhook info = %+v, %v", info, err)
	}
}
