package tgfake

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

const testToken = "123456:TEST-token_abc"

// newFake starts a fake behind httptest and a real go-telegram/bot client for it.
func newFake(t *testing.T, opts ...bot.Option) (*Server, *httptest.Server, *bot.Bot) {
	t.Helper()
	s := New(testToken)
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		ts.Close()
	})
	b, err := bot.New(testToken, append([]bot.Option{bot.WithServerURL(ts.URL), bot.WithSkipGetMe()}, opts...)...)
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	return s, ts, b
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// rawCall does one HTTP request and decodes the JSON answer.
func rawCall(t *testing.T, method, u, contentType, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s %s: decode %q: %v", method, u, data, err)
	}
	return resp.StatusCode, resp.Header, out
}

func TestRouting(t *testing.T) {
	s, ts, _ := newFake(t)
	api := ts.URL + "/bot" + testToken + "/"
	tests := []struct {
		name, method, url, contentType, body string
		status                               int
		want                                 string // exact JSON body, if set
	}{
		{name: "wrong token", method: "POST", url: ts.URL + "/bot1:wrong/getMe", status: 401,
			want: `{"ok":false,"error_code":401,"description":"Unauthorized"}`},
		{name: "unknown method", method: "POST", url: api + "sendTelepathy", status: 404,
			want: `{"ok":false,"error_code":404,"description":"Not Found: method not found"}`},
		{name: "case-insensitive", method: "POST", url: api + "GETME", status: 200},
		{name: "test environment", method: "GET", url: ts.URL + "/bot" + testToken + "/test/getMe", status: 200},
		{name: "query string", method: "GET", url: api + "sendMessage?chat_id=5&text=hi", status: 200},
		{name: "urlencoded", method: "POST", url: api + "sendMessage", contentType: "application/x-www-form-urlencoded",
			body: url.Values{"chat_id": {"6"}, "text": {"hi"}, "reply_markup": {`{"keyboard":[["A",{"text":"☎","request_contact":true}]]}`}}.Encode(), status: 200},
		{name: "json", method: "POST", url: api + "sendMessage", contentType: "application/json",
			body: `{"chat_id":7,"text":"hi","reply_markup":{"inline_keyboard":[[{"text":"a","callback_data":"b"}]]}}`, status: 200},
		{name: "json without copy_text", method: "POST", url: api + "sendMessage", contentType: "application/json",
			body: `{"chat_id":7,"text":"hi","reply_markup":{"inline_keyboard":[[{"text":"a"}]]}}`, status: 400,
			want: `{"ok":false,"error_code":400,"description":"Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"}`},
		{name: "missing chat", method: "POST", url: api + "sendMessage?text=x", status: 400,
			want: `{"ok":false,"error_code":400,"description":"Bad Request: chat_id is empty"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := rawCall(t, tt.method, tt.url, tt.contentType, tt.body)
			if status != tt.status {
				t.Fatalf("status = %d, want %d (%v)", status, tt.status, body)
			}
			if tt.want != "" {
				var want map[string]any
				_ = json.Unmarshal([]byte(tt.want), &want)
				if got, _ := json.Marshal(body); string(got) != mustJSON(want) {
					t.Errorf("body = %s, want %s", got, tt.want)
				}
			}
		})
	}
	if got := s.Sent(6)[0].Keyboard; len(got) != 1 || got[0][0].Text != "A" || !got[0][1].RequestContact {
		t.Errorf("reply keyboard = %+v", got)
	}
	if got := s.Sent(7)[0].Buttons(); len(got) != 1 || got[0] != (InlineButton{Text: "a", CallbackData: "b"}) {
		t.Errorf("inline buttons = %+v", got)
	}
	calls := s.CallsTo("sendmessage")
	if len(calls) != 5 || calls[0].Method != "sendMessage" || calls[0].Params["chat_id"] != "5" || calls[0].Status != 200 {
		t.Errorf("sendMessage calls = %+v", calls)
	}
	if c := s.CallsTo("getMe"); len(c) != 3 || c[0].Status != 401 || c[1].Status != 200 {
		t.Errorf("getMe calls = %+v", c)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestGetMe(t *testing.T) {
	_, _, b := newFake(t)
	me, err := b.GetMe(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if me.ID != 123456 || !me.IsBot || me.Username == "" {
		t.Errorf("getMe = %+v", me)
	}
}

func TestFailNext(t *testing.T) {
	s, ts, b := newFake(t)
	ctx := testCtx(t)
	send := func() error {
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: int64(42), Text: "hi"})
		return err
	}

	s.FailNext(1, http.StatusTooManyRequests, 7)
	err := send()
	var tooMany *bot.TooManyRequestsError
	if !errors.As(err, &tooMany) || tooMany.RetryAfter != 7 {
		t.Fatalf("err = %v, want *bot.TooManyRequestsError with RetryAfter 7", err)
	}
	if err := send(); err != nil {
		t.Fatalf("after the fault: %v", err)
	}

	s.FailMethod("sendMessage", 1, http.StatusInternalServerError, 0)
	if err := send(); err == nil || !strings.Contains(err.Error(), "500 Internal Server Error") {
		t.Fatalf("err = %v, want a 500", err)
	}

	// The envelope and header a non-Go client sees, set up through /_fake/fail.
	status, _, _ := rawCall(t, "POST", ts.URL+"/_fake/fail", "application/json", `{"method":"sendMessage","count":1,"status":429,"retry_after":3}`)
	if status != 200 {
		t.Fatalf("/_fake/fail status = %d", status)
	}
	status, header, body := rawCall(t, "POST", ts.URL+"/bot"+testToken+"/sendMessage?chat_id=42&text=x", "", "")
	want := `{"description":"Too Many Requests: retry after 3","error_code":429,"ok":false,"parameters":{"retry_after":3}}`
	if status != 429 || header.Get("Retry-After") != "3" || mustJSON(body) != want {
		t.Errorf("429 = %d %q %s, want %s", status, header.Get("Retry-After"), mustJSON(body), want)
	}

	var statuses []int
	for _, c := range s.CallsTo("sendMessage") {
		statuses = append(statuses, c.Status)
	}
	if mustJSON(statuses) != "[429,200,500,429]" {
		t.Errorf("recorded statuses = %v", statuses)
	}
	if n := len(s.Sent(42)); n != 1 {
		t.Errorf("failed calls produced messages: %d sent, want 1", n)
	}
}

func TestBlock(t *testing.T) {
	s, _, b := newFake(t)
	ctx := testCtx(t)
	s.Block(42)
	_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: int64(42), Text: "hi"})
	if !errors.Is(err, bot.ErrorForbidden) || !strings.Contains(err.Error(), "bot was blocked by the user") {
		t.Fatalf("err = %v, want ErrorForbidden", err)
	}
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: int64(43), Text: "hi"}); err != nil {
		t.Fatalf("other chat: %v", err)
	}
	s.Unblock(42)
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: int64(42), Text: "hi"}); err != nil {
		t.Fatalf("after Unblock: %v", err)
	}
	if n := len(s.Sent(42)); n != 1 {
		t.Errorf("sent to 42: %d, want 1", n)
	}
}

func TestControlEndpoints(t *testing.T) {
	s, ts, _ := newFake(t)
	status, _, body := rawCall(t, "POST", ts.URL+"/_fake/updates", "application/json",
		`{"message":{"message_id":1,"date":1,"chat":{"id":9,"type":"private"},"from":{"id":9,"is_bot":false,"first_name":"A"},"text":"hi"}}`)
	if status != 200 || mustJSON(body) != `{"ok":true,"result":{"update_id":1000}}` {
		t.Fatalf("/_fake/updates = %d %v", status, body)
	}
	_, _, body = rawCall(t, "POST", ts.URL+"/bot"+testToken+"/getUpdates", "", "")
	if got := mustJSON(body["result"]); !strings.Contains(got, `"update_id":1000`) || !strings.Contains(got, `"text":"hi"`) {
		t.Errorf("getUpdates result = %s", got)
	}
	status, _, body = rawCall(t, "POST", ts.URL+"/_fake/updates", "application/json",
		`{"callback_query":{"id":"cb1","from":{"id":9,"is_bot":false,"first_name":"A"},"data":"x"}}`)
	if status != 200 || mustJSON(body) != `{"ok":true,"result":{"update_id":1001}}` {
		t.Fatalf("/_fake/updates callback = %d %v", status, body)
	}
	if status, _, body := rawCall(t, "POST", ts.URL+"/bot"+testToken+"/answerCallbackQuery?callback_query_id=cb1", "", ""); status != 200 {
		t.Errorf("answer a callback delivered through /_fake/updates = %d %v", status, body)
	}
	status, _, _ = rawCall(t, "POST", ts.URL+"/_fake/block", "application/json", `{"chat_id":9,"blocked":true}`)
	if status != 200 {
		t.Fatalf("/_fake/block status = %d", status)
	}
	if status, _, _ := rawCall(t, "POST", ts.URL+"/bot"+testToken+"/sendMessage?chat_id=9&text=x", "", ""); status != 403 {
		t.Errorf("send to blocked chat = %d, want 403", status)
	}

	resp, err := http.Get(ts.URL + "/_fake/calls")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var calls []Call
	if err := json.NewDecoder(resp.Body).Decode(&calls); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 3 || calls[0].Method != "getUpdates" || calls[2].Method != "sendMessage" || calls[2].Status != 403 {
		t.Errorf("/_fake/calls = %+v", calls)
	}
	if got := len(s.Calls()); got != 3 {
		t.Errorf("control endpoints were recorded: %d calls", got)
	}
}

func TestEmptyMultipartBody(t *testing.T) {
	// go-telegram/bot sends a multipart content type with an empty body for
	// methods without parameters.
	_, ts, _ := newFake(t)
	status, _, body := rawCall(t, "POST", ts.URL+"/bot"+testToken+"/getWebhookInfo", "multipart/form-data; boundary=x", "")
	if status != 200 {
		t.Fatalf("status = %d %v", status, body)
	}
	var info models.WebhookInfo
	if err := json.Unmarshal([]byte(mustJSON(body["result"])), &info); err != nil || info.URL != "" {
		t.Errorf("info = %+v, %v", info, err)
	}
}
