package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tongxin/tongxin/internal/hotline"
)

// Setting returns a stored setting, or ErrNotFound.
func (q *queries) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := q.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read setting %s: %w", key, hotline.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	return v, nil
}

// PutSetting stores a setting in a transaction of its own.
func (s *Store) PutSetting(ctx context.Context, key, value string) error {
	return s.q.PutSetting(ctx, key, value)
}

// PutSetting stores a setting, replacing its value.
func (q *queries) PutSetting(ctx context.Context, key, value string) error {
	_, err := q.db.ExecContext(ctx, `
		INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		key, value)
	if err != nil {
		return fmt.Errorf("put setting %s: %w", key, err)
	}
	return nil
}
