package bot

import (
	"context"
	"sync"
	"time"
)

// Session is where a resident is in a conversation. It is small and
// short-lived; whatever must last goes to the store through Actions.
type Session struct {
	// Flow and Step name the form in progress; empty when none.
	Flow string `json:"flow,omitempty"`
	Step string `json:"step,omitempty"`
	// Sub is a step's own sub-state (a place typed instead of chosen).
	Sub string `json:"sub,omitempty"`
	// Seq increases with every form prompt; buttons carry it, so a button
	// from an old prompt is recognised.
	Seq int `json:"seq"`
	// Answers holds the form's answers so far.
	Answers map[string]string `json:"answers,omitempty"`
	// Menu holds the choices last offered, so that a typed number or
	// label picks one.
	Menu []Choice `json:"menu,omitempty"`
	// Offered holds the codes of the places last offered, which their
	// buttons refer to by index.
	Offered []string `json:"offered,omitempty"`
	// Expired is set by a Sessions store when the session lapsed; the
	// engine then starts cleanly and says so.
	Expired bool `json:"-"`
}

// Sessions keeps sessions by conversation key with an expiry.
type Sessions interface {
	// Get returns the session for key, or nil when there is none. A session
	// that lapsed is returned once more with Expired set, then forgotten.
	Get(ctx context.Context, key string) (*Session, error)
	// Put stores the session and restarts its expiry.
	Put(ctx context.Context, key string, s *Session) error
}

// MemorySessions keeps sessions in process memory. Lapsed sessions are
// remembered as lapsed for Grace, so a resident who returns within that
// time is told their form was closed.
type MemorySessions struct {
	TTL   time.Duration
	Grace time.Duration
	Now   func() time.Time

	mu    sync.Mutex
	items map[string]memEntry
	puts  int
}

type memEntry struct {
	s       Session
	expires time.Time
}

// NewMemorySessions returns a store whose sessions lapse after ttl.
func NewMemorySessions(ttl time.Duration) *MemorySessions {
	return &MemorySessions{TTL: ttl, Grace: 7 * 24 * time.Hour, Now: time.Now, items: map[string]memEntry{}}
}

// Get implements Sessions.
func (m *MemorySessions) Get(_ context.Context, key string) (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.items[key]
	if !ok {
		return nil, nil
	}
	s := cloneSession(e.s)
	if m.Now().After(e.expires) {
		delete(m.items, key)
		s.Expired = true
	}
	return &s, nil
}

// Put implements Sessions.
func (m *MemorySessions) Put(_ context.Context, key string, s *Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.Now()
	m.items[key] = memEntry{s: cloneSession(*s), expires: now.Add(m.TTL)}
	m.puts++
	if m.puts%1024 == 0 {
		for k, e := range m.items {
			if now.After(e.expires.Add(m.Grace)) {
				delete(m.items, k)
			}
		}
	}
	return nil
}

func cloneSession(s Session) Session {
	c := s
	c.Expired = false
	if s.Answers != nil {
		c.Answers = make(map[string]string, len(s.Answers))
		for k, v := range s.Answers {
			c.Answers[k] = v
		}
	}
	c.Menu = append([]Choice(nil), s.Menu...)
	c.Offered = append([]string(nil), s.Offered...)
	return c
}
