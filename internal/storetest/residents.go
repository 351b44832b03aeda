package storetest

import (
	"testing"
	"time"

	"github.com/tongxin/tongxin/internal/hotline"
)

func testResidents(t *testing.T, open func(t *testing.T) hotline.Store) {
	t.Run("round trip", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		tg := hotline.Address{Channel: hotline.ChannelTelegram, ID: "100200"}
		tests := []struct {
			name string
			r    hotline.Resident
			a    hotline.Address
		}{
			{"with phone", hotline.Resident{Lang: "ug", Phone: "+8613800000001", CreatedAt: t0, UpdatedAt: at(time.Minute)}, tg},
			{"without phone", hotline.Resident{Lang: "", CreatedAt: t0, UpdatedAt: t0}, hotline.Address{Channel: hotline.ChannelSMS, ID: "+8613800000002"}},
			{"same id on another channel", hotline.Resident{Lang: "kk", CreatedAt: t0, UpdatedAt: t0}, hotline.Address{Channel: hotline.ChannelChat, ID: tg.ID}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := tt.r
				update(t, s, func(tx hotline.Tx) error { return tx.CreateResident(ctx, &r, tt.a) })
				if r.ID == 0 {
					t.Fatal("CreateResident did not set the ID")
				}
				got, err := s.FindResidentByAddress(ctx, tt.a)
				must(t, "FindResidentByAddress", err)
				diff(t, "by address", &r, got)
				got, err = s.FindResidentByID(ctx, r.ID)
				must(t, "FindResidentByID", err)
				diff(t, "by ID", &r, got)
			})
		}
	})

	t.Run("not found", func(t *testing.T) {
		s := open(t)
		_, err := s.FindResidentByAddress(t.Context(), hotline.Address{Channel: hotline.ChannelTelegram, ID: "nobody"})
		wantErr(t, "FindResidentByAddress", err, hotline.ErrNotFound)
		_, err = s.FindResidentByID(t.Context(), missingID)
		wantErr(t, "FindResidentByID", err, hotline.ErrNotFound)
	})

	t.Run("address taken", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		a := hotline.Address{Channel: hotline.ChannelTelegram, ID: "42"}
		first := newResident(t, s, a)
		err := s.Update(ctx, func(tx hotline.Tx) error {
			return tx.CreateResident(ctx, &hotline.Resident{Lang: "kk", CreatedAt: t0, UpdatedAt: t0}, a)
		})
		wantErr(t, "second CreateResident", err, hotline.ErrConflict)
		got, err := s.FindResidentByAddress(ctx, a)
		must(t, "FindResidentByAddress", err)
		diff(t, "owner", first, got)
	})

	t.Run("update", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		a := hotline.Address{Channel: hotline.ChannelSMS, ID: "+8613800000003"}
		r := newResident(t, s, a)
		steps := []struct {
			name  string
			lang  string
			phone string
		}{
			{"set language and phone", "kk", "+8613800000003"},
			{"change phone", "kk", "+8613800000004"},
			{"clear phone", "zh-Hans", ""},
		}
		for i, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				r.Lang, r.Phone, r.UpdatedAt = st.lang, st.phone, at(time.Duration(i+1)*time.Hour)
				update(t, s, func(tx hotline.Tx) error { return tx.UpdateResident(ctx, r) })
				got, err := s.FindResidentByID(ctx, r.ID)
				must(t, "FindResidentByID", err)
				diff(t, "resident", r, got)
			})
		}
		err := s.Update(ctx, func(tx hotline.Tx) error {
			return tx.UpdateResident(ctx, &hotline.Resident{ID: missingID, Lang: "ug", UpdatedAt: t0})
		})
		wantErr(t, "UpdateResident of a missing resident", err, hotline.ErrNotFound)
	})
}

