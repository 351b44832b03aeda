// Package sms is Tongxin's SMS hotline on a Twilio-compatible gateway: the
// webhook that records inbound messages (signature checked, deduplicated
// by MessageSid), the decoding of a message into an engine event (with the
// opt-out, opt-in and help words of every language), the rendering of
// replies as numbered menus cut at segment boundaries, and the sender on
// the gateway's REST API.
package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/i18n"
	"github.com/tongxin/tongxin/internal/dispatch"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/inbox"
	"github.com/tongxin/tongxin/internal/segment"
	"github.com/tongxin/tongxin/internal/twilio"
)

// MaxSegments is the most segments one SMS is given; longer replies go as
// several messages, in order. Twilio recommends messages under about 320
// characters for delivery; five UCS-2 segments hold 335 characters.
const MaxSegments = 5

// Limits are the sending limits of a long code: one message a second to a
// number, and the account's rate overall.
var Limits = dispatch.Limits{PerSecond: 10, Burst: 10, PerAddress: time.Second}

// The opt-out, opt-in and help words every gateway understands (Twilio's
// defaults); each language adds its own in sms.*_words.
var (
	stopWords  = []string{"stop", "stopall", "unsubscribe", "end", "quit", "cancel", "revoke", "optout"}
	startWords = []string{"start", "yes", "unstop"}
	helpWords  = []string{"help", "info"}
)

// Channel decodes, renders and sends SMS.
type Channel struct {
	Catalog *i18n.Catalog
	// Client sends through the gateway's REST API; From is our number (or
	// a Messaging Service SID).
	Client *twilio.Client
	From   string

	words map[string]string // folded word → "stop", "start" or "help"
}

// NewChannel returns an SMS channel speaking the catalog's languages.
func NewChannel(cat *i18n.Catalog, client *twilio.Client, from string) *Channel {
	c := &Channel{Catalog: cat, Client: client, From: from, words: map[string]string{}}
	add := func(kind string, words []string) {
		for _, w := range words {
			c.words[foldWord(w)] = kind
		}
	}
	add("stop", stopWords)
	add("start", startWords)
	add("help", helpWords)
	for _, l := range cat.Locales() {
		for _, kind := range []string{"stop", "start", "help"} {
			for _, w := range strings.Split(cat.T(l.Tag, "sms."+kind+"_words", nil), ",") {
				if w = strings.TrimSpace(w); w != "" {
					c.words[foldWord(w)] = kind
				}
			}
		}
	}
	return c
}

// Name implements inbox.Channel.
func (c *Channel) Name() string { return hotline.ChannelSMS }

// Metered tells the engine that SMS are paid by length: long texts come in
// parts the resident asks for.
func (c *Channel) Metered() bool { return true }

// Decode implements inbox.Channel. The payload is the webhook's form. A
// message whose whole text is an opt-out, opt-in or help word is flagged
// so; a sender that is not a phone number (a short code, a name) is
// recorded but not answered.
func (c *Channel) Decode(payload []byte) (inbox.Event, error) {
	form, err := url.ParseQuery(string(payload))
	if err != nil {
		return inbox.Event{}, fmt.Errorf("decode SMS form: %w", err)
	}
	phone, ok := bot.NormalizePhone(form.Get("From"))
	if !ok {
		return inbox.Event{Ignore: true}, nil
	}
	body := strings.TrimSpace(strings.ToValidUTF8(form.Get("Body"), "\uFFFD"))
	ev := inbox.Event{Phone: phone, In: bot.Inbound{Kind: bot.KindText, Text: body}}
	if body == "" {
		ev.In.Kind = bot.KindOther // a picture, or nothing
	}
	switch c.words[foldWord(body)] {
	case "stop":
		ev.OptOut = true
	case "start":
		ev.OptIn = true
	case "help":
		ev.Help = true
	}
	return ev, nil
}

// foldWord prepares a whole message for comparison with the opt-out, opt-in
// and help words: compatibility forms, case and the punctuation around it
// ("stop." "退订！" "ᠵᠣᠭᠰᠣᠭᠠ᠃") do not matter, nor the heh that legacy
// keyboards type for Uyghur ە.
func foldWord(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) })
	return i18n.Fold("ug", s)
}

// Acknowledge implements inbox.Channel; SMS has nothing to acknowledge.
func (c *Channel) Acknowledge(context.Context, inbox.Event) error { return nil }

// Message is an outbox payload: one SMS.
type Message struct {
	To   string `json:"to"`
	Body string `json:"body"`
}

// Render implements inbox.Channel. The replies of one turn go as one text
// (each SMS costs at least a segment), with the choices of the last menu
// numbered; it is cut into messages of at most MaxSegments segments at
// paragraph, line, word or at least character boundaries.
func (c *Channel) Render(address, _ string, out []bot.Outbound) ([]inbox.Rendered, error) {
	last := -1
	for i, o := range out {
		if len(o.Choices) > 0 {
			last = i
		}
	}
	var parts []string
	for i, o := range out {
		text := o.Text
		if i == last {
			text += "\n" + numbered(o.Choices)
		}
		parts = append(parts, text)
	}
	var rendered []inbox.Rendered
	for _, body := range segment.Split(strings.Join(parts, "\n\n"), MaxSegments) {
		b, err := json.Marshal(Message{To: address, Body: body})
		if err != nil {
			return nil, err
		}
		rendered = append(rendered, inbox.Rendered{Payload: b, Segments: segment.Count(body).Segments})
	}
	return rendered, nil
}

// numbered lists choices as "1 label" lines. A last choice that leads to
// the main menu is numbered 0, as 0 always does; so lists stay within 1–9.
// Emoji and symbols that start a label are left out: they cost segments and
// an SMS cannot be tapped.
func numbered(choices []bot.Choice) string {
	lines := make([]string, len(choices))
	for i, ch := range choices {
		label := strings.TrimLeftFunc(ch.Label, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		})
		num := strconv.Itoa(i + 1)
		if i == len(choices)-1 && ch.Data == "n:menu" {
			num = "0"
		}
		lines[i] = num + " " + label
	}
	return strings.Join(lines, "\n")
}

// Send implements dispatch.Sender.
func (c *Channel) Send(ctx context.Context, o hotline.Outbox) (string, error) {
	var m Message
	if err := json.Unmarshal(o.Payload, &m); err != nil {
		return "", &dispatch.PermanentError{Err: fmt.Errorf("decode outbox payload: %w", err)}
	}
	sid, err := c.Client.SendSMS(ctx, c.From, m.To, m.Body)
	if err == nil {
		return sid, nil
	}
	var api *twilio.APIError
	switch {
	case errors.Is(err, twilio.ErrUnsubscribed):
		return "", fmt.Errorf("%w: %v", dispatch.ErrOptedOut, err)
	case errors.Is(err, twilio.ErrRateLimited) && errors.As(err, &api):
		return "", &dispatch.RetryAfterError{After: max(api.RetryAfter, time.Second), Err: err}
	case !twilio.Retryable(err):
		return "", &dispatch.PermanentError{Err: err}
	}
	return "", err
}
