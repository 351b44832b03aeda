package telegram_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/internal/dispatch"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/telegram"
	"github.com/tongxin/tongxin/internal/tgfake"
)

// sender is a Channel whose go-telegram/bot client talks to a fake Bot API
// over real HTTP.
func sender(t *testing.T) (*telegram.Channel, *tgfake.Server) {
	t.Helper()
	fake := newFake(t)
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	b, err := tgbot.New(token, tgbot.WithServerURL(ts.URL), tgbot.WithSkipGetMe())
	if err != nil {
		t.Fatal(err)
	}
	return &telegram.Channel{Bot: b, Catalog: testCatalog(t)}, fake
}

func outbox(t *testing.T, m telegram.Message) hotline.Outbox {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return hotline.Outbox{ID: 1, Channel: hotline.ChannelTelegram, Address: strconv.FormatInt(m.ChatID, 10), Payload: b}
}

func TestSendEscapesHTML(t *testing.T) {
	ch, fake := sender(t)
	tests := []struct {
		name, text, sent string
	}{
		{"less and greater", "a < b > c", "a &lt; b &gt; c"},
		{"ampersand", "Tom & Jerry && co", "Tom &amp; Jerry &amp;&amp; co"},
		{"looks like a tag", "<b>not bold</b>", "&lt;b&gt;not bold&lt;/b&gt;"},
		{"looks like an entity", "&lt; stays text", "&amp;lt; stays text"},
		{"quotes need nothing", `他说 "你好" 'ok'`, `他说 "你好" 'ok'`},
		{"uyghur with a bracket", "<ئۇيغۇرچە> & 营口", "&lt;ئۇيغۇرچە&gt; &amp; 营口"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat := int64(100 + i)
			id, err := ch.Send(context.Background(), outbox(t, telegram.Message{ChatID: chat, Text: tt.text}))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			sent := fake.Sent(chat)
			if len(sent) != 1 {
				t.Fatalf("%d messages sent", len(sent))
			}
			if sent[0].Text != tt.sent || sent[0].ParseMode != "HTML" {
				t.Errorf("sent %q in mode %q, want %q in HTML", sent[0].Text, sent[0].ParseMode, tt.sent)
			}
			if id != strconv.Itoa(sent[0].MessageID) {
				t.Errorf("provider id %q, want the message id %d", id, sent[0].MessageID)
			}
			// What the resident reads is the original text.
			m, ok := fake.Message(chat, sent[0].MessageID)
			if !ok || m.Text != tt.text {
				t.Errorf("resident sees %q, want %q", m.Text, tt.text)
			}
		})
	}
}

