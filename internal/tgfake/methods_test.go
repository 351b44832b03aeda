package tgfake

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func inline(rows ...[]models.InlineKeyboardButton) *models.InlineKeyboardMarkup {
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

func TestSendMessageInlineKeyboard(t *testing.T) {
	s, _, b := newFake(t)
	ctx := testCtx(t)
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{
		ChatID:    int64(42),
		Text:      "<b>请选择语言</b>",
		ParseMode: models.ParseModeHTML,
		ReplyMarkup: inline(
			[]models.InlineKeyboardButton{{Text: "中文", CallbackData: "lang:zh"}, {Text: "ئۇيغۇرچە", CallbackData: "lang:ug"}},
			[]models.InlineKeyboardButton{{Text: "Help", URL: "https://example.org/help"}},
		),
	})
	if err != nil {
		t.Fatal(err)
	}
	if msg.ID != 1 || msg.Chat.ID != 42 || msg.Chat.Type != models.ChatTypePrivate || msg.From == nil || !msg.From.IsBot || msg.Date == 0 {
		t.Errorf("message = %+v", msg)
	}
	if msg.Text != "请选择语言" || len(msg.Entities) != 1 || msg.Entities[0].Type != models.MessageEntityTypeBold || msg.Entities[0].Length != 5 {
		t.Errorf("text %q entities %+v", msg.Text, msg.Entities)
	}
	if msg.ReplyMarkup == nil || msg.ReplyMarkup.InlineKeyboard[0][1].CallbackData != "lang:ug" {
		t.Errorf("reply_markup = %+v", msg.ReplyMarkup)
	}

	want := []SentMessage{{
		MessageID: 1,
		Text:      "<b>请选择语言</b>",
		ParseMode: "HTML",
		InlineKeyboard: [][]InlineButton{
			{{Text: "中文", CallbackData: "lang:zh"}, {Text: "ئۇيغۇرچە", CallbackData: "lang:ug"}},
			{{Text: "Help", URL: "https://example.org/help"}},
		},
	}}
	if diff := cmp.Diff(want, s.Sent(42), cmpopts.IgnoreFields(SentMessage{}, "Time")); diff != "" {
		t.Errorf("Sent (-want +got):\n%s", diff)
	}
	call := s.CallsTo("sendMessage")[0]
	if call.Status != 200 || call.Params["chat_id"] != "42" || !strings.Contains(call.Params["reply_markup"], `"copy_text":{"text":""}`) {
		t.Errorf("recorded call = %+v", call)
	}

	second, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: int64(42), Text: "again",
		ReplyMarkup: &models.ReplyKeyboardRemove{RemoveKeyboard: true}})
	if err != nil || second.ID != 2 {
		t.Fatalf("second message = %+v, %v", second, err)
	}
	if other, _ := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: int64(-100), Text: "group"}); other.ID != 1 || other.Chat.Type != models.ChatTypeGroup {
		t.Errorf("message ids are per chat: %+v", other)
	}
	if sent, err := s.WaitSent(ctx, 42, 2); err != nil || !sent[1].RemoveKeyboard {
		t.Errorf("WaitSent = %+v, %v", sent, err)
	}
}

func TestInlineButtonChecks(t *testing.T) {
	_, _, b := newFake(t)
	tests := []struct {
		name   string
		button models.InlineKeyboardButton
		err    string // "" for success
	}{
		{"64 bytes", models.InlineKeyboardButton{Text: "x", CallbackData: strings.Repeat("a", 64)}, ""},
		{"65 bytes", models.InlineKeyboardButton{Text: "x", CallbackData: strings.Repeat("a", 65)}, "BUTTON_DATA_INVALID"},
		{"21 CJK characters are 63 bytes", models.InlineKeyboardButton{Text: "x", CallbackData: strings.Repeat("中", 21)}, ""},
		{"22 CJK characters are 66 bytes", models.InlineKeyboardButton{Text: "x", CallbackData: strings.Repeat("中", 22)}, "BUTTON_DATA_INVALID"},
		{"no callback_data nor url", models.InlineKeyboardButton{Text: "x"}, "BUTTON_COPY_TEXT_INVALID"},
		{"copy_text", models.InlineKeyboardButton{Text: "x", CopyText: models.CopyTextButton{Text: "110"}}, ""},
		{"bad url", models.InlineKeyboardButton{Text: "x", URL: "ftp://example.org"}, "Unsupported URL protocol"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.SendMessage(testCtx(t), &bot.SendMessageParams{ChatID: int64(1), Text: "t",
				ReplyMarkup: inline([]models.InlineKeyboardButton{tt.button})})
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("err = %v, want success", err)
			case tt.err != "" && (!errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("err = %v, want bad request %q", err, tt.err)
			}
		})
	}
}

