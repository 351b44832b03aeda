package storetest

import (
	"testing"
	"time"

	"github.com/tongxin/tongxin/internal/hotline"
)

// enqueue stores messages in one transaction.
func enqueue(t *testing.T, s hotline.Store, msgs ...*hotline.Outbox) {
	t.Helper()
	update(t, s, func(tx hotline.Tx) error { return tx.EnqueueOutbox(t.Context(), msgs...) })
	for _, m := range msgs {
		if m.ID == 0 {
			t.Fatal("EnqueueOutbox did not set the ID")
		}
	}
}

// msg returns a pending message to an address, due at due.
func msg(channel, address, text string, due time.Time) *hotline.Outbox {
	return &hotline.Outbox{Channel: channel, Address: address, Payload: []byte(text), CreatedAt: t0, NextAttemptAt: due}
}

// ids returns the IDs of msgs.
func ids(msgs []hotline.Outbox) []int64 {
	var out []int64
	for _, m := range msgs {
		out = append(out, m.ID)
	}
	return out
}

// values dereferences msgs.
func values(msgs ...*hotline.Outbox) []hotline.Outbox {
	var out []hotline.Outbox
	for _, m := range msgs {
		out = append(out, *m)
	}
	return out
}

func testOutbox(t *testing.T, open func(t *testing.T) hotline.Store) {
	t.Run("defaults", func(t *testing.T) {
		s := open(t)
		before := time.Now().Add(-time.Minute)
		m := &hotline.Outbox{Channel: hotline.ChannelTelegram, Address: "100", Payload: []byte(`{"text":"ياخشىمۇسىز"}`)}
		enqueue(t, s, m)
		if m.Status != hotline.OutboxPending {
			t.Errorf("Status = %q, want %q", m.Status, hotline.OutboxPending)
		}
		if m.CreatedAt.Before(before) || m.CreatedAt.After(time.Now().Add(time.Minute)) {
			t.Errorf("CreatedAt = %v, want about now", m.CreatedAt)
		}
		if !m.NextAttemptAt.Equal(m.CreatedAt) {
			t.Errorf("NextAttemptAt = %v, want CreatedAt %v", m.NextAttemptAt, m.CreatedAt)
		}
		got, err := s.FindOutbox(t.Context(), hotline.OutboxFilter{})
		must(t, "FindOutbox", err)
		diff(t, "outbox", values(m), got)

		explicit := &hotline.Outbox{Channel: hotline.ChannelSMS, Address: "+8613800000001", Payload: []byte("hi"), CreatedAt: t0}
		enqueue(t, s, explicit)
		if !explicit.NextAttemptAt.Equal(t0) {
			t.Errorf("NextAttemptAt = %v, want CreatedAt %v", explicit.NextAttemptAt, t0)
		}
	})

	t.Run("round trip", func(t *testing.T) {
		s := open(t)
		r := newResident(t, s, hotline.Address{Channel: hotline.ChannelSMS, ID: "+8613800000001"})
		m := &hotline.Outbox{Channel: hotline.ChannelSMS, Address: "+8613800000001", ResidentID: r.ID,
			Payload: []byte("您的工单 YK-2026-000001 已受理"), Status: hotline.OutboxPending,
			NextAttemptAt: at(time.Minute), Segments: 2, CreatedAt: t0}
		notice := &hotline.Outbox{Channel: hotline.ChannelSMS, Address: "+8613800000001", ResidentID: r.ID,
			Payload: []byte("您已退订"), Status: hotline.OutboxPending, NextAttemptAt: at(time.Minute),
			Segments: 1, Notice: true, CreatedAt: t0}
		enqueue(t, s, m, notice)
		got, err := s.FindOutbox(t.Context(), hotline.OutboxFilter{})
		must(t, "FindOutbox", err)
		diff(t, "outbox", values(notice, m), got)
	})

	t.Run("find", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		ms := []*hotline.Outbox{
			msg(hotline.ChannelTelegram, "1", "a", t0),
			msg(hotline.ChannelSMS, "1", "b", t0),
			msg(hotline.ChannelTelegram, "2", "c", t0),
			msg(hotline.ChannelTelegram, "1", "d", t0),
		}
		enqueue(t, s, ms...)
		increasing(t, "enqueued", []int64{ms[0].ID, ms[1].ID, ms[2].ID, ms[3].ID})
		must(t, "MarkOutboxSent", s.MarkOutboxSent(ctx, ms[0].ID, "p1", at(time.Second)))
		sent, err := s.FindOutbox(ctx, hotline.OutboxFilter{Status: ptr(hotline.OutboxSent)})
		must(t, "FindOutbox", err)
		if len(sent) != 1 {
			t.Fatalf("FindOutbox(sent) returned %d messages, want 1", len(sent))
		}
		tests := []struct {
			name   string
			filter hotline.OutboxFilter
			want   []hotline.Outbox
		}{
			{"all, newest first", hotline.OutboxFilter{}, []hotline.Outbox{*ms[3], *ms[2], *ms[1], sent[0]}},
			{"status", hotline.OutboxFilter{Status: ptr(hotline.OutboxPending)}, values(ms[3], ms[2], ms[1])},
			{"channel", hotline.OutboxFilter{Channel: ptr(hotline.ChannelTelegram)}, []hotline.Outbox{*ms[3], *ms[2], sent[0]}},
			{"address on a channel", hotline.OutboxFilter{Channel: ptr(hotline.ChannelTelegram), Address: ptr("1")}, []hotline.Outbox{*ms[3], sent[0]}},
			{"address on any channel", hotline.OutboxFilter{Address: ptr("1")}, []hotline.Outbox{*ms[3], *ms[1], sent[0]}},
			{"limit", hotline.OutboxFilter{Limit: 2}, values(ms[3], ms[2])},
			{"nothing", hotline.OutboxFilter{Status: ptr(hotline.OutboxParked)}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.FindOutbox(ctx, tt.filter)
				must(t, "FindOutbox", err)
				diff(t, "outbox", tt.want, got)
			})
		}
	})
}

