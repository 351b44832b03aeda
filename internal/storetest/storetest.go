// Package storetest is the conformance suite every hotline.Store backend
// must pass. It checks, through the interface only, what a user of a store
// relies on: round trips, the errors hotline documents, ordering rules,
// transactions and behaviour under concurrent use.
//
// The suite assumes nothing about a backend beyond the contract: IDs are
// compared only by their order, times at microsecond precision, and errors
// with errors.Is, never by their text.
package storetest

import (
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/seal"
)

// Run runs the suite. open must return a new, empty store each time it is
// called, and register its cleanup with t; subtests run in parallel.
func Run(t *testing.T, open func(t *testing.T) hotline.Store) {
	groups := []struct {
		name string
		run  func(t *testing.T, open func(t *testing.T) hotline.Store)
	}{
		{"Residents", testResidents},
		{"AddressState", testAddressState},
		{"Consents", testConsents},
		{"Inbound", testInbound},
		{"TicketNumbers", testTicketNumbers},
		{"Tickets", testTickets},
		{"UpdateTicket", testUpdateTicket},
		{"Events", testEvents},
		{"Outbox", testOutbox},
		{"DueOutbox", testDueOutbox},
		{"OutboxDelivery", testOutboxDelivery},
		{"Bureaus", testBureaus},
		{"Jurisdictions", testJurisdictions},
		{"Routes", testRoutes},
		{"SLAs", testSLAs},
		{"Settings", testSettings},
		{"Seed", testSeed},
		{"Update", testUpdate},
		{"Concurrency", testConcurrency},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.run(t, open)
		})
	}
}

// NewSealer returns a sealer with a random key, for backends to open their
// stores with in tests.
func NewSealer(t testing.TB) hotline.Sealer {
	t.Helper()
	key := make([]byte, seal.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatalf("make key: %v", err)
	}
	box, err := seal.New(key)
	if err != nil {
		t.Fatalf("make sealer: %v", err)
	}
	return box
}

// t0 is the time fixtures start from; it has microsecond precision, as
// much as the contract promises to keep.
var t0 = time.Date(2026, 3, 14, 9, 30, 0, 123456000, time.UTC)

// missingID is an ID no test creates.
const missingID int64 = 1 << 50

// errBoom is what test functions fail with to force a rollback.
var errBoom = errors.New("boom")

// cmpOpts compares values read back with those written: times at
// microsecond precision and in UTC (a time read back in another location
// differs), nil and empty maps, slices and byte strings alike.
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool {
		return a.Location() == b.Location() && a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
	}),
	cmpopts.EquateEmpty(),
}

// diff fails the test when got differs from want.
func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpOpts); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// wantErr fails the test unless err is target in errors.Is's sense.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

// must fails the test at once on an error.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// update runs fn in a transaction that must commit.
func update(t *testing.T, s hotline.Store, fn func(tx hotline.Tx) error) {
	t.Helper()
	must(t, "update", s.Update(t.Context(), fn))
}

// ptr returns a pointer to v, for filters and optional times.
func ptr[T any](v T) *T { return &v }

// at returns t0 moved by d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// newResident creates a resident reachable at a and returns it.
func newResident(t *testing.T, s hotline.Store, a hotline.Address) *hotline.Resident {
	t.Helper()
	r := &hotline.Resident{Lang: "ug", CreatedAt: t0, UpdatedAt: t0}
	update(t, s, func(tx hotline.Tx) error { return tx.CreateResident(t.Context(), r, a) })
	return r
}

// increasing fails the test unless ids are strictly increasing.
func increasing(t *testing.T, what string, ids []int64) {
	t.Helper()
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Errorf("%s: IDs %v are not increasing", what, ids)
			return
		}
	}
}