func TestTextChecks(t *testing.T) {
	_, _, b := newFake(t)
	tests := []struct {
		name, text string
		parseMode  models.ParseMode
		err        string
	}{
		{"empty", "", "", "Bad Request: message text is empty"},
		{"blank", " \n ", "", "Bad Request: message must be non-empty"},
		{"4096 characters", strings.Repeat("a", 4096), "", ""},
		{"4097 characters", strings.Repeat("a", 4097), "", "Bad Request: message is too long"},
		{"4096 CJK characters", strings.Repeat("中", 4096), "", ""},
		{"2048 emoji are 4096 UTF-16 units", strings.Repeat("😀", 2048), "", ""},
		{"2049 emoji", strings.Repeat("😀", 2049), "", "Bad Request: message is too long"},
		{"tags do not count", "<b>" + strings.Repeat("a", 4096) + "</b>", models.ParseModeHTML, ""},
		{"entities count once", strings.Repeat("&lt;", 4096), models.ParseModeHTML, ""},
		{"decoded entities too long", strings.Repeat("&amp;", 4097), models.ParseModeHTML, "Bad Request: message is too long"},
		{"unclosed tag", "<b>bold", models.ParseModeHTML, `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`},
		{"unsupported tag", "<p>x</p>", models.ParseModeHTML, `Bad Request: can't parse entities: Unsupported start tag "p" at byte offset 0`},
		{"bare less-than", "1 < 2", models.ParseModeHTML, `Bad Request: can't parse entities: Unsupported start tag "" at byte offset 2`},
		{"lower-case parse mode", "<i>x</i>", "html", ""},
		{"MarkdownV2 is not parsed", "*x*", models.ParseModeMarkdown, ""},
		{"unknown parse mode", "x", "BBCode", "Bad Request: unsupported parse_mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.SendMessage(testCtx(t), &bot.SendMessageParams{ChatID: int64(1), Text: tt.text, ParseMode: tt.parseMode})
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("err = %v, want success", err)
			case tt.err != "" && (err == nil || !strings.HasSuffix(err.Error(), tt.err)):
				t.Errorf("err = %v, want %q", err, tt.err)
			}
		})
	}
}

func TestAnswerCallbackQuery(t *testing.T) {
	s, _, b := newFake(t)
	ctx := testCtx(t)
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: int64(42), Text: "pick",
		ReplyMarkup: inline([]models.InlineKeyboardButton{{Text: "中文", CallbackData: "lang:zh"}})})
	if err != nil {
		t.Fatal(err)
	}
	u := s.CallbackUpdate(42, msg.ID, "lang:zh", "zh-hans")
	cq := u.CallbackQuery
	if cq.From.ID != 42 || cq.From.LanguageCode != "zh-hans" || cq.Message.Message.Text != "pick" || cq.Message.Message.ReplyMarkup == nil {
		t.Errorf("callback query = %+v, message %+v", cq, cq.Message.Message)
	}
	answer := func(id string) error {
		_, err := b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: id})
		return err
	}
	const tooOld = "query is too old and response timeout expired or query ID is invalid"
	if err := answer("12345"); err == nil || !strings.Contains(err.Error(), tooOld) {
		t.Errorf("answer to an unknown query: err = %v", err)
	}
	s.Deliver(u)
	if s.Answered(cq.ID) {
		t.Error("Answered before answering")
	}
	if err := answer(cq.ID); err != nil {
		t.Fatalf("first answer: %v", err)
	}
	if !s.Answered(cq.ID) {
		t.Error("Answered = false after answering")
	}
	if err := answer(cq.ID); !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), tooOld) {
		t.Errorf("second answer: err = %v", err)
	}
}

