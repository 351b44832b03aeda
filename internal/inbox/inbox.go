// Package inbox turns recorded inbound events into conversation turns.
// Events of one address are processed one at a time in the order they were
// recorded; different addresses in parallel. Each event is handled in one
// transaction: the resident's changes, any ticket, the replies written to
// the outbox, and the mark that the event is done commit together, so a
// crash at any point either loses nothing or repeats nothing.
package inbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/tickets"
)

// Event is what a channel found in a recorded payload.
type Event struct {
	In bot.Inbound
	// CallbackID is a button press the channel wants acknowledged.
	CallbackID string
	// Blocked and Unblocked report that the resident blocked the channel
	// or allowed it again; no reply is sent.
	Blocked, Unblocked bool
	// OptOut and OptIn report that the resident asked for no more
	// messages, or for messages again (SMS STOP and START); Help that they
	// asked how the channel works. The event is answered: the answer to an
	// opt-out is the last message sent. An opt-in word from a resident who
	// did not opt out is read as ordinary text.
	OptOut, OptIn, Help bool
	// Phone is the sender's phone number as the channel vouches for it
	// (an SMS's From), in E.164.
	Phone string
	// Ignore marks events that need no answer (an edited message, a
	// group chat); they stay recorded.
	Ignore bool
}

// Rendered is one message ready for the outbox.
type Rendered struct {
	Payload  []byte
	Segments int
}

// Channel is what the processor needs of a channel adapter.
type Channel interface {
	// Name is the channel kind, such as hotline.ChannelTelegram.
	Name() string
	// Decode reads a recorded payload.
	Decode(payload []byte) (Event, error)
	// Acknowledge tells the channel an event was received (answers a
	// Telegram callback query). It is called before the event is handled.
	Acknowledge(ctx context.Context, e Event) error
	// Render turns the engine's replies into messages for address.
	Render(address, lang string, out []bot.Outbound) ([]Rendered, error)
}

// TxSessions is a session store that can save a session inside a store
// transaction, so the session and the replies it led to commit together.
type TxSessions interface {
	PutTx(ctx context.Context, tx hotline.Tx, key string, s *bot.Session) error
}

// errTaken means another handler marked the event processed first.
var errTaken = errors.New("inbound event already processed")

// metered reports whether a channel says its messages are paid by length
// (it has a Metered method returning true).
func metered(ch Channel) bool {
	m, ok := ch.(interface{ Metered() bool })
	return ok && m.Metered()
}

// Processor handles inbound events.
type Processor struct {
	Store    hotline.Store
	Engine   *bot.Engine
	Sessions bot.Sessions
	Channels []Channel
	Log      *slog.Logger
	Now      func() time.Time
	// Tickets opens the tickets forms lead to.
	Tickets tickets.Opener
	// Parallel caps how many addresses are handled at once.
	Parallel int
	// MaxAttempts is how often an event is tried before it is set aside
	// with its error (its payload stays recorded).
	MaxAttempts int
	// Sent is called after replies were queued, to wake the dispatcher.
	Sent func()

	// Counts for monitoring: events handled, attempts that failed, and
	// events set aside after failing MaxAttempts times.
	Processed, Failed, SetAside atomic.Int64

	once sync.Once
	wake chan struct{}
}

func (p *Processor) init() { p.once.Do(p.defaults) }

