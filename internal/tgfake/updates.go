package tgfake

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
)

// pendingUpdate is an update that getUpdates has not confirmed or the webhook
// has not acknowledged yet.
type pendingUpdate struct {
	id        int64
	body      []byte // the update as JSON, sent as is
	key       queueKey
	inFlight  bool // a webhook request is under way
	attempts  int
	notBefore time.Time // webhook backoff after a failed attempt
}

// queueKey groups updates that the real server delivers one at a time:
// messages by chat, callback queries by user.
type queueKey struct {
	kind byte
	id   int64
}

func queueKeyOf(u models.Update) queueKey {
	if u.CallbackQuery != nil {
		return queueKey{'u', u.CallbackQuery.From.ID}
	}
	for _, m := range []*models.Message{u.Message, u.EditedMessage, u.ChannelPost, u.EditedChannelPost, u.BusinessMessage, u.EditedBusinessMessage} {
		if m != nil {
			return queueKey{'c', m.Chat.ID}
		}
	}
	return queueKey{'x', u.ID} // anything else is not ordered
}

// updateType returns the JSON name of the update's payload, e.g. "callback_query".
func updateType(u models.Update) string {
	v := reflect.ValueOf(u)
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			return name
		}
	}
	return ""
}

// allows applies allowed_updates; by default everything but chat_member,
// message_reaction and message_reaction_count is delivered.
func (s *Server) allows(typ string) bool {
	if len(s.allowed) == 0 {
		return typ != "chat_member" && typ != "message_reaction" && typ != "message_reaction_count"
	}
	return slices.Contains(s.allowed, typ)
}

// Deliver assigns the next update_id to u and queues it for getUpdates or the
// webhook. A callback query without id gets one; its id becomes answerable.
// Updates of a type excluded by allowed_updates are dropped, as on the real
// server. Deliver panics if u cannot be encoded as JSON.
func (s *Server) Deliver(u models.Update) (updateID int64) {
	id, err := s.deliver(u)
	if err != nil {
		panic("tgfake: " + err.Error())
	}
	return id
}

func (s *Server) deliver(u models.Update) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.CallbackQuery != nil {
		cq := *u.CallbackQuery
		if cq.ID == "" {
			cq.ID = s.newCallbackID()
		}
		if _, ok := s.callbacks[cq.ID]; !ok {
			s.callbacks[cq.ID] = false
		}
		u.CallbackQuery = &cq
	}
	u.ID = s.nextUpdateID
	body, err := json.Marshal(&u)
	if err != nil {
		return 0, fmt.Errorf("encode update: %w", err)
	}
	s.nextUpdateID++
	if s.allows(updateType(u)) {
		s.pending = append(s.pending, &pendingUpdate{id: u.ID, body: body, key: queueKeyOf(u)})
		s.broadcast()
	}
	return u.ID, nil
}

func (s *Server) newCallbackID() string {
	s.nextCallbackID++
	return strconv.FormatInt(s.nextCallbackID, 10)
}

// user is the private-chat user behind chatID; group ids get a user with the
// id's absolute value.
func user(chatID int64, languageCode string) *models.User {
	return &models.User{ID: max(chatID, -chatID), FirstName: "User", LanguageCode: languageCode}
}

// incoming builds a user's message in chatID with the chat's next message id.
func (s *Server) incoming(chatID int64, languageCode string) *models.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chat(chatID)
	c.lastID++
	return &models.Message{ID: c.lastID, From: user(chatID, languageCode), Date: int(s.now().Unix()), Chat: chatInfo(chatID)}
}

// TextUpdate returns a text message from the user of the private chat chatID
// (from.id = chat.id; a negative chatID is a group and the sender's id is
// -chatID). languageCode "" leaves language_code out. The message takes the
// chat's next message_id, shared with the bot's messages as in private chats.
func (s *Server) TextUpdate(chatID int64, text, languageCode string) models.Update {
	m := s.incoming(chatID, languageCode)
	m.Text = text
	return models.Update{Message: m}
}

// CommandUpdate is TextUpdate for a command such as "/start" or "/start ref1"
// (a '/' is added if missing), with its bot_command entity in UTF-16 units.
func (s *Server) CommandUpdate(chatID int64, text, languageCode string) models.Update {
	if !strings.HasPrefix(text, "/") {
		text = "/" + text
	}
	command, _, _ := strings.Cut(text, " ")
	u := s.TextUpdate(chatID, text, languageCode)
	u.Message.Entities = []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: utf16Len(command)}}
	return u
}

