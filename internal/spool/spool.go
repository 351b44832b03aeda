// Package spool keeps inbound webhook bodies on disk when the store cannot
// take them, so that a gateway that does not retry (Twilio does not retry
// a 5xx) loses nothing. Bodies are sealed: they hold what residents said.
package spool

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tongxin/tongxin/internal/hotline"
)

const aad = "spool.body"

// Spool is a directory of sealed bodies waiting to be stored.
type Spool struct {
	Dir    string
	Sealer hotline.Sealer
}

// Put writes a body under name (made safe for a file name). The file
// appears whole or not at all.
func (s *Spool) Put(name string, body []byte) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	sealed, err := s.Sealer.Seal(body, aad)
	if err != nil {
		return fmt.Errorf("spool: seal: %w", err)
	}
	tmp, err := os.CreateTemp(s.Dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(sealed)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("spool: write: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.Dir, safe(name))); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// Drain hands every spooled body to store, oldest first, and removes the
// ones it took. It stops at the first error and reports how many it took.
func (s *Spool) Drain(ctx context.Context, store func(ctx context.Context, name string, body []byte) error) (int, error) {
	entries, err := os.ReadDir(s.Dir)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("spool: %w", err)
	}
	type file struct {
		name string
		mod  int64
	}
	var files []file
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		files = append(files, file{e.Name(), info.ModTime().UnixNano()})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].mod < files[j].mod })
	n := 0
	for _, f := range files {
		path := filepath.Join(s.Dir, f.name)
		sealed, err := os.ReadFile(path)
		if err != nil {
			return n, fmt.Errorf("spool: %w", err)
		}
		body, err := s.Sealer.Open(sealed, aad)
		if err != nil {
			return n, fmt.Errorf("spool: open %s: %w", f.name, err)
		}
		if err := store(ctx, f.name, body); err != nil {
			return n, err
		}
		if err := os.Remove(path); err != nil {
			return n, fmt.Errorf("spool: %w", err)
		}
		n++
	}
	return n, nil
}

// safe keeps letters, digits, '-' and '_' of a name.
func safe(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, name)
}