func TestEditAndDelete(t *testing.T) {
	s, _, b := newFake(t)
	ctx := testCtx(t)
	kb := inline([]models.InlineKeyboardButton{{Text: "A", CallbackData: "a"}})
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: int64(42), Text: "hi", ReplyMarkup: kb})
	if err != nil {
		t.Fatal(err)
	}
	edit := func(text string, parseMode models.ParseMode, markup models.ReplyMarkup) error {
		_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: int64(42), MessageID: msg.ID, Text: text, ParseMode: parseMode, ReplyMarkup: markup})
		return err
	}
	const notModified = "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
	if err := edit("hi", "", kb); err == nil || !strings.HasSuffix(err.Error(), notModified) {
		t.Errorf("identical edit: err = %v", err)
	}
	if err := edit("hi", models.ParseModeHTML, kb); err == nil || !strings.Contains(err.Error(), notModified) {
		t.Errorf("identical after parsing: err = %v", err)
	}
	if err := edit("<b>hi</b>", models.ParseModeHTML, kb); err != nil {
		t.Errorf("bold edit: %v", err)
	}
	if err := edit("<b>hi</b>", models.ParseModeHTML, nil); err != nil {
		t.Errorf("removing the keyboard: %v", err)
	}
	if m, ok := s.Message(42, msg.ID); !ok || m.ReplyMarkup != nil || m.EditDate == 0 {
		t.Errorf("after edits: %+v", m)
	}
	if _, err := b.EditMessageReplyMarkup(ctx, &bot.EditMessageReplyMarkupParams{ChatID: int64(42), MessageID: msg.ID, ReplyMarkup: kb}); err != nil {
		t.Errorf("editMessageReplyMarkup: %v", err)
	}
	if _, err := b.EditMessageReplyMarkup(ctx, &bot.EditMessageReplyMarkupParams{ChatID: int64(42), MessageID: msg.ID, ReplyMarkup: kb}); err == nil || !strings.Contains(err.Error(), notModified) {
		t.Errorf("identical markup: err = %v", err)
	}
	if ok, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: int64(42), MessageID: msg.ID}); !ok || err != nil {
		t.Errorf("delete: %v %v", ok, err)
	}
	if err := edit("x", "", nil); err == nil || !strings.Contains(err.Error(), "message to edit not found") {
		t.Errorf("edit deleted: err = %v", err)
	}
	if _, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: int64(42), MessageID: msg.ID}); err == nil || !strings.Contains(err.Error(), "message to delete not found") {
		t.Errorf("delete twice: err = %v", err)
	}
}

func TestOtherSends(t *testing.T) {
	s, _, b := newFake(t)
	ctx := testCtx(t)
	if _, err := b.SendChatAction(ctx, &bot.SendChatActionParams{ChatID: int64(42), Action: models.ChatActionTyping}); err != nil {
		t.Errorf("sendChatAction: %v", err)
	}
	if _, err := b.SendChatAction(ctx, &bot.SendChatActionParams{ChatID: int64(42), Action: "dancing"}); err == nil {
		t.Error("sendChatAction with a wrong action succeeded")
	}
	loc, err := b.SendLocation(ctx, &bot.SendLocationParams{ChatID: int64(42), Latitude: 43.8, Longitude: 87.6})
	if err != nil || loc.Location == nil || loc.Location.Latitude != 43.8 {
		t.Errorf("sendLocation = %+v, %v", loc, err)
	}
	contact, err := b.SendContact(ctx, &bot.SendContactParams{ChatID: int64(42), PhoneNumber: "+8612345", FirstName: "热线"})
	if err != nil || contact.Contact == nil || contact.Contact.PhoneNumber != "+8612345" || contact.ID != 2 {
		t.Errorf("sendContact = %+v, %v", contact, err)
	}
	if n := len(s.Sent(42)); n != 0 {
		t.Errorf("Sent counts only sendMessage: %d", n)
	}
}

func TestSetMyCommands(t *testing.T) {
	s, _, b := newFake(t)
	ctx := testCtx(t)
	en := []models.BotCommand{{Command: "start", Description: "Start"}, {Command: "help", Description: "Help"}}
	zh := []models.BotCommand{{Command: "start", Description: "开始"}}
	for lang, cmds := range map[string][]models.BotCommand{"en": en, "zh": zh} {
		if _, err := b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: cmds, LanguageCode: lang}); err != nil {
			t.Fatalf("setMyCommands %s: %v", lang, err)
		}
	}
	private := []models.BotCommand{{Command: "lang", Description: "Language"}}
	if _, err := b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: private, Scope: &models.BotCommandScopeAllPrivateChats{}, LanguageCode: "en"}); err != nil {
		t.Fatalf("setMyCommands with scope: %v", err)
	}
	if diff := cmp.Diff(en, s.Commands("en")); diff != "" {
		t.Errorf("Commands(en) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(zh, s.Commands("zh")); diff != "" {
		t.Errorf("Commands(zh) (-want +got):\n%s", diff)
	}
	if got := s.Commands(""); len(got) != 0 {
		t.Errorf("Commands(\"\") = %+v", got)
	}
	got, err := b.GetMyCommands(ctx, &bot.GetMyCommandsParams{Scope: &models.BotCommandScopeAllPrivateChats{}, LanguageCode: "en"})
	if err != nil || !cmp.Equal(got, private) {
		t.Errorf("getMyCommands = %+v, %v", got, err)
	}
	_, err = b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: zh, LanguageCode: "zh-hans"})
	if err == nil || !strings.Contains(err.Error(), "invalid language code specified") {
		t.Errorf("language_code zh-hans: err = %v", err)
	}
	_, err = b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: "Start", Description: "x"}}})
	if err == nil || !strings.Contains(err.Error(), "BOT_COMMAND_INVALID") {
		t.Errorf("upper-case command: err = %v", err)
	}
}
