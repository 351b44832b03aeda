package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/tongxin/tongxin/internal/hotline"
)

// newTicket returns a ticket of a resident with every field set.
func newTicket(number string, residentID int64) *hotline.Ticket {
	return &hotline.Ticket{
		Number:     number,
		Category:   hotline.CategoryLegalAid,
		Priority:   hotline.PriorityHigh,
		Status:     hotline.StatusNew,
		Bureau:     hotline.BureauJustice,
		CoBureau:   hotline.BureauHealth,
		District:   "yingkou.xishi",
		Street:     "yingkou.xishi.shengli",
		Community:  "yingkou.xishi.shengli.pingan",
		ResidentID: residentID,
		Language:   "ug",
		Channel:    hotline.ChannelTelegram,
		Assignee:   "li.wei",
		Fields:     map[string]string{"topic": "wages", "place_note": ""},
		Sensitive: map[string]string{
			"name":        "ئابدۇرېھىم",
			"id_number":   "650102199001011234",
			"description": "工资被拖欠三个月",
		},
		LegalBasis:       "consent",
		CreatedAt:        t0,
		UpdatedAt:        at(time.Minute),
		FirstResponseDue: at(4 * time.Hour),
		ResolutionDue:    at(7 * 24 * time.Hour),
	}
}

// createTicket stores t in its own transaction.
func createTicket(t *testing.T, s hotline.Store, tk *hotline.Ticket) {
	t.Helper()
	update(t, s, func(tx hotline.Tx) error { return tx.CreateTicket(t.Context(), tk) })
	if tk.ID == 0 {
		t.Fatal("CreateTicket did not set the ID")
	}
}

// listed is t as FindTickets returns it: sensitive answers are never listed.
func listed(t *hotline.Ticket) *hotline.Ticket {
	c := *t
	c.Sensitive = nil
	return &c
}

func testTicketNumbers(t *testing.T, open func(t *testing.T) hotline.Store) {
	s := open(t)
	ctx := t.Context()
	tests := []struct {
		prefix string
		year   int
		want   string
	}{
		{"YK", 2026, "YK-2026-000001"},
		{"YK", 2026, "YK-2026-000002"},
		{"YK", 2027, "YK-2027-000001"},
		{"YKT", 2026, "YKT-2026-000001"},
		{"YK", 2026, "YK-2026-000003"},
		{"YK", 2027, "YK-2027-000002"},
	}
	for _, tt := range tests {
		var got string
		update(t, s, func(tx hotline.Tx) error {
			var err error
			got, err = tx.NextTicketNumber(ctx, tt.prefix, tt.year)
			return err
		})
		if got != tt.want {
			t.Errorf("NextTicketNumber(%q, %d) = %q, want %q", tt.prefix, tt.year, got, tt.want)
		}
	}

	t.Run("several in one transaction", func(t *testing.T) {
		var got []string
		update(t, s, func(tx hotline.Tx) error {
			for range 2 {
				n, err := tx.NextTicketNumber(ctx, "YK", 2028)
				if err != nil {
					return err
				}
				got = append(got, n)
			}
			return nil
		})
		diff(t, "numbers", []string{"YK-2028-000001", "YK-2028-000002"}, got)
	})
}

