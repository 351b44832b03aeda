// Package tgfake is a fake Telegram Bot API server for tests and local demos.
//
// It is a real http.Handler: wrap it with httptest.NewServer and point the
// go-telegram/bot client at it with bot.WithServerURL. It accepts parameters
// the way the real server does (query string, urlencoded, JSON and multipart
// bodies, non-string fields as JSON text), answers with the real envelope and
// error descriptions, records every call, and delivers updates either to
// getUpdates long polls or to a webhook, one at a time per chat.
//
// Behaviour follows the shared channels research (channels.md §1–§3) and the
// tdlib sources; deviations are documented where they exist (for example,
// webhooks may use plain http so that tests can use httptest.NewServer).
package tgfake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// maxBodyBytes bounds a request body; the fake has no file uploads worth more.
const maxBodyBytes = 8 << 20

// Server is a fake Telegram Bot API server. Create it with New and stop its
// webhook delivery with Close. All methods are safe for concurrent use.
type Server struct {
	token    string
	bot      models.User
	now      func() time.Time
	client   *http.Client
	retryMin time.Duration
	retryMax time.Duration

	ctx    context.Context // canceled by Close; bounds webhook requests
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change

	calls     []Call
	faults    map[string][]fault // by lower-case method name, or "*"
	blocked   map[int64]bool
	chats     map[int64]*chat
	commands  map[string][]models.BotCommand // by commandKey
	callbacks map[string]bool                // callback query id → answered

	nextUpdateID   int64
	nextCallbackID int64
	pending        []*pendingUpdate // not yet confirmed or acknowledged, by update_id
	acked          map[int64]bool
	allowed        []string // allowed_updates; nil means the server default
	pollers        int
	pollGen        int64

	hook       webhook // url == "" while no webhook is set
	inFlight   int
	deliveries []Delivery
	lastError  time.Time
	lastErrMsg string
}

// Call is one recorded Bot API request.
type Call struct {
	Method string            `json:"method"` // canonical spelling, e.g. "sendMessage"
	Params map[string]string `json:"params"` // non-string values as JSON text
	Status int               `json:"status"` // HTTP status the fake answered
	Time   time.Time         `json:"time"`   // when the request arrived
}

// Option configures a Server.
type Option func(*Server)

// WithUsername sets the bot's username returned by getMe (default "tgfake_bot").
func WithUsername(username string) Option {
	return func(s *Server) { s.bot.Username = username }
}

// WithFirstUpdateID sets the update_id of the first delivered update (default 1000).
func WithFirstUpdateID(id int64) Option {
	return func(s *Server) { s.nextUpdateID = id }
}

// WithClock sets the clock used for message dates and recorded times.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// WithRetryBackoff sets the wait between webhook delivery attempts: min after
// the first failure, doubling up to max (defaults 10ms and 200ms; the real
// server starts at 2s and caps at 60–120s). A Retry-After header in the
// webhook's response overrides it.
func WithRetryBackoff(min, max time.Duration) Option {
	return func(s *Server) { s.retryMin, s.retryMax = min, max }
}

// WithWebhookClient sets the HTTP client used for webhook delivery
// (default: a client with a 60s timeout that does not follow redirects).
func WithWebhookClient(c *http.Client) Option {
	return func(s *Server) { s.client = c }
}

