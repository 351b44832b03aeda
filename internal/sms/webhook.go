package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/inbox"
	"github.com/tongxin/tongxin/internal/spool"
	"github.com/tongxin/tongxin/internal/twilio"
)

// emptyTwiML answers a webhook without replying by TwiML. By default
// replies go through the outbox and the REST API, where they are rate
// limited, retried, counted in segments and kept in order.
var emptyTwiML = (&twilio.Response{}).Bytes()

// Webhook is the handler of POST /webhooks/sms/twilio.
type Webhook struct {
	Store hotline.Store
	// AuthToken checks X-Twilio-Signature over PublicURL (the base the
	// gateway is configured with) plus the request's path and query.
	AuthToken string
	PublicURL string
	// Spool keeps messages the store cannot take right now.
	Spool *spool.Spool
	Wake  func()
	// Answer, when set, handles a message while the gateway waits and
	// replies in the TwiML response (for gateways that take replies only
	// that way); otherwise replies go through the outbox and the REST API.
	Answer *inbox.Processor
	Log    *slog.Logger
	Now    func() time.Time

	// Counts for monitoring.
	Received, Duplicates, Rejected, Spooled atomic.Int64
}

// ServeHTTP answers 403 for a missing or forged signature, 413 for a body
// over the limit, 400 for a form without MessageSid or From, and otherwise
// an empty TwiML response once the message is recorded, or spooled to disk
// when the store cannot take it (the gateway does not retry a 5xx: it
// would be lost).
func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	form, err := twilio.VerifyRequest(h.AuthToken, h.PublicURL, r)
	switch {
	case errors.Is(err, twilio.ErrSignature):
		h.Rejected.Add(1)
		h.Log.Warn("sms webhook: bad signature", "remote", r.RemoteAddr)
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	case errors.Is(err, twilio.ErrTooLarge):
		h.Rejected.Add(1)
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		h.Rejected.Add(1)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	sid := form.Get("MessageSid")
	if sid == "" {
		sid = form.Get("SmsSid")
	}
	if sid == "" || form.Get("From") == "" {
		h.Rejected.Add(1)
		http.Error(w, "MessageSid and From are required", http.StatusBadRequest)
		return
	}
	body := []byte(form.Encode())
	dup, err := h.record(r.Context(), sid, form.Get("From"), body)
	if err != nil {
		h.Log.Error("sms webhook: cannot record message; spooling it", "err", err)
		if serr := h.Spool.Put("sms-"+sid, body); serr != nil {
			h.Log.Error("sms webhook: cannot spool message", "err", serr)
			http.Error(w, "cannot take the message now", http.StatusServiceUnavailable)
			return
		}
		h.Spooled.Add(1)
	}
	if dup {
		h.Duplicates.Add(1)
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	if h.Answer != nil && err == nil {
		w.Write(h.answer(r.Context(), form.Get("From")))
		return
	}
	w.Write(emptyTwiML)
}

// answerTime leaves the gateway's 15-second read timeout some room.
const answerTime = 8 * time.Second

// answer handles the sender's waiting messages now and returns every reply
// waiting for them as TwiML, marking it sent. A reply not ready in time is
// made in the background and waits in the outbox: it goes with the answer
// to the resident's next message.
func (h *Webhook) answer(ctx context.Context, from string) []byte {
	ctx, cancel := context.WithTimeout(ctx, answerTime)
	defer cancel()
	if err := h.Answer.ProcessAddress(ctx, hotline.ChannelSMS, from); err != nil {
		h.Log.Error("sms webhook: cannot answer in TwiML; the reply goes through the outbox", "err", err)
		if h.Wake != nil {
			h.Wake()
		}
		return emptyTwiML
	}
	ch, pending := hotline.ChannelSMS, hotline.OutboxPending
	msgs, err := h.Store.FindOutbox(ctx, hotline.OutboxFilter{Channel: &ch, Address: &from, Status: &pending})
	if err != nil {
		h.Log.Error("sms webhook: read replies", "err", err)
		return emptyTwiML
	}
	resp := &twilio.Response{}
	for i := len(msgs) - 1; i >= 0; i-- { // oldest first
		var m Message
		if err := json.Unmarshal(msgs[i].Payload, &m); err != nil {
			continue
		}
		if err := h.Store.MarkOutboxSent(ctx, msgs[i].ID, "twiml", time.Now()); err != nil {
			h.Log.Error("sms webhook: mark reply sent", "outbox_id", msgs[i].ID, "err", err)
			break
		}
		resp.Verbs = append(resp.Verbs, twilio.Message{Body: m.Body})
	}
	return resp.Bytes()
}

func (h *Webhook) record(ctx context.Context, sid, from string, body []byte) (bool, error) {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	in := &hotline.Inbound{Channel: hotline.ChannelSMS, ExtID: sid, Address: from, Payload: body, ReceivedAt: now()}
	dup, err := h.Store.RecordInbound(ctx, in)
	if err != nil {
		return false, fmt.Errorf("record SMS %s: %w", sid, err)
	}
	if !dup {
		h.Received.Add(1)
		if h.Wake != nil && h.Answer == nil {
			h.Wake()
		}
	}
	return dup, nil
}

// DrainSpool records the spooled messages, oldest first, until the store
// refuses again.
func (h *Webhook) DrainSpool(ctx context.Context) (int, error) {
	return h.Spool.Drain(ctx, func(ctx context.Context, _ string, body []byte) error {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return fmt.Errorf("spooled SMS: %w", err)
		}
		sid := form.Get("MessageSid")
		if sid == "" {
			sid = form.Get("SmsSid")
		}
		_, err = h.record(ctx, sid, form.Get("From"), body)
		return err
	})
}
