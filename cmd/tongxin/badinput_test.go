package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/telegram"
)

// post sends a body to our webhook as a stranger would, not through the fake.
func (e *env) post(secret string, body []byte) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+e.addr+"/webhooks/telegram", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// unknown reports whether Tongxin has never heard of a chat.
func (e *env) unknown(chat string) bool {
	e.t.Helper()
	_, err := e.srv.store.FindResidentByAddress(context.Background(), hotline.Address{Channel: "telegram", ID: chat})
	return errors.Is(err, hotline.ErrNotFound)
}

func TestWebhookRejectsBadInput(t *testing.T) {
	e := newEnv(t)
	good := []byte(`{"update_id":500,"message":{"message_id":1,"date":1,"chat":{"id":77,"type":"private"},"from":{"id":77,"is_bot":false,"first_name":"A","language_code":"zh-hans"},"text":"/start"}}`)
	huge := append([]byte(`{"update_id":501,"message":{"message_id":1,"date":1,"chat":{"id":77,"type":"private"},"text":"`),
		bytes.Repeat([]byte("a"), telegram.MaxUpdateSize)...)
	huge = append(huge, []byte(`"}}`)...)
	tests := []struct {
		name   string
		secret string
		body   []byte
		want   int
	}{
		{"no secret", "", good, http.StatusUnauthorized},
		{"forged secret", "webhook_s3cret-2", good, http.StatusUnauthorized},
		{"secret as prefix", testSecret + "x", good, http.StatusUnauthorized},
		{"malformed JSON", testSecret, []byte(`{"update_id":502,`), http.StatusBadRequest},
		{"not an object", testSecret, []byte(`[1,2,3]`), http.StatusBadRequest},
		{"no update_id", testSecret, []byte(`{"message":{"text":"hi"}}`), http.StatusBadRequest},
		{"invalid UTF-8", testSecret, []byte("{\"update_id\":503,\"message\":{\"chat\":{\"id\":77,\"type\":\"private\"},\"text\":\"\xff\xfe\"}}"), http.StatusBadRequest},
		{"oversized", testSecret, huge, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.post(tt.secret, tt.body).StatusCode; got != tt.want {
				t.Fatalf("status %d, want %d", got, tt.want)
			}
		})
	}
	if !e.unknown("77") || len(e.fake.Sent(77)) != 0 {
		t.Fatalf("a rejected request was recorded or answered")
	}
	if got := e.post(testSecret, good).StatusCode; got != http.StatusOK {
		t.Fatalf("a good update got %d", got)
	}
	e.settle(context.Background(), hotline.ChannelTelegram, "77")
	if len(e.fake.Sent(77)) != 1 {
		t.Fatalf("the good update was not answered once: %d", len(e.fake.Sent(77)))
	}
}

func TestDuplicateUpdateIsAnsweredOnce(t *testing.T) {
	e := newEnv(t)
	body := []byte(`{"update_id":900,"message":{"message_id":1,"date":1,"chat":{"id":88,"type":"private"},"from":{"id":88,"is_bot":false,"first_name":"B","language_code":"ko"},"text":"/start"}}`)
	for i := 0; i < 5; i++ {
		if got := e.post(testSecret, body).StatusCode; got != http.StatusOK {
			t.Fatalf("delivery %d got %d, want 200", i, got)
		}
	}
	e.settle(context.Background(), hotline.ChannelTelegram, "88")
	if got := len(e.fake.Sent(88)); got != 1 {
		t.Fatalf("duplicate updates answered %d times", got)
	}
}

func TestStoreDownAnswers503AndTelegramRetries(t *testing.T) {
	e := newEnv(t)
	e.srv.store.Close() // the database is gone
	resp := e.post(testSecret, []byte(`{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"text":"hi"}}`))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503 so that Telegram retries", resp.StatusCode)
	}
	r, err := http.Get("http://" + e.addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz %d with the store down", r.StatusCode)
	}
	h, err := http.Get("http://" + e.addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	h.Body.Close()
	if h.StatusCode != http.StatusOK {
		t.Errorf("/healthz %d: the process is up", h.StatusCode)
	}
}

// A resident presses a button of a form whose session lapsed: they are
// told, and start again from the menu.
func TestExpiredFlowCallback(t *testing.T) {
	e := newEnv(t, func(m map[string]string) { m["TONGXIN_SESSION_TTL"] = "2s" })
	p := e.person(4004, "zh-hans")
	zh := func(id string) string { return e.tr("zh-Hans", id, nil) }
	first := p.text("/legal")
	p.press(zh("opt.need.family"))
	time.Sleep(2100 * time.Millisecond) // let the session lapse
	p.last = first
	out := p.press(zh("opt.need.housing"))
	if len(out) != 2 || out[0].Text != zh("session.expired") || out[1].Text != zh("menu.title") {
		t.Fatalf("want the expiry notice and the menu, got:\n%s", texts(out))
	}
	tickets, _ := e.srv.store.FindTickets(context.Background(), hotline.TicketFilter{})
	if len(tickets) != 0 {
		t.Fatalf("an expired form opened a ticket")
	}
}

