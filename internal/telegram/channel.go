package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/text/language"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/i18n"
	"github.com/tongxin/tongxin/internal/dispatch"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/inbox"
	"github.com/tongxin/tongxin/internal/segment"
)

// MaxText is the longest message text Telegram accepts, in UTF-16 units.
const MaxText = 4096

// Channel decodes updates, renders replies and sends them.
type Channel struct {
	Bot     *tgbot.Bot
	Catalog *i18n.Catalog
}

// Name implements inbox.Channel.
func (c *Channel) Name() string { return hotline.ChannelTelegram }

// Message is an outbox payload: one sendMessage call. Text is plain; it is
// escaped for HTML when sent.
type Message struct {
	ChatID   int64         `json:"chat_id"`
	Lang     string        `json:"lang,omitempty"`
	Text     string        `json:"text"`
	Inline   [][]Button    `json:"inline,omitempty"`
	Keyboard [][]KeyButton `json:"keyboard,omitempty"`
}

// Button is an inline button.
type Button struct {
	Text string `json:"text"`
	Data string `json:"data"`
}

// KeyButton is a reply-keyboard button; Contact and Location make it ask
// for the resident's phone number or location.
type KeyButton struct {
	Text     string `json:"text"`
	Contact  bool   `json:"contact,omitempty"`
	Location bool   `json:"location,omitempty"`
}

// Decode implements inbox.Channel.
func (c *Channel) Decode(payload []byte) (inbox.Event, error) {
	var u models.Update
	if err := json.Unmarshal(payload, &u); err != nil {
		return inbox.Event{}, fmt.Errorf("decode update: %w", err)
	}
	var ev inbox.Event
	switch {
	case u.Message != nil:
		m := u.Message
		if m.Chat.Type != models.ChatTypePrivate {
			return inbox.Event{Ignore: true}, nil
		}
		if m.From != nil {
			ev.In.LangHint = m.From.LanguageCode
		}
		switch {
		case m.Contact != nil:
			ev.In.Kind, ev.In.Phone = bot.KindContact, m.Contact.PhoneNumber
			ev.In.Own = m.From != nil && m.Contact.UserID == m.From.ID
		case m.Location != nil:
			ev.In.Kind, ev.In.Lat, ev.In.Lon = bot.KindLocation, m.Location.Latitude, m.Location.Longitude
		case strings.HasPrefix(m.Text, "/"):
			ev.In.Kind, ev.In.Text = bot.KindCommand, commandName(m.Text)
		case m.Text != "":
			ev.In.Kind, ev.In.Text = bot.KindText, m.Text
		default:
			ev.In.Kind = bot.KindOther
		}
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		ev.In.Kind, ev.In.Data, ev.In.LangHint = bot.KindChoice, q.Data, q.From.LanguageCode
		ev.CallbackID = q.ID
	case u.MyChatMember != nil && u.MyChatMember.Chat.Type == models.ChatTypePrivate:
		switch u.MyChatMember.NewChatMember.Type {
		case models.ChatMemberTypeBanned:
			ev.Blocked = true
		case models.ChatMemberTypeMember:
			ev.Unblocked = true
		default:
			ev.Ignore = true
		}
	default:
		// Edits, reactions and the like need no answer; they stay recorded.
		ev.Ignore = true
	}
	return ev, nil
}

// commandName reads "/start@TongxinBot payload" as "start".
func commandName(text string) string {
	name := strings.TrimPrefix(text, "/")
	if i := strings.IndexFunc(name, func(r rune) bool { return r == '@' || unicode.IsSpace(r) }); i >= 0 {
		name = name[:i]
	}
	return strings.ToLower(name)
}

// Acknowledge answers a callback query so the resident's button stops
// spinning. Telegram wants it within seconds, so it is not queued.
func (c *Channel) Acknowledge(ctx context.Context, ev inbox.Event) error {
	if ev.CallbackID == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := c.Bot.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: ev.CallbackID})
	return err
}

