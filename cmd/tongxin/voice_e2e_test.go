package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/smsfake"
)

const testTemplates = `
signature = "营口民委"

[ticket_received.zh-Hans]
code = "SMS_0001"
variables = ["number", "due"]

[ticket_answered.zh-Hans]
code = "SMS_0002"
variables = ["number", "hotline"]

[satisfaction.zh-Hans]
code = "SMS_0003"
variables = ["number"]
`

// withTemplates turns on mainland template notifications against a fake
// template gateway.
func withTemplates(t *testing.T, gw *smsfake.TemplateGateway) envOption {
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), "templates.toml")
	if err := os.WriteFile(path, []byte(testTemplates), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(m map[string]string) {
		m["TONGXIN_SMS_TEMPLATES"] = path
		m["TONGXIN_SMS_TEMPLATE_URL"] = srv.URL
		m["TONGXIN_SMS_TEMPLATE_KEY"] = "template-key"
		m["TONGXIN_HOTLINE_NUMBER"] = "12345"
	}
}

// call walks one phone call through the voice webhook as the gateway does.
type call struct {
	e    *env
	sid  string
	from string
}

func (c *call) post(t *testing.T, step string, params url.Values) string {
	t.Helper()
	u := "http://" + c.e.addr + "/webhooks/voice/twilio"
	if step != "" {
		u += "?step=" + step
	}
	if params == nil {
		params = url.Values{}
	}
	params.Set("From", c.from)
	if c.sid != "" {
		params.Set("CallSid", c.sid)
	}
	resp, sid, err := c.e.sms.PostVoice(context.Background(), u, params)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", step, resp.StatusCode, body)
	}
	c.sid = sid
	return string(body)
}

// A Chinese caller in danger presses 9: they hear 110/119/120 at once, an
// urgent ticket is opened, and since a caller can only be reached by
// template, the "request received" template goes to their phone.
func TestVoiceEmergencyCallWithTemplates(t *testing.T) {
	gw := smsfake.NewTemplateGateway("template-key")
	e := newEnv(t, withTemplates(t, gw))
	c := &call{e: e, from: "+8613812340099"}
	first := c.post(t, "", nil)
	if !strings.Contains(first, "<Gather") || !strings.Contains(first, `language="cmn-CN"`) {
		t.Fatalf("language menu:\n%s", first)
	}
	c.post(t, "lang", url.Values{"Digits": {"1"}})
	answer := c.post(t, "service", url.Values{"Digits": {"9"}})
	i110 := strings.Index(answer, "110")
	if i110 < 0 || !strings.Contains(answer, "119") || !strings.Contains(answer, "120") || i110 > strings.Index(answer, "</Say>") {
		t.Fatalf("the first thing said must name 110, 119 and 120:\n%s", answer)
	}
	tickets, _ := e.srv.store.FindTickets(context.Background(), hotline.TicketFilter{})
	if len(tickets) != 1 || tickets[0].Category != "emergency" || tickets[0].Priority != "urgent" || tickets[0].Channel != "voice" {
		t.Fatalf("tickets %+v", tickets)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sent, err := gw.WaitSent(ctx, "+8613812340099", 1)
	if err != nil {
		t.Fatalf("no template sent: %v", err)
	}
	if sent[0].Template != "SMS_0001" || sent[0].Params["number"] != tickets[0].Number || sent[0].Signature != "营口民委" {
		t.Errorf("template %+v", sent[0])
	}

	// The ticket list says this resident can be reached by template only,
	// and an operator can send the "answered" template.
	vars := e.vars(withTemplates(t, gw))
	var out strings.Builder
	if err := run(ctx, []string{"ticket", "list"}, func(k string) string { return vars[k] }, nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "templates") {
		t.Errorf("ticket list does not show the reach:\n%s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"ticket", "notify", tickets[0].Number, "answered"}, func(k string) string { return vars[k] }, nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	e.srv.dispatcher.Wake()
	sent, err = gw.WaitSent(ctx, "+8613812340099", 2)
	if err != nil || sent[1].Template != "SMS_0002" || sent[1].Params["hotline"] != "12345" {
		t.Fatalf("answered template: %+v %v", sent, err)
	}
}

// A Uyghur caller leaves a recorded message about legal aid: a ticket in
// the justice bureau's queue with the recording's link, and the "request
// received" template (Chinese, there is no Uyghur one) to their phone.
func TestVoiceRecordedMessage(t *testing.T) {
	gw := smsfake.NewTemplateGateway("template-key")
	e := newEnv(t, withTemplates(t, gw))
	c := &call{e: e, from: "+8613812340098"}
	c.post(t, "", nil)
	menu := c.post(t, "lang", url.Values{"Digits": {"2"}})
	if !strings.Contains(menu, "<Gather") {
		t.Fatalf("service menu:\n%s", menu)
	}
	notice := c.post(t, "service", url.Values{"Digits": {"5"}})
	if !strings.Contains(notice, "<Gather") {
		t.Fatalf("consent notice and choice:\n%s", notice)
	}
	rec := c.post(t, "choice", url.Values{"Digits": {"1"}})
	if !strings.Contains(rec, "<Record") {
		t.Fatalf("no Record verb:\n%s", rec)
	}
	recording := "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE0123"
	done := c.post(t, "recorded", url.Values{"RecordingUrl": {recording}, "RecordingSid": {"RE0123"}, "RecordingDuration": {"21"}})
	if !strings.Contains(done, "<Hangup") {
		t.Fatalf("after the recording:\n%s", done)
	}
	tickets, _ := e.srv.store.FindTickets(context.Background(), hotline.TicketFilter{})
	if len(tickets) != 1 {
		t.Fatalf("want one ticket, got %d", len(tickets))
	}
	tk, _ := e.srv.store.FindTicketByNumber(context.Background(), tickets[0].Number)
	if tk.Category != "legal_aid" || tk.Bureau != "justice" || tk.Language != "ug" || tk.Sensitive["recording"] != recording || tk.LegalBasis != "consent" {
		t.Errorf("ticket %+v", tk)
	}
	consents, _ := e.srv.store.Consents(context.Background(), tk.ResidentID)
	if len(consents) != 1 || consents[0].Purpose != "voice_recording" || !consents[0].Granted {
		t.Errorf("consents %+v", consents)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sent, err := gw.WaitSent(ctx, "+8613812340098", 1)
	if err != nil || sent[0].Params["number"] != tk.Number || sent[0].Template != "SMS_0001" {
		t.Fatalf("template: %+v %v", sent, err)
	}
}
