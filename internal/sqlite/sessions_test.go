package sqlite_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/sessiontest"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/sqlite"
	"github.com/tongxin/tongxin/internal/storetest"
)

func TestSessions(t *testing.T) {
	sessiontest.Run(t, func(t *testing.T, clock *sessiontest.Clock) bot.Sessions {
		s, err := sqlite.Open(context.Background(), t.TempDir(), storetest.NewSealer(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s.Sessions(sessiontest.TTL, clock.Now)
	})
}

func TestSessionsSurviveReopenAndAreSealed(t *testing.T) {
	dir := t.TempDir()
	box := storetest.NewSealer(t)
	ctx := context.Background()
	s, err := sqlite.Open(ctx, dir, box)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Sessions(time.Hour, nil).Put(ctx, "telegram:9", &bot.Session{Flow: "jobs", Answers: map[string]string{"name": "ᠪᠠᠲᠤ"}})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, f := range []string{"tongxin.db", "tongxin.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if bytes.Contains(b, []byte("ᠪᠠᠲᠤ")) {
			t.Errorf("%s holds a session answer in plain text", f)
		}
	}
	s, err = sqlite.Open(ctx, dir, box)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Sessions(time.Hour, nil).Get(ctx, "telegram:9")
	if err != nil || got == nil || got.Flow != "jobs" || got.Answers["name"] != "ᠪᠠᠲᠤ" {
		t.Fatalf("after reopening: %+v, %v", got, err)
	}
}

func TestSessionsPutTxCommitsWithTheTransaction(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, t.TempDir(), storetest.NewSealer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ss := s.Sessions(time.Hour, nil)
	boom := errors.New("boom")
	err = s.Update(ctx, func(tx hotline.Tx) error {
		if err := ss.PutTx(ctx, tx, "k", &bot.Session{Flow: "jobs"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got, _ := ss.Get(ctx, "k"); got != nil {
		t.Fatalf("a session saved in a rolled-back transaction was kept: %+v", got)
	}
	err = s.Update(ctx, func(tx hotline.Tx) error { return ss.PutTx(ctx, tx, "k", &bot.Session{Flow: "jobs"}) })
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := ss.Get(ctx, "k"); got == nil || got.Flow != "jobs" {
		t.Fatalf("committed session: %+v", got)
	}
	other, err := sqlite.Open(ctx, t.TempDir(), storetest.NewSealer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	err = other.Update(ctx, func(tx hotline.Tx) error { return ss.PutTx(ctx, tx, "k", &bot.Session{}) })
	if err == nil {
		t.Fatal("a session saved through another store's transaction")
	}
}
