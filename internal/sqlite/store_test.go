package sqlite

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/seal"
	"github.com/tongxin/tongxin/internal/storetest"
)

func TestConformance(t *testing.T) {
	box := storetest.NewSealer(t)
	storetest.Run(t, func(t *testing.T) hotline.Store {
		return open(t, t.TempDir(), box)
	})
}

// open opens a store in dir that closes when the test ends.
func open(t *testing.T, dir string, sealer hotline.Sealer) *Store {
	t.Helper()
	s, err := Open(t.Context(), dir, sealer)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// newKey returns a random seal key.
func newKey(t *testing.T) []byte {
	t.Helper()
	key := make([]byte, seal.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return key
}

// newBox returns a sealer for key.
func newBox(t *testing.T, key []byte) *seal.Box {
	t.Helper()
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// Personal data the tests write; none of it may be found in the files.
const (
	secretPhone   = "+8613912345678"
	secretName    = "Ayshemgul-Tursunniyaz"
	secretID      = "650102199001011234"
	secretInbound = "my-landlord-kept-my-deposit"
	secretOutbox  = "your-legal-aid-appointment-is-at-nine"
)

// writePersonalData stores one of each sealed value and returns the
// resident's and the inbound event's IDs and the ticket's number.
func writePersonalData(t *testing.T, s *Store) (residentID, inboundID int64, ticketNumber string) {
	t.Helper()
	ctx := t.Context()
	a := hotline.Address{Channel: hotline.ChannelSMS, ID: "+8613800000001"}
	in := &hotline.Inbound{Channel: a.Channel, ExtID: "SM1", Address: a.ID, Payload: []byte(`{"Body":"` + secretInbound + `"}`)}
	if _, err := s.RecordInbound(ctx, in); err != nil {
		t.Fatalf("RecordInbound: %v", err)
	}
	inboundID = in.ID
	err := s.Update(ctx, func(tx hotline.Tx) error {
		r := &hotline.Resident{Lang: "ug", Phone: secretPhone}
		if err := tx.CreateResident(ctx, r, a); err != nil {
			return err
		}
		residentID = r.ID
		n, err := tx.NextTicketNumber(ctx, "YK", 2026)
		if err != nil {
			return err
		}
		ticketNumber = n
		tk := &hotline.Ticket{Number: n, Category: hotline.CategoryLegalAid, Priority: hotline.PriorityHigh,
			Status: hotline.StatusNew, ResidentID: r.ID, Fields: map[string]string{"topic": "deposit"},
			Sensitive: map[string]string{"name": secretName, "id_number": secretID}, LegalBasis: "consent"}
		if err := tx.CreateTicket(ctx, tk); err != nil {
			return err
		}
		return tx.EnqueueOutbox(ctx, &hotline.Outbox{Channel: a.Channel, Address: a.ID, ResidentID: r.ID, Payload: []byte(secretOutbox)})
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	return residentID, inboundID, ticketNumber
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	box := newBox(t, newKey(t))
	s, err := Open(t.Context(), dir, box)
	if err != nil {
		t.Fatal(err)
	}
	residentID, _, number := writePersonalData(t, s)
	if err := s.PutSetting(t.Context(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open(t, dir, box)
	ctx := t.Context()
	r, err := s.FindResidentByID(ctx, residentID)
	if err != nil {
		t.Fatalf("FindResidentByID after reopening: %v", err)
	}
	if r.Phone != secretPhone {
		t.Errorf("phone = %q, want %q", r.Phone, secretPhone)
	}
	tk, err := s.FindTicketByNumber(ctx, number)
	if err != nil {
		t.Fatalf("FindTicketByNumber after reopening: %v", err)
	}
	if tk.Sensitive["name"] != secretName {
		t.Errorf("sensitive name = %q, want %q", tk.Sensitive["name"], secretName)
	}
	if v, err := s.Setting(ctx, "k"); err != nil || v != "v" {
		t.Errorf("Setting after reopening = %q, %v", v, err)
	}
	// The counter survives too: numbers are never handed out twice.
	var next string
	err = s.Update(ctx, func(tx hotline.Tx) error {
		next, err = tx.NextTicketNumber(ctx, "YK", 2026)
		return err
	})
	if err != nil || next != "YK-2026-000002" {
		t.Errorf("NextTicketNumber after reopening = %q, %v; want YK-2026-000002", next, err)
	}
}

func TestSealedAtRest(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t)
	s, err := Open(t.Context(), dir, newBox(t, key))
	if err != nil {
		t.Fatal(err)
	}
	residentID, inboundID, number := writePersonalData(t, s)

	secrets := []string{secretPhone, secretName, secretID, secretInbound, secretOutbox}
	checkFiles := func(when string) {
		t.Helper()
		files, err := filepath.Glob(filepath.Join(dir, FileName+"*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range secrets {
				if bytes.Contains(b, []byte(secret)) {
					t.Errorf("%s: %s holds %q in plain text", when, filepath.Base(f), secret)
				}
			}
		}
		// Make sure the check looked at something: the non-sensitive
		// field is stored in plain text.
		if when == "after close" {
			b, err := os.ReadFile(filepath.Join(dir, FileName))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(b, []byte(`"topic":"deposit"`)) {
				t.Errorf("%s: the database file does not hold the ticket's plain fields; the check is blind", when)
			}
		}
	}
	checkFiles("while open")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checkFiles("after close")

	t.Run("another key", func(t *testing.T) {
		s := open(t, dir, newBox(t, newKey(t)))
		ctx := t.Context()
		_, err := s.FindResidentByID(ctx, residentID)
		wantOpenErr(t, "FindResidentByID", err)
		_, err = s.FindTicketByNumber(ctx, number)
		wantOpenErr(t, "FindTicketByNumber", err)
		_, err = s.FindInbound(ctx, inboundID)
		wantOpenErr(t, "FindInbound", err)
		_, err = s.FindOutbox(ctx, hotline.OutboxFilter{})
		wantOpenErr(t, "FindOutbox", err)
		// Listing tickets opens nothing, so it still works.
		ts, err := s.FindTickets(ctx, hotline.TicketFilter{})
		if err != nil || len(ts) != 1 {
			t.Errorf("FindTickets = %d tickets, %v; want 1, nil", len(ts), err)
		}
	})

	t.Run("value moved to another column", func(t *testing.T) {
		s := open(t, dir, newBox(t, key))
		ctx := t.Context()
		if _, err := s.db.ExecContext(ctx, `UPDATE residents SET phone = (SELECT sensitive FROM tickets) WHERE id = ?`, residentID); err != nil {
			t.Fatal(err)
		}
		_, err := s.FindResidentByID(ctx, residentID)
		wantOpenErr(t, "FindResidentByID", err)
	})
}

// wantOpenErr fails the test unless err says a sealed value did not open.
func wantOpenErr(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, seal.ErrOpen) {
		t.Errorf("%s: got %v, want an error wrapping %v", what, err, seal.ErrOpen)
	}
}

func TestOpenOddPath(t *testing.T) {
	// The path goes into a file: URI; characters with a meaning there
	// must not change which file is opened.
	dir := filepath.Join(t.TempDir(), "data dir?x=1#frag%20")
	s := open(t, dir, storetest.NewSealer(t))
	if err := s.PutSetting(t.Context(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Errorf("database not where it belongs: %v", err)
	}
}

func TestUnknownSchema(t *testing.T) {
	dir := t.TempDir()
	box := newBox(t, newKey(t))
	s, err := Open(t.Context(), dir, box)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	latest := ms[len(ms)-1].version
	if _, err := s.db.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, latest+1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(t.Context(), dir, box)
	if err == nil {
		s.Close()
		t.Fatal("Open served a database with an unknown schema version")
	}
	if !errors.Is(err, ErrUnknownSchema) {
		t.Errorf("Open: got %v, want %v", err, ErrUnknownSchema)
	}
}

func TestMigrations(t *testing.T) {
	dir := t.TempDir()
	box := storetest.NewSealer(t)
	// Several stores opening a new database at once, as the server and a
	// CLI command might: each migration must be applied exactly once.
	const openers = 4
	stores := make([]*Store, openers)
	errs := make([]error, openers)
	var wg sync.WaitGroup
	for i := range openers {
		wg.Go(func() { stores[i], errs[i] = Open(t.Context(), dir, box) })
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		t.Cleanup(func() { s.Close() })
	}
	if t.Failed() {
		t.FailNow()
	}
	s := stores[0]

	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.db.QueryContext(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got, want []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		want = append(want, m.version)
	}
	if !slices.Equal(got, want) {
		t.Errorf("schema_migrations holds %v, want %v", got, want)
	}
}

func TestSettings(t *testing.T) {
	s := open(t, t.TempDir(), storetest.NewSealer(t))
	// Every pooled connection must carry the settings, so ask several at
	// once.
	const conns = 3
	ctx := t.Context()
	var cs []*sql.Conn
	for range conns {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cs = append(cs, c)
	}
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"busy_timeout", strconv.FormatInt(busyTimeout.Milliseconds(), 10)},
		{"synchronous", "2"}, // FULL
	}
	for i, c := range cs {
		for _, tt := range tests {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("connection %d: %s = %s, want %s", i, tt.pragma, got, tt.want)
			}
		}
	}
}

func TestUpdatePanics(t *testing.T) {
	s := open(t, t.TempDir(), storetest.NewSealer(t))
	ctx := t.Context()
	a := hotline.Address{Channel: hotline.ChannelTelegram, ID: "1"}
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the panic of fn", p)
			}
		}()
		_ = s.Update(ctx, func(tx hotline.Tx) error {
			if err := tx.CreateResident(ctx, &hotline.Resident{}, a); err != nil {
				t.Errorf("CreateResident: %v", err)
			}
			panic("boom")
		})
	}()
	if _, err := s.FindResidentByAddress(ctx, a); !errors.Is(err, hotline.ErrNotFound) {
		t.Errorf("FindResidentByAddress after a panic: got %v, want %v", err, hotline.ErrNotFound)
	}
	// The connection went back to the pool clean.
	err := s.Update(ctx, func(tx hotline.Tx) error { return tx.CreateResident(ctx, &hotline.Resident{}, a) })
	if err != nil {
		t.Errorf("Update after a panic: %v", err)
	}
}

