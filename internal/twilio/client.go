package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is Twilio's REST API.
const DefaultBaseURL = "https://api.twilio.com"

// Error codes callers act on (twilio.com/docs/errors/{code}).
const (
	CodeUnsubscribed = 21610 // the recipient replied STOP
	CodeRateLimited  = 20429 // too many requests
)

var (
	// ErrUnsubscribed matches an *APIError for a recipient who opted out
	// (code 21610): do not retry until they opt back in.
	ErrUnsubscribed = errors.New("twilio: recipient unsubscribed")
	// ErrRateLimited matches an *APIError for HTTP 429 or code 20429; its
	// RetryAfter says how long to wait, when the gateway said so.
	ErrRateLimited = errors.New("twilio: rate limited")
)

// defaultHTTP is used when Client.HTTP is nil: unlike http.DefaultClient it
// has a timeout.
var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

// maxResponse bounds a REST answer; real ones are about 1 KiB.
const maxResponse = 1 << 20

// Client sends SMS through a Twilio-compatible REST API. The zero BaseURL
// means DefaultBaseURL; a nil HTTP means a client with a 30s timeout.
type Client struct {
	BaseURL    string
	AccountSID string
	AuthToken  string
	HTTP       *http.Client
}

// APIError is an error answer of the REST API. Status is the HTTP status and
// Code Twilio's error code (0 if the body had none). Use errors.Is with
// ErrUnsubscribed or ErrRateLimited, and Retryable.
type APIError struct {
	Status     int
	Code       int
	Message    string
	RetryAfter time.Duration // from a Retry-After header; 0 if absent
}

// Error describes the failure; it never contains credentials.
func (e *APIError) Error() string {
	return fmt.Sprintf("twilio: HTTP %d, code %d: %s", e.Status, e.Code, e.Message)
}

// Is makes errors.Is(err, ErrUnsubscribed) and errors.Is(err, ErrRateLimited) work.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnsubscribed:
		return e.Code == CodeUnsubscribed
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests || e.Code == CodeRateLimited
	}
	return false
}

// Retryable reports whether sending again later may succeed: rate limits,
// 5xx answers and transport failures (the message may then have been sent
// already; the gateway has no idempotency key). Other 4xx answers are
// permanent, and so is the caller's own cancellation.
func Retryable(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return errors.Is(apiErr, ErrRateLimited) || apiErr.Status >= 500
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var urlErr *url.Error
	return errors.As(err, &urlErr)
}

// SendSMS sends body from from to to (E.164 numbers, or a Messaging Service
// SID as from) and returns the message SID. Success is HTTP 201; any other
// answer is an *APIError.
func (c *Client) SendSMS(ctx context.Context, from, to, body string) (string, error) {
	if c.AccountSID == "" || c.AuthToken == "" {
		return "", errors.New("twilio: send sms: account SID and auth token are required")
	}
	form := url.Values{"To": {to}, "Body": {body}}
	if len(from) == 34 && strings.HasPrefix(from, "MG") {
		form.Set("MessagingServiceSid", from)
	} else {
		form.Set("From", from)
	}
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	endpoint := strings.TrimSuffix(base, "/") + "/2010-04-01/Accounts/" + url.PathEscape(c.AccountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("twilio: send sms: %w", err)
	}
	req.SetBasicAuth(c.AccountSID, c.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("twilio: send sms: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil && resp.StatusCode == http.StatusCreated {
		return "", fmt.Errorf("twilio: send sms: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		return "", apiError(resp, data)
	}
	var msg struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(data, &msg); err != nil || msg.SID == "" {
		return "", fmt.Errorf("twilio: send sms: answer without a message sid: %q", truncate(data, 200))
	}
	return msg.SID, nil
}

// apiError builds the *APIError for a non-201 answer.
func apiError(resp *http.Response, data []byte) *APIError {
	var body struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	e := &APIError{Status: resp.StatusCode}
	if json.Unmarshal(data, &body) == nil && (body.Code != 0 || body.Message != "") {
		e.Code, e.Message = body.Code, body.Message
	} else {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if secs, err := strconv.Atoi(ra); err == nil && secs > 0 {
			e.RetryAfter = time.Duration(secs) * time.Second
		} else if t, err := http.ParseTime(ra); err == nil {
			e.RetryAfter = max(time.Until(t), 0)
		}
	}
	return e
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
