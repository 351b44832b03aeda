package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tongxin/tongxin/internal/hotline"
)

const aadOutbox = "outbox.payload"

// EnqueueOutbox stores messages to send and sets their IDs in the order
// given. Status defaults to pending, CreatedAt to now and NextAttemptAt to
// CreatedAt.
func (q *queries) EnqueueOutbox(ctx context.Context, msgs ...*hotline.Outbox) error {
	for _, m := range msgs {
		if m.Status == "" {
			m.Status = hotline.OutboxPending
		}
		if m.CreatedAt.IsZero() {
			m.CreatedAt = q.now()
		}
		if m.NextAttemptAt.IsZero() {
			m.NextAttemptAt = m.CreatedAt
		}
		payload, err := q.seal(m.Payload, aadOutbox)
		if err != nil {
			return fmt.Errorf("enqueue message to %s:%s: %w", m.Channel, m.Address, err)
		}
		err = q.db.QueryRowContext(ctx, `
			INSERT INTO outbox (channel, address, resident_id, payload, status, attempts,
				next_attempt_at, last_error, provider_id, segments, created_at, sent_at, notice)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			RETURNING id`,
			m.Channel, m.Address, nullID(m.ResidentID), payload, m.Status, m.Attempts,
			micros(m.NextAttemptAt), m.LastError, m.ProviderID, m.Segments, micros(m.CreatedAt), nullMicros(m.SentAt), m.Notice,
		).Scan(&m.ID)
		if err != nil {
			return fmt.Errorf("enqueue message to %s:%s: %w", m.Channel, m.Address, dbError(err))
		}
	}
	return nil
}

// DueOutbox returns, for each address of the given channels, its oldest
// pending message if that one is due at now, oldest first, at most limit
// (0: no cap). An address whose oldest pending message is not due yet sends
// nothing, so a message never overtakes an earlier one.
func (s *Store) DueOutbox(ctx context.Context, channels []string, now time.Time, limit int) ([]hotline.Outbox, error) {
	if len(channels) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(channels)+2)
	for _, c := range channels {
		args = append(args, c)
	}
	args = append(args, micros(now), sqlLimit(limit))
	// The inner query walks outbox_pending: MIN(id) per (channel, address)
	// of the pending rows is the head of each address's queue.
	msgs, err := s.q.selectOutbox(ctx, `
		WHERE id IN (
			SELECT MIN(id) FROM outbox
			WHERE status = 'pending' AND channel IN (`+placeholders(len(channels))+`)
			GROUP BY channel, address
		) AND next_attempt_at <= ?
		ORDER BY id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list due outbox: %w", err)
	}
	return msgs, nil
}

// MarkOutboxSent records a delivery; ErrNotFound if absent.
func (s *Store) MarkOutboxSent(ctx context.Context, id int64, providerID string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `
		UPDATE outbox SET status = 'sent', provider_id = ?, sent_at = ? WHERE id = ?`,
		providerID, micros(at), id)
	if err != nil {
		return fmt.Errorf("mark outbox %d sent: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("mark outbox %d sent", id))
}

// RetryOutbox schedules another attempt at next and records why the last
// one failed; the attempt counts towards parking only if countAttempt.
// ErrNotFound if absent.
func (s *Store) RetryOutbox(ctx context.Context, id int64, next time.Time, errText string, countAttempt bool) error {
	res, err := s.db.ExecContext(ctx, `
		UPDATE outbox
		SET next_attempt_at = ?, last_error = ?, attempts = attempts + CASE WHEN ? THEN 1 ELSE 0 END
		WHERE id = ?`,
		micros(next), errText, countAttempt, id)
	if err != nil {
		return fmt.Errorf("retry outbox %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("retry outbox %d", id))
}

// FailOutbox ends a message's delivery with status OutboxParked or
// OutboxBlocked and the reason; ErrInvalid for another status, ErrNotFound
// if absent.
func (s *Store) FailOutbox(ctx context.Context, id int64, status, errText string) error {
	if status != hotline.OutboxParked && status != hotline.OutboxBlocked {
		return fmt.Errorf("fail outbox %d with status %q: %w", id, status, hotline.ErrInvalid)
	}
	res, err := s.db.ExecContext(ctx, `
		UPDATE outbox SET status = ?, last_error = ? WHERE id = ?`,
		status, errText, id)
	if err != nil {
		return fmt.Errorf("fail outbox %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("fail outbox %d", id))
}

// FindOutbox lists outbox messages, newest first.
func (s *Store) FindOutbox(ctx context.Context, f hotline.OutboxFilter) ([]hotline.Outbox, error) {
	tail, args := "WHERE 1 = 1", []any{}
	if f.Status != nil {
		tail += " AND status = ?"
		args = append(args, *f.Status)
	}
	if f.Channel != nil {
		tail += " AND channel = ?"
		args = append(args, *f.Channel)
	}
	if f.Address != nil {
		tail += " AND address = ?"
		args = append(args, *f.Address)
	}
	tail += " ORDER BY id DESC LIMIT ?"
	args = append(args, sqlLimit(f.Limit))
	msgs, err := s.q.selectOutbox(ctx, tail, args...)
	if err != nil {
		return nil, fmt.Errorf("find outbox: %w", err)
	}
	return msgs, nil
}

// selectOutbox runs a query on outbox with the given WHERE … tail and opens
// the payloads.
func (q *queries) selectOutbox(ctx context.Context, tail string, args ...any) ([]hotline.Outbox, error) {
	rows, err := q.db.QueryContext(ctx, `
		SELECT id, channel, address, resident_id, payload, status, attempts, next_attempt_at,
			last_error, provider_id, segments, created_at, sent_at, notice
		FROM outbox `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var msgs []hotline.Outbox
	for rows.Next() {
		var (
			m                        hotline.Outbox
			residentID, sentAt       sql.NullInt64
			nextAttemptAt, createdAt int64
		)
		if err := rows.Scan(&m.ID, &m.Channel, &m.Address, &residentID, &m.Payload, &m.Status, &m.Attempts,
			&nextAttemptAt, &m.LastError, &m.ProviderID, &m.Segments, &createdAt, &sentAt, &m.Notice); err != nil {
			return nil, err
		}
		m.ResidentID = residentID.Int64
		m.NextAttemptAt, m.CreatedAt, m.SentAt = fromMicros(nextAttemptAt), fromMicros(createdAt), timePtr(sentAt)
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range msgs {
		if msgs[i].Payload, err = q.open(msgs[i].Payload, aadOutbox); err != nil {
			return nil, fmt.Errorf("outbox %d: %w", msgs[i].ID, err)
		}
	}
	return msgs, nil
}