// sharedTicket is the number of the ticket every writer edits.
const sharedTicket = "YK-SHARED"

// createShared creates the ticket that writeTickets edits.
func createShared(t *testing.T, s *Store) {
	t.Helper()
	err := s.Update(t.Context(), func(tx hotline.Tx) error {
		return tx.CreateTicket(t.Context(), &hotline.Ticket{Number: sharedTicket, Category: hotline.CategoryDispute,
			Priority: hotline.PriorityHigh, Status: hotline.StatusNew, Fields: map[string]string{"edits": "0"}})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// writeTickets does n rounds of what a busy process does: reserve a number
// and create a ticket, edit the shared ticket (a read-modify-write), record
// an inbound event; each in its own transaction.
func writeTickets(ctx context.Context, s *Store, who string, n int) error {
	shared, err := s.FindTicketByNumber(ctx, sharedTicket)
	if err != nil {
		return fmt.Errorf("%s: %w", who, err)
	}
	for i := range n {
		err := s.Update(ctx, func(tx hotline.Tx) error {
			num, err := tx.NextTicketNumber(ctx, "YK", 2026)
			if err != nil {
				return err
			}
			return tx.CreateTicket(ctx, &hotline.Ticket{Number: num, Category: hotline.CategoryGeneral,
				Priority: hotline.PriorityNormal, Status: hotline.StatusNew, Channel: who})
		})
		if err != nil {
			return fmt.Errorf("%s ticket %d: %w", who, i, err)
		}
		err = s.Update(ctx, func(tx hotline.Tx) error {
			return tx.UpdateTicket(ctx, shared.ID, func(t *hotline.Ticket) error {
				n, err := strconv.Atoi(t.Fields["edits"])
				t.Fields["edits"] = strconv.Itoa(n + 1)
				return err
			})
		})
		if err != nil {
			return fmt.Errorf("%s edit %d: %w", who, i, err)
		}
		in := &hotline.Inbound{Channel: hotline.ChannelChat, ExtID: who + "-" + strconv.Itoa(i), Address: who, Payload: []byte("x")}
		if _, err := s.RecordInbound(ctx, in); err != nil {
			return fmt.Errorf("%s inbound %d: %w", who, i, err)
		}
	}
	return nil
}

// checkTickets checks that n rounds of writeTickets left exactly the tickets
// numbered 1…n, n edits of the shared ticket and n inbound events.
func checkTickets(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := t.Context()
	ts, err := s.FindTickets(ctx, hotline.TicketFilter{Category: ptr(hotline.CategoryGeneral)})
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for i, tk := range ts {
		got = append(got, tk.Number)
		want = append(want, fmt.Sprintf("YK-2026-%06d", i+1))
	}
	slices.Sort(got)
	if len(got) != n || !slices.Equal(got, want) {
		t.Errorf("got %d tickets numbered %v, want 1…%d", len(got), got, n)
	}
	shared, err := s.FindTicketByNumber(ctx, sharedTicket)
	if err != nil {
		t.Fatal(err)
	}
	if shared.Fields["edits"] != strconv.Itoa(n) {
		t.Errorf("shared ticket edited %s times, want %d", shared.Fields["edits"], n)
	}
	in, err := s.PendingInbound(ctx, []string{hotline.ChannelChat}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != n {
		t.Errorf("%d inbound events, want %d", len(in), n)
	}
}

func ptr[T any](v T) *T { return &v }

func TestTwoStores(t *testing.T) {
	dir := t.TempDir()
	box := storetest.NewSealer(t)
	stores := []*Store{open(t, dir, box), open(t, dir, box)}
	createShared(t, stores[0])
	const writersPerStore, perWriter = 5, 10
	errs := make([]error, len(stores)*writersPerStore)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			errs[i] = writeTickets(t.Context(), stores[i%len(stores)], "w"+strconv.Itoa(i), perWriter)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	checkTickets(t, stores[1], len(errs)*perWriter)
}

// The environment variables that make TestHelperWriter a writer process.
const (
	envWriterDir = "TONGXIN_TEST_SQLITE_WRITER_DIR"
	envWriterKey = "TONGXIN_TEST_SQLITE_WRITER_KEY"
	envWriterWho = "TONGXIN_TEST_SQLITE_WRITER_WHO"
)

// helperTickets is how many tickets each writer process creates.
const helperTickets = 25

// TestHelperWriter is a writer process for TestProcesses; run by itself it
// does nothing.
func TestHelperWriter(t *testing.T) {
	dir := os.Getenv(envWriterDir)
	if dir == "" {
		t.Skip("run by TestProcesses")
	}
	key, err := base64.StdEncoding.DecodeString(os.Getenv(envWriterKey))
	if err != nil {
		t.Fatal(err)
	}
	s := open(t, dir, newBox(t, key))
	if err := writeTickets(t.Context(), s, os.Getenv(envWriterWho), helperTickets); err != nil {
		t.Fatal(err)
	}
}

func TestProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	key := newKey(t)
	s := open(t, dir, newBox(t, key))
	createShared(t, s)
	const procs = 3
	cmds := make([]*exec.Cmd, procs)
	outs := make([]bytes.Buffer, procs)
	for i := range procs {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(),
			envWriterDir+"="+dir,
			envWriterKey+"="+base64.StdEncoding.EncodeToString(key),
			envWriterWho+"="+"p"+strconv.Itoa(i))
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	// This process writes too, while the others run.
	werr := writeTickets(t.Context(), s, "parent", helperTickets)
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("writer process %d: %v\n%s", i, err, outs[i].String())
		}
	}
	if werr != nil {
		t.Fatal(werr)
	}
	checkTickets(t, s, (procs+1)*helperTickets)
}
