package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tongxin/tongxin/internal/hotline"
)

const aadPhone = "residents.phone"

// CreateResident stores a new resident reachable at a and sets r.ID. It
// returns ErrConflict if the address already belongs to someone, and then
// leaves nothing behind, even if the transaction goes on.
func (q *queries) CreateResident(ctx context.Context, r *hotline.Resident, a hotline.Address) (err error) {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = q.now()
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	phone, err := q.sealPhone(r.Phone)
	if err != nil {
		return fmt.Errorf("create resident at %s: %w", a, err)
	}
	// A savepoint makes the two inserts one: a caller that handles the
	// conflict and commits must not leave a resident without an address.
	if _, err := q.db.ExecContext(ctx, `SAVEPOINT create_resident`); err != nil {
		return fmt.Errorf("create resident at %s: %w", a, err)
	}
	defer func() {
		// Undo even when ctx is done; the transaction is still ours.
		cleanup := context.WithoutCancel(ctx)
		if err != nil {
			_, _ = q.db.ExecContext(cleanup, `ROLLBACK TO create_resident`)
		}
		_, _ = q.db.ExecContext(cleanup, `RELEASE create_resident`)
	}()
	var id int64
	err = q.db.QueryRowContext(ctx, `
		INSERT INTO residents (lang, phone, created_at, updated_at)
		VALUES (?, ?, ?, ?)
		RETURNING id`,
		r.Lang, phone, micros(r.CreatedAt), micros(r.UpdatedAt)).Scan(&id)
	if err != nil {
		return fmt.Errorf("create resident at %s: %w", a, dbError(err))
	}
	_, err = q.db.ExecContext(ctx, `
		INSERT INTO addresses (channel, address, resident_id) VALUES (?, ?, ?)`,
		a.Channel, a.ID, id)
	if err != nil {
		return fmt.Errorf("create resident at %s: %w", a, dbError(err))
	}
	r.ID = id
	return nil
}

// UpdateResident saves a resident's language, phone and UpdatedAt (now,
// when zero); ErrNotFound if absent.
func (q *queries) UpdateResident(ctx context.Context, r *hotline.Resident) error {
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = q.now()
	}
	phone, err := q.sealPhone(r.Phone)
	if err != nil {
		return fmt.Errorf("update resident %d: %w", r.ID, err)
	}
	res, err := q.db.ExecContext(ctx, `
		UPDATE residents SET lang = ?, phone = ?, updated_at = ? WHERE id = ?`,
		r.Lang, phone, micros(r.UpdatedAt), r.ID)
	if err != nil {
		return fmt.Errorf("update resident %d: %w", r.ID, dbError(err))
	}
	return mustAffect(res, fmt.Sprintf("update resident %d", r.ID))
}

// FindResidentByAddress returns the resident an address belongs to, or ErrNotFound.
func (q *queries) FindResidentByAddress(ctx context.Context, a hotline.Address) (*hotline.Resident, error) {
	row := q.db.QueryRowContext(ctx, `
		SELECT r.id, r.lang, r.phone, r.created_at, r.updated_at
		FROM addresses a JOIN residents r ON r.id = a.resident_id
		WHERE a.channel = ? AND a.address = ?`,
		a.Channel, a.ID)
	r, err := q.scanResident(row)
	if err != nil {
		return nil, fmt.Errorf("find resident at %s: %w", a, err)
	}
	return r, nil
}

// FindResidentByID returns a resident or ErrNotFound.
func (q *queries) FindResidentByID(ctx context.Context, id int64) (*hotline.Resident, error) {
	row := q.db.QueryRowContext(ctx, `
		SELECT id, lang, phone, created_at, updated_at FROM residents WHERE id = ?`, id)
	r, err := q.scanResident(row)
	if err != nil {
		return nil, fmt.Errorf("find resident %d: %w", id, err)
	}
	return r, nil
}

