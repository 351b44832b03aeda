package storetest

import (
	"testing"
	"time"

	"github.com/tongxin/tongxin/internal/hotline"
)

func testUpdate(t *testing.T, open func(t *testing.T) hotline.Store) {
	a := hotline.Address{Channel: hotline.ChannelTelegram, ID: "100"}

	// write does one of everything a transaction can do, as handling a
	// message would, and reads its own writes back.
	write := func(t *testing.T, s hotline.Store, in *hotline.Inbound) func(tx hotline.Tx) error {
		ctx := t.Context()
		return func(tx hotline.Tx) error {
			r := &hotline.Resident{Lang: "ug", CreatedAt: t0, UpdatedAt: t0}
			if err := tx.CreateResident(ctx, r, a); err != nil {
				return err
			}
			if got, err := tx.FindResidentByAddress(ctx, a); err != nil {
				t.Errorf("transaction does not see its own resident: %v", err)
			} else {
				diff(t, "resident inside the transaction", r, got)
			}
			if _, err := s.FindResidentByAddress(ctx, a); err == nil {
				t.Error("resident visible outside the transaction before commit")
			}
			n, err := tx.NextTicketNumber(ctx, "YK", 2026)
			if err != nil {
				return err
			}
			tk := newTicket(n, r.ID)
			if err := tx.CreateTicket(ctx, tk); err != nil {
				return err
			}
			if err := tx.AppendEvent(ctx, &hotline.Event{TicketID: tk.ID, Kind: hotline.EventCreated, Actor: "resident", At: t0}); err != nil {
				return err
			}
			if err := tx.RecordConsent(ctx, &hotline.Consent{ResidentID: r.ID, Purpose: "legal_details", Version: "v1", Granted: true, CreatedAt: t0}); err != nil {
				return err
			}
			if err := tx.EnqueueOutbox(ctx, msg(a.Channel, a.ID, "ticket created", t0)); err != nil {
				return err
			}
			if err := tx.PutBureau(ctx, hotline.Bureau{Code: hotline.BureauJustice, NameZh: "司法局"}); err != nil {
				return err
			}
			return tx.MarkInboundProcessed(ctx, in.ID, "", at(time.Second))
		}
	}
	record := func(t *testing.T, s hotline.Store) *hotline.Inbound {
		in := &hotline.Inbound{Channel: a.Channel, ExtID: "1", Address: a.ID, Payload: []byte("hi"), ReceivedAt: t0}
		_, err := s.RecordInbound(t.Context(), in)
		must(t, "RecordInbound", err)
		return in
	}

	t.Run("commit", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		in := record(t, s)
		update(t, s, write(t, s, in))
		r, err := s.FindResidentByAddress(ctx, a)
		must(t, "FindResidentByAddress", err)
		ts, err := s.FindTickets(ctx, hotline.TicketFilter{ResidentID: &r.ID})
		must(t, "FindTickets", err)
		if len(ts) != 1 {
			t.Fatalf("%d tickets after commit, want 1", len(ts))
		}
		evs, err := s.TicketEvents(ctx, ts[0].ID)
		must(t, "TicketEvents", err)
		cs, err := s.Consents(ctx, r.ID)
		must(t, "Consents", err)
		out, err := s.FindOutbox(ctx, hotline.OutboxFilter{})
		must(t, "FindOutbox", err)
		_, err = s.FindBureau(ctx, hotline.BureauJustice)
		must(t, "FindBureau", err)
		pending, err := s.PendingInbound(ctx, []string{a.Channel}, 0, 0)
		must(t, "PendingInbound", err)
		if len(evs) != 1 || len(cs) != 1 || len(out) != 1 || len(pending) != 0 {
			t.Errorf("after commit: %d events, %d consents, %d outbox, %d pending inbound; want 1, 1, 1, 0",
				len(evs), len(cs), len(out), len(pending))
		}
	})

	t.Run("rollback", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		in := record(t, s)
		do := write(t, s, in)
		err := s.Update(ctx, func(tx hotline.Tx) error {
			if err := do(tx); err != nil {
				t.Errorf("writing: %v", err)
			}
			return errBoom
		})
		wantErr(t, "Update", err, errBoom)

		_, err = s.FindResidentByAddress(ctx, a)
		wantErr(t, "FindResidentByAddress", err, hotline.ErrNotFound)
		ts, err := s.FindTickets(ctx, hotline.TicketFilter{})
		must(t, "FindTickets", err)
		out, err := s.FindOutbox(ctx, hotline.OutboxFilter{})
		must(t, "FindOutbox", err)
		bureaus, err := s.Bureaus(ctx)
		must(t, "Bureaus", err)
		pending, err := s.PendingInbound(ctx, []string{a.Channel}, 0, 0)
		must(t, "PendingInbound", err)
		if len(ts) != 0 || len(out) != 0 || len(bureaus) != 0 || len(pending) != 1 {
			t.Errorf("after rollback: %d tickets, %d outbox, %d bureaus, %d pending inbound; want 0, 0, 0, 1",
				len(ts), len(out), len(bureaus), len(pending))
		}

		// The store is usable afterwards, and the same work commits.
		update(t, s, write(t, s, in))
		_, err = s.FindResidentByAddress(ctx, a)
		must(t, "FindResidentByAddress after a second try", err)
	})

	t.Run("error of a method rolls back all", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		newResident(t, s, a)
		other := hotline.Address{Channel: hotline.ChannelSMS, ID: "+8613800000001"}
		err := s.Update(ctx, func(tx hotline.Tx) error {
			if err := tx.CreateResident(ctx, &hotline.Resident{CreatedAt: t0, UpdatedAt: t0}, other); err != nil {
				return err
			}
			if err := tx.EnqueueOutbox(ctx, msg(other.Channel, other.ID, "welcome", t0)); err != nil {
				return err
			}
			return tx.CreateResident(ctx, &hotline.Resident{CreatedAt: t0, UpdatedAt: t0}, a)
		})
		wantErr(t, "Update", err, hotline.ErrConflict)
		_, err = s.FindResidentByAddress(ctx, other)
		wantErr(t, "FindResidentByAddress", err, hotline.ErrNotFound)
		out, err := s.FindOutbox(ctx, hotline.OutboxFilter{})
		must(t, "FindOutbox", err)
		diff(t, "outbox", []hotline.Outbox(nil), out)
	})
}