// New returns a fake server that accepts the bot token token. The bot's user
// id is the token's numeric prefix (the part before ':'), as on the real server.
func New(token string, opts ...Option) *Server {
	id, err := strconv.ParseInt(strings.SplitN(token, ":", 2)[0], 10, 64)
	if err != nil || id <= 0 {
		id = 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		token: token,
		bot:   models.User{ID: id, IsBot: true, FirstName: "tgfake", Username: "tgfake_bot", CanJoinGroups: true},
		now:   time.Now,
		client: &http.Client{
			Timeout: 60 * time.Second,
			// "Redirects are not supported" (Bot API FAQ): a 3xx is a failed delivery.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		retryMin:       10 * time.Millisecond,
		retryMax:       200 * time.Millisecond,
		ctx:            ctx,
		cancel:         cancel,
		changed:        make(chan struct{}),
		faults:         map[string][]fault{},
		blocked:        map[int64]bool{},
		chats:          map[int64]*chat{},
		commands:       map[string][]models.BotCommand{},
		callbacks:      map[string]bool{},
		nextUpdateID:   1000,
		nextCallbackID: 4_000_000_000_000_000_000,
		acked:          map[int64]bool{},
	}
	for _, o := range opts {
		o(s)
	}
	s.wg.Add(1)
	go s.dispatch()
	return s
}

// Close stops webhook delivery, ends pending long polls and waits for the
// server's goroutines. The handler keeps answering API calls afterwards.
func (s *Server) Close() {
	s.cancel()
	s.wg.Wait()
}

// broadcast wakes every waiter; the caller holds s.mu.
func (s *Server) broadcast() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// wait blocks until cond, evaluated under s.mu, holds or ctx ends.
func (s *Server) wait(ctx context.Context, cond func() bool) error {
	s.mu.Lock()
	for !cond() {
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
	}
	s.mu.Unlock()
	return nil
}

// apiError is a Bot API error answer.
type apiError struct {
	code       int
	desc       string
	retryAfter int
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{code: http.StatusBadRequest, desc: "Bad Request: " + fmt.Sprintf(format, args...)}
}

var (
	errUnauthorized   = &apiError{code: http.StatusUnauthorized, desc: "Unauthorized"}
	errNotFound       = &apiError{code: http.StatusNotFound, desc: "Not Found: method not found"}
	errBlocked        = &apiError{code: http.StatusForbidden, desc: "Forbidden: bot was blocked by the user"}
	errWebhookActive  = &apiError{code: http.StatusConflict, desc: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
	errOtherGetUpdate = &apiError{code: http.StatusConflict, desc: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
)

// ServeHTTP serves /bot{token}/{method}, /bot{token}/test/{method} and the
// control endpoints under /_fake/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_fake/") {
		s.serveControl(w, r)
		return
	}
	start := s.now()
	token, method, ok := splitPath(r.URL.Path)
	if !ok {
		writeError(w, errNotFound)
		return
	}
	params, err := readParams(r)
	name, h := lookup(method)
	var result any
	var aerr *apiError
	switch {
	case token != s.token:
		aerr = errUnauthorized
	case h == nil:
		aerr = errNotFound
	case err != nil:
		aerr = badRequest("%v", err)
	default:
		aerr = s.takeFault(name)
		if aerr == nil {
			result, aerr = h(s, r.Context(), params)
		}
	}
	status := http.StatusOK
	if aerr != nil {
		status = aerr.code
	}
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: name, Params: params, Status: status, Time: start})
	s.broadcast()
	s.mu.Unlock()
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

// splitPath splits "/bot{token}/{method}" or "/bot{token}/test/{method}".
func splitPath(p string) (token, method string, ok bool) {
	rest, ok := strings.CutPrefix(p, "/bot")
	if !ok {
		return "", "", false
	}
	token, method, ok = strings.Cut(rest, "/")
	method = strings.TrimPrefix(method, "test/")
	return token, method, ok && method != "" && !strings.Contains(method, "/")
}

// readParams merges the query string with an urlencoded, JSON or multipart body.
func readParams(r *http.Request) (map[string]string, error) {
	p := map[string]string{}
	for k, v := range r.URL.Query() {
		p[k] = v[0]
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		return p, fmt.Errorf("read body: %w", err)
	}
	// go-telegram/bot sends an empty body with a multipart content type when a
	// method has no parameters, so an empty body is never an error.
	if len(bytes.TrimSpace(body)) == 0 {
		return p, nil
	}
	ct, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return p, fmt.Errorf("can't parse JSON object")
		}
		for k, v := range m {
			var str string
			switch {
			case string(v) == "null":
			case json.Unmarshal(v, &str) == nil:
				p[k] = str
			default:
				p[k] = string(v)
			}
		}
	case "multipart/form-data":
		form, err := multipart.NewReader(bytes.NewReader(body), ctParams["boundary"]).ReadForm(maxBodyBytes)
		if err != nil {
			return p, fmt.Errorf("can't parse multipart form: %v", err)
		}
		defer form.RemoveAll()
		for k, v := range form.Value {
			p[k] = v[0]
		}
	default:
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return p, fmt.Errorf("can't parse urlencoded body")
		}
		for k, v := range q {
			p[k] = v[0]
		}
	}
	return p, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes the real server's error envelope; 429 adds retry_after
