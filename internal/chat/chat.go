// Package chat is the terminal channel behind `tongxin chat`: a resident
// types into a terminal and reads the answers there. It is a channel like
// the others, with its own address kind ("chat:<name>"), the same engine,
// store, outbox and sessions, so anyone can try Tongxin without Telegram.
package chat

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/i18n"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/inbox"
)

// Channel decodes typed lines and renders replies as text with numbered
// choices.
type Channel struct {
	Catalog *i18n.Catalog
}

// Name implements inbox.Channel.
func (c *Channel) Name() string { return hotline.ChannelChat }

// line is a recorded inbound payload.
type line struct {
	Text string `json:"text"`
	Lang string `json:"lang,omitempty"`
}

// Message is an outbox payload.
type Message struct {
	Text    string   `json:"text"`
	Choices []string `json:"choices,omitempty"`
	Hint    string   `json:"hint,omitempty"`
}

// Decode implements inbox.Channel: "/name" is a command, "/location LAT
// LON" shares a location, anything else is text.
func (c *Channel) Decode(payload []byte) (inbox.Event, error) {
	var l line
	if err := json.Unmarshal(payload, &l); err != nil {
		return inbox.Event{}, fmt.Errorf("decode chat line: %w", err)
	}
	ev := inbox.Event{In: bot.Inbound{Kind: bot.KindText, Text: l.Text, LangHint: l.Lang}}
	if f := strings.Fields(l.Text); len(f) > 0 && strings.HasPrefix(f[0], "/") {
		name := strings.ToLower(strings.TrimPrefix(f[0], "/"))
		if name == "location" && len(f) == 3 {
			lat, err1 := strconv.ParseFloat(f[1], 64)
			lon, err2 := strconv.ParseFloat(f[2], 64)
			if err1 == nil && err2 == nil {
				ev.In = bot.Inbound{Kind: bot.KindLocation, Lat: lat, Lon: lon, LangHint: l.Lang}
				return ev, nil
			}
		}
		ev.In.Kind, ev.In.Text = bot.KindCommand, name
	}
	return ev, nil
}

// Acknowledge implements inbox.Channel; a terminal needs none.
func (c *Channel) Acknowledge(context.Context, inbox.Event) error { return nil }

// Render implements inbox.Channel.
func (c *Channel) Render(_, _ string, out []bot.Outbound) ([]inbox.Rendered, error) {
	var r []inbox.Rendered
	for _, o := range out {
		m := Message{Text: o.Text}
		for _, ch := range o.Choices {
			m.Choices = append(m.Choices, ch.Label)
		}
		if o.Ask == bot.AskLocation {
			m.Hint = c.Catalog.T(o.Lang, "chat.location_hint", nil)
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		r = append(r, inbox.Rendered{Payload: b})
	}
	return r, nil
}

// Session runs one terminal conversation.
type Session struct {
	Store     hotline.Store
	Processor *inbox.Processor
	// User names the terminal resident; their address is chat:<User>.
	User string
	// Lang is the language hint a new resident starts with.
	Lang string
	// Now is the session's clock; by default the processor's.
	Now func() time.Time

	sent int // lines recorded, to keep their ids unique
}

// Run reads lines from in until it ends, and writes the answers to out. It
// starts the conversation with /start.
func (s *Session) Run(ctx context.Context, in io.Reader, out io.Writer) error {
	if s.Now == nil {
		s.Now = s.Processor.Now
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if err := s.say(ctx, "/start", out); err != nil {
		return err
	}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if err := s.say(ctx, text, out); err != nil {
			return err
		}
	}
	return sc.Err()
}

func (s *Session) say(ctx context.Context, text string, out io.Writer) error {
	payload, _ := json.Marshal(line{Text: text, Lang: s.Lang})
	now := s.Now()
	s.sent++
	in := &hotline.Inbound{
		Channel: hotline.ChannelChat, ExtID: s.User + "-" + strconv.FormatInt(now.UnixNano(), 36) + "-" + strconv.Itoa(s.sent),
		Address: s.User, Payload: payload, ReceivedAt: now,
	}
	if _, err := s.Store.RecordInbound(ctx, in); err != nil {
		return fmt.Errorf("record message: %w", err)
	}
	if err := s.Processor.ProcessAddress(ctx, hotline.ChannelChat, s.User); err != nil {
		return fmt.Errorf("process message: %w", err)
	}
	return s.deliver(ctx, out)
}

// deliver prints and marks sent this terminal's queued messages, in order.
func (s *Session) deliver(ctx context.Context, out io.Writer) error {
	for {
		due, err := s.Store.DueOutbox(ctx, []string{hotline.ChannelChat}, s.Now(), 100)
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		var mine []hotline.Outbox
		for _, m := range due {
			if m.Address == s.User {
				mine = append(mine, m)
			}
		}
		if len(mine) == 0 {
			return nil
		}
		for _, m := range mine {
			var msg Message
			if err := json.Unmarshal(m.Payload, &msg); err != nil {
				return fmt.Errorf("decode outbox %d: %w", m.ID, err)
			}
			fmt.Fprintln(out, msg.Text)
			for i, ch := range msg.Choices {
				fmt.Fprintf(out, "  %d. %s\n", i+1, ch)
			}
			if msg.Hint != "" {
				fmt.Fprintln(out, msg.Hint)
			}
			fmt.Fprintln(out)
			if err := s.Store.MarkOutboxSent(ctx, m.ID, "", s.Now()); err != nil {
				return fmt.Errorf("mark outbox %d sent: %w", m.ID, err)
			}
		}
	}
}
