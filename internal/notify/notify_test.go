package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/internal/dispatch"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/notify"
	"github.com/tongxin/tongxin/internal/smsfake"
	"github.com/tongxin/tongxin/internal/sqlite"
	"github.com/tongxin/tongxin/internal/storetest"
)

const good = `
signature = "营口民委"

[ticket_received.zh-Hans]
code = "SMS_1"
variables = ["number", "due"]

[ticket_received.ug]
code = "SMS_2"
variables = ["number"]

[ticket_answered.zh-Hans]
code = "SMS_3"
variables = ["number", "hotline"]

[satisfaction.zh-Hans]
code = "SMS_4"
variables = ["number", "bureau"]
`

func write(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "templates.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	tpl, err := notify.Load(write(t, good))
	if err != nil {
		t.Fatal(err)
	}
	if tpl.Signature != "营口民委" || tpl.Kinds["ticket_received"]["ug"].Code != "SMS_2" {
		t.Errorf("loaded %+v", tpl)
	}
	bad := `
[ticket_received.zh-Hans]
code = "SMS_1"
variables = ["number", "name"]

[ticket_closed.zh-Hans]
code = "SMS_9"

[satisfaction.ug]
variables = ["number"]
`
	_, err = notify.Load(write(t, bad))
	if err == nil {
		t.Fatal("a bad file loaded")
	}
	for _, want := range []string{"signature is required", `unknown variable "name"`, `unknown template kind "ticket_closed"`,
		"satisfaction.ug: needs a code", "ticket_answered needs a zh-Hans template"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

type fixture struct {
	store hotline.Store
	n     *notify.Notifier
	t     *hotline.Ticket
}

func newFixture(t *testing.T, lang, channel string) *fixture {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, t.TempDir(), storetest.NewSealer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := hotline.Seed(ctx, s); err != nil {
		t.Fatal(err)
	}
	tpl, err := notify.Load(write(t, good))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: s, n: &notify.Notifier{Templates: tpl, Hotline: "12345", Location: time.UTC}}
	err = s.Update(ctx, func(tx hotline.Tx) error {
		r := &hotline.Resident{Lang: lang, Phone: "+8613812345678"}
		if err := tx.CreateResident(ctx, r, hotline.Address{Channel: channel, ID: "+8613812345678"}); err != nil {
			return err
		}
		f.t = &hotline.Ticket{Number: "YK-2026-000007", Category: "jobs", Priority: "normal", Status: "new", Bureau: "hrss",
			ResidentID: r.ID, Language: lang, Channel: channel,
			CreatedAt: time.Now(), UpdatedAt: time.Now(), FirstResponseDue: time.Date(2026, 12, 5, 9, 30, 0, 0, time.UTC)}
		return tx.CreateTicket(ctx, f.t)
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) enqueue(t *testing.T, kind string) (bool, notify.Message) {
	t.Helper()
	var queued bool
	err := f.store.Update(context.Background(), func(tx hotline.Tx) error {
		var err error
		queued, err = f.n.Enqueue(context.Background(), tx, f.t, kind, time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ch := hotline.ChannelSMSTemplate
	msgs, _ := f.store.FindOutbox(context.Background(), hotline.OutboxFilter{Channel: &ch, Limit: 1})
	var m notify.Message
	if len(msgs) == 1 {
		m = decode(t, msgs[0].Payload)
	}
	return queued, m
}

func TestEnqueuePicksTheLocaleAndFillsVariables(t *testing.T) {
	f := newFixture(t, "ug", hotline.ChannelVoice)
	if !f.n.TemplateOnly(hotline.ChannelVoice) || f.n.TemplateOnly(hotline.ChannelTelegram) || f.n.TemplateOnly(hotline.ChannelSMS) != !f.n.FreeTextSMS {
		t.Error("TemplateOnly")
	}
	ok, m := f.enqueue(t, notify.TicketReceived)
	if !ok || m.Template != "SMS_2" || m.Params["number"] != "YK-2026-000007" || len(m.Params) != 1 || m.Signature != "营口民委" || m.Phone != "+8613812345678" {
		t.Errorf("ug received: %v %+v", ok, m)
	}
	// No Uyghur template for satisfaction: the Chinese one.
	ok, m = f.enqueue(t, notify.Satisfaction)
	if !ok || m.Template != "SMS_4" || m.Params["bureau"] != "营口市人力资源和社会保障局" {
		t.Errorf("fallback: %v %+v", ok, m)
	}
	ok, m = f.enqueue(t, notify.TicketAnswered)
	if !ok || m.Params["hotline"] != "12345" {
		t.Errorf("answered: %+v", m)
	}
}

func TestNoTemplateToAnOptedOutNumber(t *testing.T) {
	f := newFixture(t, "zh-Hans", hotline.ChannelSMS)
	err := f.store.Update(context.Background(), func(tx hotline.Tx) error {
		return tx.SetAddressOptedOut(context.Background(), hotline.Address{Channel: hotline.ChannelSMS, ID: "+8613812345678"}, true, time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.enqueue(t, notify.TicketReceived); ok {
		t.Fatal("a template was queued for a number that opted out")
	}
}

func TestSender(t *testing.T) {
	gw := smsfake.NewTemplateGateway("k")
	srv := httptest.NewServer(gw)
	defer srv.Close()
	f := newFixture(t, "zh-Hans", hotline.ChannelVoice)
	_, m := f.enqueue(t, notify.TicketReceived)
	payload := encode(t, m)
	s := &notify.Sender{URL: srv.URL, Key: "k"}
	id, err := s.Send(context.Background(), hotline.Outbox{Payload: payload})
	if err != nil || id == "" {
		t.Fatalf("send: %q %v", id, err)
	}
	if got := gw.Sent("+8613812345678"); len(got) != 1 || got[0].Template != "SMS_1" || got[0].Params["due"] != "12-05 09:30" {
		t.Fatalf("gateway got %+v", got)
	}
	gw.FailNext("isv.BUSINESS_LIMIT_CONTROL", "isv.MOBILE_NUMBER_ILLEGAL", "isv.UNSUBSCRIBED")
	var retry *dispatch.RetryAfterError
	if _, err := s.Send(context.Background(), hotline.Outbox{Payload: payload}); !errors.As(err, &retry) {
		t.Errorf("limit control: %v", err)
	}
	var permanent *dispatch.PermanentError
	if _, err := s.Send(context.Background(), hotline.Outbox{Payload: payload}); !errors.As(err, &permanent) {
		t.Errorf("illegal number: %v", err)
	}
	if _, err := s.Send(context.Background(), hotline.Outbox{Payload: payload}); !errors.Is(err, dispatch.ErrOptedOut) {
		t.Errorf("unsubscribed: %v", err)
	}
	bad := &notify.Sender{URL: srv.URL, Key: "wrong"}
	if _, err := bad.Send(context.Background(), hotline.Outbox{Payload: payload}); !errors.As(err, &permanent) {
		t.Errorf("wrong key: %v", err)
	}
}

func decode(t *testing.T, b []byte) notify.Message {
	t.Helper()
	var m notify.Message
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func encode(t *testing.T, m notify.Message) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