// and a Retry-After header.
func writeError(w http.ResponseWriter, e *apiError) {
	body := map[string]any{"ok": false, "error_code": e.code, "description": e.desc}
	if e.code == http.StatusTooManyRequests {
		body["parameters"] = map[string]int{"retry_after": e.retryAfter}
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	writeJSON(w, e.code, body)
}

// Calls returns every recorded API call in order of completion.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the recorded calls to method (matched case-insensitively).
func (s *Server) CallsTo(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callsTo(method)
}

func (s *Server) callsTo(method string) []Call {
	var out []Call
	for _, c := range s.calls {
		if strings.EqualFold(c.Method, method) {
			out = append(out, c)
		}
	}
	return out
}

// WaitCalls waits until at least n calls to method were recorded and returns them.
func (s *Server) WaitCalls(ctx context.Context, method string, n int) ([]Call, error) {
	var got []Call
	err := s.wait(ctx, func() bool { got = s.callsTo(method); return len(got) >= n })
	if err != nil {
		return got, fmt.Errorf("wait for %d calls to %s (got %d): %w", n, method, len(got), err)
	}
	return got, nil
}

// fault is one queued injected failure.
type fault struct {
	count, status, retryAfter int
}

// FailNext makes the next n sendMessage calls fail with status (429 with
// retry_after, or a 5xx). Failed calls are recorded but create no message.
func (s *Server) FailNext(n, status, retryAfter int) {
	s.FailMethod("sendMessage", n, status, retryAfter)
}

// FailMethod makes the next n calls to method fail with status; method "*"
// matches every method. Faults queue up behind earlier ones for the same method.
func (s *Server) FailMethod(method string, n, status, retryAfter int) {
	if n <= 0 {
		return
	}
	key := strings.ToLower(method)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[key] = append(s.faults[key], fault{count: n, status: status, retryAfter: retryAfter})
}

// takeFault consumes one injected failure for method, if any.
func (s *Server) takeFault(method string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []string{strings.ToLower(method), "*"} {
		q := s.faults[key]
		if len(q) == 0 {
			continue
		}
		f := q[0]
		if q[0].count--; q[0].count == 0 {
			s.faults[key] = q[1:]
		}
		if f.status == http.StatusTooManyRequests {
			return &apiError{code: f.status, desc: fmt.Sprintf("Too Many Requests: retry after %d", f.retryAfter), retryAfter: f.retryAfter}
		}
		return &apiError{code: f.status, desc: http.StatusText(f.status)}
	}
	return nil
}

// Block makes sends and edits to chatID fail with 403 "bot was blocked by the user".
func (s *Server) Block(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[chatID] = true
}

// Unblock undoes Block.
func (s *Server) Unblock(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.blocked, chatID)
}

// serveControl serves the endpoints for non-Go users:
//
//	POST /_fake/updates  an Update without update_id → {"ok":true,"result":{"update_id":N}}
//	GET  /_fake/calls    the recorded calls as a JSON array
//	POST /_fake/fail     {"method":"sendMessage","count":1,"status":429,"retry_after":3}
//	POST /_fake/block    {"chat_id":42,"blocked":true}
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBodyBytes))
	bad := func(err error) { writeError(w, badRequest("%v", err)) }
	switch r.Method + " " + r.URL.Path {
	case "POST /_fake/updates":
		var u models.Update
		if err := dec.Decode(&u); err != nil {
			bad(err)
			return
		}
		id, err := s.deliver(u)
		if err != nil {
			bad(err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": map[string]int64{"update_id": id}})
	case "GET /_fake/calls":
		writeJSON(w, http.StatusOK, s.Calls())
	case "POST /_fake/fail":
		var f struct {
			Method     string `json:"method"`
			Count      int    `json:"count"`
			Status     int    `json:"status"`
			RetryAfter int    `json:"retry_after"`
		}
		if err := dec.Decode(&f); err != nil {
			bad(err)
			return
		}
		if f.Method == "" {
			f.Method = "sendMessage"
		}
		if f.Status == 0 {
			f.Status = http.StatusInternalServerError
		}
		s.FailMethod(f.Method, f.Count, f.Status, f.RetryAfter)
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": true})
	case "POST /_fake/block":
		var b struct {
			ChatID  int64 `json:"chat_id"`
			Blocked bool  `json:"blocked"`
		}
		if err := dec.Decode(&b); err != nil {
			bad(err)
			return
		}
		if b.Blocked {
			s.Block(b.ChatID)
		} else {
			s.Unblock(b.ChatID)
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": true})
	default:
		writeError(w, &apiError{code: http.StatusNotFound, desc: "Not Found"})
	}
}