// A storm of 429s: every reply still arrives, in order, exactly once.
func Test429StormLosesNothing(t *testing.T) {
	e := newEnv(t)
	p := e.person(5005, "zh-hans")
	e.fake.FailNext(4, http.StatusTooManyRequests, 1)
	p.text("/start")
	p.press(e.tr("zh-Hans", "menu.handbook", nil))
	out := p.press(e.tr("zh-Hans", "category.jobs", nil))
	all := e.fake.Sent(5005)
	if len(all) != 3 {
		t.Fatalf("want 3 messages delivered once each, got %d:\n%s", len(all), texts(all))
	}
	want := []string{e.tr("zh-Hans", "welcome", nil), e.tr("zh-Hans", "hb.title", nil)}
	for i, w := range want {
		if all[i].Text != w {
			t.Errorf("message %d is %q, want %q", i, all[i].Text, w)
		}
	}
	if !strings.Contains(out[0].Text, e.tr("zh-Hans", "handbook.jobs.what", nil)) {
		t.Errorf("third message: %q", out[0].Text)
	}
	failed := 0
	for _, c := range e.fake.CallsTo("sendMessage") {
		if c.Status == http.StatusTooManyRequests {
			failed++
		}
	}
	if failed != 4 {
		t.Errorf("the fake refused %d sends, want 4", failed)
	}
}

// 5xx answers are retried; a message that always fails is parked where an
// operator sees it, and later messages to the same chat are not blocked
// forever behind it.
func TestServerErrorsRetriedThenParked(t *testing.T) {
	e := newEnv(t)
	p := e.person(6006, "zh-hans")
	e.fake.FailNext(3, http.StatusInternalServerError, 0)
	out := p.text("/start")
	if len(out) != 1 {
		t.Fatalf("after three 500s the welcome must arrive once: %d", len(out))
	}
	e.fake.FailNext(8, http.StatusBadGateway, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	id := e.fake.Deliver(e.fake.CommandUpdate(6006, "/help", "zh-hans"))
	if err := e.fake.WaitDelivered(ctx, id); err != nil {
		t.Fatal(err)
	}
	e.settle(ctx, hotline.ChannelTelegram, "6006")
	parked := hotline.OutboxParked
	msgs, err := e.srv.store.FindOutbox(ctx, hotline.OutboxFilter{Status: &parked})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("want one parked message, got %d (%v)", len(msgs), err)
	}
	if msgs[0].Attempts != 7 || msgs[0].LastError == "" {
		t.Errorf("parked with %d failures counted before the last, error %q", msgs[0].Attempts, msgs[0].LastError)
	}
	p.seen = len(e.fake.Sent(6006))
	if out := p.text("/menu"); len(out) != 1 {
		t.Fatalf("a parked message must not hold up the next: %d sent", len(out))
	}
	var listing bytes.Buffer
	vars := e.vars()
	if err := run(ctx, []string{"outbox", "list", "--status", "parked"}, func(k string) string { return vars[k] }, nil, &listing, &listing); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(listing.String(), "parked") || !strings.Contains(listing.String(), "6006") {
		t.Errorf("outbox list does not show the parked message:\n%s", listing.String())
	}
}

func TestBlockedResidentIsMarked(t *testing.T) {
	e := newEnv(t)
	p := e.person(7007, "zh-hans")
	p.text("/start")
	e.fake.Block(7007)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	id := e.fake.Deliver(e.fake.CommandUpdate(7007, "/help", "zh-hans"))
	if err := e.fake.WaitDelivered(ctx, id); err != nil {
		t.Fatal(err)
	}
	e.settle(ctx, hotline.ChannelTelegram, "7007")
	st, err := e.srv.store.FindAddressState(ctx, hotline.Address{Channel: "telegram", ID: "7007"})
	if err != nil || st.BlockedAt == nil {
		t.Fatalf("address not marked blocked: %+v %v", st, err)
	}
	blocked := hotline.OutboxBlocked
	msgs, _ := e.srv.store.FindOutbox(ctx, hotline.OutboxFilter{Status: &blocked})
	if len(msgs) != 1 {
		t.Fatalf("want the undeliverable reply marked blocked, got %d", len(msgs))
	}
	// Writing again unblocks.
	e.fake.Unblock(7007)
	p.seen = len(e.fake.Sent(7007))
	out := p.text("/menu")
	if len(out) != 1 {
		t.Fatalf("after unblocking the resident is answered: %d", len(out))
	}
	st, _ = e.srv.store.FindAddressState(ctx, hotline.Address{Channel: "telegram", ID: "7007"})
	if st.BlockedAt != nil {
		t.Errorf("address still blocked after the resident wrote")
	}
}

