package tgfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// handler serves one Bot API method. Handlers take s.mu themselves, so that
// getUpdates can release it while it long-polls.
type handler func(s *Server, ctx context.Context, p params) (any, *apiError)

// methods lists the supported methods with their canonical spelling.
var methods = []struct {
	name string
	fn   handler
}{
	{"getMe", (*Server).getMe},
	{"setWebhook", (*Server).setWebhook},
	{"deleteWebhook", (*Server).deleteWebhook},
	{"getWebhookInfo", (*Server).getWebhookInfo},
	{"getUpdates", (*Server).getUpdates},
	{"sendMessage", (*Server).sendMessage},
	{"sendLocation", (*Server).sendLocation},
	{"sendContact", (*Server).sendContact},
	{"sendChatAction", (*Server).sendChatAction},
	{"editMessageText", (*Server).editMessageText},
	{"editMessageReplyMarkup", (*Server).editMessageReplyMarkup},
	{"deleteMessage", (*Server).deleteMessage},
	{"answerCallbackQuery", (*Server).answerCallbackQuery},
	{"setMyCommands", (*Server).setMyCommands},
	{"getMyCommands", (*Server).getMyCommands},
	{"deleteMyCommands", (*Server).deleteMyCommands},
}

// lookup matches method case-insensitively, as the real server lower-cases it.
func lookup(method string) (string, handler) {
	for _, m := range methods {
		if strings.EqualFold(m.name, method) {
			return m.name, m.fn
		}
	}
	return method, nil
}

// params are a call's parameters; non-string values are JSON text.
type params map[string]string

func (p params) chatID() (int64, *apiError) {
	v := p["chat_id"]
	if v == "" {
		return 0, badRequest("chat_id is empty")
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id == 0 {
		return 0, badRequest("chat not found") // "@channel" names are not supported
	}
	return id, nil
}

func (p params) messageID() (int, *apiError) {
	id, err := strconv.Atoi(p["message_id"])
	if err != nil || id <= 0 {
		return 0, badRequest("message identifier is not specified")
	}
	return id, nil
}

func (p params) bool(key string) bool { return p[key] == "true" || p[key] == "1" }

// chat holds the fake's view of one chat: the bot's messages and what it sent.
type chat struct {
	lastID   int // message ids are per chat, shared with the user's messages
	messages map[int]*models.Message
	sent     []SentMessage
}

// SentMessage is one successful sendMessage call, as the bot sent it.
type SentMessage struct {
	MessageID      int
	Text           string // as sent, before entity parsing
	ParseMode      string
	InlineKeyboard [][]InlineButton   // nil without an inline keyboard
	Keyboard       [][]KeyboardButton // nil without a reply keyboard
	RemoveKeyboard bool
	Time           time.Time
}

// InlineButton is a button of an inline keyboard.
type InlineButton struct {
	Text         string
	CallbackData string
	URL          string
}

// KeyboardButton is a button of a reply keyboard.
type KeyboardButton struct {
	Text            string
	RequestContact  bool
	RequestLocation bool
}

// Buttons returns the inline keyboard's buttons row by row.
func (m SentMessage) Buttons() []InlineButton {
	var out []InlineButton
	for _, row := range m.InlineKeyboard {
		out = append(out, row...)
	}
	return out
}

// Sent returns the messages successfully sent to chatID with sendMessage, in order.
func (s *Server) Sent(chatID int64) []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent(chatID)
}

func (s *Server) sent(chatID int64) []SentMessage {
	if c := s.chats[chatID]; c != nil {
		return append([]SentMessage(nil), c.sent...)
	}
	return nil
}

// WaitSent waits until at least n messages were sent to chatID and returns
// all messages sent to it so far.
func (s *Server) WaitSent(ctx context.Context, chatID int64, n int) ([]SentMessage, error) {
	var got []SentMessage
	err := s.wait(ctx, func() bool { got = s.sent(chatID); return len(got) >= n })
	if err != nil {
		return got, fmt.Errorf("wait for %d messages to chat %d (got %d): %w", n, chatID, len(got), err)
	}
	return got, nil
}

// Message returns the current state of a bot message (after edits), if it
// exists and was not deleted.
func (s *Server) Message(chatID int64, messageID int) (models.Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.message(chatID, messageID); m != nil {
		return *m, true
	}
	return models.Message{}, false
}

// Commands returns the commands set with setMyCommands for languageCode
// ("" for all languages) in the default scope.
func (s *Server) Commands(languageCode string) []models.BotCommand {
	key, _ := commandKey("", languageCode)
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]models.BotCommand(nil), s.commands[key]...)
}

