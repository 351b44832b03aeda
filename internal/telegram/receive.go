// Package telegram is Tongxin's Telegram channel: our own webhook handler
// and long poller (both record each update durably before acknowledging
// it), the decoding of updates into engine events, the rendering of
// replies (HTML, inline keyboards, contact and location buttons, long texts
// split on paragraphs), and the sender on go-telegram/bot.
//
// go-telegram/bot's own webhook handler is not used: it answers 200 to
// forged requests and keeps updates only in memory.
package telegram

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/tongxin/tongxin/internal/hotline"
)

// MaxUpdateSize bounds an update's body. Telegram's largest updates are a
// few kilobytes.
const MaxUpdateSize = 1 << 20

// ErrBadUpdate means a body is not a Telegram update.
var ErrBadUpdate = errors.New("not a telegram update")

// Receiver records updates, whichever way they arrive.
type Receiver struct {
	Store hotline.Store
	// Wake is called after a new update was recorded.
	Wake func()
	Now  func() time.Time

	// Counts for monitoring.
	Received, Duplicates, Rejected atomic.Int64
}

// envelope is the part of an update needed to file it: its id and chat.
type envelope struct {
	UpdateID      int64    `json:"update_id"`
	Message       *hasChat `json:"message"`
	EditedMessage *hasChat `json:"edited_message"`
	CallbackQuery *struct {
		From    struct{ ID int64 } `json:"from"`
		Message *hasChat           `json:"message"`
	} `json:"callback_query"`
	MyChatMember *hasChat `json:"my_chat_member"`
}

type hasChat struct {
	Chat struct {
		ID int64 `json:"id"`
	} `json:"chat"`
}

// address is the chat an update belongs to; updates of one chat are
// processed in order. Updates without a chat share one address.
func (e *envelope) address() string {
	var id int64
	switch {
	case e.Message != nil:
		id = e.Message.Chat.ID
	case e.EditedMessage != nil:
		id = e.EditedMessage.Chat.ID
	case e.CallbackQuery != nil && e.CallbackQuery.Message != nil && e.CallbackQuery.Message.Chat.ID != 0:
		id = e.CallbackQuery.Message.Chat.ID
	case e.CallbackQuery != nil:
		id = e.CallbackQuery.From.ID
	case e.MyChatMember != nil:
		id = e.MyChatMember.Chat.ID
	}
	return strconv.FormatInt(id, 10)
}

