package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/tongxin/tongxin/internal/hotline"
)

const aadSensitive = "tickets.sensitive"

// NextTicketNumber reserves the next number of a prefix and year, such as
// YK-2026-000001. The counter row stays write-locked until the transaction
// ends, so concurrent transactions get distinct numbers, and a rolled-back
// reservation is handed out again.
func (q *queries) NextTicketNumber(ctx context.Context, prefix string, year int) (string, error) {
	var n int64
	err := q.db.QueryRowContext(ctx, `
		INSERT INTO ticket_counters (prefix, year, last) VALUES (?, ?, 1)
		ON CONFLICT (prefix, year) DO UPDATE SET last = last + 1
		RETURNING last`,
		prefix, year).Scan(&n)
	if err != nil {
		return "", fmt.Errorf("reserve ticket number %s-%04d: %w", prefix, year, err)
	}
	return fmt.Sprintf("%s-%04d-%06d", prefix, year, n), nil
}

// CreateTicket stores a ticket and sets its ID; ErrConflict on a used number.
func (q *queries) CreateTicket(ctx context.Context, t *hotline.Ticket) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = q.now()
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = t.CreatedAt
	}
	fields, sensitive, err := q.encodeTicketMaps(t)
	if err != nil {
		return fmt.Errorf("create ticket %s: %w", t.Number, err)
	}
	err = q.db.QueryRowContext(ctx, `
		INSERT INTO tickets (number, category, priority, status, bureau, co_bureau,
			district, street, community, resident_id, language, channel, assignee,
			fields, sensitive, legal_basis, created_at, updated_at, first_response_due, resolution_due)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		t.Number, t.Category, t.Priority, t.Status, t.Bureau, t.CoBureau,
		t.District, t.Street, t.Community, nullID(t.ResidentID), t.Language, t.Channel, t.Assignee,
		fields, sensitive, t.LegalBasis, micros(t.CreatedAt), micros(t.UpdatedAt),
		zeroNullMicros(t.FirstResponseDue), zeroNullMicros(t.ResolutionDue),
	).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("create ticket %s: %w", t.Number, dbError(err))
	}
	return nil
}

// UpdateTicket reads a ticket, lets fn change it and writes every field back
// but ID, Number and CreatedAt; ErrNotFound if absent. If fn fails nothing
// is written and its error is returned as is.
func (q *queries) UpdateTicket(ctx context.Context, id int64, fn func(*hotline.Ticket) error) error {
	ts, err := q.selectTickets(ctx, true, `WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("update ticket %d: %w", id, err)
	}
	if len(ts) == 0 {
		return fmt.Errorf("update ticket %d: %w", id, hotline.ErrNotFound)
	}
	t := ts[0]
	if err := fn(t); err != nil {
		return err
	}
	fields, sensitive, err := q.encodeTicketMaps(t)
	if err != nil {
		return fmt.Errorf("update ticket %d: %w", id, err)
	}
	_, err = q.db.ExecContext(ctx, `
		UPDATE tickets SET category = ?, priority = ?, status = ?, bureau = ?, co_bureau = ?,
			district = ?, street = ?, community = ?, resident_id = ?, language = ?, channel = ?,
			assignee = ?, fields = ?, sensitive = ?, legal_basis = ?, updated_at = ?,
			first_response_due = ?, resolution_due = ?
		WHERE id = ?`,
		t.Category, t.Priority, t.Status, t.Bureau, t.CoBureau,
		t.District, t.Street, t.Community, nullID(t.ResidentID), t.Language, t.Channel,
		t.Assignee, fields, sensitive, t.LegalBasis, micros(t.UpdatedAt),
		zeroNullMicros(t.FirstResponseDue), zeroNullMicros(t.ResolutionDue),
		id)
	if err != nil {
		return fmt.Errorf("update ticket %d: %w", id, dbError(err))
	}
	return nil
}

