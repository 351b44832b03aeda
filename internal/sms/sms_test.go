package sms_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/i18n"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/segment"
	"github.com/tongxin/tongxin/internal/sms"
	"github.com/tongxin/tongxin/internal/smsfake"
	"github.com/tongxin/tongxin/internal/spool"
	"github.com/tongxin/tongxin/internal/sqlite"
	"github.com/tongxin/tongxin/internal/storetest"
	"github.com/tongxin/tongxin/locales"
)

func catalog(t *testing.T) *i18n.Catalog {
	t.Helper()
	cat, err := i18n.Load(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func form(kv ...string) []byte {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return []byte(v.Encode())
}

func TestDecode(t *testing.T) {
	ch := sms.NewChannel(catalog(t), nil, "")
	tests := []struct {
		name                     string
		payload                  []byte
		kind                     bot.Kind
		text                     string
		optOut, optIn, help, ign bool
	}{
		{"text", form("From", "+8613812345678", "Body", " 我想找工作 "), bot.KindText, "我想找工作", false, false, false, false},
		{"STOP", form("From", "+8613812345678", "Body", "STOP"), bot.KindText, "STOP", true, false, false, false},
		{"stop lower case with a dot", form("From", "+8613812345678", "Body", "stop."), bot.KindText, "stop.", true, false, false, false},
		{"Mongolian stop with a full stop", form("From", "+8613812345678", "Body", "ᠵᠣᠭᠰᠣᠭᠠ᠃"), bot.KindText, "ᠵᠣᠭᠰᠣᠭᠠ᠃", true, false, false, false},
		{"Uyghur start typed with heh", form("From", "+8613812345678", "Body", "قايتا باشلا"), bot.KindText, "قايتا باشلا", false, true, false, false},
		{"Korean stop", form("From", "+8613812345678", "Body", "수신거부"), bot.KindText, "수신거부", true, false, false, false},
		{"退订", form("From", "+8613812345678", "Body", "退订"), bot.KindText, "退订", true, false, false, false},
		{"TD full-width", form("From", "+8613812345678", "Body", "ＴＤ"), bot.KindText, "ＴＤ", true, false, false, false},
		{"stop inside a sentence is text", form("From", "+8613812345678", "Body", "请不要stop"), bot.KindText, "请不要stop", false, false, false, false},
		{"START", form("From", "+8613812345678", "Body", "Start"), bot.KindText, "Start", false, true, false, false},
		{"开始", form("From", "+8613812345678", "Body", "开始"), bot.KindText, "开始", false, true, false, false},
		{"HELP", form("From", "+8613812345678", "Body", "help"), bot.KindText, "help", false, false, true, false},
		{"empty", form("From", "+8613812345678", "Body", ""), bot.KindOther, "", false, false, false, false},
		{"invalid UTF-8 kept readable", form("From", "+8613812345678", "Body", "\xff\xfe你好"), bot.KindText, "\uFFFD你好", false, false, false, false},
		{"not a phone number", form("From", "Alipay", "Body", "验证码 1234"), "", "", false, false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := ch.Decode(tt.payload)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Ignore != tt.ign || ev.In.Kind != tt.kind || ev.In.Text != tt.text || ev.OptOut != tt.optOut || ev.OptIn != tt.optIn || ev.Help != tt.help {
				t.Fatalf("got %+v", ev)
			}
			if !tt.ign && ev.Phone != "+8613812345678" {
				t.Errorf("phone %q", ev.Phone)
			}
		})
	}
	if _, err := ch.Decode([]byte("%zz")); err == nil {
		t.Error("a payload that is not a form decoded")
	}
}

func TestRenderJoinsATurnAndNumbersTheLastMenu(t *testing.T) {
	ch := sms.NewChannel(catalog(t), nil, "")
	out := []bot.Outbound{
		{Lang: "zh-Hans", Text: "好的，我用中文和您说话。", Choices: []bot.Choice{{Data: "old", Label: "旧的"}}},
		{Lang: "zh-Hans", Text: "请选择您要办的事：", Choices: []bot.Choice{{Data: "n:hb", Label: "📖 办事指南"}, {Data: "n:req", Label: "📝 我要办事"}}},
	}
	r, err := ch.Render("+8613812345678", "zh-Hans", out)
	if err != nil || len(r) != 1 {
		t.Fatalf("%d messages, %v", len(r), err)
	}
	var m sms.Message
	json.Unmarshal(r[0].Payload, &m)
	want := "好的，我用中文和您说话。\n\n请选择您要办的事：\n1 办事指南\n2 我要办事"
	if m.Body != want || m.To != "+8613812345678" {
		t.Fatalf("body %q, want %q", m.Body, want)
	}
	if r[0].Segments != segment.Count(want).Segments {
		t.Errorf("segments %d", r[0].Segments)
	}

	// A trailing choice that leads to the main menu is 0.
	r, _ = ch.Render("+8613812345678", "zh-Hans", []bot.Outbound{{Lang: "zh-Hans", Text: "办事指南：", Choices: []bot.Choice{
		{Data: "n:hb:jobs", Label: "就业和培训"}, {Data: "n:menu", Label: "🏠 主菜单"}}}})
	json.Unmarshal(r[0].Payload, &m)
	if m.Body != "办事指南：\n1 就业和培训\n0 主菜单" {
		t.Errorf("menu as 0: %q", m.Body)
	}

	long := strings.Repeat("法律援助是政府免费给的法律帮助。", 60)
	r, _ = ch.Render("+8613812345678", "zh-Hans", []bot.Outbound{{Lang: "zh-Hans", Text: long}})
	if len(r) < 2 {
		t.Fatalf("a %d-character text went as %d SMS", len([]rune(long)), len(r))
	}
	var joined strings.Builder
	for _, part := range r {
		var m sms.Message
		json.Unmarshal(part.Payload, &m)
		if part.Segments > sms.MaxSegments {
			t.Errorf("a part costs %d segments", part.Segments)
		}
		joined.WriteString(m.Body)
	}
	if joined.String() != long {
		t.Error("splitting lost or changed text")
	}
}

// failing is a store whose RecordInbound fails while down is set.
type failing struct {
	hotline.Store
	down atomic.Bool
}

func (f *failing) RecordInbound(ctx context.Context, in *hotline.Inbound) (bool, error) {
	if f.down.Load() {
		return false, errors.New("database is down")
	}
	return f.Store.RecordInbound(ctx, in)
}

// The gateway does not retry a 5xx, so a message the store cannot take is
// spooled to disk, acknowledged, and stored when the store is back.
func TestWebhookSpoolsWhenTheStoreIsDown(t *testing.T) {
	ctx := context.Background()
	box := storetest.NewSealer(t)
	real, err := sqlite.Open(ctx, t.TempDir(), box)
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	store := &failing{Store: real}
	store.down.Store(true)
	gw := smsfake.New("AC1", "token")
	wh := &sms.Webhook{Store: store, AuthToken: "token", Spool: &spool.Spool{Dir: t.TempDir(), Sealer: box}, Log: discard()}
	srv := httptest.NewServer(wh)
	defer srv.Close()
	wh.PublicURL = srv.URL

	resp, sid, err := gw.PostSMS(ctx, srv.URL+"/webhooks/sms/twilio", "+8613812345678", "+8613900000000", "救命", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook answered %d with the store down; the gateway would drop the message", resp.StatusCode)
	}
	if wh.Spooled.Load() != 1 {
		t.Fatalf("message not spooled")
	}
	if n, err := wh.DrainSpool(ctx); err == nil || n != 0 {
		t.Fatalf("drained %d into a store that is down (%v)", n, err)
	}
	store.down.Store(false)
	if n, err := wh.DrainSpool(ctx); err != nil || n != 1 {
		t.Fatalf("drain: %d, %v", n, err)
	}
	pending, _ := real.PendingInbound(ctx, []string{hotline.ChannelSMS}, 0, 0)
	if len(pending) != 1 || pending[0].ExtID != sid || !strings.Contains(string(pending[0].Payload), url.QueryEscape("救命")) {
		t.Fatalf("spooled message not stored: %+v", pending)
	}
}

func TestWebhookRejects(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, t.TempDir(), storetest.NewSealer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	wh := &sms.Webhook{Store: store, AuthToken: "token", Log: discard()}
	srv := httptest.NewServer(wh)
	defer srv.Close()
	wh.PublicURL = srv.URL
	gw := smsfake.New("AC1", "token")
	other := smsfake.New("AC1", "another-token")
	u := srv.URL + "/webhooks/sms/twilio"

	resp, _, _ := other.PostSMS(ctx, u, "+8613812345678", "+8613900000000", "hi", nil)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged signature: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader("From=%2B8613812345678&Body=hi&MessageSid=SM1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r2, _ := http.DefaultClient.Do(req)
	r2.Body.Close()
	if r2.StatusCode != http.StatusForbidden {
		t.Errorf("missing signature: %d", r2.StatusCode)
	}
	// A signed form without MessageSid is not a message.
	params := url.Values{"From": {"+8613812345678"}, "Body": {"hi"}}
	req, _ = http.NewRequest(http.MethodPost, u, strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", gw.Sign(u, params))
	r3, _ := http.DefaultClient.Do(req)
	r3.Body.Close()
	if r3.StatusCode != http.StatusBadRequest {
		t.Errorf("no MessageSid: %d", r3.StatusCode)
	}
	if pending, _ := store.PendingInbound(ctx, []string{hotline.ChannelSMS}, 0, 0); len(pending) != 0 {
		t.Fatalf("rejected requests were recorded: %d", len(pending))
	}
	// The same MessageSid twice is recorded once.
	dup := url.Values{"MessageSid": {"SMdup"}}
	for i := 0; i < 3; i++ {
		resp, _, _ := gw.PostSMS(ctx, u, "+8613812345678", "+8613900000000", "你好", dup)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("delivery %d: %d", i, resp.StatusCode)
		}
	}
	if pending, _ := store.PendingInbound(ctx, []string{hotline.ChannelSMS}, 0, 0); len(pending) != 1 || wh.Duplicates.Load() != 2 {
		t.Fatalf("duplicates: %d stored, %d counted", len(pending), wh.Duplicates.Load())
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