// ContactUpdate returns a shared contact; with ownContact it is the user's
// own number (contact.user_id = from.id), otherwise an address-book entry.
func (s *Server) ContactUpdate(chatID int64, phone string, ownContact bool, languageCode string) models.Update {
	m := s.incoming(chatID, languageCode)
	m.Contact = &models.Contact{PhoneNumber: phone, FirstName: "Contact"}
	if ownContact {
		m.Contact.FirstName, m.Contact.UserID = m.From.FirstName, m.From.ID
	}
	return models.Update{Message: m}
}

// LocationUpdate returns a shared location.
func (s *Server) LocationUpdate(chatID int64, lat, lon float64, languageCode string) models.Update {
	m := s.incoming(chatID, languageCode)
	m.Location = &models.Location{Latitude: lat, Longitude: lon}
	return models.Update{Message: m}
}

// CallbackUpdate returns a press on an inline button with data under the
// bot's message messageID in chatID (a copy of that message if the fake knows
// it). Its callback query id is fresh and answerable once, so the update may
// also be handed to the bot's handler directly instead of through Deliver.
func (s *Server) CallbackUpdate(chatID int64, messageID int, data, languageCode string) models.Update {
	s.mu.Lock()
	id := s.newCallbackID()
	s.callbacks[id] = false
	bot := s.bot
	msg := models.Message{ID: messageID, From: &bot, Date: int(s.now().Unix()), Chat: chatInfo(chatID)}
	if m := s.message(chatID, messageID); m != nil {
		msg = *m
	}
	s.mu.Unlock()
	return models.Update{CallbackQuery: &models.CallbackQuery{
		ID:           id,
		From:         *user(chatID, languageCode),
		Message:      models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &msg},
		ChatInstance: strconv.FormatUint(uint64(chatID)*0x9E3779B97F4A7C15>>1, 10),
		Data:         data,
	}}
}

// WaitPoller waits until a getUpdates call is waiting for updates, so that a
// test can deliver an update while the long poll is in progress.
func (s *Server) WaitPoller(ctx context.Context) error {
	if err := s.wait(ctx, func() bool { return s.pollers > 0 }); err != nil {
		return fmt.Errorf("wait for a getUpdates poller: %w", err)
	}
	return nil
}

func (s *Server) getUpdates(ctx context.Context, p params) (any, *apiError) {
	offset, _ := strconv.ParseInt(p["offset"], 10, 64)
	limit, err := strconv.Atoi(p["limit"])
	if err != nil || limit > 100 {
		limit = 100
	}
	limit = max(limit, 1)
	timeout, _ := strconv.Atoi(p["timeout"])
	var allowed []string
	if raw, ok := p["allowed_updates"]; ok && json.Unmarshal([]byte(raw), &allowed) != nil {
		return nil, badRequest("can't parse allowed_updates JSON array")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hook.url != "" {
		return nil, errWebhookActive
	}
	if _, ok := p["allowed_updates"]; ok {
		s.allowed = allowed
	}
	s.confirm(offset)
	s.pollGen++
	gen := s.pollGen
	s.pollers++
	defer func() { s.pollers-- }()
	s.broadcast()

	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(time.Duration(timeout) * time.Second)
		defer t.Stop()
		expired = t.C
	}
	for {
		switch {
		case s.pollGen != gen:
			return nil, errOtherGetUpdate
		case s.hook.url != "":
			return nil, errWebhookActive
		}
		out := []json.RawMessage{}
		for _, u := range s.pending {
			if u.id >= offset && !u.inFlight && len(out) < limit {
				out = append(out, u.body)
			}
		}
		if len(out) > 0 || expired == nil {
			return out, nil
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-expired:
			expired = nil
		case <-ctx.Done():
			expired = nil
		case <-s.ctx.Done():
			expired = nil
		}
		s.mu.Lock()
	}
}

// confirm forgets updates below offset (a negative offset keeps the last
// -offset updates); the caller holds s.mu.
func (s *Server) confirm(offset int64) {
	switch {
	case offset > 0:
		s.pending = slices.DeleteFunc(s.pending, func(u *pendingUpdate) bool {
			if u.id < offset && !u.inFlight {
				s.acked[u.id] = true
				return true
			}
			return false
		})
	case offset < 0 && int64(len(s.pending)) > -offset:
		s.pending = slices.Clone(s.pending[int64(len(s.pending))+offset:])
	}
}