func testDueOutbox(t *testing.T, open func(t *testing.T) hotline.Store) {
	tg, sms := hotline.ChannelTelegram, hotline.ChannelSMS
	now := at(time.Hour)

	t.Run("an earlier message holds back later ones", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		late := msg(tg, "A", "A1 waits for a retry", now.Add(time.Minute))
		dueA := msg(tg, "A", "A2 is due but must wait for A1", now.Add(-time.Hour))
		b1 := msg(tg, "B", "B1", now.Add(-time.Minute))
		b2 := msg(tg, "B", "B2", now.Add(-time.Hour))
		c1 := msg(tg, "C", "C1 due exactly now", now)
		enqueue(t, s, late, dueA, b1, b2, c1)

		got, err := s.DueOutbox(ctx, []string{tg}, now, 0)
		must(t, "DueOutbox", err)
		diff(t, "due", values(b1, c1), got)

		must(t, "MarkOutboxSent", s.MarkOutboxSent(ctx, b1.ID, "p-b1", now))
		got, err = s.DueOutbox(ctx, []string{tg}, now, 0)
		must(t, "DueOutbox after B1 was sent", err)
		diff(t, "due", values(b2, c1), got)

		got, err = s.DueOutbox(ctx, []string{tg}, now.Add(time.Minute), 0)
		must(t, "DueOutbox once A1 is due", err)
		diff(t, "due", values(late, b2, c1), got)

		// A parked message no longer holds its address back.
		must(t, "FailOutbox", s.FailOutbox(ctx, late.ID, hotline.OutboxParked, "kept failing"))
		got, err = s.DueOutbox(ctx, []string{tg}, now, 0)
		must(t, "DueOutbox after A1 was parked", err)
		diff(t, "due", values(dueA, b2, c1), got)
	})

	t.Run("one per address, across addresses and channels", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		var all []*hotline.Outbox
		for _, m := range []struct{ ch, addr, text string }{
			{tg, "1", "t1-a"}, {tg, "2", "t2-a"}, {sms, "1", "s1-a"}, {tg, "1", "t1-b"},
			{hotline.ChannelVoice, "1", "v1-a"}, {tg, "3", "t3-a"}, {sms, "1", "s1-b"}, {tg, "2", "t2-b"},
		} {
			all = append(all, msg(m.ch, m.addr, m.text, t0))
		}
		enqueue(t, s, all...)
		tests := []struct {
			name     string
			channels []string
			now      time.Time
			limit    int
			want     []hotline.Outbox
		}{
			{"one channel", []string{tg}, now, 0, values(all[0], all[1], all[5])},
			{"same address on two channels", []string{sms, tg}, now, 0, values(all[0], all[1], all[2], all[5])},
			{"limit", []string{tg, sms}, now, 2, values(all[0], all[1])},
			{"channel with nothing", []string{hotline.ChannelChat}, now, 0, nil},
			{"no channels", nil, now, 0, nil},
			{"nothing due yet", []string{tg, sms}, t0.Add(-time.Microsecond), 0, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.DueOutbox(ctx, tt.channels, tt.now, tt.limit)
				must(t, "DueOutbox", err)
				diff(t, "due", tt.want, got)
			})
		}
	})
}

