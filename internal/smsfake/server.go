// Package smsfake is a fake Twilio-compatible SMS gateway for tests, demos
// and load tests.
//
// Server is an http.Handler serving the one REST call Tongxin makes,
// POST /2010-04-01/Accounts/{AccountSid}/Messages.json, with Twilio's
// checks, error codes and JSON shapes. It records every message and call,
// injects faults (5xx, 429 with Retry-After, opted-out recipients), and acts
// as the gateway calling our webhooks with correctly signed requests
// (PostSMS, PostVoice). Behaviour follows channels.md §5–§6.
package smsfake

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxBody is Twilio's limit on a message body, in characters.
const MaxBody = 1600

// Server is a fake Twilio gateway. All methods are safe for concurrent use.
type Server struct {
	accountSID, authToken string
	now                   func() time.Time
	client                *http.Client

	mu           sync.Mutex
	changed      chan struct{} // closed and replaced whenever a message is recorded
	sent         []SMS
	calls        []Call
	faults       []fault
	unsubscribed map[string]bool
}

// SMS is a message accepted by the fake.
type SMS struct {
	SID      string
	From     string // From, or the MessagingServiceSid
	To       string
	Body     string
	Segments int
	Time     time.Time
}

// Call is one request to the REST API. The credentials are not kept.
type Call struct {
	Method string
	Path   string
	Form   url.Values
	Status int // HTTP status answered
	Code   int // Twilio error code answered; 0 on success
	Time   time.Time
}

type fault struct{ status, code, retryAfter int }

// apiError is a Twilio REST error answer.
type apiError struct {
	status, code int
	message      string
	retryAfter   int
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the clock for recorded times (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithWebhookClient sets the client PostSMS and PostVoice use (default: a
// 15s timeout, Twilio's webhook timeout, and redirects not followed).
func WithWebhookClient(c *http.Client) Option { return func(s *Server) { s.client = c } }

// New returns a fake gateway for the account accountSID with authToken,
// which the REST API requires as basic auth and which signs webhooks.
func New(accountSID, authToken string, opts ...Option) *Server {
	s := &Server{
		accountSID: accountSID,
		authToken:  authToken,
		now:        time.Now,
		client: &http.Client{
			Timeout:       15 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		changed:      make(chan struct{}),
		unsubscribed: map[string]bool{},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// ServeHTTP serves the Messages resource; everything else is a 404 in
// Twilio's format.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	form, _ := url.ParseQuery(string(body))
	msg, aerr := s.serve(r, form, start)
	call := Call{Method: r.Method, Path: r.URL.Path, Form: form, Status: http.StatusCreated, Time: start}
	if aerr != nil {
		call.Status, call.Code = aerr.status, aerr.code
	}
	s.mu.Lock()
	s.calls = append(s.calls, call)
	if msg != nil {
		s.sent = append(s.sent, *msg)
		close(s.changed)
		s.changed = make(chan struct{})
	}
	s.mu.Unlock()
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"sid":                   msg.SID,
		"account_sid":           s.accountSID,
		"to":                    msg.To,
		"from":                  form.Get("From"),
		"messaging_service_sid": nilIfEmpty(form.Get("MessagingServiceSid")),
		"body":                  msg.Body,
		"status":                "queued",
		"num_segments":          strconv.Itoa(msg.Segments),
		"num_media":             "0",
		"direction":             "outbound-api",
		"api_version":           "2010-04-01",
		"date_created":          start.UTC().Format(time.RFC1123Z),
		"date_updated":          start.UTC().Format(time.RFC1123Z),
		"date_sent":             nil,
		"price":                 nil,
		"error_code":            nil,
		"error_message":         nil,
		"uri":                   r.URL.Path[:len(r.URL.Path)-len(".json")] + "/" + msg.SID + ".json",
	})
}

// serve checks a request and returns the message to record or the error to answer.
func (s *Server) serve(r *http.Request, form url.Values, now time.Time) (*SMS, *apiError) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/2010-04-01/Accounts/")
	account, ok2 := strings.CutSuffix(rest, "/Messages.json")
	if !ok || !ok2 || strings.Contains(account, "/") {
		return nil, notFound(r.URL.Path)
	}
	user, pass, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(s.accountSID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.authToken)) != 1 {
		return nil, &apiError{status: http.StatusUnauthorized, code: 20003, message: "Authenticate"}
	}
	if account != s.accountSID {
		return nil, notFound(r.URL.Path)
	}
	if r.Method != http.MethodPost {
		return nil, &apiError{status: http.StatusMethodNotAllowed, code: 20004, message: "Method not allowed"}
	}
	s.mu.Lock()
	var f *fault
	if len(s.faults) > 0 {
		f = &s.faults[0]
		s.faults = s.faults[1:]
	}
	s.mu.Unlock()
	if f != nil {
		return nil, &apiError{status: f.status, code: f.code, message: http.StatusText(f.status), retryAfter: f.retryAfter}
	}
	to, from, body := form.Get("To"), form.Get("From"), form.Get("Body")
	if from == "" {
		from = form.Get("MessagingServiceSid")
	}
	switch {
	case to == "":
		return nil, badRequest(21604, "A 'To' phone number is required.")
	case !isE164(strings.TrimPrefix(to, "whatsapp:")):
		return nil, badRequest(21211, "Invalid 'To' Phone Number: "+to)
	case from == "":
		return nil, badRequest(21603, "A 'From' phone number is required.")
	case body == "":
		return nil, badRequest(21602, "Message body is required.")
	case utf8.RuneCountInString(body) > MaxBody:
		return nil, badRequest(21617, "The concatenated message body exceeds the 1600 character limit.")
	}
	s.mu.Lock()
	unsubscribed := s.unsubscribed[to]
	s.mu.Unlock()
	if unsubscribed {
		return nil, badRequest(21610, "Attempt to send to unsubscribed recipient")
	}
	return &SMS{SID: newSID("SM"), From: from, To: to, Body: body, Segments: Segments(body), Time: now}, nil
}

func badRequest(code int, message string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, message: message}
}

