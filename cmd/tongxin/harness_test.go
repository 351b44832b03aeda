package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/go-telegram/bot/models"

	"github.com/tongxin/tongxin/i18n"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/smsfake"
	"github.com/tongxin/tongxin/internal/tgfake"
)

const (
	testToken  = "4242:test-token"
	testSecret = "webhook_s3cret-1"

	testTwilioSID   = "AC0123456789abcdef0123456789abcdef"
	testTwilioToken = "twilio-auth-token"
	testSMSFrom     = "+8613900000000"
)

// env is a Tongxin server on a temp data dir, talking to a fake Bot API
// over real HTTP.
type env struct {
	t       testing.TB
	dir     string
	fake    *tgfake.Server
	fakeURL string
	sms     *smsfake.Server
	smsURL  string
	srv     *server
	addr    string
	cancel  context.CancelFunc
	done    chan error
	webhook bool
	starts  int // how often the server was started
	// prepare, when set, adjusts a server before it starts running.
	prepare func(*server)
}

type envOption func(map[string]string)

func polling(m map[string]string) { delete(m, "TONGXIN_TELEGRAM_WEBHOOK_SECRET") }

// newEnv starts a fake Bot API and a Tongxin server using it.
func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	return newEnvPrepared(t, nil, opts...)
}

// newEnvPrepared is newEnv with a hook that adjusts the server before it runs.
func newEnvPrepared(t testing.TB, prepare func(*server), opts ...envOption) *env {
	t.Helper()
	fake := tgfake.New(testToken, tgfake.WithRetryBackoff(5*time.Millisecond, 50*time.Millisecond))
	ts := httptest.NewServer(fake)
	t.Cleanup(func() { fake.Close(); ts.Close() })
	gw := smsfake.New(testTwilioSID, testTwilioToken)
	gwts := httptest.NewServer(gw)
	t.Cleanup(gwts.Close)
	e := &env{t: t, dir: t.TempDir(), fake: fake, fakeURL: ts.URL, sms: gw, smsURL: gwts.URL, prepare: prepare}
	e.start(opts...)
	return e
}