func testAddressState(t *testing.T, open func(t *testing.T) hotline.Store) {
	s := open(t)
	ctx := t.Context()
	a := hotline.Address{Channel: hotline.ChannelTelegram, ID: "777"}
	r := newResident(t, s, a)
	want := hotline.AddressState{Address: a, ResidentID: r.ID}

	check := func(t *testing.T) {
		t.Helper()
		got, err := s.FindAddressState(ctx, a)
		must(t, "FindAddressState", err)
		diff(t, "address state", &want, got)
	}
	check(t)

	steps := []struct {
		name string
		do   func(tx hotline.Tx) error
		want hotline.AddressState
	}{
		{"blocked", func(tx hotline.Tx) error { return tx.SetAddressBlocked(ctx, a, true, at(time.Hour)) },
			hotline.AddressState{Address: a, ResidentID: r.ID, BlockedAt: ptr(at(time.Hour))}},
		{"opted out too", func(tx hotline.Tx) error { return tx.SetAddressOptedOut(ctx, a, true, at(2*time.Hour)) },
			hotline.AddressState{Address: a, ResidentID: r.ID, BlockedAt: ptr(at(time.Hour)), OptedOutAt: ptr(at(2 * time.Hour))}},
		{"unblocked", func(tx hotline.Tx) error { return tx.SetAddressBlocked(ctx, a, false, at(3*time.Hour)) },
			hotline.AddressState{Address: a, ResidentID: r.ID, OptedOutAt: ptr(at(2 * time.Hour))}},
		{"opted in", func(tx hotline.Tx) error { return tx.SetAddressOptedOut(ctx, a, false, at(4*time.Hour)) },
			hotline.AddressState{Address: a, ResidentID: r.ID}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			update(t, s, st.do)
			want = st.want
			check(t)
		})
	}

	t.Run("unknown address", func(t *testing.T) {
		unknown := hotline.Address{Channel: hotline.ChannelTelegram, ID: "888"}
		_, err := s.FindAddressState(ctx, unknown)
		wantErr(t, "FindAddressState", err, hotline.ErrNotFound)
		err = s.Update(ctx, func(tx hotline.Tx) error { return tx.SetAddressBlocked(ctx, unknown, true, t0) })
		wantErr(t, "SetAddressBlocked", err, hotline.ErrNotFound)
		err = s.Update(ctx, func(tx hotline.Tx) error { return tx.SetAddressOptedOut(ctx, unknown, true, t0) })
		wantErr(t, "SetAddressOptedOut", err, hotline.ErrNotFound)
	})
}

func testConsents(t *testing.T, open func(t *testing.T) hotline.Store) {
	s := open(t)
	ctx := t.Context()
	r := newResident(t, s, hotline.Address{Channel: hotline.ChannelTelegram, ID: "1"})
	other := newResident(t, s, hotline.Address{Channel: hotline.ChannelTelegram, ID: "2"})
	none := newResident(t, s, hotline.Address{Channel: hotline.ChannelTelegram, ID: "3"})

	answers := []hotline.Consent{
		{ResidentID: r.ID, Purpose: "legal_details", Version: "v1", Lang: "ug", Channel: hotline.ChannelTelegram, Granted: true, CreatedAt: at(time.Minute)},
		{ResidentID: other.ID, Purpose: "legal_details", Version: "v1", Lang: "kk", Channel: hotline.ChannelTelegram, Granted: true, CreatedAt: at(2 * time.Minute)},
		{ResidentID: r.ID, Purpose: "health_details", Version: "v2", Lang: "ug", Channel: hotline.ChannelSMS, Granted: true, CreatedAt: at(3 * time.Minute)},
		// Withdrawal is a new answer, not a change to the old one.
		{ResidentID: r.ID, Purpose: "legal_details", Version: "v1", Lang: "ug", Channel: hotline.ChannelTelegram, Granted: false, CreatedAt: at(4 * time.Minute)},
	}
	for i := range answers {
		update(t, s, func(tx hotline.Tx) error { return tx.RecordConsent(ctx, &answers[i]) })
		if answers[i].ID == 0 {
			t.Fatal("RecordConsent did not set the ID")
		}
	}
	tests := []struct {
		name     string
		resident int64
		want     []hotline.Consent
	}{
		{"oldest first", r.ID, []hotline.Consent{answers[0], answers[2], answers[3]}},
		{"another resident", other.ID, []hotline.Consent{answers[1]}},
		{"none", none.ID, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Consents(ctx, tt.resident)
			must(t, "Consents", err)
			diff(t, "consents", tt.want, got)
		})
	}
}