func TestSendKeyboards(t *testing.T) {
	ch, fake := sender(t)
	ctx := context.Background()

	inline := [][]telegram.Button{
		{{Text: "📖 办事指南", Data: "n:hb"}, {Text: "📝 我要办事", Data: "n:req"}},
		{{Text: "ئۇيغۇرچە", Data: "n:setlang:ug"}},
	}
	if _, err := ch.Send(ctx, outbox(t, telegram.Message{ChatID: 7, Text: "菜单", Inline: inline})); err != nil {
		t.Fatal(err)
	}
	sent := fake.Sent(7)
	if len(sent) != 1 {
		t.Fatalf("%d messages sent", len(sent))
	}
	want := [][]tgfake.InlineButton{
		{{Text: "📖 办事指南", CallbackData: "n:hb"}, {Text: "📝 我要办事", CallbackData: "n:req"}},
		{{Text: "ئۇيغۇرچە", CallbackData: "n:setlang:ug"}},
	}
	if diff := cmp.Diff(want, sent[0].InlineKeyboard); diff != "" {
		t.Errorf("inline keyboard (-want +got):\n%s", diff)
	}

	// A rendered phone question goes out with the contact button.
	rendered, err := ch.Render("8", "zh-Hans", []bot.Outbound{{
		Lang: "zh-Hans", Text: "请留电话", Ask: bot.AskPhone,
		Choices: []bot.Choice{{Data: "f1:skip", Label: "跳过"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	o := hotline.Outbox{ID: 2, Channel: hotline.ChannelTelegram, Address: "8", Payload: rendered[0].Payload}
	if _, err := ch.Send(ctx, o); err != nil {
		t.Fatal(err)
	}
	sent = fake.Sent(8)
	if len(sent) != 1 {
		t.Fatalf("%d messages sent", len(sent))
	}
	wantKB := [][]tgfake.KeyboardButton{
		{{Text: testCatalog(t).T("zh-Hans", "button.share_phone", nil), RequestContact: true}},
		{{Text: "跳过"}},
	}
	if diff := cmp.Diff(wantKB, sent[0].Keyboard); diff != "" {
		t.Errorf("reply keyboard (-want +got):\n%s", diff)
	}
	if sent[0].InlineKeyboard != nil {
		t.Errorf("an inline keyboard was sent with the reply keyboard")
	}
}

func TestSendErrors(t *testing.T) {
	ctx := context.Background()
	msg := telegram.Message{ChatID: 42, Text: "您好"}

	t.Run("429 waits as told", func(t *testing.T) {
		ch, fake := sender(t)
		fake.FailNext(1, http.StatusTooManyRequests, 3)
		_, err := ch.Send(ctx, outbox(t, msg))
		var ra *dispatch.RetryAfterError
		if !errors.As(err, &ra) {
			t.Fatalf("err = %v (%T), want *dispatch.RetryAfterError", err, err)
		}
		if ra.After != 3*time.Second {
			t.Errorf("After = %s, want 3s", ra.After)
		}
		if len(fake.Sent(42)) != 0 {
			t.Fatal("a failed call delivered a message")
		}
		// The next call goes through.
		if _, err := ch.Send(ctx, outbox(t, msg)); err != nil {
			t.Fatalf("after the 429: %v", err)
		}
	})

	t.Run("429 without retry_after still waits", func(t *testing.T) {
		ch, fake := sender(t)
		fake.FailNext(1, http.StatusTooManyRequests, 0)
		_, err := ch.Send(ctx, outbox(t, msg))
		var ra *dispatch.RetryAfterError
		if !errors.As(err, &ra) || ra.After <= 0 {
			t.Fatalf("err = %v, want a RetryAfterError with a positive wait", err)
		}
	})

	t.Run("blocked", func(t *testing.T) {
		ch, fake := sender(t)
		fake.Block(42)
		_, err := ch.Send(ctx, outbox(t, msg))
		if !errors.Is(err, dispatch.ErrBlocked) {
			t.Fatalf("err = %v, want ErrBlocked", err)
		}
		var perm *dispatch.PermanentError
		if errors.As(err, &perm) {
			t.Fatalf("a block is reported as a permanent error: %v", err)
		}
	})

	permanent := []struct {
		name    string
		payload []byte
	}{
		{"empty text", mustJSON(t, telegram.Message{ChatID: 42, Text: ""})},
		{"white space only", mustJSON(t, telegram.Message{ChatID: 42, Text: " \n "})},
		{"callback data too long", mustJSON(t, telegram.Message{ChatID: 42, Text: "x", Inline: [][]telegram.Button{{{Text: "b", Data: strings.Repeat("a", 65)}}}})},
		{"payload that is not a message", []byte(`not json`)},
	}
	for _, tt := range permanent {
		t.Run("400 "+tt.name, func(t *testing.T) {
			ch, fake := sender(t)
			_, err := ch.Send(ctx, hotline.Outbox{ID: 3, Channel: hotline.ChannelTelegram, Address: "42", Payload: tt.payload})
			var perm *dispatch.PermanentError
			if !errors.As(err, &perm) {
				t.Fatalf("err = %v (%T), want *dispatch.PermanentError", err, err)
			}
			if errors.Is(err, dispatch.ErrBlocked) {
				t.Fatal("a bad request is reported as a block")
			}
			if len(fake.Sent(42)) != 0 {
				t.Fatal("a rejected message was delivered")
			}
		})
	}

	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway} {
		t.Run(http.StatusText(status)+" is retryable", func(t *testing.T) {
			ch, fake := sender(t)
			fake.FailNext(1, status, 0)
			_, err := ch.Send(ctx, outbox(t, msg))
			if err == nil {
				t.Fatal("no error")
			}
			var ra *dispatch.RetryAfterError
			var perm *dispatch.PermanentError
			if errors.As(err, &ra) || errors.As(err, &perm) || errors.Is(err, dispatch.ErrBlocked) {
				t.Fatalf("err = %v, want a plain (retryable) error", err)
			}
			if _, err := ch.Send(ctx, outbox(t, msg)); err != nil {
				t.Fatalf("the retry failed: %v", err)
			}
			if len(fake.Sent(42)) != 1 {
				t.Fatalf("%d messages delivered, want 1", len(fake.Sent(42)))
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