func (e *env) vars(opts ...envOption) map[string]string {
	m := map[string]string{
		"TONGXIN_DATA_DIR":                e.dir,
		"TONGXIN_TELEGRAM_TOKEN":          testToken,
		"TONGXIN_TELEGRAM_API_URL":        e.fakeURL,
		"TONGXIN_TELEGRAM_WEBHOOK_SECRET": testSecret,
		"TONGXIN_TWILIO_AUTH_TOKEN":       testTwilioToken,
		"TONGXIN_TWILIO_ACCOUNT_SID":      testTwilioSID,
		"TONGXIN_TWILIO_API_URL":          e.smsURL,
		"TONGXIN_SMS_FROM":                testSMSFrom,
		"TONGXIN_LOG_LEVEL":               "error",
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

// start runs the server as serve would, with fast retries for tests.
func (e *env) start(opts ...envOption) {
	t := e.t
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = ln.Addr().String()
	e.starts++
	vars := e.vars(opts...)
	vars["TONGXIN_PUBLIC_URL"] = "http://" + e.addr
	cfg := loadConfig(func(k string) string { return vars[k] }, nil)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logOut := io.Discard
	if testing.Verbose() {
		logOut = os.Stderr
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := newServer(ctx, cfg, slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range []string{hotline.ChannelTelegram, hotline.ChannelSMS} {
		lim := s.dispatcher.Limits[ch]
		lim.PerAddress = 20 * time.Millisecond
		s.dispatcher.Limits[ch] = lim
	}
	s.dispatcher.Backoff = func(int) time.Duration { return 10 * time.Millisecond }
	if e.prepare != nil {
		e.prepare(s)
	}
	e.srv, e.cancel, e.done, e.webhook = s, cancel, make(chan error, 1), s.webhook
	go func() { e.done <- s.run(ctx, ln) }()
	t.Cleanup(e.stop)
	if e.webhook {
		// serve registers the webhook at start; wait until the fake has it.
		ctx, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		if _, err := e.fake.WaitCalls(ctx, "setWebhook", e.starts); err != nil {
			t.Fatal("webhook never registered: ", err)
		}
	} else {
		ctx, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		if err := e.fake.WaitPoller(ctx); err != nil {
			t.Fatal("poller never started: ", err)
		}
	}
}

// stop shuts the server down as SIGTERM would and closes its store.
func (e *env) stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	if err := <-e.done; err != nil {
		e.t.Errorf("server stopped with %v", err)
	}
	e.srv.Close()
	e.cancel = nil
}

func (e *env) restart(opts ...envOption) {
	e.stop()
	e.start(opts...)
}

// person is a Telegram user writing to the bot.
type person struct {
	e    *env
	chat int64
	lang string // Telegram language_code; empty when the client sends none
	// seen counts the messages already read.
	seen int
	// last are the messages of the last answer.
	last []tgfake.SentMessage
}

func (e *env) person(chat int64, lang string) *person { return &person{e: e, chat: chat, lang: lang} }

// deliver sends an update and waits until Tongxin has answered it
// completely: the update recorded, processed, and every reply sent.
func (p *person) deliver(u models.Update) []tgfake.SentMessage {
	t := p.e.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	id := p.e.fake.Deliver(u)
	if err := p.e.fake.WaitDelivered(ctx, id); err != nil {
		t.Fatalf("update %d not delivered: %v", id, err)
	}
	p.e.settle(ctx, hotline.ChannelTelegram, strconv.FormatInt(p.chat, 10))
	all := p.e.fake.Sent(p.chat)
	p.last = all[p.seen:]
	p.seen = len(all)
	return p.last
}

// settle waits until nothing is pending for an address: no unprocessed
// update, no unsent reply.
func (e *env) settle(ctx context.Context, channel, address string) {
	e.t.Helper()
	pending := hotline.OutboxPending
	for {
		in, err := e.srv.store.PendingInbound(ctx, []string{channel}, 0, 100)
		if err != nil {
			e.t.Fatal(err)
		}
		busy := false
		for _, x := range in {
			busy = busy || x.Address == address
		}
		out, err := e.srv.store.FindOutbox(ctx, hotline.OutboxFilter{Status: &pending, Channel: &channel, Address: &address})
		if err != nil {
			e.t.Fatal(err)
		}
		if !busy && len(out) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			e.t.Fatalf("address %s never settled: %d inbound, %d outbox pending", address, len(in), len(out))
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (p *person) text(s string) []tgfake.SentMessage {
	p.e.t.Helper()
	if strings.HasPrefix(s, "/") {
		return p.deliver(p.e.fake.CommandUpdate(p.chat, s, p.lang))
	}
	return p.deliver(p.e.fake.TextUpdate(p.chat, s, p.lang))
}

// press presses the inline button labelled label on the last answer.
func (p *person) press(label string) []tgfake.SentMessage {
	t := p.e.t
	t.Helper()
	for _, m := range p.last {
		for _, b := range m.Buttons() {
			if b.Text == label {
				u := p.e.fake.CallbackUpdate(p.chat, m.MessageID, b.CallbackData, p.lang)
				out := p.deliver(u)
				if !p.e.fake.Answered(u.CallbackQuery.ID) {
					t.Errorf("callback %q was not answered", b.CallbackData)
				}
				return out
			}
		}
	}
	t.Fatalf("no button %q in the last answer:\n%s", label, texts(p.last))
	return nil
}

// tap taps a reply-keyboard button: Telegram sends its label as text.
func (p *person) tap(label string) []tgfake.SentMessage {
	t := p.e.t
	t.Helper()
	for _, m := range p.last {
		for _, row := range m.Keyboard {
			for _, b := range row {
				if b.Text == label && !b.RequestContact && !b.RequestLocation {
					return p.deliver(p.e.fake.TextUpdate(p.chat, label, p.lang))
				}
			}
		}
	}
	t.Fatalf("no keyboard button %q in the last answer:\n%s", label, texts(p.last))
	return nil
}

func texts(ms []tgfake.SentMessage) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(m.Text)
		for _, btn := range m.Buttons() {
			b.WriteString(" [" + btn.Text + "]")
		}
		for _, row := range m.Keyboard {
			for _, k := range row {
				b.WriteString(" {" + k.Text + "}")
			}
		}
		b.WriteString("\n----\n")
	}
	return b.String()
}

// tr renders a message as the resident should see it over Telegram (HTML
// escaped, as sent).
func (e *env) tr(lang, id string, args i18n.Args) string {
	return escapeForTelegram(e.srv.catalog.T(lang, id, args))
}

func escapeForTelegram(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// texter is a resident sending SMS to the hotline.
type texter struct {
	e     *env
	phone string
	seen  int
	last  []smsfake.SMS
}

func (e *env) texter(phone string) *texter { return &texter{e: e, phone: phone} }

// send texts body and waits until Tongxin has answered completely; it
// returns the SMS the resident received.
func (x *texter) send(body string) []smsfake.SMS {
	t := x.e.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, _, err := x.e.sms.PostSMS(ctx, "http://"+x.e.addr+"/webhooks/sms/twilio", x.phone, testSMSFrom, body, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") {
		t.Fatalf("webhook answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	x.e.settle(ctx, hotline.ChannelSMS, x.phone)
	all := x.e.sms.Sent(x.phone)
	x.last = all[x.seen:]
	x.seen = len(all)
	return x.last
}

// text is everything the last answer said, in one string.
func (x *texter) text() string {
	var b strings.Builder
	for _, m := range x.last {
		b.WriteString(m.Body + "\n")
	}
	return b.String()
}

// choice finds the number of the choice labelled label in the last answer.
func (x *texter) choice(label string) string {
	x.e.t.Helper()
	for _, line := range strings.Split(x.text(), "\n") {
		num, rest, ok := strings.Cut(line, " ")
		if ok && strings.TrimSpace(rest) == label {
			if _, err := strconv.Atoi(num); err == nil {
				return num
			}
		}
	}
	x.e.t.Fatalf("no numbered choice %q in:\n%s", label, x.text())
	return ""
}

// pick answers with the number of a choice.
func (x *texter) pick(label string) []smsfake.SMS {
	x.e.t.Helper()
	return x.send(x.choice(label))
}

// plain is a catalog message as an SMS menu shows a label: without the
// emoji in front.
func plain(s string) string {
	return strings.TrimLeftFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}
