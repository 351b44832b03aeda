// Package sqlite implements hotline.Store on an embedded SQLite database
// (modernc.org/sqlite, pure Go, no cgo) kept in one file of the data
// directory.
//
// Several processes may open the same directory at once: the server and the
// `tongxin` CLI commands. The database runs in WAL mode so that readers never
// wait for the writer, and every write transaction starts with BEGIN IMMEDIATE
// so that writers queue on the busy timeout instead of failing with
// SQLITE_BUSY when a read lock cannot be upgraded.
//
// Times are stored as unix microseconds and read back in UTC. Personal data
// (a resident's phone, inbound and outbox payloads, a ticket's sensitive
// answers) is sealed with the hotline.Sealer given to Open before it is
// written.
//
// Besides the errors hotline documents, a write that refers to a row that
// does not exist (a ticket event for an unknown ticket, a consent of an
// unknown resident) fails with an error wrapping hotline.ErrInvalid.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	sqlitedriver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tongxin/tongxin/internal/hotline"
)

// FileName is the name of the database file inside the data directory.
const FileName = "tongxin.db"

// busyTimeout is how long a statement waits for a lock another connection
// or process holds before it fails. Write transactions are short, so a
// writer that waits this long means something is stuck.
const busyTimeout = 10 * time.Second

// Store is a hotline.Store on SQLite. It is safe for concurrent use.
type Store struct {
	// Reader serves reads outside transactions.
	hotline.Reader

	db *sql.DB
	q  *queries
}

var _ hotline.Store = (*Store)(nil)

// Open opens the database in dir, creating the directory and the database
// when they do not exist, and brings its schema up to date. It refuses a
// database whose schema is newer than this binary knows (ErrUnknownSchema).
// sealer seals personal data before it is written.
func Open(ctx context.Context, dir string, sealer hotline.Sealer) (*Store, error) {
	if sealer == nil {
		return nil, errors.New("open store: no sealer")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path, err := filepath.Abs(filepath.Join(dir, FileName))
	if err != nil {
		return nil, fmt.Errorf("locate database: %w", err)
	}
	if err := setWAL(ctx, path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := migrate(ctx, db, now); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	q := &queries{db: db, sealer: sealer, now: now}
	return &Store{Reader: q, db: db, q: q}, nil
}

// dsn is the data source name for the database at path. Every setting a
// connection must have is a DSN parameter, so that each connection the pool
// opens gets it.
func dsn(path string) string {
	v := url.Values{}
	// Make every write transaction BEGIN IMMEDIATE: it takes the write lock
	// at the start, waiting on busy_timeout, rather than failing with
	// SQLITE_BUSY when a deferred transaction tries to upgrade its read lock
	// after another writer committed. Read-only transactions stay deferred.
	v.Set("_txlock", "immediate")
	v.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	v.Add("_pragma", "foreign_keys(1)")
	// FULL rather than NORMAL: in WAL mode NORMAL can lose the last commits
	// (never corrupt the file) on power loss, and an inbound event is
	// acknowledged to its channel once it is committed, so a lost commit
	// would be a lost message. The hotline's write rate makes the extra
	// fsync per commit cheap.
	v.Add("_pragma", "synchronous(FULL)")
	// journal_mode is not here: WAL mode is kept in the database file, so
	// setWAL sets it once, with the retries switching needs, and every
	// connection finds the file in WAL mode (TestSettings checks).
	return fileURI(path, v)
}

// fileURI is a file: URI for path with the given driver parameters; the
// path is escaped, so '?' or '#' in a directory name cannot cut it short.
func fileURI(path string, v url.Values) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: v.Encode()}
	return u.String()
}

// setWAL puts the database at path in WAL mode, in which readers do not wait
// for the writer, nor the writer for readers. WAL mode is kept in the file,
// so this changes something only when the database is new. The change needs
// the file to itself for a moment and SQLite does not wait on busy_timeout
// for it, so processes creating the database at once retry here, for as
// long as busy_timeout would have waited.
func setWAL(ctx context.Context, path string) error {
	v := url.Values{}
	v.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	db, err := sql.Open("sqlite", fileURI(path, v))
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(busyTimeout)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		var mode string
		err := db.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode)
		switch {
		case err == nil && mode == "wal":
			return nil
		case err == nil:
			return fmt.Errorf("set WAL journal mode: database stays in %s mode", mode)
		case !isBusy(err) || time.Now().After(deadline):
			return fmt.Errorf("set WAL journal mode: %w", err)
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY, of any kind.
func isBusy(err error) bool {
	var se *sqlitedriver.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// now is the store's clock, used for times the caller left zero. It has the
// precision the database keeps, so a struct the store filled in compares
// equal to what is read back.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Update runs fn in a write transaction, committing when fn returns nil and
// rolling back otherwise, or when fn panics. It returns fn's error as is.
// The transaction holds the database's write lock until it ends, so fn
// should be quick, and must write through tx only: a write through the
// Store would wait for fn's own lock until the busy timeout.
func (s *Store) Update(ctx context.Context, fn func(hotline.Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			// The error of a rollback after a failure adds nothing: the
			// transaction is gone either way, and fn's error says why.
			_ = sqlTx.Rollback()
		}
	}()
	if err := fn(&tx{queries: &queries{db: sqlTx, sealer: s.q.sealer, now: s.q.now}, store: s}); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	committed = true
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Close closes the database. Closing the last connection checkpoints the
// write-ahead log into the database file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// tx is the hotline.Tx that Update hands to its function.
type tx struct {
	*queries
	// store is the Store the transaction belongs to.
	store *Store
}

var _ hotline.Tx = (*tx)(nil)

// querier is what queries needs; *sql.DB and *sql.Tx both have it.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries holds the SQL of every Reader and Tx method, run on the database
// itself or inside a transaction.
type queries struct {
	db     querier
	sealer hotline.Sealer
	now    func() time.Time
}

// seal seals plain for the column aad names.
func (q *queries) seal(plain []byte, aad string) ([]byte, error) {
	b, err := q.sealer.Seal(plain, aad)
	if err != nil {
		return nil, fmt.Errorf("seal %s: %w", aad, err)
	}
	return b, nil
}

// open opens a value sealed for the column aad names. A value that does not
// open is an error: returning it empty would lose data silently.
func (q *queries) open(sealed []byte, aad string) ([]byte, error) {
	b, err := q.sealer.Open(sealed, aad)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", aad, err)
	}
	return b, nil
}

// dbError maps a driver error to the hotline error it means, keeping the
// driver error in the chain for logs. Other errors are returned unchanged.
func dbError(err error) error {
	var se *sqlitedriver.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %w", hotline.ErrConflict, err)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return fmt.Errorf("%w: %w", hotline.ErrInvalid, err)
	}
	return err
}

// mustAffect returns ErrNotFound, wrapped with what, when res changed no row.
func mustAffect(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, hotline.ErrNotFound)
	}
	return nil
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// sqlLimit turns a Limit where 0 means no cap into SQLite's LIMIT, where -1
// does.
func sqlLimit(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// micros is t as stored: unix microseconds.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is a stored time read back, in UTC.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// nullMicros stores an optional time; nil is NULL.
func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(*t), Valid: true}
}

// timePtr reads an optional time back.
func timePtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}

// zeroNullMicros stores a time whose zero value means unset as NULL.
func zeroNullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(t), Valid: true}
}

// zeroTime reads back what zeroNullMicros stored.
func zeroTime(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMicros(n.Int64)
}

// nullID stores an optional reference to another row; 0 is NULL.
func nullID(id int64) sql.NullInt64 {
	return sql.NullInt64{Int64: id, Valid: id != 0}
}