// Render implements inbox.Channel. Texts over MaxText are split on
// paragraph boundaries; buttons go with the last part.
func (c *Channel) Render(address, lang string, out []bot.Outbound) ([]inbox.Rendered, error) {
	chatID, err := strconv.ParseInt(address, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("telegram address %q: %w", address, err)
	}
	var rendered []inbox.Rendered
	for _, o := range out {
		text := o.Text
		if l, ok := c.Catalog.Locale(o.Lang); ok && l.RTL() {
			text = markRTL(text)
		}
		parts := Split(text, MaxText)
		for i, part := range parts {
			m := Message{ChatID: chatID, Lang: o.Lang, Text: part}
			if i == len(parts)-1 {
				if err := c.keyboard(&m, o); err != nil {
					return nil, err
				}
			}
			b, err := json.Marshal(m)
			if err != nil {
				return nil, err
			}
			rendered = append(rendered, inbox.Rendered{Payload: b})
		}
	}
	return rendered, nil
}

func (c *Channel) keyboard(m *Message, o bot.Outbound) error {
	cols := max(o.Columns, 1)
	if o.Ask != bot.AskNone {
		first := KeyButton{Text: c.Catalog.T(o.Lang, "button.share_phone", nil), Contact: true}
		if o.Ask == bot.AskLocation {
			first = KeyButton{Text: c.Catalog.T(o.Lang, "button.share_location", nil), Location: true}
		}
		m.Keyboard = [][]KeyButton{{first}}
		for i, ch := range o.Choices {
			if i%cols == 0 {
				m.Keyboard = append(m.Keyboard, nil)
			}
			row := len(m.Keyboard) - 1
			m.Keyboard[row] = append(m.Keyboard[row], KeyButton{Text: ch.Label})
		}
		return nil
	}
	for i, ch := range o.Choices {
		if len(ch.Data) == 0 || len(ch.Data) > 64 {
			return fmt.Errorf("callback data %q must be 1-64 bytes", ch.Data)
		}
		if i%cols == 0 {
			m.Inline = append(m.Inline, nil)
		}
		row := len(m.Inline) - 1
		m.Inline[row] = append(m.Inline[row], Button{Text: ch.Label, Data: ch.Data})
	}
	return nil
}

// markRTL starts every line of a right-to-left message whose first letter
// is not right-to-left (a ticket number, a Chinese office name) with a
// right-to-left mark, so the client aligns the whole message one way.
func markRTL(text string) string {
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		if line == "" {
			continue
		}
		rtl, found := false, false
		for _, r := range line {
			if unicode.IsLetter(r) {
				found, rtl = true, unicode.In(r, unicode.Arabic, unicode.Hebrew)
				break
			}
		}
		if !found || !rtl {
			lines[i] = "\u200f" + line
		}
	}
	return strings.Join(lines, "\n")
}

// Split cuts text into parts of at most limit UTF-16 units: at paragraph
// breaks where it can, then at line breaks, then between grapheme clusters
// (a Tibetan stack or an emoji sequence stays whole).
func Split(text string, limit int) []string {
	if units(text) <= limit {
		return []string{text}
	}
	var parts []string
	cur := ""
	flush := func() {
		if cur != "" {
			parts = append(parts, cur)
			cur = ""
		}
	}
	add := func(piece, sep string) bool {
		switch {
		case cur == "" && units(piece) <= limit:
			cur = piece
		case cur != "" && units(cur)+units(sep)+units(piece) <= limit:
			cur += sep + piece
		default:
			return false
		}
		return true
	}
	for _, para := range strings.Split(text, "\n\n") {
		if add(para, "\n\n") {
			continue
		}
		flush()
		if add(para, "") {
			continue
		}
		for _, line := range strings.Split(para, "\n") {
			if add(line, "\n") {
				continue
			}
			flush()
			if add(line, "") {
				continue
			}
			for _, g := range segment.Graphemes(line) {
				if !add(g, "") {
					flush()
					cur = g
				}
			}
		}
		flush()
	}
	flush()
	return parts
}

