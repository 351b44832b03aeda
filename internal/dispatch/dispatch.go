// Package dispatch sends the outbox. Messages to one address go out one at
// a time, in the order they were queued, no faster than the channel allows
// for one chat; all addresses of a channel share the channel's overall
// rate. A failed send is retried with backoff, a 429's retry_after is
// honoured without counting against the message, a resident who blocked us
// is marked, and a message that keeps failing is parked for an operator.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/tongxin/tongxin/internal/hotline"
)

// Sender delivers rendered messages of one channel. Its errors steer what
// happens next: *RetryAfterError waits and does not count as a failure,
// ErrBlocked and ErrOptedOut stop sending to the address, *PermanentError
// parks the message at once, and any other error is retried with backoff.
type Sender interface {
	Send(ctx context.Context, m hotline.Outbox) (providerID string, err error)
}

// RetryAfterError says the channel asked us to wait (HTTP 429).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("retry after %s: %v", e.After, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// PermanentError says retrying cannot help (the channel rejected the
// message as malformed).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }

func (e *PermanentError) Unwrap() error { return e.Err }

// ErrBlocked says the resident blocked us (Telegram 403).
var ErrBlocked = errors.New("recipient blocked the sender")

// ErrOptedOut says the gateway knows the resident opted out (SMS STOP,
// Twilio error 21610).
var ErrOptedOut = errors.New("recipient opted out")

// Limits are a channel's sending limits.
type Limits struct {
	// PerSecond and Burst bound the channel's overall rate.
	PerSecond float64
	Burst     int
	// PerAddress is the least time between two messages to one address.
	PerAddress time.Duration
}

// TelegramLimits follow Telegram's published limits: about 30 messages a
// second per bot, one a second per chat. We stay a little under.
var TelegramLimits = Limits{PerSecond: 25, Burst: 25, PerAddress: time.Second}

// Dispatcher sends outbox messages through the senders of their channels.
type Dispatcher struct {
	Store   hotline.Store
	Senders map[string]Sender
	Limits  map[string]Limits
	// MaxAttempts counts failures (not 429s) before a message is parked.
	MaxAttempts int
	// Backoff gives the wait after the n-th failure (n from 1).
	Backoff func(n int) time.Duration
	// Parallel caps sends in flight.
	Parallel int
	Log      *slog.Logger
	Now      func() time.Time

	// Counts for monitoring.
	Sent, Retried, Parked, Blocked atomic.Int64

	once sync.Once
	wake chan struct{}
}

func (d *Dispatcher) init() {
	d.once.Do(func() {
		d.wake = make(chan struct{}, 1)
		if d.MaxAttempts <= 0 {
			d.MaxAttempts = 8
		}
		if d.Backoff == nil {
			d.Backoff = ExponentialBackoff(time.Second, 5*time.Minute)
		}
		if d.Parallel <= 0 {
			d.Parallel = 16
		}
		if d.Log == nil {
			d.Log = slog.New(slog.DiscardHandler)
		}
		if d.Now == nil {
			d.Now = time.Now
		}
	})
}

// ExponentialBackoff doubles from base up to max, with jitter of up to a
// quarter so that retries of many messages spread out.
func ExponentialBackoff(base, max time.Duration) func(int) time.Duration {
	return func(n int) time.Duration {
		d := base
		for i := 1; i < n && d < max; i++ {
			d *= 2
		}
		d = min(d, max)
		return d + time.Duration(rand.Int64N(int64(d)/4+1))
	}
}