// FindTicketByID returns a ticket, its sensitive answers opened, or
// ErrNotFound.
func (q *queries) FindTicketByID(ctx context.Context, id int64) (*hotline.Ticket, error) {
	ts, err := q.selectTickets(ctx, true, `WHERE id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("find ticket %d: %w", id, err)
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("find ticket %d: %w", id, hotline.ErrNotFound)
	}
	return ts[0], nil
}

// FindTicketByNumber returns a ticket, its sensitive answers opened, or
// ErrNotFound.
func (q *queries) FindTicketByNumber(ctx context.Context, number string) (*hotline.Ticket, error) {
	ts, err := q.selectTickets(ctx, true, `WHERE number = ?`, number)
	if err != nil {
		return nil, fmt.Errorf("find ticket %s: %w", number, err)
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("find ticket %s: %w", number, hotline.ErrNotFound)
	}
	return ts[0], nil
}

// FindTickets returns the tickets that match, newest first. Sensitive
// answers are never listed: Sensitive is nil in every ticket returned, and
// the sealed values stay sealed.
func (q *queries) FindTickets(ctx context.Context, f hotline.TicketFilter) ([]*hotline.Ticket, error) {
	tail, args := "WHERE 1 = 1", []any{}
	if f.ResidentID != nil {
		tail += " AND resident_id = ?"
		args = append(args, *f.ResidentID)
	}
	if f.Bureau != nil {
		tail += " AND bureau = ?"
		args = append(args, *f.Bureau)
	}
	if f.Status != nil {
		tail += " AND status = ?"
		args = append(args, *f.Status)
	}
	if f.Category != nil {
		tail += " AND category = ?"
		args = append(args, *f.Category)
	}
	tail += " ORDER BY id DESC LIMIT ?"
	args = append(args, sqlLimit(f.Limit))
	ts, err := q.selectTickets(ctx, false, tail, args...)
	if err != nil {
		return nil, fmt.Errorf("find tickets: %w", err)
	}
	return ts, nil
}

// selectTickets runs a query on tickets with the given WHERE … tail. It
// opens the sensitive answers only if withSensitive.
func (q *queries) selectTickets(ctx context.Context, withSensitive bool, tail string, args ...any) ([]*hotline.Ticket, error) {
	sensitiveCol := "NULL"
	if withSensitive {
		sensitiveCol = "sensitive"
	}
	rows, err := q.db.QueryContext(ctx, `
		SELECT id, number, category, priority, status, bureau, co_bureau,
			district, street, community, resident_id, language, channel, assignee,
			fields, `+sensitiveCol+`, legal_basis, created_at, updated_at, first_response_due, resolution_due
		FROM tickets `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type sealed struct {
		t         *hotline.Ticket
		sensitive []byte
	}
	var ss []sealed
	for rows.Next() {
		var (
			t                                hotline.Ticket
			residentID, firstDue, resolveDue sql.NullInt64
			fields                           string
			sensitive                        []byte
			createdAt, updatedAt             int64
		)
		if err := rows.Scan(&t.ID, &t.Number, &t.Category, &t.Priority, &t.Status, &t.Bureau, &t.CoBureau,
			&t.District, &t.Street, &t.Community, &residentID, &t.Language, &t.Channel, &t.Assignee,
			&fields, &sensitive, &t.LegalBasis, &createdAt, &updatedAt, &firstDue, &resolveDue); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(fields), &t.Fields); err != nil {
			return nil, fmt.Errorf("ticket %d fields: %w", t.ID, err)
		}
		t.ResidentID = residentID.Int64
		t.CreatedAt, t.UpdatedAt = fromMicros(createdAt), fromMicros(updatedAt)
		t.FirstResponseDue, t.ResolutionDue = zeroTime(firstDue), zeroTime(resolveDue)
		ss = append(ss, sealed{t: &t, sensitive: sensitive})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ts := make([]*hotline.Ticket, len(ss))
	for i, s := range ss {
		if s.sensitive != nil {
			plain, err := q.open(s.sensitive, aadSensitive)
			if err != nil {
				return nil, fmt.Errorf("ticket %d: %w", s.t.ID, err)
			}
			if err := json.Unmarshal(plain, &s.t.Sensitive); err != nil {
				return nil, fmt.Errorf("ticket %d sensitive answers: %w", s.t.ID, err)
			}
		}
		ts[i] = s.t
	}
	return ts, nil
}

// encodeTicketMaps encodes a ticket's fields as JSON and its sensitive
// answers as sealed JSON, NULL when there are none.
func (q *queries) encodeTicketMaps(t *hotline.Ticket) (fields string, sensitive []byte, err error) {
	f, err := json.Marshal(t.Fields)
	if err != nil {
		return "", nil, fmt.Errorf("encode fields: %w", err)
	}
	if t.Sensitive == nil {
		return string(f), nil, nil
	}
	plain, err := json.Marshal(t.Sensitive)
	if err != nil {
		return "", nil, fmt.Errorf("encode sensitive answers: %w", err)
	}
	sensitive, err = q.seal(plain, aadSensitive)
	if err != nil {
		return "", nil, err
	}
	return string(f), sensitive, nil
}

// AppendEvent adds an event to a ticket's timeline and sets its ID; At
// defaults to now. ErrInvalid if the ticket does not exist.
func (q *queries) AppendEvent(ctx context.Context, e *hotline.Event) error {
	if e.At.IsZero() {
		e.At = q.now()
	}
	data, err := json.Marshal(e.Data)
	if err != nil {
		return fmt.Errorf("append %s event to ticket %d: encode data: %w", e.Kind, e.TicketID, err)
	}
	err = q.db.QueryRowContext(ctx, `
		INSERT INTO events (ticket_id, kind, actor, reason, data, at)
		VALUES (?, ?, ?, ?, ?, ?)
		RETURNING id`,
		e.TicketID, e.Kind, e.Actor, e.Reason, string(data), micros(e.At)).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("append %s event to ticket %d: %w", e.Kind, e.TicketID, dbError(err))
	}
	return nil
}

// TicketEvents returns a ticket's timeline, oldest first.
func (q *queries) TicketEvents(ctx context.Context, ticketID int64) ([]hotline.Event, error) {
	rows, err := q.db.QueryContext(ctx, `
		SELECT id, ticket_id, kind, actor, reason, data, at
		FROM events WHERE ticket_id = ? ORDER BY id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("list events of ticket %d: %w", ticketID, err)
	}
	defer rows.Close()
	var es []hotline.Event
	for rows.Next() {
		var (
			e    hotline.Event
			data string
			at   int64
		)
		if err := rows.Scan(&e.ID, &e.TicketID, &e.Kind, &e.Actor, &e.Reason, &data, &at); err != nil {
			return nil, fmt.Errorf("list events of ticket %d: %w", ticketID, err)
		}
		if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
			return nil, fmt.Errorf("event %d data: %w", e.ID, err)
		}
		e.At = fromMicros(at)
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list events of ticket %d: %w", ticketID, err)
	}
	return es, nil
}