func testOutboxDelivery(t *testing.T, open func(t *testing.T) hotline.Store) {
	tg := hotline.ChannelTelegram

	t.Run("sent", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		m := msg(tg, "1", "hello", t0)
		enqueue(t, s, m)
		sentAt := at(time.Second)
		must(t, "MarkOutboxSent", s.MarkOutboxSent(ctx, m.ID, "tg-555", sentAt))
		want := *m
		want.Status, want.ProviderID, want.SentAt = hotline.OutboxSent, "tg-555", &sentAt
		got, err := s.FindOutbox(ctx, hotline.OutboxFilter{})
		must(t, "FindOutbox", err)
		diff(t, "sent message", []hotline.Outbox{want}, got)
		due, err := s.DueOutbox(ctx, []string{tg}, at(time.Hour), 0)
		must(t, "DueOutbox", err)
		diff(t, "due after sending", []hotline.Outbox(nil), due)
	})

	t.Run("retry", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		m := msg(tg, "1", "hello", t0)
		enqueue(t, s, m)
		want := *m
		steps := []struct {
			name     string
			next     time.Time
			errText  string
			count    bool
			attempts int
		}{
			{"counted failure", at(time.Minute), "502 bad gateway", true, 1},
			{"rate limited, not counted", at(2 * time.Minute), "429 too many requests", false, 1},
			{"counted again", at(5 * time.Minute), "timeout", true, 2},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				must(t, "RetryOutbox", s.RetryOutbox(ctx, m.ID, st.next, st.errText, st.count))
				want.NextAttemptAt, want.LastError, want.Attempts = st.next, st.errText, st.attempts
				got, err := s.FindOutbox(ctx, hotline.OutboxFilter{})
				must(t, "FindOutbox", err)
				diff(t, "retried message", []hotline.Outbox{want}, got)

				due, err := s.DueOutbox(ctx, []string{tg}, st.next.Add(-time.Microsecond), 0)
				must(t, "DueOutbox", err)
				diff(t, "due before the next attempt", []hotline.Outbox(nil), due)
				due, err = s.DueOutbox(ctx, []string{tg}, st.next, 0)
				must(t, "DueOutbox", err)
				diff(t, "due at the next attempt", []hotline.Outbox{want}, due)
			})
		}
	})

	t.Run("fail", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		parked, blocked, kept := msg(tg, "1", "p", t0), msg(tg, "2", "b", t0), msg(tg, "3", "k", t0)
		enqueue(t, s, parked, blocked, kept)
		tests := []struct {
			name   string
			m      *hotline.Outbox
			status string
			err    error
		}{
			{"parked", parked, hotline.OutboxParked, nil},
			{"blocked", blocked, hotline.OutboxBlocked, nil},
			{"sent is not a failure", kept, hotline.OutboxSent, hotline.ErrInvalid},
			{"pending is not a failure", kept, hotline.OutboxPending, hotline.ErrInvalid},
			{"no status", kept, "", hotline.ErrInvalid},
			{"made up status", kept, "lost", hotline.ErrInvalid},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := s.FailOutbox(ctx, tt.m.ID, tt.status, "because")
				if tt.err != nil {
					wantErr(t, "FailOutbox", err, tt.err)
					return
				}
				must(t, "FailOutbox", err)
				tt.m.Status, tt.m.LastError = tt.status, "because"
			})
		}
		got, err := s.FindOutbox(ctx, hotline.OutboxFilter{})
		must(t, "FindOutbox", err)
		diff(t, "outbox", values(kept, blocked, parked), got)
		due, err := s.DueOutbox(ctx, []string{tg}, at(time.Hour), 0)
		must(t, "DueOutbox", err)
		diff(t, "due", values(kept), due)
	})

	t.Run("not found", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		wantErr(t, "MarkOutboxSent", s.MarkOutboxSent(ctx, missingID, "x", t0), hotline.ErrNotFound)
		wantErr(t, "RetryOutbox", s.RetryOutbox(ctx, missingID, t0, "x", true), hotline.ErrNotFound)
		wantErr(t, "FailOutbox", s.FailOutbox(ctx, missingID, hotline.OutboxParked, "x"), hotline.ErrNotFound)
	})
}