// Wake tells the dispatcher new messages were queued. It never blocks.
func (d *Dispatcher) Wake() {
	d.init()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

type sent struct {
	key string
	at  time.Time
}

// Run sends until ctx ends, then waits for the sends in flight.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.init()
	var channels []string
	limiters := map[string]*rate.Limiter{}
	for ch := range d.Senders {
		channels = append(channels, ch)
		l := d.Limits[ch]
		if l.PerSecond > 0 {
			limiters[ch] = rate.NewLimiter(rate.Limit(l.PerSecond), max(l.Burst, 1))
		} else {
			limiters[ch] = rate.NewLimiter(rate.Inf, 1)
		}
	}
	last := map[string]time.Time{}
	inflight := map[string]bool{}
	done := make(chan sent)
	running := 0
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		next := d.Now().Add(time.Second)
		due, err := d.Store.DueOutbox(ctx, channels, d.Now(), 500)
		if err != nil && ctx.Err() == nil {
			d.Log.Error("read due outbox", "err", err)
		}
		for _, m := range due {
			if running >= d.Parallel {
				break
			}
			key := m.Channel + ":" + m.Address
			if inflight[key] {
				continue
			}
			now := d.Now()
			if gap := d.Limits[m.Channel].PerAddress; gap > 0 && now.Sub(last[key]) < gap {
				next = earlier(next, last[key].Add(gap))
				continue
			}
			r := limiters[m.Channel].ReserveN(now, 1)
			if delay := r.DelayFrom(now); delay > 0 {
				r.CancelAt(now)
				next = earlier(next, now.Add(delay))
				continue
			}
			inflight[key] = true
			running++
			go func(m hotline.Outbox, key string) {
				d.send(ctx, m)
				done <- sent{key: key, at: d.Now()}
			}(m, key)
		}
		timer.Reset(max(time.Until(next), time.Millisecond))
		select {
		case <-ctx.Done():
			for ; running > 0; running-- {
				<-done
			}
			return nil
		case s := <-done:
			running--
			delete(inflight, s.key)
			last[s.key] = s.at
			for k, t := range last {
				if s.at.Sub(t) > time.Minute {
					delete(last, k)
				}
			}
		case <-d.wake:
		case <-timer.C:
		}
	}
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// send delivers one message and records the outcome. Sends are cut off by
// their own timeout, not by shutdown, so a message in flight is recorded.
func (d *Dispatcher) send(ctx context.Context, m hotline.Outbox) {
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	log := d.Log.With("outbox_id", m.ID, "channel", m.Channel)
	store := context.WithoutCancel(ctx)
	addr := hotline.Address{Channel: m.Channel, ID: m.Address}
	if st, err := d.Store.FindAddressState(store, addr); err == nil && (st.BlockedAt != nil || st.OptedOutAt != nil && !m.Notice) {
		d.Blocked.Add(1)
		if err := d.Store.FailOutbox(store, m.ID, hotline.OutboxBlocked, "address is blocked or opted out"); err != nil {
			log.Error("record send outcome", "err", err)
		}
		return
	}
	id, err := d.Senders[m.Channel].Send(sendCtx, m)
	var record error
	var retry *RetryAfterError
	var permanent *PermanentError
	switch {
	case err == nil:
		d.Sent.Add(1)
		record = d.Store.MarkOutboxSent(store, m.ID, id, d.Now())
	case errors.As(err, &retry):
		d.Retried.Add(1)
		log.Warn("channel asked to wait", "retry_after", retry.After)
		record = d.Store.RetryOutbox(store, m.ID, d.Now().Add(retry.After), err.Error(), false)
	case errors.Is(err, ErrBlocked):
		log.Info("recipient blocked us; not sending to the address until they write again")
		record = d.stop(store, m, err, func(tx hotline.Tx) error { return tx.SetAddressBlocked(store, addr, true, d.Now()) })
	case errors.Is(err, ErrOptedOut):
		log.Info("recipient opted out at the gateway; not sending until they opt in")
		record = d.stop(store, m, err, func(tx hotline.Tx) error { return tx.SetAddressOptedOut(store, addr, true, d.Now()) })
	case errors.As(err, &permanent):
		d.Parked.Add(1)
		log.Error("channel rejected message; parked", "err", err)
		record = d.Store.FailOutbox(store, m.ID, hotline.OutboxParked, err.Error())
	case m.Attempts+1 >= d.MaxAttempts:
		d.Parked.Add(1)
		log.Error("message keeps failing; parked", "attempts", m.Attempts+1, "err", err)
		record = d.Store.FailOutbox(store, m.ID, hotline.OutboxParked, err.Error())
	default:
		d.Retried.Add(1)
		wait := d.Backoff(m.Attempts + 1)
		log.Warn("send failed; will retry", "attempt", m.Attempts+1, "wait", wait, "err", err)
		record = d.Store.RetryOutbox(store, m.ID, d.Now().Add(wait), err.Error(), true)
	}
	if record != nil {
		log.Error("record send outcome", "err", record)
	}
}

// stop marks the address as one not to send to (mark) and ends the
// message's delivery as blocked.
func (d *Dispatcher) stop(ctx context.Context, m hotline.Outbox, cause error, mark func(hotline.Tx) error) error {
	d.Blocked.Add(1)
	if err := d.Store.Update(ctx, mark); err != nil {
		return err
	}
	return d.Store.FailOutbox(ctx, m.ID, hotline.OutboxBlocked, cause.Error())
}
