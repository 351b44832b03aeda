package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tongxin/tongxin/internal/hotline"
)

const aadInbound = "inbound.payload"

// RecordInbound stores an event and sets in.ID, and ReceivedAt when zero. If
// the channel already delivered an event with the same ExtID it stores
// nothing and reports duplicate.
func (s *Store) RecordInbound(ctx context.Context, in *hotline.Inbound) (duplicate bool, err error) {
	receivedAt := in.ReceivedAt
	if receivedAt.IsZero() {
		receivedAt = s.q.now()
	}
	payload, err := s.q.seal(in.Payload, aadInbound)
	if err != nil {
		return false, fmt.Errorf("record inbound %s/%s: %w", in.Channel, in.ExtID, err)
	}
	// ON CONFLICT DO NOTHING rather than catching the unique violation: a
	// channel redelivering is normal, not an error.
	var id int64
	err = s.db.QueryRowContext(ctx, `
		INSERT INTO inbound (channel, ext_id, address, payload, received_at, processed_at, error)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (channel, ext_id) DO NOTHING
		RETURNING id`,
		in.Channel, in.ExtID, in.Address, payload, micros(receivedAt), nullMicros(in.ProcessedAt), in.Error).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("record inbound %s/%s: %w", in.Channel, in.ExtID, dbError(err))
	}
	in.ID, in.ReceivedAt = id, receivedAt
	return false, nil
}

// PendingInbound returns unprocessed events of the given channels, oldest
// first, at most limit of them (0: no cap).
func (s *Store) PendingInbound(ctx context.Context, channels []string, after int64, limit int) ([]hotline.Inbound, error) {
	if len(channels) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(channels)+2)
	for _, c := range channels {
		args = append(args, c)
	}
	args = append(args, after, sqlLimit(limit))
	ins, err := s.q.selectInbound(ctx, `
		WHERE processed_at IS NULL AND channel IN (`+placeholders(len(channels))+`) AND id > ?
		ORDER BY id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list pending inbound: %w", err)
	}
	return ins, nil
}

// FindInbound returns one event or ErrNotFound.
func (s *Store) FindInbound(ctx context.Context, id int64) (*hotline.Inbound, error) {
	ins, err := s.q.selectInbound(ctx, `WHERE id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("find inbound %d: %w", id, err)
	}
	if len(ins) == 0 {
		return nil, fmt.Errorf("find inbound %d: %w", id, hotline.ErrNotFound)
	}
	return &ins[0], nil
}

// MarkInboundProcessed records that an inbound event was handled at a time;
// errText says why it was given up on, or is empty. ErrNotFound if absent.
func (q *queries) MarkInboundProcessed(ctx context.Context, id int64, errText string, at time.Time) error {
	res, err := q.db.ExecContext(ctx, `
		UPDATE inbound SET processed_at = ?, error = ? WHERE id = ? AND processed_at IS NULL`,
		micros(at), errText, id)
	if err != nil {
		return fmt.Errorf("mark inbound %d processed: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var one int
	err = q.db.QueryRowContext(ctx, `SELECT 1 FROM inbound WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("mark inbound %d processed: %w", id, hotline.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("mark inbound %d processed: %w", id, err)
	}
	return fmt.Errorf("mark inbound %d processed: already processed: %w", id, hotline.ErrConflict)
}

// selectInbound runs a query on inbound with the given WHERE … tail and
// opens the payloads.
func (q *queries) selectInbound(ctx context.Context, tail string, args ...any) ([]hotline.Inbound, error) {
	rows, err := q.db.QueryContext(ctx, `
		SELECT id, channel, ext_id, address, payload, received_at, processed_at, error
		FROM inbound `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ins []hotline.Inbound
	for rows.Next() {
		var (
			in          hotline.Inbound
			receivedAt  int64
			processedAt sql.NullInt64
		)
		if err := rows.Scan(&in.ID, &in.Channel, &in.ExtID, &in.Address, &in.Payload, &receivedAt, &processedAt, &in.Error); err != nil {
			return nil, err
		}
		in.ReceivedAt, in.ProcessedAt = fromMicros(receivedAt), timePtr(processedAt)
		ins = append(ins, in)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range ins {
		if ins[i].Payload, err = q.open(ins[i].Payload, aadInbound); err != nil {
			return nil, fmt.Errorf("inbound %d: %w", ins[i].ID, err)
		}
	}
	return ins, nil
}