func (p *Processor) defaults() {
	p.wake = make(chan struct{}, 1)
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	if p.Parallel <= 0 {
		p.Parallel = 8
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.Tickets.Prefix == "" {
		p.Tickets.Prefix = "YK"
	}
}

// Wake tells the processor new events were recorded. It never blocks.
func (p *Processor) Wake() {
	p.init()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *Processor) channel(name string) Channel {
	for _, c := range p.Channels {
		if c.Name() == name {
			return c
		}
	}
	return nil
}

// done is what a worker reports: how many events of its conversation it
// handled, and why it stopped early, if it did.
type done struct {
	key     string
	handled int
	err     error
}

// maxQueued caps the events held in memory; the rest wait in the store.
const maxQueued = 5000

// Run processes events until ctx ends, then waits for the events in hand.
// It reads each new event from the store once, keeps a queue per
// conversation in memory, and runs one worker per conversation at a time.
// An event that fails stays at the head of its queue and is retried with
// backoff; after MaxAttempts it is set aside.
func (p *Processor) Run(ctx context.Context) error {
	p.init()
	var names []string
	for _, c := range p.Channels {
		names = append(names, c.Name())
	}
	var cursor int64
	queues := map[string][]hotline.Inbound{}
	// order lists conversations in the order they got waiting events, so
	// the longest waiting go first.
	var order []string
	queued := 0
	busy := map[string]bool{}
	notBefore := map[string]time.Time{}
	failures := map[int64]int{}
	results := make(chan done)
	running := 0
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		for queued < maxQueued {
			pending, err := p.Store.PendingInbound(ctx, names, cursor, min(1000, maxQueued-queued))
			if err != nil {
				if ctx.Err() == nil {
					p.Log.Error("read pending inbound", "err", err)
				}
				break
			}
			for _, in := range pending {
				key := in.Channel + ":" + in.Address
				if len(queues[key]) == 0 {
					order = append(order, key)
				}
				queues[key] = append(queues[key], in)
				cursor = in.ID
			}
			queued += len(pending)
			if len(pending) < 1000 {
				break
			}
		}
		now := p.Now()
		for _, key := range order {
			if running >= p.Parallel {
				break
			}
			if busy[key] || now.Before(notBefore[key]) {
				continue
			}
			busy[key] = true
			running++
			items := queues[key]
			go func() {
				n, err := p.processAll(ctx, items)
				results <- done{key: key, handled: n, err: err}
			}()
		}
		select {
		case <-ctx.Done():
			for ; running > 0; running-- {
				<-results
			}
			return nil
		case r := <-results:
			running--
			delete(busy, r.key)
			q := queues[r.key]
			handled := r.handled
			if r.err != nil && ctx.Err() == nil {
				p.Failed.Add(1)
				failed := q[handled]
				failures[failed.ID]++
				n := failures[failed.ID]
				p.Log.Error("process inbound", "inbound_id", failed.ID, "channel", failed.Channel, "attempt", n, "err", r.err)
				notBefore[r.key] = p.Now().Add(time.Duration(n) * time.Second)
				if n >= p.MaxAttempts && p.setAside(ctx, failed.ID, r.err) {
					delete(failures, failed.ID)
					delete(notBefore, r.key)
					handled++
				}
			}
			queued -= handled
			if q = q[handled:]; len(q) == 0 {
				delete(queues, r.key)
				order = slices.DeleteFunc(order, func(k string) bool { return k == r.key })
			} else {
				queues[r.key] = q
			}
		case <-p.wake:
		case <-tick.C:
		}
	}
}

// setAside marks an event that keeps failing as processed with its error,
// so the resident's later messages are not held up behind it. Its payload
// stays recorded.
func (p *Processor) setAside(ctx context.Context, id int64, cause error) bool {
	err := p.Store.Update(ctx, func(tx hotline.Tx) error {
		return tx.MarkInboundProcessed(ctx, id, cause.Error(), p.Now())
	})
	if err != nil {
		p.Log.Error("set aside inbound", "inbound_id", id, "err", err)
		return false
	}
	p.Log.Error("inbound set aside after repeated failures; its payload is kept", "inbound_id", id)
	p.SetAside.Add(1)
	return true
}

// processAll handles a conversation's events in order and says how many
// it handled before one failed.
func (p *Processor) processAll(ctx context.Context, items []hotline.Inbound) (int, error) {
	for i, in := range items {
		if err := p.Process(ctx, in); err != nil {
			return i, err
		}
		p.Processed.Add(1)
	}
	return len(items), nil
}

// ProcessAddress handles every pending event of one address now, in order.
// A terminal channel uses it to answer at once.
func (p *Processor) ProcessAddress(ctx context.Context, channel, address string) error {
	p.init()
	pending, err := p.Store.PendingInbound(ctx, []string{channel}, 0, 0)
	if err != nil {
		return fmt.Errorf("read pending inbound: %w", err)
	}
	for _, in := range pending {
		if in.Address != address {
			continue
		}
		if err := p.Process(ctx, in); err != nil {
			return err
		}
	}
	return nil
}