// Long polling: with no webhook secret, updates come by getUpdates and go
// the same way.
func TestLongPolling(t *testing.T) {
	e := newEnv(t, polling)
	p := e.person(8008, "zh-hans")
	out := p.text("/start")
	if len(out) != 1 || out[0].Text != e.tr("zh-Hans", "welcome", nil) {
		t.Fatalf("polling answer:\n%s", texts(out))
	}
	out = p.press(e.tr("zh-Hans", "menu.status", nil))
	if out[0].Text != e.tr("zh-Hans", "status.none", nil) {
		t.Fatalf("status:\n%s", texts(out))
	}
	if n := len(e.fake.CallsTo("deleteWebhook")); n == 0 {
		t.Errorf("polling must clear any webhook first")
	}
}

// The server stops in the middle of a form and starts again on the same
// data: the resident goes on where they were, and nothing they said is lost.
func TestRestartInTheMiddleOfAConversation(t *testing.T) {
	e := newEnv(t)
	p := e.person(9009, "zh-hans")
	zh := func(id string) string { return e.tr("zh-Hans", id, nil) }
	p.text("/jobs")
	p.press(zh("opt.need.language_class"))
	p.text("金哲")
	e.restart()
	out := p.text("13912345678")
	if out[0].Text != zh("form.ask_district") {
		t.Fatalf("after a restart the form must go on:\n%s", texts(out))
	}
	p.press("站前区")
	p.press(zh("form.skip")) // no streets are listed under 站前区 yet: type or skip
	p.press(zh("form.skip")) // details
	p.press(zh("form.submit"))
	tickets, _ := e.srv.store.FindTickets(context.Background(), hotline.TicketFilter{})
	if len(tickets) != 1 {
		t.Fatalf("want one ticket after the restart, got %d", len(tickets))
	}
	tk, _ := e.srv.store.FindTicketByNumber(context.Background(), tickets[0].Number)
	if tk.Sensitive["name"] != "金哲" || tk.Bureau != "hrss" || tk.District != "yingkou.zhanqian" || tk.Fields["need"] != "language_class" {
		t.Errorf("ticket after restart: %+v", tk)
	}
}

// The server stops while replies wait to be sent (Telegram asked us to
// wait); after it starts again they are sent, in order, each once.
func TestRestartInTheMiddleOfADispatch(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e.fake.FailNext(1, http.StatusTooManyRequests, 2)
	for _, cmd := range []string{"/start", "/help"} {
		id := e.fake.Deliver(e.fake.CommandUpdate(9010, cmd, "zh-hans"))
		if err := e.fake.WaitDelivered(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	// Wait until both replies are queued and the first was refused.
	pending := hotline.OutboxPending
	for {
		msgs, err := e.srv.store.FindOutbox(ctx, hotline.OutboxFilter{Status: &pending})
		if err != nil {
			t.Fatal(err)
		}
		refused := false
		for _, m := range msgs {
			refused = refused || m.LastError != ""
		}
		if len(msgs) == 2 && refused {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("replies never queued: %d", len(msgs))
		case <-time.After(5 * time.Millisecond):
		}
	}
	e.restart()
	e.settle(ctx, hotline.ChannelTelegram, "9010")
	sent := e.fake.Sent(9010)
	if len(sent) != 2 || sent[0].Text != e.tr("zh-Hans", "welcome", nil) || sent[1].Text != e.tr("zh-Hans", "help.text", nil) {
		t.Fatalf("after the restart want welcome then help, each once:\n%s", texts(sent))
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	p := e.person(1212, "zh-hans")
	p.text("/start")
	e.post(testSecret, []byte(`not json`))
	resp, err := http.Get("http://" + e.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	for _, want := range []string{
		"tongxin_telegram_updates_received_total 1\n",
		"tongxin_telegram_updates_rejected_total 1\n",
		"tongxin_inbound_processed_total 1\n",
		"tongxin_outbox_sent_total 1\n",
		"tongxin_store_up 1\n",
		"# TYPE tongxin_outbox_parked_total counter\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, b.String())
		}
	}
}