func (q *queries) scanResident(row *sql.Row) (*hotline.Resident, error) {
	var (
		r                    hotline.Resident
		phone                []byte
		createdAt, updatedAt int64
	)
	err := row.Scan(&r.ID, &r.Lang, &phone, &createdAt, &updatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, hotline.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if phone != nil {
		p, err := q.open(phone, aadPhone)
		if err != nil {
			return nil, err
		}
		r.Phone = string(p)
	}
	r.CreatedAt, r.UpdatedAt = fromMicros(createdAt), fromMicros(updatedAt)
	return &r, nil
}

// sealPhone seals a phone number; no number is NULL.
func (q *queries) sealPhone(phone string) ([]byte, error) {
	if phone == "" {
		return nil, nil
	}
	return q.seal([]byte(phone), aadPhone)
}

// FindAddressState returns an address's state or ErrNotFound.
func (q *queries) FindAddressState(ctx context.Context, a hotline.Address) (*hotline.AddressState, error) {
	s := hotline.AddressState{Address: a}
	var blockedAt, optedOutAt sql.NullInt64
	err := q.db.QueryRowContext(ctx, `
		SELECT resident_id, blocked_at, opted_out_at FROM addresses
		WHERE channel = ? AND address = ?`,
		a.Channel, a.ID).Scan(&s.ResidentID, &blockedAt, &optedOutAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("find address %s: %w", a, hotline.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find address %s: %w", a, err)
	}
	s.BlockedAt, s.OptedOutAt = timePtr(blockedAt), timePtr(optedOutAt)
	return &s, nil
}

// SetAddressBlocked marks an address blocked at a time, or reachable again;
// ErrNotFound if the address is unknown.
func (q *queries) SetAddressBlocked(ctx context.Context, a hotline.Address, blocked bool, at time.Time) error {
	res, err := q.db.ExecContext(ctx, `
		UPDATE addresses SET blocked_at = ? WHERE channel = ? AND address = ?`,
		flagTime(blocked, at), a.Channel, a.ID)
	if err != nil {
		return fmt.Errorf("set %s blocked: %w", a, err)
	}
	return mustAffect(res, fmt.Sprintf("set %s blocked", a))
}

// SetAddressOptedOut records an opt-out at a time, or an opt-in;
// ErrNotFound if the address is unknown.
func (q *queries) SetAddressOptedOut(ctx context.Context, a hotline.Address, optedOut bool, at time.Time) error {
	res, err := q.db.ExecContext(ctx, `
		UPDATE addresses SET opted_out_at = ? WHERE channel = ? AND address = ?`,
		flagTime(optedOut, at), a.Channel, a.ID)
	if err != nil {
		return fmt.Errorf("set %s opted out: %w", a, err)
	}
	return mustAffect(res, fmt.Sprintf("set %s opted out", a))
}

// flagTime is the time a flag was set, or NULL when it is cleared.
func flagTime(set bool, at time.Time) sql.NullInt64 {
	if !set {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(at), Valid: true}
}

// RecordConsent stores a consent answer and sets its ID.
func (q *queries) RecordConsent(ctx context.Context, c *hotline.Consent) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = q.now()
	}
	err := q.db.QueryRowContext(ctx, `
		INSERT INTO consents (resident_id, purpose, version, lang, channel, granted, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		c.ResidentID, c.Purpose, c.Version, c.Lang, c.Channel, c.Granted, micros(c.CreatedAt)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("record consent of resident %d: %w", c.ResidentID, dbError(err))
	}
	return nil
}

// Consents returns a resident's consent answers, oldest first.
func (q *queries) Consents(ctx context.Context, residentID int64) ([]hotline.Consent, error) {
	rows, err := q.db.QueryContext(ctx, `
		SELECT id, resident_id, purpose, version, lang, channel, granted, created_at
		FROM consents WHERE resident_id = ? ORDER BY id`, residentID)
	if err != nil {
		return nil, fmt.Errorf("list consents of resident %d: %w", residentID, err)
	}
	defer rows.Close()
	var cs []hotline.Consent
	for rows.Next() {
		var (
			c  hotline.Consent
			at int64
		)
		if err := rows.Scan(&c.ID, &c.ResidentID, &c.Purpose, &c.Version, &c.Lang, &c.Channel, &c.Granted, &at); err != nil {
			return nil, fmt.Errorf("list consents of resident %d: %w", residentID, err)
		}
		c.CreatedAt = fromMicros(at)
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list consents of resident %d: %w", residentID, err)
	}
	return cs, nil
}
