package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/tongxin/tongxin/internal/hotline"
)

// workers is how many goroutines race in each concurrency test.
const workers = 20

func testConcurrency(t *testing.T, open func(t *testing.T) hotline.Store) {
	t.Run("same inbound event", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		dups := make([]bool, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				in := &hotline.Inbound{Channel: hotline.ChannelTelegram, ExtID: "77", Address: "1",
					Payload: []byte("delivery " + strconv.Itoa(i)), ReceivedAt: t0}
				dups[i], errs[i] = s.RecordInbound(ctx, in)
			})
		}
		wg.Wait()
		must(t, "RecordInbound", errors.Join(errs...))
		if n := countFalse(dups); n != 1 {
			t.Errorf("%d deliveries recorded as new, want 1", n)
		}
		pending, err := s.PendingInbound(ctx, []string{hotline.ChannelTelegram}, 0, 0)
		must(t, "PendingInbound", err)
		if len(pending) != 1 {
			t.Errorf("%d events stored, want 1", len(pending))
		}
	})

	t.Run("ticket numbers", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				errs[i] = s.Update(ctx, func(tx hotline.Tx) error {
					n, err := tx.NextTicketNumber(ctx, "YK", 2026)
					if err != nil {
						return err
					}
					return tx.CreateTicket(ctx, newTicket(n, 0))
				})
			})
		}
		wg.Wait()
		must(t, "reserve and create", errors.Join(errs...))
		ts, err := s.FindTickets(ctx, hotline.TicketFilter{})
		must(t, "FindTickets", err)
		var got, want []string
		for i, tk := range ts {
			got = append(got, tk.Number)
			want = append(want, fmt.Sprintf("YK-2026-%06d", i+1))
		}
		slices.Sort(got)
		diff(t, "numbers", want, got)
		if len(got) != workers {
			t.Errorf("%d tickets, want %d", len(got), workers)
		}
	})

	t.Run("same address", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		a := hotline.Address{Channel: hotline.ChannelTelegram, ID: "5"}
		ids := make([]int64, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				r := &hotline.Resident{Lang: "ug", CreatedAt: t0, UpdatedAt: t0}
				errs[i] = s.Update(ctx, func(tx hotline.Tx) error { return tx.CreateResident(ctx, r, a) })
				ids[i] = r.ID
			})
		}
		wg.Wait()
		var winner int64
		wins := 0
		for i, err := range errs {
			switch {
			case err == nil:
				wins++
				winner = ids[i]
			case !errors.Is(err, hotline.ErrConflict):
				t.Errorf("worker %d: got %v, want success or %v", i, err, hotline.ErrConflict)
			}
		}
		if wins != 1 {
			t.Fatalf("%d residents created at one address, want 1", wins)
		}
		r, err := s.FindResidentByAddress(ctx, a)
		must(t, "FindResidentByAddress", err)
		if r.ID != winner {
			t.Errorf("address belongs to resident %d, want the one created, %d", r.ID, winner)
		}
	})

	t.Run("find or create resident", func(t *testing.T) {
		// What handling a first message does: look the address up, create
		// the resident when it is unknown. Racing workers must end up with
		// one resident; a loser may see the winner or a conflict, never
		// another error.
		s := open(t)
		ctx := t.Context()
		a := hotline.Address{Channel: hotline.ChannelSMS, ID: "+8613800000005"}
		ids := make([]int64, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				errs[i] = s.Update(ctx, func(tx hotline.Tx) error {
					r, err := tx.FindResidentByAddress(ctx, a)
					if errors.Is(err, hotline.ErrNotFound) {
						r = &hotline.Resident{CreatedAt: t0, UpdatedAt: t0}
						err = tx.CreateResident(ctx, r, a)
					}
					if err != nil {
						return err
					}
					ids[i] = r.ID
					return nil
				})
			})
		}
		wg.Wait()
		r, err := s.FindResidentByAddress(ctx, a)
		must(t, "FindResidentByAddress", err)
		for i, err := range errs {
			switch {
			case err == nil && ids[i] != r.ID:
				t.Errorf("worker %d got resident %d, want %d", i, ids[i], r.ID)
			case err != nil && !errors.Is(err, hotline.ErrConflict):
				t.Errorf("worker %d: got %v, want success or %v", i, err, hotline.ErrConflict)
			}
		}
	})

	t.Run("no lost ticket updates", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		tk := newTicket("YK-2026-000001", 0)
		tk.Fields = map[string]string{"edits": "0"}
		createTicket(t, s, tk)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				errs[i] = s.Update(ctx, func(tx hotline.Tx) error {
					return tx.UpdateTicket(ctx, tk.ID, func(t *hotline.Ticket) error {
						n, err := strconv.Atoi(t.Fields["edits"])
						if err != nil {
							return err
						}
						t.Fields["edits"] = strconv.Itoa(n + 1)
						return nil
					})
				})
			})
		}
		wg.Wait()
		must(t, "UpdateTicket", errors.Join(errs...))
		got, err := s.FindTicketByNumber(ctx, tk.Number)
		must(t, "FindTicketByNumber", err)
		if got.Fields["edits"] != strconv.Itoa(workers) {
			t.Errorf("%s edits recorded, want %d", got.Fields["edits"], workers)
		}
	})

	t.Run("outbox order per address", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		const addresses, perAddress = 5, 8
		errs := make([]error, addresses)
		var wg sync.WaitGroup
		for a := range addresses {
			wg.Go(func() {
				for i := range perAddress {
					m := msg(hotline.ChannelTelegram, strconv.Itoa(a), strconv.Itoa(i), t0)
					err := s.Update(ctx, func(tx hotline.Tx) error { return tx.EnqueueOutbox(ctx, m) })
					if err != nil {
						errs[a] = err
						return
					}
				}
			})
		}
		wg.Wait()
		must(t, "EnqueueOutbox", errors.Join(errs...))

		// Drain the outbox as a dispatcher would: every address must see its
		// messages in the order they were enqueued, one at a time.
		delivered := map[string][]string{}
		for round := 0; ; round++ {
			due, err := s.DueOutbox(ctx, []string{hotline.ChannelTelegram}, t0, 0)
			must(t, "DueOutbox", err)
			if len(due) == 0 {
				break
			}
			if round >= perAddress {
				t.Fatalf("still %d messages due after %d rounds", len(due), round)
			}
			seen := map[string]bool{}
			for _, m := range due {
				if seen[m.Address] {
					t.Errorf("round %d: two messages due for address %s", round, m.Address)
				}
				seen[m.Address] = true
				delivered[m.Address] = append(delivered[m.Address], string(m.Payload))
				must(t, "MarkOutboxSent", s.MarkOutboxSent(ctx, m.ID, "", t0))
			}
			if len(due) != addresses {
				t.Errorf("round %d: %d messages due, want one for each of %d addresses", round, len(due), addresses)
			}
		}
		var want []string
		for i := range perAddress {
			want = append(want, strconv.Itoa(i))
		}
		for a := range addresses {
			diff(t, "delivery order to "+strconv.Itoa(a), want, delivered[strconv.Itoa(a)])
		}
	})
}

// countFalse counts the false values.
func countFalse(bs []bool) int {
	n := 0
	for _, b := range bs {
		if !b {
			n++
		}
	}
	return n
}
