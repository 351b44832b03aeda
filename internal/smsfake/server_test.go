package smsfake

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongxin/tongxin/internal/twilio"
)

const (
	accountSID = "AC0123456789abcdef0123456789abcdef"
	authToken  = "fake-auth-token"
	hotline    = "+864172800000"
	resident   = "+8613800138000"
)

func newFake(t *testing.T, opts ...Option) (*Server, *httptest.Server, *twilio.Client) {
	t.Helper()
	s := New(accountSID, authToken, opts...)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts, &twilio.Client{BaseURL: ts.URL, AccountSID: accountSID, AuthToken: authToken, HTTP: ts.Client()}
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// rawCall does one REST request and decodes the JSON answer.
func rawCall(t *testing.T, method, u, user, pass string, form url.Values) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return resp.StatusCode, resp.Header, out
}

func TestREST(t *testing.T) {
	clock := time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC)
	s, ts, _ := newFake(t, WithClock(func() time.Time { return clock }))
	messages := ts.URL + "/2010-04-01/Accounts/" + accountSID + "/Messages.json"
	ok := url.Values{"To": {resident}, "From": {hotline}, "Body": {strings.Repeat("中", 71)}}
	with := func(k, v string) url.Values {
		f := url.Values{"To": {resident}, "From": {hotline}, "Body": {"hi"}}
		f.Set(k, v)
		return f
	}
	tests := []struct {
		name, method, url, user, pass string
		form                          url.Values
		status, code                  int
		message                       string
	}{
		{"no auth", "POST", messages, "", "", ok, 401, 20003, "Authenticate"},
		{"wrong token", "POST", messages, accountSID, "nope", ok, 401, 20003, "Authenticate"},
		{"other account in path", "POST", ts.URL + "/2010-04-01/Accounts/ACother/Messages.json", accountSID, authToken, ok, 404, 20404, ""},
		{"unknown resource", "POST", ts.URL + "/2010-04-01/Accounts/" + accountSID + "/Calls.json", accountSID, authToken, ok, 404, 20404, ""},
		{"GET", "GET", messages, accountSID, authToken, nil, 405, 20004, ""},
		{"no To", "POST", messages, accountSID, authToken, with("To", ""), 400, 21604, "A 'To' phone number is required."},
		{"To not E.164", "POST", messages, accountSID, authToken, with("To", "13800138000"), 400, 21211, "Invalid 'To' Phone Number: 13800138000"},
		{"no From", "POST", messages, accountSID, authToken, with("From", ""), 400, 21603, "A 'From' phone number is required."},
		{"no Body", "POST", messages, accountSID, authToken, with("Body", ""), 400, 21602, "Message body is required."},
		{"1601 characters", "POST", messages, accountSID, authToken, with("Body", strings.Repeat("a", 1601)), 400, 21617,
			"The concatenated message body exceeds the 1600 character limit."},
		{"1600 Chinese characters", "POST", messages, accountSID, authToken, with("Body", strings.Repeat("中", 1600)), 201, 0, ""},
		{"created", "POST", messages, accountSID, authToken, ok, 201, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, header, body := rawCall(t, tt.method, tt.url, tt.user, tt.pass, tt.form)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, body)
			}
			if status == 401 && header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if status != 201 {
				if body["code"] != float64(tt.code) || body["status"] != float64(tt.status) ||
					body["more_info"] != "https://www.twilio.com/docs/errors/"+strconv.Itoa(tt.code) {
					t.Errorf("error body %v", body)
				}
				if tt.message != "" && body["message"] != tt.message {
					t.Errorf("message %q, want %q", body["message"], tt.message)
				}
				return
			}
			if body["status"] != "queued" || body["to"] != resident || body["from"] != hotline ||
				body["body"] != tt.form.Get("Body") || body["account_sid"] != accountSID ||
				body["date_created"] != "Sun, 01 Mar 2026 08:30:00 +0000" ||
				body["uri"] != "/2010-04-01/Accounts/"+accountSID+"/Messages/"+body["sid"].(string)+".json" {
				t.Errorf("body %v", body)
			}
			if tt.name == "created" && body["num_segments"] != "2" {
				t.Errorf("num_segments %v, want \"2\"", body["num_segments"])
			}
		})
	}
	if got, want := len(s.All()), 2; got != want {
		t.Errorf("recorded %d messages, want %d", got, want)
	}
	calls := s.Calls()
	if len(calls) != len(tests) {
		t.Fatalf("%d calls recorded, want %d", len(calls), len(tests))
	}
	for i, c := range calls {
		if c.Status != tests[i].status || c.Code != tests[i].code || c.Method != tests[i].method || !c.Time.Equal(clock) {
			t.Errorf("call %d: %+v, want status %d code %d", i, c, tests[i].status, tests[i].code)
		}
	}
}

