package smsfake

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

// TemplateGateway is a fake mainland template gateway: POST / with a JSON
// template message and "Authorization: Bearer <key>" (see notify.Sender).
type TemplateGateway struct {
	key string

	mu      sync.Mutex
	sent    []Template
	fail    []string // codes to answer the next requests with
	changed chan struct{}
}

// Template is one template message the gateway accepted.
type Template struct {
	Phone     string            `json:"phone"`
	Signature string            `json:"signature"`
	Template  string            `json:"template"`
	Kind      string            `json:"kind"`
	Params    map[string]string `json:"params"`
}

// NewTemplateGateway returns a gateway accepting key.
func NewTemplateGateway(key string) *TemplateGateway {
	return &TemplateGateway{key: key, changed: make(chan struct{})}
}

// FailNext makes the next requests answer with these error codes.
func (g *TemplateGateway) FailNext(codes ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fail = append(g.fail, codes...)
}

// Sent returns the templates accepted for phone, in order.
func (g *TemplateGateway) Sent(phone string) []Template {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []Template
	for _, t := range g.sent {
		if t.Phone == phone {
			out = append(out, t)
		}
	}
	return out
}

// WaitSent waits until n templates were accepted for phone.
func (g *TemplateGateway) WaitSent(ctx context.Context, phone string, n int) ([]Template, error) {
	for {
		g.mu.Lock()
		ch := g.changed
		g.mu.Unlock()
		if got := g.Sent(phone); len(got) >= n {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return g.Sent(phone), ctx.Err()
		case <-ch:
		}
	}
}

// ServeHTTP implements http.Handler.
func (g *TemplateGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer "+g.key {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"code": "InvalidAccessKeyId.NotFound", "message": "bad key"})
		return
	}
	var t Template
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&t); err != nil || t.Phone == "" || t.Template == "" || t.Signature == "" {
		json.NewEncoder(w).Encode(map[string]string{"code": "isv.INVALID_PARAMETERS", "message": "phone, signature and template are required"})
		return
	}
	g.mu.Lock()
	if len(g.fail) > 0 {
		code := g.fail[0]
		g.fail = g.fail[1:]
		g.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]string{"code": code, "message": "injected"})
		return
	}
	g.sent = append(g.sent, t)
	id := len(g.sent)
	close(g.changed)
	g.changed = make(chan struct{})
	g.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]any{"code": "OK", "id": "biz-" + strconv.Itoa(id)})
}
