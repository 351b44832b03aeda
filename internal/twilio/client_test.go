package twilio_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/internal/smsfake"
	"github.com/tongxin/tongxin/internal/twilio"
)

const (
	accountSID = "AC0123456789abcdef0123456789abcdef"
	authToken  = "s3cr3t-auth-token"
	hotline    = "+864172800000"
	resident   = "+8613800138000"
)

var sidPattern = regexp.MustCompile(`^SM[0-9a-f]{32}$`)

func newClient(t *testing.T) (*smsfake.Server, *twilio.Client) {
	t.Helper()
	fake := smsfake.New(accountSID, authToken)
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	return fake, &twilio.Client{BaseURL: ts.URL, AccountSID: accountSID, AuthToken: authToken, HTTP: ts.Client()}
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSendSMS(t *testing.T) {
	fake, c := newClient(t)
	body := "您好！您的工单已受理。ئىلتىماسىڭىز قوبۇل قىلىندى"
	sid, err := c.SendSMS(testCtx(t), hotline, resident, body)
	if err != nil {
		t.Fatalf("SendSMS: %v", err)
	}
	if !sidPattern.MatchString(sid) {
		t.Errorf("sid %q", sid)
	}
	sent := fake.Sent(resident)
	if len(sent) != 1 {
		t.Fatalf("fake recorded %d messages, want 1", len(sent))
	}
	if m := sent[0]; m.SID != sid || m.From != hotline || m.To != resident || m.Body != body || m.Segments != 1 {
		t.Errorf("recorded %+v", m)
	}
}

func TestSendSMSErrors(t *testing.T) {
	tests := []struct {
		name         string
		setup        func(*smsfake.Server, *twilio.Client)
		body         string // default "hi"
		noBody       bool
		status, code int
		retryable    bool
		unsubscribed bool
		rateLimited  bool
		retryAfter   time.Duration
		thenSucceeds bool
	}{
		{name: "wrong token", setup: func(_ *smsfake.Server, c *twilio.Client) { c.AuthToken = "wrong-token" },
			status: 401, code: 20003},
		{name: "wrong account", setup: func(_ *smsfake.Server, c *twilio.Client) { c.AccountSID = "ACother" },
			status: 401, code: 20003},
		{name: "empty body", noBody: true, status: 400, code: 21602},
		{name: "1601 characters", body: strings.Repeat("长", 1601), status: 400, code: 21617},
		{name: "server error, then success", setup: func(f *smsfake.Server, _ *twilio.Client) { f.FailNext(1, 500, 0, 0) },
			status: 500, code: 20500, retryable: true, thenSucceeds: true},
		{name: "503 without a code", setup: func(f *smsfake.Server, _ *twilio.Client) { f.FailNext(2, 503, 0, 0) },
			status: 503, code: 20503, retryable: true},
		{name: "429 with Retry-After", setup: func(f *smsfake.Server, _ *twilio.Client) { f.FailNext(1, 429, 20429, 7) },
			status: 429, code: 20429, retryable: true, rateLimited: true, retryAfter: 7 * time.Second, thenSucceeds: true},
		{name: "unsubscribed", setup: func(f *smsfake.Server, _ *twilio.Client) { f.Unsubscribe(resident) },
			status: 400, code: 21610, unsubscribed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := newClient(t)
			if tt.setup != nil {
				tt.setup(fake, c)
			}
			body := tt.body
			if body == "" && !tt.noBody {
				body = "hi"
			}
			_, err := c.SendSMS(testCtx(t), hotline, resident, body)
			var apiErr *twilio.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			if apiErr.Status != tt.status || apiErr.Code != tt.code || apiErr.Message == "" || apiErr.RetryAfter != tt.retryAfter {
				t.Errorf("APIError %+v, want status %d code %d retry after %v", apiErr, tt.status, tt.code, tt.retryAfter)
			}
			if got := twilio.Retryable(err); got != tt.retryable {
				t.Errorf("Retryable = %v", got)
			}
			if got := errors.Is(err, twilio.ErrUnsubscribed); got != tt.unsubscribed {
				t.Errorf("errors.Is(ErrUnsubscribed) = %v", got)
			}
			if got := errors.Is(err, twilio.ErrRateLimited); got != tt.rateLimited {
				t.Errorf("errors.Is(ErrRateLimited) = %v", got)
			}
			if strings.Contains(err.Error(), authToken) || strings.Contains(err.Error(), "wrong-token") {
				t.Errorf("error %q contains the token", err)
			}
			if tt.thenSucceeds {
				if _, err := c.SendSMS(testCtx(t), hotline, resident, "retry"); err != nil {
					t.Errorf("second SendSMS: %v", err)
				}
			}
			if n := len(fake.All()); n != boolInt(tt.thenSucceeds) {
				t.Errorf("fake recorded %d messages", n)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestResubscribe(t *testing.T) {
	fake, c := newClient(t)
	fake.Unsubscribe(resident)
	if _, err := c.SendSMS(testCtx(t), hotline, resident, "hi"); !errors.Is(err, twilio.ErrUnsubscribed) {
		t.Fatalf("err = %v, want ErrUnsubscribed", err)
	}
	if _, err := c.SendSMS(testCtx(t), hotline, "+8613900000000", "hi"); err != nil {
		t.Errorf("another number: %v", err)
	}
	fake.Resubscribe(resident)
	if _, err := c.SendSMS(testCtx(t), hotline, resident, "hi"); err != nil {
		t.Errorf("after Resubscribe: %v", err)
	}
}

func TestSendSMSTransportErrors(t *testing.T) {
	fake := smsfake.New(accountSID, authToken)
	ts := httptest.NewServer(fake)
	ts.Close()
	c := &twilio.Client{BaseURL: ts.URL, AccountSID: accountSID, AuthToken: authToken}
	_, err := c.SendSMS(testCtx(t), hotline, resident, "hi")
	if err == nil || !twilio.Retryable(err) {
		t.Errorf("closed server: err = %v, Retryable = %v, want true", err, twilio.Retryable(err))
	}
	if strings.Contains(err.Error(), authToken) {
		t.Errorf("error %q contains the token", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.SendSMS(ctx, hotline, resident, "hi"); err == nil || twilio.Retryable(err) {
		t.Errorf("canceled: err = %v, Retryable = %v, want false", err, twilio.Retryable(err))
	}

	if _, err := (&twilio.Client{BaseURL: ts.URL}).SendSMS(testCtx(t), hotline, resident, "hi"); err == nil || twilio.Retryable(err) {
		t.Errorf("no credentials: err = %v", err)
	}
}

func TestSendSMSOddAnswers(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		header  string
		body    string
		wantErr string
		retry   time.Duration
	}{
		{name: "201 without sid", status: 201, body: `{"status":"queued"}`, wantErr: "without a message sid"},
		{name: "502 from a proxy, HTML", status: 502, body: `<html>bad gateway</html>`, wantErr: "HTTP 502, code 0: Bad Gateway"},
		{name: "429 with an HTTP date", status: 429, header: time.Now().Add(time.Hour).UTC().Format(http.TimeFormat), body: `{"code":20429,"message":"Too Many Requests","status":429}`,
			wantErr: "code 20429", retry: 59 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("Retry-After", tt.header)
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer ts.Close()
			c := &twilio.Client{BaseURL: ts.URL + "/", AccountSID: accountSID, AuthToken: authToken}
			_, err := c.SendSMS(testCtx(t), hotline, resident, "hi")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			var apiErr *twilio.APIError
			if errors.As(err, &apiErr) && apiErr.RetryAfter < tt.retry {
				t.Errorf("RetryAfter %v, want at least %v", apiErr.RetryAfter, tt.retry)
			}
		})
	}
}

func TestSendSMSMessagingService(t *testing.T) {
	fake, c := newClient(t)
	const service = "MG0123456789abcdef0123456789abcdef"
	if _, err := c.SendSMS(testCtx(t), service, resident, "hi"); err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls()
	if len(calls) != 1 || calls[0].Form.Get("MessagingServiceSid") != service || calls[0].Form.Has("From") {
		t.Errorf("calls %+v", calls)
	}
}
