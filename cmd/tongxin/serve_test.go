package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedWriter is a writer several goroutines may share.
type lockedWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// served is `tongxin serve` running in the background.
type served struct {
	addr   string
	lines  []string // the announcement, up to its last line
	cancel context.CancelFunc
	done   chan error
}

var listening = regexp.MustCompile(`^Tongxin is listening on (\S+)$`)

// startServe runs serve on a free port and reads its announcement from
// stdout as an operator would.
func startServe(t *testing.T, dir string) *served {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{cancel: cancel, done: make(chan error, 1)}
	stderr := &lockedWriter{}
	go func() {
		err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, getenvFrom(nil), strings.NewReader(""), pw, stderr)
		pw.Close()
		s.done <- err
	}()
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	timeout := time.After(20 * time.Second)
	for s.addr == "" || !strings.Contains(s.lines[len(s.lines)-1], "tongxin chat") {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve stopped before announcing itself: %v\nstdout:\n%s\nstderr:\n%s", <-s.done, strings.Join(s.lines, "\n"), stderr)
			}
			s.lines = append(s.lines, l)
			if m := listening.FindStringSubmatch(l); m != nil {
				s.addr = m[1]
			}
		case <-timeout:
			t.Fatalf("no complete announcement; so far:\n%s\nstderr:\n%s", strings.Join(s.lines, "\n"), stderr)
		}
	}
	// Keep draining stdout so that nothing the server prints blocks it.
	go func() {
		for range lines {
		}
	}()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop cancels serve as a SIGTERM would and waits for it to return.
func (s *served) stop(t *testing.T) error {
	t.Helper()
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not return after cancel")
		return nil
	}
}

func (s *served) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + s.addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *served) announced(text string) bool {
	for _, l := range s.lines {
		if strings.Contains(l, text) {
			return true
		}
	}
	return false
}

func TestServeWithoutTelegram(t *testing.T) {
	dir := t.TempDir()
	for _, start := range []string{"first start", "second start"} {
		t.Run(start, func(t *testing.T) {
			s := startServe(t, dir)
			if !strings.HasPrefix(s.addr, "127.0.0.1:") || strings.HasSuffix(s.addr, ":0") {
				t.Fatalf("announced address %q, want the port actually bound", s.addr)
			}
			for path, want := range map[string]string{"/healthz": "ok\n", "/readyz": "ready\n"} {
				if code, body := s.get(t, path); code != http.StatusOK || body != want {
					t.Errorf("GET %s = %d %q, want 200 %q", path, code, body, want)
				}
			}
			if code, _ := s.get(t, "/webhooks/telegram"); code != http.StatusNotFound {
				t.Errorf("GET /webhooks/telegram = %d, want 404: no webhook while Telegram is off", code)
			}
			for _, want := range []string{
				"store:    embedded SQLite in " + dir,
				"telegram: off; set TONGXIN_TELEGRAM_TOKEN to turn it on",
				"TONGXIN_TELEGRAM_WEBHOOK_SECRET",
				"tongxin chat",
				"zh-Hans (source)",
			} {
				if !s.announced(want) {
					t.Errorf("the announcement lacks %q:\n%s", want, strings.Join(s.lines, "\n"))
				}
			}
			// The key and the seed are announced when they are new only.
			first := start == "first start"
			if got := s.announced("a new encryption key was written"); got != first {
				t.Errorf("new key announced: %v, want %v", got, first)
			}
			if got := s.announced("seed:"); got != first {
				t.Errorf("seed announced: %v, want %v", got, first)
			}
			if err := s.stop(t); err != nil {
				t.Fatalf("serve returned %v after cancel, want nil", err)
			}
			if _, err := http.Get("http://" + s.addr + "/healthz"); err == nil {
				t.Error("the server still answers after it returned")
			}
		})
	}
}