func testTickets(t *testing.T, open func(t *testing.T) hotline.Store) {
	t.Run("round trip", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		r := newResident(t, s, hotline.Address{Channel: hotline.ChannelTelegram, ID: "1"})
		full := newTicket("YK-2026-000001", r.ID)
		bare := &hotline.Ticket{Number: "YK-2026-000002", Category: hotline.CategoryGeneral,
			Priority: hotline.PriorityNormal, Status: hotline.StatusNew, CreatedAt: t0, UpdatedAt: t0}
		for _, tk := range []*hotline.Ticket{full, bare} {
			t.Run(tk.Number, func(t *testing.T) {
				createTicket(t, s, tk)
				got, err := s.FindTicketByNumber(ctx, tk.Number)
				must(t, "FindTicketByNumber", err)
				diff(t, "ticket", tk, got)
				byID, err := s.FindTicketByID(ctx, tk.ID)
				must(t, "FindTicketByID", err)
				diff(t, "ticket by id", tk, byID)
			})
		}
	})

	t.Run("number taken", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		first := newTicket("YK-2026-000007", 0)
		createTicket(t, s, first)
		err := s.Update(ctx, func(tx hotline.Tx) error { return tx.CreateTicket(ctx, newTicket("YK-2026-000007", 0)) })
		wantErr(t, "CreateTicket with a used number", err, hotline.ErrConflict)
		got, err := s.FindTickets(ctx, hotline.TicketFilter{})
		must(t, "FindTickets", err)
		diff(t, "tickets", []*hotline.Ticket{listed(first)}, got)
	})

	t.Run("not found", func(t *testing.T) {
		s := open(t)
		_, err := s.FindTicketByNumber(t.Context(), "YK-2026-999999")
		wantErr(t, "FindTicketByNumber", err, hotline.ErrNotFound)
		_, err = s.FindTicketByID(t.Context(), 999999)
		wantErr(t, "FindTicketByID", err, hotline.ErrNotFound)
	})

	t.Run("find", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		alice := newResident(t, s, hotline.Address{Channel: hotline.ChannelTelegram, ID: "1"})
		bob := newResident(t, s, hotline.Address{Channel: hotline.ChannelSMS, ID: "+8613800000001"})
		var ts []*hotline.Ticket
		for i, c := range []struct {
			resident int64
			bureau   string
			status   string
			category string
		}{
			{alice.ID, hotline.BureauJustice, hotline.StatusNew, hotline.CategoryLegalAid},
			{bob.ID, hotline.BureauEducation, hotline.StatusDispatched, hotline.CategorySchooling},
			{alice.ID, hotline.BureauEducation, hotline.StatusNew, hotline.CategorySchooling},
			{bob.ID, hotline.BureauJustice, hotline.StatusResolved, hotline.CategoryLegalAid},
			{alice.ID, hotline.BureauHRSS, hotline.StatusDispatched, hotline.CategoryJobs},
		} {
			tk := newTicket(fmt.Sprintf("YK-2026-%06d", i+1), c.resident)
			tk.Bureau, tk.Status, tk.Category = c.bureau, c.status, c.category
			tk.CreatedAt = at(time.Duration(i) * time.Minute)
			createTicket(t, s, tk)
			ts = append(ts, tk)
		}
		increasing(t, "tickets", []int64{ts[0].ID, ts[1].ID, ts[2].ID, ts[3].ID, ts[4].ID})
		tests := []struct {
			name   string
			filter hotline.TicketFilter
			want   []*hotline.Ticket
		}{
			{"all, newest first", hotline.TicketFilter{}, []*hotline.Ticket{ts[4], ts[3], ts[2], ts[1], ts[0]}},
			{"resident", hotline.TicketFilter{ResidentID: &alice.ID}, []*hotline.Ticket{ts[4], ts[2], ts[0]}},
			{"bureau", hotline.TicketFilter{Bureau: ptr(hotline.BureauEducation)}, []*hotline.Ticket{ts[2], ts[1]}},
			{"status", hotline.TicketFilter{Status: ptr(hotline.StatusDispatched)}, []*hotline.Ticket{ts[4], ts[1]}},
			{"category", hotline.TicketFilter{Category: ptr(hotline.CategoryLegalAid)}, []*hotline.Ticket{ts[3], ts[0]}},
			{"several", hotline.TicketFilter{ResidentID: &alice.ID, Status: ptr(hotline.StatusNew), Bureau: ptr(hotline.BureauEducation)}, []*hotline.Ticket{ts[2]}},
			{"limit", hotline.TicketFilter{Limit: 2}, []*hotline.Ticket{ts[4], ts[3]}},
			{"filter and limit", hotline.TicketFilter{ResidentID: &bob.ID, Limit: 1}, []*hotline.Ticket{ts[3]}},
			{"nothing matches", hotline.TicketFilter{Bureau: ptr(hotline.BureauTourism)}, nil},
			{"unknown resident", hotline.TicketFilter{ResidentID: ptr(missingID)}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.FindTickets(ctx, tt.filter)
				must(t, "FindTickets", err)
				want := make([]*hotline.Ticket, len(tt.want))
				for i, tk := range tt.want {
					want[i] = listed(tk)
				}
				diff(t, "tickets", want, got)
			})
		}
	})
}

