package voice

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/i18n"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/smsfake"
	"github.com/tongxin/tongxin/internal/sqlite"
	"github.com/tongxin/tongxin/internal/storetest"
	"github.com/tongxin/tongxin/internal/tickets"
	"github.com/tongxin/tongxin/locales"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	accountSID = "AC0123456789abcdef0123456789abcdef"
	authToken  = "voice-auth-token"
	caller     = "+8613912345678"
)

// ugFiles are the Uyghur prompts the tests record; the others are missing.
var ugFiles = []string{
	"ug/voice.press_for_lang-2.mp3", "ug/voice.menu_intro.mp3", "ug/voice.menu_item-5.mp3",
	"ug/voice.consent.mp3", "ug/voice.recorded.wav",
}

type env struct {
	t     *testing.T
	h     *Handler
	store *sqlite.Store
	fake  *smsfake.Server
	ts    *httptest.Server
	ctx   context.Context
}

func newEnv(t *testing.T, opts ...func(*Handler)) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	store, err := sqlite.Open(ctx, t.TempDir(), storetest.NewSealer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := hotline.Seed(ctx, store); err != nil {
		t.Fatal(err)
	}
	prompts := t.TempDir()
	for _, f := range ugFiles {
		p := filepath.Join(prompts, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("ID3 audio of "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shanghai := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 5, 12, 10, 0, 0, 0, shanghai)
	h := &Handler{
		Store: store, Catalog: testCatalog(t), Sessions: store.Sessions(time.Hour, func() time.Time { return now }),
		Opener: tickets.Opener{Prefix: "YK", Location: shanghai}, AuthToken: authToken,
		PromptsDir: prompts, Now: func() time.Time { return now },
	}
	for _, o := range opts {
		o(h)
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+WebhookPath, h)
	mux.HandleFunc("POST "+StatusPath, h.Status)
	mux.Handle("GET "+PromptsPath+"{file...}", h.Prompts())
	ts := httptest.NewUnstartedServer(mux)
	h.PublicURL = "http://" + ts.Listener.Addr().String()
	ts.Start()
	t.Cleanup(ts.Close)
	fake := smsfake.New(accountSID, authToken, smsfake.WithWebhookClient(ts.Client()))
	return &env{t: t, h: h, store: store, fake: fake, ts: ts, ctx: ctx}
}

func testCatalog(t *testing.T) *i18n.Catalog {
	t.Helper()
	cat, err := i18n.Load(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// node is any TwiML element.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []node     `xml:",any"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// verbs lists the verbs in the order they run, a Gather's children after it.
func (n node) verbs() []node {
	var out []node
	for _, v := range n.Nodes {
		out = append(out, v)
		out = append(out, v.verbs()...)
	}
	return out
}

func (n node) find(name string) []node {
	var out []node
	for _, v := range n.verbs() {
		if v.XMLName.Local == name {
			out = append(out, v)
		}
	}
	return out
}

// phoneCall is one call from the fake gateway to the handler.
type phoneCall struct {
	e    *env
	sid  string
	from string
	last node
	raw  []byte
}

func (e *env) call(from string) *phoneCall {
	return &phoneCall{e: e, sid: "CA" + strings.Repeat("0", 24) + from[len(from)-8:], from: from}
}

// post requests rawURL as the gateway would, with params, and parses the
// TwiML answer.
func (c *phoneCall) post(rawURL string, params url.Values) node {
	c.e.t.Helper()
	p := url.Values{"CallSid": {c.sid}, "From": {c.from}}
	for k, v := range params {
		p[k] = v
	}
	resp, _, err := c.e.fake.PostVoice(c.e.ctx, rawURL, p)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	c.raw, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") {
		c.e.t.Fatalf("POST %s: %s %q", rawURL, resp.Status, c.raw)
	}
	c.last = node{}
	if err := xml.Unmarshal(c.raw, &c.last); err != nil {
		c.e.t.Fatalf("TwiML %q: %v", c.raw, err)
	}
	return c.last
}

// start is the incoming call.
func (c *phoneCall) start() node { return c.post(c.e.h.PublicURL+WebhookPath, nil) }

// press sends digits to the action of the last answer's Gather.
func (c *phoneCall) press(digits string) node {
	c.e.t.Helper()
	g := c.last.find("Gather")
	if len(g) != 1 {
		c.e.t.Fatalf("answer has %d Gather verbs: %s", len(g), c.raw)
	}
	return c.post(g[0].attr("action"), url.Values{"Digits": {digits}})
}

// silence follows the last answer's Redirect, as when the caller presses nothing.
func (c *phoneCall) silence() node {
	c.e.t.Helper()
	r := c.last.find("Redirect")
	if len(r) != 1 {
		c.e.t.Fatalf("answer has %d Redirect verbs: %s", len(r), c.raw)
	}
	return c.post(r[0].Text, nil)
}

func (c *phoneCall) status(s string) {
	c.e.t.Helper()
	resp, _, err := c.e.fake.PostVoice(c.e.ctx, c.e.h.PublicURL+StatusPath,
		url.Values{"CallSid": {c.sid}, "From": {c.from}, "CallStatus": {s}})
	if err != nil {
		c.e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		c.e.t.Fatalf("status callback: %s", resp.Status)
	}
}

// tickets returns the caller's tickets with their sensitive answers.
func (e *env) tickets(from string) []*hotline.Ticket {
	e.t.Helper()
	res, err := e.store.FindResidentByAddress(e.ctx, hotline.Address{Channel: hotline.ChannelVoice, ID: from})
	if errors.Is(err, hotline.ErrNotFound) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	list, err := e.store.FindTickets(e.ctx, hotline.TicketFilter{ResidentID: &res.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []*hotline.Ticket
	for _, t := range list {
		full, err := e.store.FindTicketByNumber(e.ctx, t.Number)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, full)
	}
	return out
}

func (e *env) oneTicket(from string) *hotline.Ticket {
	e.t.Helper()
	ts := e.tickets(from)
	if len(ts) != 1 {
		e.t.Fatalf("%d tickets, want 1", len(ts))
	}
	return ts[0]
}

type said struct{ verb, lang, text string }

// sayings lists what the caller hears: Say and Play, in order.
func (e *env) sayings(n node) []said {
	var out []said
	for _, v := range n.verbs() {
		switch v.XMLName.Local {
		case "Say":
			out = append(out, said{"Say", v.attr("language"), v.Text})
		case "Play":
			out = append(out, said{"Play", "", strings.TrimPrefix(v.Text, e.h.PublicURL)})
		}
	}
	return out
}

func TestLanguageMenu(t *testing.T) {
	e := newEnv(t)
	c := e.call(caller)
	twiml := c.start()
	golden(t, e, "lang_menu", c.raw)

	gathers := twiml.find("Gather")
	if len(gathers) != 1 {
		t.Fatalf("%d Gather verbs", len(gathers))
	}
	g := gathers[0]
	if g.attr("numDigits") != "1" || g.attr("timeout") != "6" || g.attr("action") != e.h.PublicURL+WebhookPath+"?step=lang" {
		t.Errorf("Gather %+v", g.Attrs)
	}
	want := []said{
		{"Say", "cmn-CN", "您好，这里是同心热线。"},
		{"Say", "cmn-CN", "说中文，请按 1。"},
		{"Play", "", "/voice/prompts/ug/voice.press_for_lang-2.mp3"},
		{"Say", "ko-KR", e.h.Catalog.T("ko", "voice.press_for_lang", i18n.Args{"Digit": 3})},
		{"Say", "cmn-CN", "蒙古语（传统蒙古文），请按 4。"}, // no file: named in Chinese
	}
	if got := e.sayings(twiml); !equal(got, want) {
		t.Errorf("menu says\n%v\nwant\n%v", got, want)
	}
	if r := twiml.find("Redirect"); len(r) != 1 || r[0].Text != e.h.PublicURL+WebhookPath+"?step=start&try=2" {
		t.Errorf("Redirect %+v", r)
	}

	// No input: the menu once more, then goodbye.
	twiml = c.silence()
	if s := e.sayings(twiml); s[0].text != "没有听到您的选择。" || len(twiml.find("Gather")) != 1 || len(s) != 5 {
		t.Errorf("second try says %v", s)
	}
	twiml = c.silence()
	if s := e.sayings(twiml); len(s) != 2 || s[1].text != "谢谢您的来电，再见。" || len(twiml.find("Hangup")) != 1 {
		t.Errorf("third try %s", c.raw)
	}

	// An invalid digit: said so, and the menu again.
	c = e.call("+8613900000001")
	c.start()
	twiml = c.press("7")
	if s := e.sayings(twiml); s[0].text != "这个选择不对。" || len(twiml.find("Gather")) != 1 {
		t.Errorf("invalid digit: %s", c.raw)
	}
}

func TestUyghurLegalAid(t *testing.T) {
	e := newEnv(t)
	c := e.call(caller)
	c.start()
	menu := c.press("2")
	golden(t, e, "service_menu_ug", c.raw)
	s := e.sayings(menu)
	if len(s) != 11 || s[0] != (said{"Play", "", "/voice/prompts/ug/voice.menu_intro.mp3"}) ||
		s[5] != (said{"Play", "", "/voice/prompts/ug/voice.menu_item-5.mp3"}) ||
		s[1] != (said{"Say", "cmn-CN", "居住登记和居住证，请按 1。"}) ||
		s[9] != (said{"Say", "cmn-CN", "紧急求助，请按 9。"}) || s[10] != (said{"Say", "cmn-CN", "其他问题，请按 0。"}) {
		t.Errorf("service menu says %v", s)
	}

	options := c.press("5")
	verbs := options.Nodes
	if len(verbs) < 2 || verbs[0].XMLName.Local != "Play" || !strings.HasSuffix(verbs[0].Text, "/ug/voice.consent.mp3") ||
		verbs[1].XMLName.Local != "Gather" || !strings.Contains(verbs[1].Nodes[0].Text, "留言，请按 1") {
		t.Fatalf("the consent notice must come before the choice: %s", c.raw)
	}

	rec := c.press("1")
	records := rec.find("Record")
	if len(records) != 1 {
		t.Fatalf("no Record: %s", c.raw)
	}
	r := records[0]
	if r.attr("action") != e.h.PublicURL+WebhookPath+"?step=recorded" || r.attr("maxLength") != "120" ||
		r.attr("finishOnKey") != "#" || r.attr("playBeep") != "true" {
		t.Errorf("Record %+v", r.Attrs)
	}

	const recording = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0123"
	done := c.post(r.attr("action"), url.Values{"RecordingUrl": {recording}, "RecordingSid": {"RE0123"},
		"RecordingDuration": {"34"}, "Digits": {"#"}})
	tk := e.oneTicket(caller)
	if tk.Category != hotline.CategoryLegalAid || tk.Bureau != hotline.BureauJustice || tk.Language != "ug" ||
		tk.Channel != hotline.ChannelVoice || tk.LegalBasis != "consent" {
		t.Errorf("ticket %+v", tk)
	}
	if tk.Sensitive["recording"] != recording || tk.Sensitive["phone"] != caller ||
		tk.Fields["callback"] != "no" || tk.Fields["recording_duration"] != "34" || tk.Fields["call_sid"] != c.sid {
		t.Errorf("ticket fields %v, sensitive %v", tk.Fields, tk.Sensitive)
	}
	want := []said{
		{"Play", "", "/voice/prompts/ug/voice.recorded.wav"},
		{"Say", "cmn-CN", spokenNumber(tk.Number, i18n.Source)},
		{"Say", "cmn-CN", testCatalog(t).T(i18n.Source, "voice.goodbye", nil)},
	}
	if got := e.sayings(done); !equal(got, want) || len(done.find("Hangup")) != 1 {
		t.Errorf("after the recording: %v", got)
	}
	if tk.Number != "YK-2026-000001" || want[1].text != "Y K，二零二六，零零零零零一" {
		t.Errorf("number %s read as %q", tk.Number, want[1].text)
	}

	res, err := e.store.FindResidentByID(e.ctx, tk.ResidentID)
	if err != nil || res.Lang != "ug" || res.Phone != caller {
		t.Errorf("resident %+v, %v", res, err)
	}
	consents, err := e.store.Consents(e.ctx, res.ID)
	if err != nil || len(consents) != 1 {
		t.Fatalf("consents %+v, %v", consents, err)
	}
	if k := consents[0]; k.Purpose != ConsentPurpose || !k.Granted || k.Lang != "ug" ||
		!strings.HasPrefix(k.Version, "ug@") || len(k.Version) != len("ug@")+8 || k.Channel != hotline.ChannelVoice {
		t.Errorf("consent %+v", k)
	}
	pending, err := e.store.PendingInbound(e.ctx, []string{hotline.ChannelVoice}, 0, 0)
	if err != nil || len(pending) != 0 {
		t.Errorf("%d voice requests left unprocessed, %v", len(pending), err)
	}
}

func TestChineseEmergency(t *testing.T) {
	e := newEnv(t)
	c := e.call(caller)
	c.start()
	c.press("1")
	twiml := c.press("9")
	first := twiml.Nodes[0]
	if first.XMLName.Local != "Say" || first.attr("language") != "cmn-CN" {
		t.Fatalf("first verb %s", c.raw)
	}
	for _, n := range []string{"110", "119", "120"} {
		if !strings.Contains(first.Text, n) {
			t.Errorf("first thing said %q lacks %s", first.Text, n)
		}
	}
	if len(twiml.find("Hangup")) != 1 {
		t.Errorf("no hang up: %s", c.raw)
	}
	tk := e.oneTicket(caller)
	if tk.Category != hotline.CategoryEmergency || tk.Priority != hotline.PriorityUrgent || tk.LegalBasis != "emergency" ||
		tk.Fields["callback"] != "yes" || tk.Sensitive["phone"] != caller || tk.Language != i18n.Source {
		t.Errorf("ticket %+v", tk)
	}
}

func TestCallback(t *testing.T) {
	e := newEnv(t)
	c := e.call(caller)
	c.start()
	menu := c.press("3") // Korean, spoken by its own voice
	if s := e.sayings(menu); s[0] != (said{"Say", "ko-KR", e.h.Catalog.T("ko", "voice.menu_intro", nil)}) {
		t.Errorf("Korean menu %v", s)
	}
	options := c.press("1")
	if s := e.sayings(options); s[0] != (said{"Say", "ko-KR", e.h.Catalog.T("ko", "voice.consent", nil)}) {
		t.Errorf("Korean consent notice %v", s)
	}
	done := c.press("2")
	tk := e.oneTicket(caller)
	if tk.Category != hotline.CategoryRegistration || tk.Bureau != hotline.BureauPublicSecurity ||
		tk.Fields["callback"] != "yes" || tk.Sensitive["phone"] != caller || tk.Sensitive["recording"] != "" || tk.Language != "ko" {
		t.Errorf("ticket %+v", tk)
	}
	if s := e.sayings(done); len(s) != 2 || s[0].lang != "ko-KR" || !strings.HasSuffix(strings.TrimRight(s[0].text, "."), "Y K, 2 0 2 6, 0 0 0 0 0 1입니다") {
		t.Errorf("callback answer %v", s)
	}
	// The call ends with a ticket: no callback task.
	c.status("completed")
	if n := len(e.tickets(caller)); n != 1 {
		t.Errorf("%d tickets after the status callback", n)
	}
	res, _ := e.store.FindResidentByID(e.ctx, tk.ResidentID)
	if consents, _ := e.store.Consents(e.ctx, res.ID); len(consents) != 0 {
		t.Errorf("a call back needs no consent to recording: %+v", consents)
	}
}

func TestEmptyRecordingIsACallback(t *testing.T) {
	e := newEnv(t)
	c := e.call(caller)
	c.start()
	c.press("1")
	c.press("8") // dispute
	c.press("1")
	done := c.silence() // nothing recorded: the Redirect after Record
	tk := e.oneTicket(caller)
	if tk.Category != hotline.CategoryDispute || tk.Fields["callback"] != "yes" || !strings.Contains(string(c.raw), "回电") {
		t.Errorf("ticket %+v, answer %v", tk, e.sayings(done))
	}
}

func TestMissedCalls(t *testing.T) {
	tests := []struct {
		name   string
		steps  func(*phoneCall)
		status string
		reason string
	}{
		{"not answered", func(c *phoneCall) { c.start() }, "no-answer", "missed"},
		{"busy before any webhook", func(*phoneCall) {}, "busy", "missed"},
		{"hung up in the service menu", func(c *phoneCall) { c.start(); c.press("2") }, "completed", "abandoned"},
		{"no language chosen", func(c *phoneCall) { c.start(); c.silence(); c.silence() }, "completed", "missed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.call(caller)
			tt.steps(c)
			c.status(tt.status)
			tk := e.oneTicket(caller)
			if tk.Category != hotline.CategoryGeneral || tk.Bureau != hotline.BureauEthnicAffairs ||
				tk.Fields["callback"] != "yes" || tk.Fields["reason"] != tt.reason || tk.Sensitive["phone"] != caller {
				t.Errorf("ticket %+v", tk)
			}
			c.status(tt.status)
			c.status("completed")
			if n := len(e.tickets(caller)); n != 1 {
				t.Errorf("%d tickets after repeated status callbacks", n)
			}
		})
	}
}

func TestSignatureAndDuplicates(t *testing.T) {
	// Call state in memory this time: saved after the transaction.
	e := newEnv(t, func(h *Handler) { h.Sessions = bot.NewMemorySessions(time.Hour) })
	forger := smsfake.New(accountSID, "not-the-token", smsfake.WithWebhookClient(e.ts.Client()))
	for _, path := range []string{WebhookPath, StatusPath} {
		resp, _, err := forger.PostVoice(e.ctx, e.h.PublicURL+path, url.Values{"From": {caller}, "CallStatus": {"busy"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("forged %s: %s", path, resp.Status)
		}
	}
	if _, err := e.store.FindInbound(e.ctx, 1); !errors.Is(err, hotline.ErrNotFound) {
		t.Errorf("a forged request was recorded: %v", err)
	}
	if _, err := e.store.FindResidentByAddress(e.ctx, hotline.Address{Channel: hotline.ChannelVoice, ID: caller}); !errors.Is(err, hotline.ErrNotFound) {
		t.Errorf("a forged request made a resident: %v", err)
	}

	// Signed, but without From.
	params := url.Values{"CallSid": {"CA1"}}
	req, _ := http.NewRequestWithContext(e.ctx, http.MethodPost, e.h.PublicURL+WebhookPath, strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", e.fake.Sign(e.h.PublicURL+WebhookPath, params))
	if resp, err := e.ts.Client().Do(req); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("no From: %v %v", resp.Status, err)
	}

	// The gateway retries each step of a call: same answers, one ticket.
	c := e.call(caller)
	c.start()
	c.press("1")
	c.press("5")
	c.press("1")
	action := c.last.find("Record")[0].attr("action")
	rec := url.Values{"RecordingUrl": {"https://rec.example/RE9"}, "RecordingSid": {"RE9"}, "RecordingDuration": {"12"}}
	c.post(action, rec)
	first := c.raw
	c.post(action, rec)
	if !bytes.Equal(first, c.raw) {
		t.Errorf("retry answered\n%s\nfirst\n%s", c.raw, first)
	}
	tk := e.oneTicket(caller)
	if consents, _ := e.store.Consents(e.ctx, tk.ResidentID); len(consents) != 1 {
		t.Errorf("%d consents", len(consents))
	}
	// A retried choice after the ticket also gets the same number, not a second ticket.
	d := e.call("+8613900000002")
	d.start()
	d.press("1")
	d.press("0")
	d.press("2")
	first = d.raw
	d.post(e.h.url("choice", 1), url.Values{"Digits": {"2"}})
	if !bytes.Equal(first, d.raw) || len(e.tickets("+8613900000002")) != 1 {
		t.Errorf("retried call back answered\n%s\nfirst\n%s", d.raw, first)
	}
}

func TestLapsedCallStartsOver(t *testing.T) {
	e := newEnv(t)
	c := e.call(caller)
	twiml := c.post(e.h.url("choice", 1), url.Values{"Digits": {"1"}})
	g := twiml.find("Gather")
	if len(g) != 1 || !strings.HasSuffix(g[0].attr("action"), "?step=lang") || len(twiml.find("Record")) != 0 {
		t.Errorf("lapsed call: %s", c.raw)
	}
	if n := len(e.tickets(caller)); n != 0 {
		t.Errorf("%d tickets", n)
	}
	// A message recorded after the state lapsed is kept, for the commission.
	c.post(e.h.url("recorded", 1), url.Values{"RecordingUrl": {"https://rec.example/RE1"}, "RecordingSid": {"RE1"}, "RecordingDuration": {"5"}})
	if tk := e.oneTicket(caller); tk.Category != hotline.CategoryGeneral || tk.Sensitive["recording"] != "https://rec.example/RE1" {
		t.Errorf("ticket %+v", tk)
	}
}

func TestWithheldNumber(t *testing.T) {
	e := newEnv(t)
	c := e.call("+266696687") // "anonymous"
	c.start()
	c.status("completed")
	res, err := e.store.FindResidentByAddress(e.ctx, hotline.Address{Channel: hotline.ChannelVoice, ID: unknownID + ":" + c.sid})
	if err != nil || res.Phone != "" {
		t.Fatalf("resident %+v, %v", res, err)
	}
	if list, _ := e.store.FindTickets(e.ctx, hotline.TicketFilter{ResidentID: &res.ID}); len(list) != 0 {
		t.Errorf("a callback task for a number nobody can call: %+v", list)
	}
}

func TestSpokenNumber(t *testing.T) {
	for _, tt := range []struct{ number, lang, want string }{
		{"YK-2026-000042", i18n.Source, "Y K，二零二六，零零零零四二"},
		{"YK-2026-000042", "ko", "Y K, 2 0 2 6, 0 0 0 0 4 2"},
		{"", "ko", ""},
	} {
		if got := spokenNumber(tt.number, tt.lang); got != tt.want {
			t.Errorf("spokenNumber(%q, %s) = %q, want %q", tt.number, tt.lang, got, tt.want)
		}
	}
}

func TestScript(t *testing.T) {
	cat := testCatalog(t)
	script := Script(cat, "ug")
	if len(script) != 22 {
		t.Errorf("%d prompts", len(script))
	}
	files := map[string]Prompt{}
	for _, p := range script {
		if p.Text == "" || !promptName.MatchString(p.File) {
			t.Errorf("prompt %+v", p)
		}
		files[p.File] = p
	}
	if p := files["ug/voice.menu_item-5.mp3"]; !strings.Contains(p.Text, cat.T("ug", "category.legal_aid", nil)) {
		t.Errorf("legal aid item %+v", p)
	}
	if _, ok := files["ug/voice.press_for_lang-2.mp3"]; !ok {
		t.Errorf("no language menu line: %v", files)
	}
	if p := files["ug/voice.recorded.mp3"]; !strings.Contains(p.Note, "ticket number") {
		t.Errorf("recorded %+v", p)
	}
}

func TestPrompts(t *testing.T) {
	e := newEnv(t)
	secret := filepath.Join(filepath.Dir(e.h.PromptsDir), "secret.mp3")
	if err := os.WriteFile(secret, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(e.h.PromptsDir, "ug", "voice.goodbye.mp3")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(e.h.PromptsDir, "ug", "voice.invalid.txt"), []byte("text"), 0o644)
	tests := []struct {
		path, contentType string
		status            int
	}{
		{"/voice/prompts/ug/voice.consent.mp3", "audio/mpeg", 200},
		{"/voice/prompts/ug/voice.recorded.wav", "audio/wav", 200},
		{"/voice/prompts/ug/voice.no_input.mp3", "", 404},
		{"/voice/prompts/ug/voice.invalid.txt", "", 404},
		{"/voice/prompts/ug/voice.goodbye.mp3", "", 404}, // a symlink out of the folder
		{"/voice/prompts/../secret.mp3", "", 404},
		{"/voice/prompts/ug/..%2F..%2Fsecret.mp3", "", 404},
		{"/voice/prompts/%2e%2e/secret.mp3", "", 404},
	}
	for _, tt := range tests {
		req, _ := http.NewRequestWithContext(e.ctx, http.MethodGet, e.ts.URL, nil)
		req.URL.Opaque = tt.path // sent as is, not cleaned by the client
		resp, err := e.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != tt.contentType && tt.status == 200 || bytes.Contains(body, []byte("secret")) {
			t.Errorf("GET %s: %s %q %q", tt.path, resp.Status, resp.Header.Get("Content-Type"), body)
		}
	}
	// Behind a mux that does not clean paths, the handler refuses on its own.
	rec := httptest.NewRecorder()
	e.h.Prompts().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://x/voice/prompts/ug/../../secret.mp3", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("direct traversal: %d", rec.Code)
	}
}

func equal(a, b []said) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// golden compares TwiML with testdata/<name>.golden, the test server's URL
// replaced by the public one of the docs; -update rewrites it.
func golden(t *testing.T, e *env, name string, got []byte) {
	t.Helper()
	got = bytes.ReplaceAll(got, []byte(e.h.PublicURL), []byte("https://hotline.example.cn"))
	got = append(bytes.ReplaceAll(got, []byte("><"), []byte(">\n<")), '\n')
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n%s\nwant\n%s", path, got, want)
	}
}