// Process handles one recorded event. An error means nothing was changed
// and the event should be tried again. A panic while handling it is
// turned into such an error: one bad event must not stop the hotline.
func (p *Processor) Process(ctx context.Context, in hotline.Inbound) (err error) {
	p.init()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic handling inbound %d: %v", in.ID, r)
		}
	}()
	ch := p.channel(in.Channel)
	if ch == nil {
		return fmt.Errorf("no channel %q", in.Channel)
	}
	ev, err := ch.Decode(in.Payload)
	if err != nil {
		// A payload the channel cannot read will not get better: keep it
		// and move on.
		p.Log.Error("decode inbound", "inbound_id", in.ID, "channel", in.Channel, "err", err)
		return p.Store.Update(ctx, func(tx hotline.Tx) error {
			return tx.MarkInboundProcessed(ctx, in.ID, "decode: "+err.Error(), p.Now())
		})
	}
	if ev.CallbackID != "" {
		if err := ch.Acknowledge(ctx, ev); err != nil {
			p.Log.Warn("acknowledge callback", "inbound_id", in.ID, "channel", in.Channel, "err", err)
		}
	}
	key := in.Channel + ":" + in.Address
	session, err := p.Sessions.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("load session: %w", err)
	}
	if session == nil {
		session = &bot.Session{}
	}
	now := p.Now()
	addr := hotline.Address{Channel: in.Channel, ID: in.Address}
	sent, savedInTx := false, false
	err = p.Store.Update(ctx, func(tx hotline.Tx) error {
		done := func() error {
			err := tx.MarkInboundProcessed(ctx, in.ID, "", now)
			if errors.Is(err, hotline.ErrConflict) {
				return errTaken
			}
			return err
		}
		res, err := tx.FindResidentByAddress(ctx, addr)
		switch {
		case errors.Is(err, hotline.ErrNotFound):
			if ev.Ignore || ev.Blocked || ev.Unblocked {
				return done()
			}
			res = &hotline.Resident{CreatedAt: now, UpdatedAt: now}
			if err := tx.CreateResident(ctx, res, addr); err != nil {
				return fmt.Errorf("create resident: %w", err)
			}
		case err != nil:
			return fmt.Errorf("find resident: %w", err)
		}
		if ev.Blocked || ev.Unblocked {
			if err := tx.SetAddressBlocked(ctx, addr, ev.Blocked, now); err != nil {
				return fmt.Errorf("mark address: %w", err)
			}
			return done()
		}
		if ev.Ignore {
			return done()
		}
		st, err := tx.FindAddressState(ctx, addr)
		if err != nil {
			return fmt.Errorf("find address state: %w", err)
		}
		if st.BlockedAt != nil {
			// Writing to us again undoes a block.
			if err := tx.SetAddressBlocked(ctx, addr, false, now); err != nil {
				return fmt.Errorf("unblock address: %w", err)
			}
		}
		optedOut := st.OptedOutAt != nil
		switch {
		case ev.OptOut:
			if err := tx.SetAddressOptedOut(ctx, addr, true, now); err != nil {
				return fmt.Errorf("record opt-out: %w", err)
			}
			ev.In = bot.Inbound{Kind: bot.KindCommand, Text: "unsubscribe"}
		case ev.OptIn && optedOut:
			if err := tx.SetAddressOptedOut(ctx, addr, false, now); err != nil {
				return fmt.Errorf("record opt-in: %w", err)
			}
			ev.In, optedOut = bot.Inbound{Kind: bot.KindCommand, Text: "resubscribe"}, false
		case ev.Help:
			ev.In = bot.Inbound{Kind: bot.KindCommand, Text: "help"}
		case optedOut:
			// An opted-out resident gets nothing until they opt in again;
			// what they wrote stays recorded.
			return done()
		}
		if ev.Phone != "" && res.Phone == "" {
			res.Phone, res.UpdatedAt = ev.Phone, now
			if err := tx.UpdateResident(ctx, res); err != nil {
				return fmt.Errorf("save phone: %w", err)
			}
		}
		turn := &bot.Turn{
			Resident: &bot.Resident{Lang: res.Lang, Phone: res.Phone, Channel: in.Channel, Metered: metered(ch)},
			Session:  cloneSession(session),
			Actions: &actions{tx: tx, res: res, inbound: in.ID, channel: in.Channel, now: now,
				opener: p.Tickets},
		}
		out, err := p.Engine.Handle(ctx, turn, ev.In)
		if err != nil {
			return err
		}
		rendered, err := ch.Render(in.Address, turn.Resident.Lang, out)
		if err != nil {
			return fmt.Errorf("render replies: %w", err)
		}
		msgs := make([]*hotline.Outbox, len(rendered))
		for i, r := range rendered {
			msgs[i] = &hotline.Outbox{
				Channel: in.Channel, Address: in.Address, ResidentID: res.ID,
				Payload: r.Payload, Segments: r.Segments, CreatedAt: now, NextAttemptAt: now,
				// Answers to an opted-out resident (the opt-out's
				// confirmation, help) go out regardless.
				Notice: ev.OptOut || optedOut,
			}
		}
		if err := tx.EnqueueOutbox(ctx, msgs...); err != nil {
			return fmt.Errorf("queue replies: %w", err)
		}
		session = turn.Session
		sent = len(msgs) > 0
		if txs, ok := p.Sessions.(TxSessions); ok {
			savedInTx = true
			if err := txs.PutTx(ctx, tx, key, session); err != nil {
				return fmt.Errorf("save session: %w", err)
			}
		}
		return done()
	})
	if errors.Is(err, errTaken) {
		// Another handler (a webhook answering in TwiML, another
		// instance) took this event first; what this one did rolled back.
		return nil
	}
	if err != nil {
		return err
	}
	if !savedInTx {
		if err := p.Sessions.Put(ctx, key, session); err != nil {
			// The replies are queued; the resident may have to answer again.
			p.Log.Error("save session", "channel", in.Channel, "err", err)
		}
	}
	if sent && p.Sent != nil {
		p.Sent()
	}
	return nil
}

func cloneSession(s *bot.Session) *bot.Session {
	c := *s
	if s.Answers != nil {
		c.Answers = make(map[string]string, len(s.Answers))
		for k, v := range s.Answers {
			c.Answers[k] = v
		}
	}
	c.Menu = append([]bot.Choice(nil), s.Menu...)
	c.Offered = append([]string(nil), s.Offered...)
	return &c
}
