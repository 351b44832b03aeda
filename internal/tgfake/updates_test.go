package tgfake

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

type pollResult struct {
	status int
	body   map[string]any
}

// poll starts a getUpdates call in the background.
func poll(t *testing.T, baseURL, query string) <-chan pollResult {
	t.Helper()
	done := make(chan pollResult, 1)
	go func() {
		var r pollResult
		defer func() { done <- r }()
		resp, err := http.Post(baseURL+"/bot"+testToken+"/getUpdates?"+query, "", nil)
		if err != nil {
			t.Errorf("getUpdates: %v", err)
			return
		}
		defer resp.Body.Close()
		r.status = resp.StatusCode
		if err := json.NewDecoder(resp.Body).Decode(&r.body); err != nil {
			t.Errorf("getUpdates: decode: %v", err)
		}
	}()
	return done
}

func TestGetUpdatesLongPoll(t *testing.T) {
	s, ts, _ := newFake(t)
	ctx := testCtx(t)
	done := poll(t, ts.URL, "timeout=50")
	if err := s.WaitPoller(ctx); err != nil {
		t.Fatal(err)
	}
	id := s.Deliver(s.TextUpdate(42, "你好", "zh-hans"))
	var r pollResult
	select {
	case r = <-done:
	case <-ctx.Done():
		t.Fatal("getUpdates did not return after an update was delivered")
	}
	var updates []models.Update
	if err := json.Unmarshal([]byte(mustJSON(r.body["result"])), &updates); err != nil {
		t.Fatal(err)
	}
	if r.status != 200 || len(updates) != 1 || updates[0].ID != id || id != 1000 {
		t.Fatalf("getUpdates = %d %+v, want update %d", r.status, updates, id)
	}
	m := updates[0].Message
	if m.Text != "你好" || m.Chat.ID != 42 || m.From.ID != 42 || m.From.IsBot || m.From.LanguageCode != "zh-hans" || m.From.FirstName == "" {
		t.Errorf("message = %+v from %+v", m, m.From)
	}

	// Not confirmed yet: the update comes again until an offset passes it.
	if r := <-poll(t, ts.URL, ""); mustJSON(r.body["result"]) == "[]" {
		t.Error("unconfirmed update was dropped")
	}
	if r := <-poll(t, ts.URL, "offset=1001"); mustJSON(r.body["result"]) != "[]" {
		t.Errorf("after offset 1001: %v", r.body)
	}
	if err := s.WaitDelivered(ctx, id); err != nil {
		t.Error(err)
	}
}

func TestGetUpdatesEndsOnClose(t *testing.T) {
	s, ts, _ := newFake(t)
	done := poll(t, ts.URL, "timeout=50")
	if err := s.WaitPoller(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if r := <-done; r.status != 200 || mustJSON(r.body["result"]) != "[]" {
		t.Errorf("after Close: %+v", r)
	}
}

func TestGetUpdatesConflicts(t *testing.T) {
	s, ts, b := newFake(t)
	ctx := testCtx(t)
	first := poll(t, ts.URL, "timeout=50")
	if err := s.WaitPoller(ctx); err != nil {
		t.Fatal(err)
	}
	second := poll(t, ts.URL, "timeout=50")
	r := <-first
	if r.status != 409 || r.body["description"] != "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running" {
		t.Errorf("first poller = %+v", r)
	}
	if _, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: "https://example.org/hook"}); err != nil {
		t.Fatal(err)
	}
	const active = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
	if r := <-second; r.status != 409 || r.body["description"] != active {
		t.Errorf("poller waiting when the webhook was set = %+v", r)
	}
	if r := <-poll(t, ts.URL, ""); r.status != 409 || r.body["description"] != active {
		t.Errorf("getUpdates with a webhook = %+v", r)
	}
}

func TestAllowedUpdates(t *testing.T) {
	s, ts, _ := newFake(t)
	<-poll(t, ts.URL, "allowed_updates="+url.QueryEscape(`["message"]`))
	s.Deliver(s.CallbackUpdate(42, 1, "x", ""))
	text := s.Deliver(s.TextUpdate(42, "hi", ""))
	r := <-poll(t, ts.URL, "")
	var updates []models.Update
	_ = json.Unmarshal([]byte(mustJSON(r.body["result"])), &updates)
	if len(updates) != 1 || updates[0].ID != text {
		t.Errorf("updates = %+v, want only the message", updates)
	}
}

// TestBotStart runs the real client's long-polling loop against the fake.
func TestBotStart(t *testing.T) {
	got := make(chan *models.Update, 10)
	s, _, b := newFake(t, bot.WithDefaultHandler(func(_ context.Context, _ *bot.Bot, u *models.Update) { got <- u }))
	ctx, cancel := context.WithCancel(testCtx(t))
	stopped := make(chan struct{})
	go func() { b.Start(ctx); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped })

	if err := s.WaitPoller(ctx); err != nil {
		t.Fatal(err)
	}
	ids := []int64{
		s.Deliver(s.CommandUpdate(7, "/start ref", "ug")),
		s.Deliver(s.ContactUpdate(7, "+8613800000000", true, "")),
		s.Deliver(s.ContactUpdate(7, "+8613900000000", false, "")),
		s.Deliver(s.LocationUpdate(7, 43.8, 87.6, "")),
		s.Deliver(s.CallbackUpdate(7, 3, "lang:ug", "ug")),
	}
	byID := map[int64]*models.Update{}
	for range ids {
		select {
		case u := <-got:
			byID[u.ID] = u
		case <-ctx.Done():
			t.Fatalf("received %d of %d updates", len(byID), len(ids))
		}
	}
	cmd := byID[ids[0]].Message
	if cmd.Text != "/start ref" || len(cmd.Entities) != 1 || cmd.Entities[0].Type != models.MessageEntityTypeBotCommand || cmd.Entities[0].Length != 6 || cmd.From.LanguageCode != "ug" {
		t.Errorf("command = %+v", cmd)
	}
	if own := byID[ids[1]].Message; own.Contact.UserID != own.From.ID {
		t.Errorf("own contact = %+v", own.Contact)
	}
	if other := byID[ids[2]].Message; other.Contact.UserID != 0 || other.From.LanguageCode != "" {
		t.Errorf("other contact = %+v", other.Contact)
	}
	if loc := byID[ids[3]].Message.Location; loc == nil || loc.Latitude != 43.8 || loc.Longitude != 87.6 {
		t.Errorf("location = %+v", loc)
	}
	cq := byID[ids[4]].CallbackQuery
	if cq == nil || cq.Data != "lang:ug" || cq.Message.Message == nil || cq.Message.Message.ID != 3 || cq.ID == "" {
		t.Fatalf("callback = %+v", cq)
	}
	if _, err := b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: cq.ID}); err != nil {
		t.Errorf("answer: %v", err)
	}
	// The client confirms with the offset of its next poll.
	if err := s.WaitDelivered(ctx, ids[4]); err != nil {
		t.Error(err)
	}
	if ids[0] != 1000 || ids[4] != 1004 {
		t.Errorf("update ids = %v, want 1000…1004", ids)
	}
	if msgIDs := []int{byID[ids[0]].Message.ID, byID[ids[3]].Message.ID}; msgIDs[0] != 1 || msgIDs[1] != 4 {
		t.Errorf("message ids = %v, want per-chat sequence", msgIDs)
	}
}
