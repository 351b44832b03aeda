package telegram_test

import (
	"encoding/json"
	"testing"

	"github.com/go-telegram/bot/models"
	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/internal/inbox"
	"github.com/tongxin/tongxin/internal/telegram"
	"github.com/tongxin/tongxin/internal/tgfake"
)

const token = "4242:test-token"

func newFake(t *testing.T) *tgfake.Server {
	t.Helper()
	fake := tgfake.New(token)
	t.Cleanup(fake.Close)
	return fake
}

func encode(t *testing.T, u models.Update) []byte {
	t.Helper()
	u.ID = 1
	b, err := json.Marshal(&u)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// memberUpdate is a my_chat_member update: the resident changed the bot's
// status in their private chat (stopped and blocked it, or restarted it).
func memberUpdate(chatType, oldStatus, newStatus string) []byte {
	return []byte(`{"update_id":7,"my_chat_member":{"chat":{"id":42,"type":"` + chatType + `","first_name":"A"},` +
		`"from":{"id":42,"is_bot":false,"first_name":"A"},"date":1700000000,` +
		`"old_chat_member":{"status":"` + oldStatus + `","user":{"id":4242,"is_bot":true,"first_name":"bot"}},` +
		`"new_chat_member":{"status":"` + newStatus + `","user":{"id":4242,"is_bot":true,"first_name":"bot"},"until_date":0}}}`)
}

func TestDecode(t *testing.T) {
	fake := newFake(t)
	ch := &telegram.Channel{}
	callback := fake.CallbackUpdate(42, 7, "n:menu", "ko")
	tests := []struct {
		name    string
		payload []byte
		want    inbox.Event
	}{
		{
			name:    "text",
			payload: encode(t, fake.TextUpdate(42, "你好，我想问一下", "zh-hans")),
			want:    inbox.Event{In: bot.Inbound{Kind: bot.KindText, Text: "你好，我想问一下", LangHint: "zh-hans"}},
		},
		{
			name:    "text without language_code",
			payload: encode(t, fake.TextUpdate(42, "ياخشىمۇسىز", "")),
			want:    inbox.Event{In: bot.Inbound{Kind: bot.KindText, Text: "ياخشىمۇسىز"}},
		},
		{
			name:    "command",
			payload: encode(t, fake.CommandUpdate(42, "/start", "ug")),
			want:    inbox.Event{In: bot.Inbound{Kind: bot.KindCommand, Text: "start", LangHint: "ug"}},
		},
		{
			name:    "command with bot name and argument",
			payload: encode(t, fake.CommandUpdate(42, "/start@TongxinBot abc", "ug")),
			want:    inbox.Event{In: bot.Inbound{Kind: bot.KindCommand, Text: "start", LangHint: "ug"}},
		},
		{
			name:    "command in capitals with an argument",
			payload: encode(t, fake.CommandUpdate(42, "/MENU now", "")),
			want:    inbox.Event{In: bot.Inbound{Kind: bot.KindCommand, Text: "menu"}},
		},
		{
			name:    "own contact",
			payload: encode(t, fake.ContactUpdate(42, "+8613812345678", true, "zh-hans")),
			want:    inbox.Event{In: bot.Inbound{Kind: bot.KindContact, Phone: "+8613812345678", Own: true, LangHint: "zh-hans"}},
		},
		{
			name:    "someone else's contact",
			payload: encode(t, fake.ContactUpdate(42, "+8613900000000", false, "zh-hans")),
			want:    inbox.Event{In: bot.Inbound{Kind: bot.KindContact, Phone: "+8613900000000", Own: false, LangHint: "zh-hans"}},
		},
		{
			name:    "location",
			payload: encode(t, fake.LocationUpdate(42, 40.6647, 122.2283, "ko")),
			want:    inbox.Event{In: bot.Inbound{Kind: bot.KindLocation, Lat: 40.6647, Lon: 122.2283, LangHint: "ko"}},
		},
		{
			name: "sticker",
			payload: []byte(`{"update_id":3,"message":{"message_id":5,"date":1700000000,"chat":{"id":42,"type":"private"},` +
				`"from":{"id":42,"is_bot":false,"first_name":"A","language_code":"ug"},` +
				`"sticker":{"file_id":"CAAD","file_unique_id":"u1","type":"regular","width":512,"height":512,"is_animated":false,"is_video":false}}}`),
			want: inbox.Event{In: bot.Inbound{Kind: bot.KindOther, LangHint: "ug"}},
		},
		{
			name: "photo",
			payload: []byte(`{"update_id":4,"message":{"message_id":6,"date":1700000000,"chat":{"id":42,"type":"private"},` +
				`"from":{"id":42,"is_bot":false,"first_name":"A"},` +
				`"photo":[{"file_id":"AgAC","file_unique_id":"u2","width":90,"height":90}]}}`),
			want: inbox.Event{In: bot.Inbound{Kind: bot.KindOther}},
		},
		{
			name:    "callback query",
			payload: encode(t, callback),
			want: inbox.Event{
				In:         bot.Inbound{Kind: bot.KindChoice, Data: "n:menu", LangHint: "ko"},
				CallbackID: callback.CallbackQuery.ID,
			},
		},
		{
			name:    "blocked",
			payload: memberUpdate("private", "member", "kicked"),
			want:    inbox.Event{Blocked: true},
		},
		{
			name:    "unblocked",
			payload: memberUpdate("private", "kicked", "member"),
			want:    inbox.Event{Unblocked: true},
		},
		{
			name:    "bot removed from a group",
			payload: memberUpdate("group", "member", "kicked"),
			want:    inbox.Event{Ignore: true},
		},
		{
			name:    "group chat message",
			payload: encode(t, fake.TextUpdate(-100123, "大家好", "zh-hans")),
			want:    inbox.Event{Ignore: true},
		},
		{
			name:    "command in a group",
			payload: encode(t, fake.CommandUpdate(-100123, "/start", "zh-hans")),
			want:    inbox.Event{Ignore: true},
		},
		{
			name: "edited message",
			payload: []byte(`{"update_id":5,"edited_message":{"message_id":6,"date":1700000000,"edit_date":1700000060,` +
				`"chat":{"id":42,"type":"private"},"from":{"id":42,"is_bot":false,"first_name":"A"},"text":"/start"}}`),
			want: inbox.Event{Ignore: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ch.Decode(tt.payload)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("Decode %s (-want +got):\n%s", tt.payload, diff)
			}
		})
	}
}

func TestDecodeGarbage(t *testing.T) {
	ch := &telegram.Channel{}
	for _, payload := range []string{
		``,
		`not json`,
		`{"update_id":`,
		`{"update_id":"seven"}`,
		`{"update_id":1,"message":{"chat":{"id":"forty-two"}}}`,
		`[1,2,3]`,
	} {
		if ev, err := ch.Decode([]byte(payload)); err == nil {
			t.Errorf("Decode(%q) = %+v, want an error", payload, ev)
		}
	}
}