// Answered reports whether the callback query was answered.
func (s *Server) Answered(callbackID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callbacks[callbackID]
}

func (s *Server) chat(id int64) *chat {
	c := s.chats[id]
	if c == nil {
		c = &chat{messages: map[int]*models.Message{}}
		s.chats[id] = c
	}
	return c
}

func (s *Server) message(chatID int64, messageID int) *models.Message {
	if c := s.chats[chatID]; c != nil {
		return c.messages[messageID]
	}
	return nil
}

// chatInfo describes a chat by its id: users are positive, groups negative,
// supergroups and channels below -10^12.
func chatInfo(id int64) models.Chat {
	switch {
	case id > 0:
		return models.Chat{ID: id, Type: models.ChatTypePrivate, FirstName: "User"}
	case id < -1_000_000_000_000:
		return models.Chat{ID: id, Type: models.ChatTypeSupergroup, Title: "Supergroup"}
	default:
		return models.Chat{ID: id, Type: models.ChatTypeGroup, Title: "Group"}
	}
}

func (s *Server) getMe(context.Context, params) (any, *apiError) {
	return s.bot, nil
}

func (s *Server) sendMessage(_ context.Context, p params) (any, *apiError) {
	chatID, e := p.chatID()
	if e != nil {
		return nil, e
	}
	text, entities, e := formatText(p["text"], p["parse_mode"])
	if e != nil {
		return nil, e
	}
	mk, e := parseReplyMarkup(p["reply_markup"])
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, e := s.send(chatID, mk, func(m *models.Message) { m.Text, m.Entities = text, entities })
	if e != nil {
		return nil, e
	}
	c := s.chat(chatID)
	c.sent = append(c.sent, SentMessage{
		MessageID:      m.ID,
		Text:           p["text"],
		ParseMode:      p["parse_mode"],
		InlineKeyboard: mk.buttons,
		Keyboard:       mk.keyboard,
		RemoveKeyboard: mk.remove,
		Time:           s.now(),
	})
	return m, nil
}

func (s *Server) sendLocation(_ context.Context, p params) (any, *apiError) {
	chatID, e := p.chatID()
	if e != nil {
		return nil, e
	}
	lat, err := strconv.ParseFloat(p["latitude"], 64)
	if err != nil || lat < -90 || lat > 90 {
		return nil, badRequest("wrong latitude specified")
	}
	lon, err := strconv.ParseFloat(p["longitude"], 64)
	if err != nil || lon < -180 || lon > 180 {
		return nil, badRequest("wrong longitude specified")
	}
	mk, e := parseReplyMarkup(p["reply_markup"])
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.send(chatID, mk, func(m *models.Message) { m.Location = &models.Location{Latitude: lat, Longitude: lon} })
}

func (s *Server) sendContact(_ context.Context, p params) (any, *apiError) {
	chatID, e := p.chatID()
	if e != nil {
		return nil, e
	}
	if p["phone_number"] == "" || p["first_name"] == "" {
		return nil, badRequest("phone_number and first_name must be non-empty")
	}
	mk, e := parseReplyMarkup(p["reply_markup"])
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.send(chatID, mk, func(m *models.Message) {
		m.Contact = &models.Contact{PhoneNumber: p["phone_number"], FirstName: p["first_name"], LastName: p["last_name"]}
	})
}

// send stores a new bot message in chatID; the caller holds s.mu.
func (s *Server) send(chatID int64, mk markup, fill func(*models.Message)) (models.Message, *apiError) {
	if s.blocked[chatID] {
		return models.Message{}, errBlocked
	}
	c := s.chat(chatID)
	c.lastID++
	bot := s.bot
	m := &models.Message{ID: c.lastID, From: &bot, Date: int(s.now().Unix()), Chat: chatInfo(chatID), ReplyMarkup: mk.inline}
	fill(m)
	c.messages[m.ID] = m
	return *m, nil
}

var chatActions = map[string]bool{
	"typing": true, "upload_photo": true, "record_video": true, "upload_video": true,
	"record_voice": true, "upload_voice": true, "upload_document": true, "choose_sticker": true,
	"find_location": true, "record_video_note": true, "upload_video_note": true,
}