func TestFaults(t *testing.T) {
	s, _, c := newFake(t)
	s.FailNext(2, 500, 0, 0)
	s.FailNext(1, 429, 0, 3)
	for i, want := range []struct {
		status, code int
		retryAfter   time.Duration
	}{{500, 20500, 0}, {500, 20500, 0}, {429, 20429, 3 * time.Second}} {
		_, err := c.SendSMS(testCtx(t), hotline, resident, "hi")
		var apiErr *twilio.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != want.status || apiErr.Code != want.code || apiErr.RetryAfter != want.retryAfter {
			t.Fatalf("send %d: err = %v, want %+v", i, err, want)
		}
		if !twilio.Retryable(err) {
			t.Errorf("send %d: not retryable", i)
		}
	}
	if _, err := c.SendSMS(testCtx(t), hotline, resident, "hi"); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
	if n := len(s.Sent(resident)); n != 1 {
		t.Errorf("recorded %d messages, want 1", n)
	}
}

func TestUnsubscribe(t *testing.T) {
	s, _, c := newFake(t)
	s.Unsubscribe(resident)
	_, err := c.SendSMS(testCtx(t), hotline, resident, "hi")
	if !errors.Is(err, twilio.ErrUnsubscribed) || twilio.Retryable(err) {
		t.Fatalf("err = %v, want ErrUnsubscribed, not retryable", err)
	}
	s.Resubscribe(resident)
	if _, err := c.SendSMS(testCtx(t), hotline, resident, "hi"); err != nil {
		t.Fatalf("after Resubscribe: %v", err)
	}
}

