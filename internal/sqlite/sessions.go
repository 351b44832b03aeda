package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/internal/hotline"
)

const aadSession = "sessions.data"

// Sessions keeps conversation sessions in the store's database, so that a
// form in progress survives a restart. It implements bot.Sessions.
type Sessions struct {
	store *Store
	ttl   time.Duration
	// grace is how long a lapsed session is remembered as lapsed.
	grace time.Duration
	now   func() time.Time
	puts  atomic.Int64
}

// Sessions returns the session store of s; sessions lapse after ttl.
func (s *Store) Sessions(ttl time.Duration, now func() time.Time) *Sessions {
	if now == nil {
		now = time.Now
	}
	return &Sessions{store: s, ttl: ttl, grace: 7 * 24 * time.Hour, now: now}
}

var _ bot.Sessions = (*Sessions)(nil)

// Get implements bot.Sessions.
func (ss *Sessions) Get(ctx context.Context, key string) (*bot.Session, error) {
	var sealed []byte
	var expires int64
	err := ss.store.db.QueryRowContext(ctx, `SELECT data, expires_at FROM sessions WHERE key = ?`, key).Scan(&sealed, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	plain, err := ss.store.q.sealer.Open(sealed, aadSession)
	if err != nil {
		return nil, fmt.Errorf("open session: %w", err)
	}
	var s bot.Session
	if err := json.Unmarshal(plain, &s); err != nil {
		return nil, fmt.Errorf("decode session: %w", err)
	}
	if ss.now().UnixMicro() > expires {
		s.Expired = true
		if _, err := ss.store.db.ExecContext(ctx, `DELETE FROM sessions WHERE key = ? AND expires_at = ?`, key, expires); err != nil {
			return nil, fmt.Errorf("forget lapsed session: %w", err)
		}
	}
	return &s, nil
}

// Put implements bot.Sessions. Now and then it also forgets sessions that
// lapsed long ago.
func (ss *Sessions) Put(ctx context.Context, key string, s *bot.Session) error {
	return ss.put(ctx, ss.store.db, key, s)
}

// PutTx saves a session inside a transaction of the same store, so that it
// commits with the replies it led to. A transaction of another store is
// an error.
func (ss *Sessions) PutTx(ctx context.Context, t hotline.Tx, key string, s *bot.Session) error {
	own, ok := t.(*tx)
	if !ok || own.store != ss.store {
		return errors.New("save session: transaction of another store")
	}
	return ss.put(ctx, own.queries.db, key, s)
}

func (ss *Sessions) put(ctx context.Context, db querier, key string, s *bot.Session) error {
	plain, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	sealed, err := ss.store.q.sealer.Seal(plain, aadSession)
	if err != nil {
		return fmt.Errorf("seal session: %w", err)
	}
	now := ss.now()
	_, err = db.ExecContext(ctx, `
		INSERT INTO sessions (key, data, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`,
		key, sealed, now.Add(ss.ttl).UnixMicro())
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	if ss.puts.Add(1)%1024 == 0 {
		if _, err := db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`, now.Add(-ss.grace).UnixMicro()); err != nil {
			return fmt.Errorf("forget old sessions: %w", err)
		}
	}
	return nil
}
