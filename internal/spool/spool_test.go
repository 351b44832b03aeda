package spool_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tongxin/tongxin/internal/spool"
	"github.com/tongxin/tongxin/internal/storetest"
)

func TestPutThenDrain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	s := &spool.Spool{Dir: dir, Sealer: storetest.NewSealer(t)}
	for _, b := range []string{"Body=第一条", "Body=second", "Body=ئۈچىنچى"} {
		if err := s.Put("sms-"+b[5:], []byte(b)); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing readable in plain text on disk.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		raw, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if bytes.Contains(raw, []byte("second")) {
			t.Errorf("%s holds the body in plain text", e.Name())
		}
	}
	// A store that fails keeps everything for later.
	boom := errors.New("database down")
	n, err := s.Drain(context.Background(), func(context.Context, string, []byte) error { return boom })
	if !errors.Is(err, boom) || n != 0 {
		t.Fatalf("failing drain: %d, %v", n, err)
	}
	var got []string
	n, err = s.Drain(context.Background(), func(_ context.Context, _ string, b []byte) error {
		got = append(got, string(b))
		return nil
	})
	if err != nil || n != 3 || len(got) != 3 {
		t.Fatalf("drain took %d (%v): %v", n, err, got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("%d files left after draining", len(entries))
	}
	if n, err := s.Drain(context.Background(), nil); n != 0 || err != nil {
		t.Errorf("empty spool: %d, %v", n, err)
	}
}
