package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tongxin/tongxin/internal/hotline"
)

// PutBureau inserts or replaces a bureau.
func (q *queries) PutBureau(ctx context.Context, b hotline.Bureau) error {
	_, err := q.db.ExecContext(ctx, `
		INSERT INTO bureaus (code, name_zh, address, hours, phone) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET
			name_zh = excluded.name_zh, address = excluded.address,
			hours = excluded.hours, phone = excluded.phone`,
		b.Code, b.NameZh, b.Address, b.Hours, b.Phone)
	if err != nil {
		return fmt.Errorf("put bureau %s: %w", b.Code, dbError(err))
	}
	return nil
}

// Bureaus returns every bureau, ordered by code.
func (q *queries) Bureaus(ctx context.Context) ([]hotline.Bureau, error) {
	bs, err := q.selectBureaus(ctx, `ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("list bureaus: %w", err)
	}
	return bs, nil
}

// FindBureau returns a bureau or ErrNotFound.
func (q *queries) FindBureau(ctx context.Context, code string) (*hotline.Bureau, error) {
	bs, err := q.selectBureaus(ctx, `WHERE code = ?`, code)
	if err != nil {
		return nil, fmt.Errorf("find bureau %s: %w", code, err)
	}
	if len(bs) == 0 {
		return nil, fmt.Errorf("find bureau %s: %w", code, hotline.ErrNotFound)
	}
	return &bs[0], nil
}

func (q *queries) selectBureaus(ctx context.Context, tail string, args ...any) ([]hotline.Bureau, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT code, name_zh, address, hours, phone FROM bureaus `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var bs []hotline.Bureau
	for rows.Next() {
		var b hotline.Bureau
		if err := rows.Scan(&b.Code, &b.NameZh, &b.Address, &b.Hours, &b.Phone); err != nil {
			return nil, err
		}
		bs = append(bs, b)
	}
	return bs, rows.Err()
}

// parentLevel gives, for each level, the level its parent must have; the
// top level has none.
var parentLevel = map[string]string{
	hotline.LevelCity:      "",
	hotline.LevelDistrict:  hotline.LevelCity,
	hotline.LevelStreet:    hotline.LevelDistrict,
	hotline.LevelCommunity: hotline.LevelStreet,
}

// PutJurisdiction inserts or replaces a node. ErrInvalid if its level is
// unknown, its parent does not exist, or its level does not follow the
// parent's (city → district → street → community; only a city has no
// parent).
func (q *queries) PutJurisdiction(ctx context.Context, j hotline.Jurisdiction) error {
	if err := q.checkJurisdiction(ctx, j); err != nil {
		return fmt.Errorf("put jurisdiction %s: %w", j.Code, err)
	}
	_, err := q.db.ExecContext(ctx, `
		INSERT INTO jurisdictions (code, parent, level, name_zh, pinyin) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET
			parent = excluded.parent, level = excluded.level,
			name_zh = excluded.name_zh, pinyin = excluded.pinyin`,
		j.Code, sql.NullString{String: j.Parent, Valid: j.Parent != ""}, j.Level, j.NameZh, j.Pinyin)
	if err != nil {
		return fmt.Errorf("put jurisdiction %s: %w", j.Code, dbError(err))
	}
	return nil
}

func (q *queries) checkJurisdiction(ctx context.Context, j hotline.Jurisdiction) error {
	want, ok := parentLevel[j.Level]
	switch {
	case j.Code == "":
		return fmt.Errorf("no code: %w", hotline.ErrInvalid)
	case !ok:
		return fmt.Errorf("unknown level %q: %w", j.Level, hotline.ErrInvalid)
	case j.Parent == j.Code:
		return fmt.Errorf("its own parent: %w", hotline.ErrInvalid)
	case j.Parent == "" && want != "":
		return fmt.Errorf("a %s needs a parent: %w", j.Level, hotline.ErrInvalid)
	case j.Parent != "" && want == "":
		return fmt.Errorf("a %s has no parent: %w", j.Level, hotline.ErrInvalid)
	}
	if j.Parent != "" {
		var got string
		err := q.db.QueryRowContext(ctx, `SELECT level FROM jurisdictions WHERE code = ?`, j.Parent).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("parent %s does not exist: %w", j.Parent, hotline.ErrInvalid)
		}
		if err != nil {
			return fmt.Errorf("read parent %s: %w", j.Parent, err)
		}
		if got != want {
			return fmt.Errorf("a %s cannot be under a %s: %w", j.Level, got, hotline.ErrInvalid)
		}
	}
	// Replacing a node must not break the rule for its children either;
	// this also keeps the tree free of cycles.
	var child string
	err := q.db.QueryRowContext(ctx, `SELECT level FROM jurisdictions WHERE parent = ? LIMIT 1`, j.Code).Scan(&child)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read children: %w", err)
	}
	if parentLevel[child] != j.Level {
		return fmt.Errorf("its children are %s level, which cannot be under a %s: %w", child, j.Level, hotline.ErrInvalid)
	}
	return nil
}

// Jurisdictions returns the children of parent ordered by code; parent ""
// returns the top level.
func (q *queries) Jurisdictions(ctx context.Context, parent string) ([]hotline.Jurisdiction, error) {
	var (
		js  []hotline.Jurisdiction
		err error
	)
	if parent == "" {
		js, err = q.selectJurisdictions(ctx, `WHERE parent IS NULL ORDER BY code`)
	} else {
		js, err = q.selectJurisdictions(ctx, `WHERE parent = ? ORDER BY code`, parent)
	}
	if err != nil {
		return nil, fmt.Errorf("list jurisdictions under %q: %w", parent, err)
	}
	return js, nil
}