func TestWaitSent(t *testing.T) {
	s, _, c := newFake(t)
	type result struct {
		got []SMS
		err error
	}
	done := make(chan result, 1)
	go func() {
		got, err := s.WaitSent(testCtx(t), resident, 2)
		done <- result{got, err}
	}()
	for _, to := range []string{"+8613900000000", resident, resident} {
		if _, err := c.SendSMS(testCtx(t), hotline, to, "第"+to); err != nil {
			t.Fatal(err)
		}
	}
	r := <-done
	if r.err != nil || len(r.got) != 2 || r.got[0].To != resident || r.got[1].To != resident {
		t.Fatalf("WaitSent = %+v, %v", r.got, r.err)
	}
	if got, err := s.WaitSent(testCtx(t), "", 3); err != nil || len(got) != 3 {
		t.Errorf("WaitSent any = %d messages, %v", len(got), err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	got, err := s.WaitSent(ctx, resident, 3)
	if !errors.Is(err, context.DeadlineExceeded) || len(got) != 2 {
		t.Errorf("WaitSent past its deadline = %d messages, %v", len(got), err)
	}
}

func TestSegments(t *testing.T) {
	tests := []struct {
		name string
		body string
		want int
	}{
		{"empty", "", 0},
		{"GSM-7", "Hello @ £ é", 1},
		{"160 GSM-7", strings.Repeat("a", 160), 1},
		{"161 GSM-7", strings.Repeat("a", 161), 2},
		{"306 GSM-7", strings.Repeat("a", 306), 2},
		{"307 GSM-7", strings.Repeat("a", 307), 3},
		{"80 extension characters", strings.Repeat("{", 80), 1},
		{"81 extension characters", strings.Repeat("€", 81), 2},
		{"70 Chinese", strings.Repeat("中", 70), 1},
		{"71 Chinese", strings.Repeat("中", 71), 2},
		{"134 Chinese", strings.Repeat("中", 134), 2},
		{"135 Chinese", strings.Repeat("中", 135), 3},
		{"one Chinese character makes it UCS-2", strings.Repeat("a", 70) + "中", 2},
		{"Uyghur", "ئۇيغۇرچە", 1},
		{"Tibetan", "བོད་ཡིག", 1},
		{"Mongolian", "ᠮᠣᠩᠭᠣᠯ", 1},
		{"35 emoji are 70 units", strings.Repeat("😀", 35), 1},
		{"69 units with an emoji", strings.Repeat("a", 66) + "😀" + "中", 1},
		{"134 units, a surrogate pair not split at 67", strings.Repeat("中", 66) + "😀" + strings.Repeat("中", 66), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Segments(tt.body); got != tt.want {
				t.Errorf("Segments = %d, want %d", got, tt.want)
			}
		})
	}
}

// webhook is our side: it verifies each request with twilio.VerifyRequest
// against the public base URL, its own URL until set otherwise, and records
// the params, answering TwiML.
func webhook(t *testing.T) (*httptest.Server, *atomic.Value, chan url.Values) {
	t.Helper()
	got := make(chan url.Values, 10)
	var public atomic.Value
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		params, err := twilio.VerifyRequest(authToken, public.Load().(string), r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		got <- params
		(&twilio.Response{Verbs: []twilio.Verb{twilio.Message{Body: "收到"}}}).ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	public.Store(ts.URL)
	return ts, &public, got
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPostSMS(t *testing.T) {
	s, _, _ := newFake(t)
	ts, public, got := webhook(t)

	resp, sid, err := s.PostSMS(testCtx(t), ts.URL+"/sms?lang=ug", resident, hotline, "你好 & ئۇيغۇر", nil)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != 200 || !strings.Contains(body, "<Message>收到</Message>") {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	p := <-got
	want := map[string]string{
		"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": accountSID,
		"From": resident, "To": hotline, "Body": "你好 & ئۇيغۇر", "NumMedia": "0", "NumSegments": "1",
		"SmsStatus": "received", "ApiVersion": "2010-04-01", "FromCountry": "CN", "ToCountry": "CN",
	}
	for k, v := range want {
		if p.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, p.Get(k), v)
		}
	}
	if len(p) != len(want) || !strings.HasPrefix(sid, "SM") || len(sid) != 34 {
		t.Errorf("params %v, sid %q", p, sid)
	}

	// The same message again, as Twilio retries it.
	resp, again, err := s.PostSMS(testCtx(t), ts.URL+"/sms#rc=2", resident, hotline, "你好", url.Values{"MessageSid": {sid}, "MediaUrl0": {"https://m.example/1.jpg"}})
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if p := <-got; again != sid || p.Get("SmsSid") != sid || p.Get("MediaUrl0") == "" {
		t.Errorf("again: sid %q, params %v", again, p)
	}

	// Signed for another public URL: rejected.
	public.Store("https://hotline.example.cn")
	resp, _, err = s.PostSMS(testCtx(t), ts.URL+"/sms", resident, hotline, "hi", nil)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != 403 {
		t.Errorf("wrong public URL: status %d: %s", resp.StatusCode, body)
	}
}

func TestTamperedWebhook(t *testing.T) {
	s, _, _ := newFake(t)
	ts, _, _ := webhook(t)
	params := url.Values{"MessageSid": {"SM" + strings.Repeat("0", 32)}, "From": {resident}, "To": {hotline}, "Body": {"转账 100 元"}}
	sig := s.Sign(ts.URL+"/sms", params)
	tests := []struct {
		name   string
		body   string
		sig    string
		status int
	}{
		{"as signed", params.Encode(), sig, 200},
		{"body changed", strings.Replace(params.Encode(), "100", "900", 1), sig, 403},
		{"param added", params.Encode() + "&Extra=1", sig, 403},
		{"signed by another token", params.Encode(), New(accountSID, "other").Sign(ts.URL+"/sms", params), 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", ts.URL+"/sms", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set(twilio.SignatureHeader, tt.sig)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if body := readAll(t, resp); resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
		})
	}
}

func TestPostVoice(t *testing.T) {
	s, _, _ := newFake(t)
	ts, _, got := webhook(t)

	resp, callSid, err := s.PostVoice(testCtx(t), ts.URL+"/voice", url.Values{"From": {resident}})
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	p := <-got
	if !strings.HasPrefix(callSid, "CA") || len(callSid) != 34 || p.Get("CallSid") != callSid ||
		p.Get("From") != resident || p.Get("To") == "" || p.Get("AccountSid") != accountSID ||
		p.Get("CallStatus") != "ringing" || p.Get("Direction") != "inbound" || p.Get("ApiVersion") != "2010-04-01" {
		t.Errorf("first request: %v", p)
	}

	resp, again, err := s.PostVoice(testCtx(t), ts.URL+"/voice/menu", url.Values{"CallSid": {callSid}, "Digits": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if p := <-got; again != callSid || p.Get("Digits") != "1" || p.Get("CallStatus") != "in-progress" {
		t.Errorf("gather action: sid %q, params %v", again, p)
	}
}