func units(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// Send implements dispatch.Sender.
func (c *Channel) Send(ctx context.Context, o hotline.Outbox) (string, error) {
	var m Message
	if err := json.Unmarshal(o.Payload, &m); err != nil {
		return "", &dispatch.PermanentError{Err: fmt.Errorf("decode outbox payload: %w", err)}
	}
	params := &tgbot.SendMessageParams{ChatID: m.ChatID, Text: escapeHTML(m.Text), ParseMode: models.ParseModeHTML}
	switch {
	case len(m.Inline) > 0:
		kb := &models.InlineKeyboardMarkup{}
		for _, row := range m.Inline {
			var r []models.InlineKeyboardButton
			for _, b := range row {
				r = append(r, models.InlineKeyboardButton{Text: b.Text, CallbackData: b.Data})
			}
			kb.InlineKeyboard = append(kb.InlineKeyboard, r)
		}
		params.ReplyMarkup = kb
	case len(m.Keyboard) > 0:
		kb := &models.ReplyKeyboardMarkup{ResizeKeyboard: true, OneTimeKeyboard: true}
		for _, row := range m.Keyboard {
			var r []models.KeyboardButton
			for _, b := range row {
				r = append(r, models.KeyboardButton{Text: b.Text, RequestContact: b.Contact, RequestLocation: b.Location})
			}
			kb.Keyboard = append(kb.Keyboard, r)
		}
		params.ReplyMarkup = kb
	}
	msg, err := c.Bot.SendMessage(ctx, params)
	if err != nil {
		return "", classify(err)
	}
	return strconv.Itoa(msg.ID), nil
}

// classify maps the library's errors to the dispatcher's.
func classify(err error) error {
	var many *tgbot.TooManyRequestsError
	switch {
	case errors.As(err, &many):
		return &dispatch.RetryAfterError{After: time.Duration(max(many.RetryAfter, 1)) * time.Second, Err: err}
	case errors.Is(err, tgbot.ErrorForbidden):
		return fmt.Errorf("%w: %v", dispatch.ErrBlocked, err)
	case errors.Is(err, tgbot.ErrorBadRequest):
		return &dispatch.PermanentError{Err: err}
	}
	return err
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escapeHTML escapes what Telegram's HTML mode requires, and nothing else
// (quotes need no escaping in text).
func escapeHTML(s string) string { return htmlEscaper.Replace(s) }

// SetCommands registers the command menu in every language (Telegram
// takes two-letter codes) and in Chinese for everyone else.
func (c *Channel) SetCommands(ctx context.Context) error {
	set := func(tag, code string) error {
		var cmds []models.BotCommand
		for _, name := range bot.CommandOrder {
			cmds = append(cmds, models.BotCommand{Command: name, Description: c.Catalog.T(tag, "command."+name, nil)})
		}
		_, err := c.Bot.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: cmds, LanguageCode: code})
		if err != nil {
			return fmt.Errorf("set commands for %q: %w", code, err)
		}
		return nil
	}
	if err := set(i18n.Source, ""); err != nil {
		return err
	}
	for _, l := range c.Catalog.Locales() {
		base, _ := language.Make(l.Tag).Base()
		if err := set(l.Tag, base.String()); err != nil {
			return err
		}
	}
	return nil
}

// SetWebhook points Telegram at url with our secret.
func (c *Channel) SetWebhook(ctx context.Context, url, secret string) error {
	_, err := c.Bot.SetWebhook(ctx, &tgbot.SetWebhookParams{URL: url, SecretToken: secret, AllowedUpdates: AllowedUpdates})
	if err != nil {
		return fmt.Errorf("set webhook: %w", err)
	}
	return nil
}