// Receive checks and records one update. It returns ErrBadUpdate (wrapped)
// for a body that is not valid UTF-8 JSON with a positive update_id, and
// the store's error when it could not record it. duplicate reports an
// update seen before.
func (r *Receiver) Receive(ctx context.Context, body []byte) (duplicate bool, err error) {
	var e envelope
	var bad error
	if !utf8.Valid(body) {
		bad = errors.New("body is not valid UTF-8")
	} else if err := json.Unmarshal(body, &e); err != nil {
		bad = err
	} else if e.UpdateID <= 0 {
		bad = errors.New("no update_id")
	}
	if bad != nil {
		r.Rejected.Add(1)
		return false, fmt.Errorf("%w: %v", ErrBadUpdate, bad)
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	in := &hotline.Inbound{
		Channel:    hotline.ChannelTelegram,
		ExtID:      strconv.FormatInt(e.UpdateID, 10),
		Address:    e.address(),
		Payload:    body,
		ReceivedAt: now(),
	}
	dup, err := r.Store.RecordInbound(ctx, in)
	if err != nil {
		return false, fmt.Errorf("record update %d: %w", e.UpdateID, err)
	}
	if dup {
		r.Duplicates.Add(1)
		return true, nil
	}
	r.Received.Add(1)
	if r.Wake != nil {
		r.Wake()
	}
	return false, nil
}

// Webhook is the handler of POST /webhooks/telegram.
type Webhook struct {
	Receiver *Receiver
	// Secret is the expected X-Telegram-Bot-Api-Secret-Token.
	Secret string
	Log    *slog.Logger
}

// ServeHTTP answers 401 without the right secret, 413 for a body over
// MaxUpdateSize, 400 for a body that is not an update, 503 when the update
// could not be recorded (Telegram then retries), and 200 once it is
// recorded, including for an update seen before.
func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !secretOK(r.Header.Get("X-Telegram-Bot-Api-Secret-Token"), h.Secret) {
		h.Log.Warn("telegram webhook: wrong secret token", "remote", r.RemoteAddr)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxUpdateSize))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		http.Error(w, "update too large", http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	dup, err := h.Receiver.Receive(r.Context(), body)
	switch {
	case errors.Is(err, ErrBadUpdate):
		h.Log.Warn("telegram webhook: bad update", "err", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	case err != nil:
		h.Log.Error("telegram webhook: cannot record update", "err", err)
		w.Header().Set("Retry-After", "5")
		http.Error(w, "cannot record update now", http.StatusServiceUnavailable)
		return
	}
	if dup {
		h.Log.Info("telegram webhook: duplicate update ignored")
	}
	w.WriteHeader(http.StatusOK)
}

// secretOK compares in constant time; hashing first hides the length.
func secretOK(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return want != "" && subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// Poller fetches updates with getUpdates when no webhook is configured. It
// confirms an update to Telegram only after recording it: the offset it
// sends moves past a batch once the whole batch is stored.
type Poller struct {
	Receiver *Receiver
	API      *API
	// Timeout is the long-poll time Telegram holds a request open.
	Timeout time.Duration
	Log     *slog.Logger
}

const offsetSetting = "telegram.poll_offset"

// Run polls until ctx ends.
func (p *Poller) Run(ctx context.Context) error {
	if p.Timeout == 0 {
		p.Timeout = 25 * time.Second
	}
	if err := p.API.Call(ctx, "deleteWebhook", map[string]any{"drop_pending_updates": false}, nil); err != nil && ctx.Err() == nil {
		p.Log.Warn("telegram: delete webhook before polling", "err", err)
	}
	var offset int64
	if v, err := p.Receiver.Store.Setting(ctx, offsetSetting); err == nil {
		offset, _ = strconv.ParseInt(v, 10, 64)
	}
	wait := time.Second
	for ctx.Err() == nil {
		next, err := p.poll(ctx, offset)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			p.Log.Warn("telegram: getUpdates", "err", err, "retry_in", wait)
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			wait = min(wait*2, 30*time.Second)
			continue
		}
		wait = time.Second
		offset = next
	}
	return nil
}

func (p *Poller) poll(ctx context.Context, offset int64) (int64, error) {
	var updates []json.RawMessage
	params := map[string]any{
		"offset":          offset,
		"timeout":         int(p.Timeout / time.Second),
		"allowed_updates": AllowedUpdates,
	}
	if err := p.API.Call(ctx, "getUpdates", params, &updates); err != nil {
		return offset, err
	}
	next := offset
	for _, raw := range updates {
		var e envelope
		_ = json.Unmarshal(raw, &e)
		if _, err := p.Receiver.Receive(ctx, bytes.Clone(raw)); err != nil {
			if errors.Is(err, ErrBadUpdate) {
				p.Log.Error("telegram: skipping update that is not one", "update_id", e.UpdateID, "err", err)
			} else {
				// Not recorded: poll again from here; nothing is confirmed.
				return next, err
			}
		}
		if e.UpdateID >= next {
			next = e.UpdateID + 1
			if err := p.Receiver.Store.PutSetting(ctx, offsetSetting, strconv.FormatInt(next, 10)); err != nil {
				return next, fmt.Errorf("save poll offset: %w", err)
			}
		}
	}
	return next, nil
}

// AllowedUpdates are the update kinds Tongxin asks Telegram for.
var AllowedUpdates = []string{"message", "edited_message", "callback_query", "my_chat_member"}
