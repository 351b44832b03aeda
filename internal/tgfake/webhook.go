package tgfake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/go-telegram/bot/models"
)

// webhook is the registered webhook; url == "" means none.
type webhook struct {
	url     string
	secret  string
	maxConn int
}

// Delivery is one attempt to POST an update to the webhook.
type Delivery struct {
	UpdateID int64
	Attempt  int    // 1 for the first attempt
	Status   int    // the webhook's HTTP status; 0 if the request failed
	Err      string // the request error, if any
	Time     time.Time
}

// Deliveries returns every webhook delivery attempt in order of completion.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// WaitDelivered waits until the update was acknowledged: answered with a 2xx
// by the webhook, or confirmed by a later getUpdates offset.
func (s *Server) WaitDelivered(ctx context.Context, updateID int64) error {
	if err := s.wait(ctx, func() bool { return s.acked[updateID] }); err != nil {
		return fmt.Errorf("wait for update %d to be delivered: %w", updateID, err)
	}
	return nil
}

// validSecret checks secret_token: 1–256 characters of A-Z a-z 0-9 _ -.
func validSecret(s string) bool {
	if len(s) < 1 || len(s) > 256 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// setWebhook accepts http as well as https URLs on any port, so that tests can
// use httptest.NewServer; the real server insists on HTTPS and ports 443, 80,
// 88 and 8443.
func (s *Server) setWebhook(_ context.Context, p params) (any, *apiError) {
	hook := webhook{secret: p["secret_token"], maxConn: 40}
	if raw := p["url"]; raw != "" {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
			return nil, badRequest("bad webhook: HTTPS url must be provided for webhook")
		}
		hook.url = raw
	}
	if hook.secret != "" && !validSecret(hook.secret) {
		return nil, badRequest("secret token contains unallowed characters")
	}
	if n, err := strconv.Atoi(p["max_connections"]); err == nil {
		hook.maxConn = min(max(n, 1), 100)
	}
	var allowed []string
	_, hasAllowed := p["allowed_updates"]
	if hasAllowed && json.Unmarshal([]byte(p["allowed_updates"]), &allowed) != nil {
		return nil, badRequest("can't parse allowed_updates JSON array")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = hook
	if hasAllowed {
		s.allowed = allowed
	}
	if p.bool("drop_pending_updates") {
		s.pending = nil
	}
	s.lastError, s.lastErrMsg = time.Time{}, ""
	s.broadcast() // a waiting getUpdates ends with 409
	return true, nil
}

func (s *Server) deleteWebhook(_ context.Context, p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = webhook{}
	if p.bool("drop_pending_updates") {
		s.pending = nil
	}
	s.broadcast()
	return true, nil
}

func (s *Server) getWebhookInfo(context.Context, params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := models.WebhookInfo{URL: s.hook.url, PendingUpdateCount: len(s.pending), AllowedUpdates: s.allowed}
	if s.hook.url != "" {
		info.MaxConnections = s.hook.maxConn
	}
	if !s.lastError.IsZero() {
		info.LastErrorDate, info.LastErrorMessage = int(s.lastError.Unix()), s.lastErrMsg
	}
	return info, nil
}

// dispatch runs until Close, starting webhook deliveries whenever something
// changes or a backoff ends.
func (s *Server) dispatch() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		next := s.startDeliveries()
		changed := s.changed
		s.mu.Unlock()
		var timer *time.Timer
		var due <-chan time.Time
		if !next.IsZero() {
			timer = time.NewTimer(time.Until(next))
			due = timer.C
		}
		select {
		case <-changed:
		case <-due:
		case <-s.ctx.Done():
		}
		if timer != nil {
			timer.Stop()
		}
		if s.ctx.Err() != nil {
			return
		}
	}
}

// startDeliveries starts a request for the oldest pending update of every
// queue that has none in flight and is not backing off, up to max_connections
// requests at once. It returns when the earliest backoff ends (zero if none).
// The caller holds s.mu.
func (s *Server) startDeliveries() time.Time {
	var next time.Time
	if s.hook.url == "" {
		return next
	}
	seen := map[queueKey]bool{}
	now := time.Now()
	for _, u := range s.pending {
		if seen[u.key] {
			continue // a later update of a queue waits for the oldest
		}
		seen[u.key] = true
		switch {
		case u.inFlight:
		case now.Before(u.notBefore):
			if next.IsZero() || u.notBefore.Before(next) {
				next = u.notBefore
			}
		case s.inFlight < s.hook.maxConn:
			u.inFlight = true
			s.inFlight++
			s.wg.Add(1)
			go s.post(u, s.hook)
		}
	}
	return next
}

// post makes one delivery attempt and records its outcome.
func (s *Server) post(u *pendingUpdate, hook webhook) {
	defer s.wg.Done()
	status, retryAfter, errMsg := s.postOnce(u.body, hook)
	s.mu.Lock()
	defer s.mu.Unlock()
	u.inFlight = false
	s.inFlight--
	u.attempts++
	d := Delivery{UpdateID: u.id, Attempt: u.attempts, Status: status, Time: s.now()}
	if status == 0 {
		d.Err = errMsg
	}
	s.deliveries = append(s.deliveries, d)
	if status >= 200 && status < 300 {
		s.pending = slices.DeleteFunc(s.pending, func(p *pendingUpdate) bool { return p == u })
		s.acked[u.id] = true
	} else {
		delay := s.retryMax
		if u.attempts < 32 {
			delay = min(s.retryMin<<(u.attempts-1), s.retryMax)
		}
		if retryAfter > 0 {
			delay = time.Duration(min(retryAfter, 3600)) * time.Second
		}
		u.notBefore = time.Now().Add(delay)
		s.lastError, s.lastErrMsg = s.now(), errMsg
	}
	s.broadcast()
}

// postOnce POSTs body to the webhook. It returns the status (0 if the request
// failed), the Retry-After seconds, and the message getWebhookInfo reports.
func (s *Server) postOnce(body []byte, hook webhook) (status, retryAfter int, errMsg string) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, hook.url, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	if hook.secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", hook.secret)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, 0, err.Error()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	retryAfter, _ = strconv.Atoi(resp.Header.Get("Retry-After"))
	return resp.StatusCode, retryAfter, "Wrong response from the webhook: " + resp.Status
}