// FindJurisdiction returns a node or ErrNotFound.
func (q *queries) FindJurisdiction(ctx context.Context, code string) (*hotline.Jurisdiction, error) {
	js, err := q.selectJurisdictions(ctx, `WHERE code = ?`, code)
	if err != nil {
		return nil, fmt.Errorf("find jurisdiction %s: %w", code, err)
	}
	if len(js) == 0 {
		return nil, fmt.Errorf("find jurisdiction %s: %w", code, hotline.ErrNotFound)
	}
	return &js[0], nil
}

func (q *queries) selectJurisdictions(ctx context.Context, tail string, args ...any) ([]hotline.Jurisdiction, error) {
	rows, err := q.db.QueryContext(ctx, `
		SELECT code, COALESCE(parent, ''), level, name_zh, pinyin FROM jurisdictions `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var js []hotline.Jurisdiction
	for rows.Next() {
		var j hotline.Jurisdiction
		if err := rows.Scan(&j.Code, &j.Parent, &j.Level, &j.NameZh, &j.Pinyin); err != nil {
			return nil, err
		}
		js = append(js, j)
	}
	return js, rows.Err()
}

// PutRoute inserts or replaces a category's route.
func (q *queries) PutRoute(ctx context.Context, r hotline.Route) error {
	_, err := q.db.ExecContext(ctx, `
		INSERT INTO routes (category, bureau, co_bureau, priority, local, note) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (category) DO UPDATE SET
			bureau = excluded.bureau, co_bureau = excluded.co_bureau, priority = excluded.priority,
			local = excluded.local, note = excluded.note`,
		r.Category, r.Bureau, r.CoBureau, r.Priority, r.Local, r.Note)
	if err != nil {
		return fmt.Errorf("put route %s: %w", r.Category, dbError(err))
	}
	return nil
}

// Routes returns the routing table ordered by category.
func (q *queries) Routes(ctx context.Context) ([]hotline.Route, error) {
	rs, err := q.selectRoutes(ctx, `ORDER BY category`)
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	return rs, nil
}

// FindRoute returns a category's route or ErrNotFound.
func (q *queries) FindRoute(ctx context.Context, category string) (*hotline.Route, error) {
	rs, err := q.selectRoutes(ctx, `WHERE category = ?`, category)
	if err != nil {
		return nil, fmt.Errorf("find route %s: %w", category, err)
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("find route %s: %w", category, hotline.ErrNotFound)
	}
	return &rs[0], nil
}

func (q *queries) selectRoutes(ctx context.Context, tail string, args ...any) ([]hotline.Route, error) {
	rows, err := q.db.QueryContext(ctx, `
		SELECT category, bureau, co_bureau, priority, local, note FROM routes `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var rs []hotline.Route
	for rows.Next() {
		var r hotline.Route
		if err := rows.Scan(&r.Category, &r.Bureau, &r.CoBureau, &r.Priority, &r.Local, &r.Note); err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, rows.Err()
}

// PutSLA inserts or replaces an SLA rule.
func (q *queries) PutSLA(ctx context.Context, s hotline.SLA) error {
	_, err := q.db.ExecContext(ctx, `
		INSERT INTO slas (category, priority, first_response_us, resolution_us) VALUES (?, ?, ?, ?)
		ON CONFLICT (category, priority) DO UPDATE SET
			first_response_us = excluded.first_response_us, resolution_us = excluded.resolution_us`,
		s.Category, s.Priority, s.FirstResponse.Microseconds(), s.Resolution.Microseconds())
	if err != nil {
		return fmt.Errorf("put sla %s/%s: %w", s.Category, s.Priority, dbError(err))
	}
	return nil
}

// SLAs returns the SLA table ordered by category and priority.
func (q *queries) SLAs(ctx context.Context) ([]hotline.SLA, error) {
	ss, err := q.selectSLAs(ctx, `ORDER BY category, priority`)
	if err != nil {
		return nil, fmt.Errorf("list slas: %w", err)
	}
	return ss, nil
}

// FindSLA returns the rule for a category and priority, falling back to
// category "*"; ErrNotFound when neither exists.
func (q *queries) FindSLA(ctx context.Context, category, priority string) (*hotline.SLA, error) {
	ss, err := q.selectSLAs(ctx, `
		WHERE priority = ? AND category IN (?, '*')
		ORDER BY category = '*' LIMIT 1`, priority, category)
	if err != nil {
		return nil, fmt.Errorf("find sla %s/%s: %w", category, priority, err)
	}
	if len(ss) == 0 {
		return nil, fmt.Errorf("find sla %s/%s: %w", category, priority, hotline.ErrNotFound)
	}
	return &ss[0], nil
}

func (q *queries) selectSLAs(ctx context.Context, tail string, args ...any) ([]hotline.SLA, error) {
	rows, err := q.db.QueryContext(ctx, `
		SELECT category, priority, first_response_us, resolution_us FROM slas `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ss []hotline.SLA
	for rows.Next() {
		var (
			s                         hotline.SLA
			firstResponse, resolution int64
		)
		if err := rows.Scan(&s.Category, &s.Priority, &firstResponse, &resolution); err != nil {
			return nil, err
		}
		s.FirstResponse = time.Duration(firstResponse) * time.Microsecond
		s.Resolution = time.Duration(resolution) * time.Microsecond
		ss = append(ss, s)
	}
	return ss, rows.Err()
}