func testUpdateTicket(t *testing.T, open func(t *testing.T) hotline.Store) {
	s := open(t)
	ctx := t.Context()
	r := newResident(t, s, hotline.Address{Channel: hotline.ChannelTelegram, ID: "1"})
	tk := newTicket("YK-2026-000001", r.ID)
	createTicket(t, s, tk)
	other := newTicket("YK-2026-000002", r.ID)
	createTicket(t, s, other)

	t.Run("changes every mutable field", func(t *testing.T) {
		want := *tk
		want.Category, want.Priority, want.Status = hotline.CategoryEmergency, hotline.PriorityUrgent, hotline.StatusDispatched
		want.Bureau, want.CoBureau = hotline.BureauEthnicAffairs, hotline.BureauCivilAffairs
		want.District, want.Street, want.Community = "yingkou.zhanqian", "", ""
		want.Language, want.Channel, want.Assignee = "kk", hotline.ChannelSMS, "wang.fang"
		want.Fields = map[string]string{"topic": "fire"}
		want.Sensitive = map[string]string{"name": "Айгүл", "phone": "+8613800000009"}
		want.LegalBasis = "emergency"
		want.UpdatedAt = at(time.Hour)
		want.FirstResponseDue, want.ResolutionDue = at(15*time.Minute), at(24*time.Hour)
		update(t, s, func(tx hotline.Tx) error {
			return tx.UpdateTicket(ctx, tk.ID, func(got *hotline.Ticket) error {
				diff(t, "ticket given to fn", tk, got)
				id := got.ID
				*got = want
				// ID, Number and CreatedAt are not the function's to change.
				got.ID, got.Number, got.CreatedAt = id+1, "XX-0000-000000", at(-time.Hour)
				return nil
			})
		})
		got, err := s.FindTicketByNumber(ctx, tk.Number)
		must(t, "FindTicketByNumber", err)
		diff(t, "updated ticket", &want, got)
		got, err = s.FindTicketByNumber(ctx, other.Number)
		must(t, "FindTicketByNumber", err)
		diff(t, "other ticket", other, got)
		*tk = want
	})

	t.Run("clears", func(t *testing.T) {
		want := *tk
		want.Assignee, want.Fields, want.Sensitive = "", nil, nil
		want.FirstResponseDue, want.ResolutionDue = time.Time{}, time.Time{}
		update(t, s, func(tx hotline.Tx) error {
			return tx.UpdateTicket(ctx, tk.ID, func(got *hotline.Ticket) error {
				*got = want
				return nil
			})
		})
		got, err := s.FindTicketByNumber(ctx, tk.Number)
		must(t, "FindTicketByNumber", err)
		diff(t, "cleared ticket", &want, got)
		*tk = want
	})

	t.Run("function fails", func(t *testing.T) {
		var fnErr error
		update(t, s, func(tx hotline.Tx) error {
			fnErr = tx.UpdateTicket(ctx, tk.ID, func(got *hotline.Ticket) error {
				got.Status = hotline.StatusClosed
				got.Sensitive = map[string]string{"name": "changed"}
				return errBoom
			})
			return nil // commit whatever UpdateTicket did
		})
		wantErr(t, "UpdateTicket", fnErr, errBoom)
		got, err := s.FindTicketByNumber(ctx, tk.Number)
		must(t, "FindTicketByNumber", err)
		diff(t, "ticket", tk, got)
	})

	t.Run("not found", func(t *testing.T) {
		called := false
		err := s.Update(ctx, func(tx hotline.Tx) error {
			return tx.UpdateTicket(ctx, missingID, func(*hotline.Ticket) error { called = true; return nil })
		})
		wantErr(t, "UpdateTicket", err, hotline.ErrNotFound)
		if called {
			t.Error("fn called for a missing ticket")
		}
	})
}

func testEvents(t *testing.T, open func(t *testing.T) hotline.Store) {
	s := open(t)
	ctx := t.Context()
	a, b := newTicket("YK-2026-000001", 0), newTicket("YK-2026-000002", 0)
	createTicket(t, s, a)
	createTicket(t, s, b)
	events := []hotline.Event{
		{TicketID: a.ID, Kind: hotline.EventCreated, Actor: "resident", Reason: "form completed", At: at(time.Second)},
		{TicketID: a.ID, Kind: hotline.EventRouted, Actor: "system", Reason: "category legal_aid → justice",
			Data: map[string]string{"bureau": hotline.BureauJustice, "rule": "route:legal_aid"}, At: at(2 * time.Second)},
		{TicketID: b.ID, Kind: hotline.EventCreated, Actor: "resident", At: at(3 * time.Second)},
		{TicketID: a.ID, Kind: hotline.EventNote, Actor: "li.wei", Reason: "called back", At: at(4 * time.Second)},
	}
	update(t, s, func(tx hotline.Tx) error {
		for i := range events {
			if err := tx.AppendEvent(ctx, &events[i]); err != nil {
				return err
			}
		}
		return nil
	})
	increasing(t, "events", []int64{events[0].ID, events[1].ID, events[2].ID, events[3].ID})
	tests := []struct {
		name   string
		ticket int64
		want   []hotline.Event
	}{
		{"oldest first", a.ID, []hotline.Event{events[0], events[1], events[3]}},
		{"another ticket", b.ID, []hotline.Event{events[2]}},
		{"unknown ticket", missingID, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.TicketEvents(ctx, tt.ticket)
			must(t, "TicketEvents", err)
			diff(t, "events", tt.want, got)
		})
	}

	t.Run("unknown ticket", func(t *testing.T) {
		err := s.Update(ctx, func(tx hotline.Tx) error {
			return tx.AppendEvent(ctx, &hotline.Event{TicketID: missingID, Kind: hotline.EventNote, At: t0})
		})
		if err == nil {
			t.Error("AppendEvent to a missing ticket succeeded")
		}
	})
}