func (s *Server) sendChatAction(_ context.Context, p params) (any, *apiError) {
	chatID, e := p.chatID()
	if e != nil {
		return nil, e
	}
	if !chatActions[p["action"]] {
		return nil, badRequest("wrong parameter action in request")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.blocked[chatID] {
		return nil, errBlocked
	}
	return true, nil
}

// editMessageText and editMessageReplyMarkup support chat_id + message_id
// only; inline_message_id is rejected.
func (s *Server) editMessageText(_ context.Context, p params) (any, *apiError) {
	text, entities, e := formatText(p["text"], p["parse_mode"])
	if e != nil {
		return nil, e
	}
	return s.edit(p, func(m *models.Message) *apiError {
		if m.Text == "" {
			return badRequest("there is no text in the message to edit")
		}
		m.Text, m.Entities = text, entities
		return nil
	})
}

func (s *Server) editMessageReplyMarkup(_ context.Context, p params) (any, *apiError) {
	return s.edit(p, func(*models.Message) *apiError { return nil })
}

func (s *Server) edit(p params, change func(*models.Message) *apiError) (any, *apiError) {
	if p["inline_message_id"] != "" {
		return nil, badRequest("inline_message_id is not supported by tgfake")
	}
	chatID, e := p.chatID()
	if e != nil {
		return nil, e
	}
	msgID, e := p.messageID()
	if e != nil {
		return nil, e
	}
	mk, e := parseReplyMarkup(p["reply_markup"])
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.blocked[chatID] {
		return nil, errBlocked
	}
	old := s.message(chatID, msgID)
	if old == nil {
		return nil, badRequest("message to edit not found")
	}
	m := *old
	m.ReplyMarkup = mk.inline // an edit without reply_markup removes the inline keyboard
	if e := change(&m); e != nil {
		return nil, e
	}
	if m.Text == old.Text && reflect.DeepEqual(m.Entities, old.Entities) && reflect.DeepEqual(m.ReplyMarkup, old.ReplyMarkup) {
		return nil, badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	}
	m.EditDate = int(s.now().Unix())
	s.chats[chatID].messages[msgID] = &m
	return m, nil
}

func (s *Server) deleteMessage(_ context.Context, p params) (any, *apiError) {
	chatID, e := p.chatID()
	if e != nil {
		return nil, e
	}
	msgID, e := p.messageID()
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.message(chatID, msgID) == nil {
		return nil, badRequest("message to delete not found")
	}
	delete(s.chats[chatID].messages, msgID)
	return true, nil
}

func (s *Server) answerCallbackQuery(_ context.Context, p params) (any, *apiError) {
	id := p["callback_query_id"]
	s.mu.Lock()
	defer s.mu.Unlock()
	if answered, ok := s.callbacks[id]; !ok || answered {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	s.callbacks[id] = true
	return true, nil
}

func (s *Server) setMyCommands(_ context.Context, p params) (any, *apiError) {
	var cmds []models.BotCommand
	if err := json.Unmarshal([]byte(p["commands"]), &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	for i, c := range cmds {
		c.Command = strings.TrimPrefix(c.Command, "/")
		if !validCommand(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf8.RuneCountInString(c.Description); n < 1 || n > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
		cmds[i] = c
	}
	key, e := commandKey(p["scope"], p["language_code"])
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(cmds) == 0 {
		delete(s.commands, key)
	} else {
		s.commands[key] = cmds
	}
	return true, nil
}

func (s *Server) getMyCommands(_ context.Context, p params) (any, *apiError) {
	key, e := commandKey(p["scope"], p["language_code"])
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]models.BotCommand{}, s.commands[key]...), nil
}

func (s *Server) deleteMyCommands(_ context.Context, p params) (any, *apiError) {
	key, e := commandKey(p["scope"], p["language_code"])
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.commands, key)
	return true, nil
}

// validCommand checks 1–32 characters of a-z, 0-9 and _.
func validCommand(c string) bool {
	if len(c) < 1 || len(c) > 32 {
		return false
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// commandKey identifies a command list by scope and language. The real server
// accepts only two-letter ISO 639-1 codes, so "zh-hans" fails there too.
func commandKey(scopeJSON, lang string) (string, *apiError) {
	if lang != "" && (len(lang) != 2 || strings.Trim(lang, "abcdefghijklmnopqrstuvwxyz") != "") {
		return "", badRequest("invalid language code specified")
	}
	scope := struct {
		Type   string          `json:"type"`
		ChatID json.RawMessage `json:"chat_id"`
		UserID int64           `json:"user_id"`
	}{Type: "default"}
	if scopeJSON != "" {
		if err := json.Unmarshal([]byte(scopeJSON), &scope); err != nil || scope.Type == "" {
			return "", badRequest("can't parse BotCommandScope JSON object")
		}
	}
	return fmt.Sprintf("%s|%s|%d|%s", scope.Type, scope.ChatID, scope.UserID, lang), nil
}

// markup is a parsed reply_markup.
type markup struct {
	inline   *models.InlineKeyboardMarkup // normalised; stored on the message
	buttons  [][]InlineButton
	keyboard [][]KeyboardButton
	remove   bool
}

func parseReplyMarkup(raw string) (markup, *apiError) {
	var mk markup
	if raw = strings.TrimSpace(raw); raw == "" || raw == "null" {
		return mk, nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(raw), &obj) != nil {
		return mk, badRequest("can't parse reply keyboard markup JSON object")
	}
	switch {
	case obj["inline_keyboard"] != nil:
		var rows [][]json.RawMessage
		if json.Unmarshal(obj["inline_keyboard"], &rows) != nil {
			return mk, badRequest("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays")
		}
		mk.inline = &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{}}
		for _, row := range rows {
			var out []models.InlineKeyboardButton
			var simple []InlineButton
			for _, raw := range row {
				b, e := parseInlineButton(raw)
				if e != nil {
					return markup{}, e
				}
				out = append(out, b)
				simple = append(simple, InlineButton{Text: b.Text, CallbackData: b.CallbackData, URL: b.URL})
			}
			mk.inline.InlineKeyboard = append(mk.inline.InlineKeyboard, out)
			mk.buttons = append(mk.buttons, simple)
		}
	case obj["keyboard"] != nil:
		var rows [][]json.RawMessage
		if json.Unmarshal(obj["keyboard"], &rows) != nil {
			return mk, badRequest("field \"keyboard\" of the ReplyKeyboardMarkup must be an Array of Arrays")
		}
		mk.keyboard = [][]KeyboardButton{}
		for _, row := range rows {
			var out []KeyboardButton
			for _, raw := range row {
				var b models.KeyboardButton
				if json.Unmarshal(raw, &b.Text) != nil && json.Unmarshal(raw, &b) != nil || b.Text == "" {
					return markup{}, badRequest("can't parse keyboard button: Field \"text\" must be of type String")
				}
				out = append(out, KeyboardButton{Text: b.Text, RequestContact: b.RequestContact, RequestLocation: b.RequestLocation})
			}
			mk.keyboard = append(mk.keyboard, out)
		}
	case obj["remove_keyboard"] != nil:
		mk.remove = true
	case obj["force_reply"] != nil:
	default:
		return mk, badRequest("can't parse reply keyboard markup JSON object")
	}
	return mk, nil
}

// parseInlineButton checks a button the way the real server does: url first,
// then callback_data, then the other kinds, copy_text last. go-telegram/bot
// sends "copy_text":{"text":""} on every button, which is harmless unless the
// button has neither url nor callback_data.
func parseInlineButton(raw json.RawMessage) (models.InlineKeyboardButton, *apiError) {
	var fields map[string]json.RawMessage
	var b models.InlineKeyboardButton
	if json.Unmarshal(raw, &fields) != nil || json.Unmarshal(raw, &b) != nil {
		return b, badRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
	}
	if _, ok := fields["text"]; !ok {
		return b, badRequest("can't parse inline keyboard button: Can't find field \"text\"")
	}
	has := func(k string) bool { _, ok := fields[k]; return ok }
	out := models.InlineKeyboardButton{Text: b.Text, IconCustomEmojiID: b.IconCustomEmojiID, Style: b.Style}
	switch {
	case b.URL != "":
		if u, err := url.Parse(b.URL); err != nil || !(u.Scheme == "" || u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "tg") {
			return b, badRequest("inline keyboard button URL '%s' is invalid: Unsupported URL protocol", b.URL)
		}
		out.URL = b.URL
	case b.CallbackData != "":
		if len(b.CallbackData) > 64 {
			return b, badRequest("BUTTON_DATA_INVALID")
		}
		out.CallbackData = b.CallbackData
	case b.WebApp != nil || b.LoginURL != nil || has("switch_inline_query") || has("switch_inline_query_current_chat") ||
		b.SwitchInlineQueryChosenChat != nil || b.CallbackGame != nil || b.Pay:
		b.CopyText = models.CopyTextButton{}
		return b, nil
	case has("copy_text"):
		if n := utf8.RuneCountInString(b.CopyText.Text); n < 1 || n > 256 {
			return b, badRequest("BUTTON_COPY_TEXT_INVALID")
		}
		out.CopyText = b.CopyText
	default:
		return b, badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
	}
	return out, nil
}
