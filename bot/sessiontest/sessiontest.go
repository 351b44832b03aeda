// Package sessiontest is the behaviour every bot.Sessions store must have.
package sessiontest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/bot"
)

// Clock is a settable time for the stores under test.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TTL is the lifetime open must give sessions.
const TTL = 30 * time.Minute

// Run checks a session store. open returns an empty store whose sessions
// lapse after TTL, reading the time from clock.
func Run(t *testing.T, open func(t *testing.T, clock *Clock) bot.Sessions) {
	ctx := context.Background()
	sample := &bot.Session{
		Flow: "legal_aid", Step: "details", Seq: 7,
		Answers: map[string]string{"name": "阿依古丽", "phone": "+8613812345678"},
		Menu:    []bot.Choice{{Data: "f7:skip", Label: "跳过"}},
	}
	t.Run("round trip", func(t *testing.T) {
		clock := &Clock{t: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
		s := open(t, clock)
		got, err := s.Get(ctx, "telegram:1")
		if err != nil || got != nil {
			t.Fatalf("empty store: %+v, %v", got, err)
		}
		if err := s.Put(ctx, "telegram:1", sample); err != nil {
			t.Fatal(err)
		}
		got, err = s.Get(ctx, "telegram:1")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(sample, got); d != "" {
			t.Errorf("session (-want +got):\n%s", d)
		}
		// What the caller does to its copy does not reach the store.
		got.Answers["name"] = "changed"
		again, _ := s.Get(ctx, "telegram:1")
		if again.Answers["name"] != "阿依古丽" {
			t.Errorf("store shares memory with its caller")
		}
		if other, _ := s.Get(ctx, "telegram:2"); other != nil {
			t.Errorf("another key sees the session")
		}
	})
	t.Run("expiry", func(t *testing.T) {
		clock := &Clock{t: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
		s := open(t, clock)
		if err := s.Put(ctx, "k", sample); err != nil {
			t.Fatal(err)
		}
		clock.Advance(TTL - time.Second)
		got, _ := s.Get(ctx, "k")
		if got == nil || got.Expired {
			t.Fatalf("session lapsed early: %+v", got)
		}
		// Using it restarts its lifetime.
		if err := s.Put(ctx, "k", got); err != nil {
			t.Fatal(err)
		}
		clock.Advance(TTL - time.Second)
		if got, _ = s.Get(ctx, "k"); got == nil || got.Expired {
			t.Fatalf("Put did not restart the lifetime: %+v", got)
		}
		clock.Advance(TTL + time.Second)
		got, err := s.Get(ctx, "k")
		if err != nil || got == nil || !got.Expired || got.Flow != "legal_aid" {
			t.Fatalf("lapsed session must come back once, marked: %+v, %v", got, err)
		}
		if got, _ = s.Get(ctx, "k"); got != nil {
			t.Fatalf("lapsed session returned twice: %+v", got)
		}
	})
	t.Run("concurrent keys", func(t *testing.T) {
		clock := &Clock{t: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
		s := open(t, clock)
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				key := fmt.Sprint("chat:", i)
				if err := s.Put(ctx, key, &bot.Session{Seq: i}); err != nil {
					errs <- err
					return
				}
				got, err := s.Get(ctx, key)
				if err != nil || got == nil || got.Seq != i {
					errs <- fmt.Errorf("key %s: %+v, %v", key, got, err)
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}