func notFound(path string) *apiError {
	return &apiError{status: http.StatusNotFound, code: 20404, message: "The requested resource " + path + " was not found"}
}

// writeError writes Twilio's error body; a retryAfter adds the header.
func writeError(w http.ResponseWriter, e *apiError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
	}
	writeJSON(w, e.status, map[string]any{
		"code":      e.code,
		"message":   e.message,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", e.code),
		"status":    e.status,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// isE164 reports whether n is "+" and 7 to 15 digits, the first not 0.
func isE164(n string) bool {
	digits, ok := strings.CutPrefix(n, "+")
	if !ok || len(digits) < 7 || len(digits) > 15 || digits[0] == '0' {
		return false
	}
	return strings.Trim(digits, "0123456789") == ""
}

// newSID returns prefix + 32 random lower-case hex digits, like Twilio's SIDs.
func newSID(prefix string) string {
	var b [16]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// FailNext makes the next n Messages requests that pass authentication fail
// with httpStatus and Twilio error code (0: 20000+httpStatus, e.g. 20500
// "Internal Server Error", 20429 "Too Many Requests"). A retryAfter > 0 adds
// a Retry-After header, in seconds.
func (s *Server) FailNext(n, httpStatus, code, retryAfter int) {
	if code == 0 {
		code = 20000 + httpStatus
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{status: httpStatus, code: code, retryAfter: retryAfter})
	}
}

// Unsubscribe makes sends to number fail with 400, code 21610, as after
// the recipient replied STOP, until Resubscribe.
func (s *Server) Unsubscribe(number string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unsubscribed[number] = true
}

// Resubscribe undoes Unsubscribe, as after the recipient replied START.
func (s *Server) Resubscribe(number string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.unsubscribed, number)
}

// All returns every accepted message in order.
func (s *Server) All() []SMS {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SMS(nil), s.sent...)
}

// Sent returns the accepted messages to to, in order; to "" means all.
func (s *Server) Sent(to string) []SMS {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sentTo(to)
}

func (s *Server) sentTo(to string) []SMS {
	var out []SMS
	for _, m := range s.sent {
		if to == "" || m.To == to {
			out = append(out, m)
		}
	}
	return out
}

// WaitSent waits until at least n messages to to ("" means any) were
// accepted and returns them all, or returns ctx's error with those so far.
func (s *Server) WaitSent(ctx context.Context, to string, n int) ([]SMS, error) {
	for {
		s.mu.Lock()
		got, ch := s.sentTo(to), s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return got, fmt.Errorf("wait for %d messages, got %d: %w", n, len(got), ctx.Err())
		}
	}
}

// Calls returns every REST request in order, with its answer's status.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// gsmBasic and gsmExt are the GSM 03.38 default alphabet and its extension
// table (each extension character costs two septets).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExt = "\f^{}\\[~]|€"
)

// Segments counts the SMS parts body needs: GSM-7 (160 septets, 153 per part
// when concatenated) unless any character is outside it, then UCS-2 (70
// UTF-16 units, 67 per part, never splitting a surrogate pair).
func Segments(body string) int {
	septets, units, gsm := 0, 0, true
	for _, r := range body {
		switch {
		case strings.ContainsRune(gsmBasic, r):
			septets++
		case strings.ContainsRune(gsmExt, r):
			septets += 2
		default:
			gsm = false
		}
		units += utf16.RuneLen(r)
	}
	switch {
	case body == "":
		return 0
	case gsm && septets <= 160:
		return 1
	case gsm:
		return (septets + 152) / 153
	case units <= 70:
		return 1
	}
	segs, cur := 1, 0
	for _, r := range body {
		l := utf16.RuneLen(r)
		if cur+l > 67 {
			segs, cur = segs+1, 0
		}
		cur += l
	}
	return segs
}
