package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/i18n"
	"github.com/tongxin/tongxin/locales"
)

// world is the engine's Actions over plain memory: the engine's own seam,
// so its tests do not depend on a store.
type world struct {
	lang, phone string
	consents    []string
	requests    []bot.Request
	tickets     []bot.TicketView
	attached    []string
	places      map[string][]bot.Place
}

func newWorld() *world {
	return &world{places: map[string][]bot.Place{
		"": {
			{Code: "yingkou.xishi", NameZh: "西市区", Pinyin: "Xishi"},
			{Code: "yingkou.zhanqian", NameZh: "站前区", Pinyin: "Zhanqian"},
		},
		"yingkou.xishi":         {{Code: "yingkou.xishi.shengli", NameZh: "胜利街道", Pinyin: "Shengli"}},
		"yingkou.xishi.shengli": {{Code: "yingkou.xishi.shengli.pingan", NameZh: "平安社区", Pinyin: "Ping'an"}},
	}}
}

func (w *world) SetLanguage(_ context.Context, l string) error { w.lang = l; return nil }
func (w *world) SetPhone(_ context.Context, p string) error    { w.phone = p; return nil }
func (w *world) RecordConsent(_ context.Context, purpose, version string, granted bool) error {
	w.consents = append(w.consents, fmt.Sprintf("%s=%v", purpose, granted))
	if version == "" {
		return fmt.Errorf("consent without a version")
	}
	return nil
}
func (w *world) OpenTicket(_ context.Context, r bot.Request) (bot.Receipt, error) {
	w.requests = append(w.requests, r)
	n := fmt.Sprintf("YK-2026-%06d", len(w.requests))
	w.tickets = append([]bot.TicketView{{Number: n, Category: r.Category, Status: "new", CreatedAt: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}}, w.tickets...)
	bureau := map[string]string{"legal_aid": "justice", "emergency": "ethnic_affairs", "general": "ethnic_affairs"}[r.Category]
	return bot.Receipt{Number: n, Bureau: bureau, FirstResponseDue: time.Date(2026, 12, 4, 14, 0, 0, 0, time.UTC)}, nil
}
func (w *world) Tickets(context.Context) ([]bot.TicketView, error) { return w.tickets, nil }
func (w *world) AttachMessage(_ context.Context, number string) error {
	w.attached = append(w.attached, number)
	return nil
}
func (w *world) Places(_ context.Context, parent string) ([]bot.Place, error) {
	return w.places[parent], nil
}
func (w *world) Office(_ context.Context, b string) (bot.Office, error) {
	names := map[string]string{"justice": "营口市司法局（法律援助中心）", "ethnic_affairs": "营口市民族事务委员会", "public_security": "营口市公安局"}
	return bot.Office{Bureau: b, NameZh: names[b]}, nil
}

// resident drives the engine like a person with a phone.
type resident struct {
	t       testing.TB
	e       *bot.Engine
	w       *world
	r       *bot.Resident
	s       *bot.Session
	last    []bot.Outbound
	hint    string
	catalog *i18n.Catalog
}

func newResident(t testing.TB, hint string) *resident {
	t.Helper()
	cat, err := i18n.Load(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &resident{t: t, e: bot.New(cat, time.UTC), w: newWorld(), r: &bot.Resident{Channel: "telegram"}, s: &bot.Session{}, hint: hint, catalog: cat}
}

func (r *resident) send(in bot.Inbound) []bot.Outbound {
	r.t.Helper()
	in.LangHint = r.hint
	out, err := r.e.Handle(context.Background(), &bot.Turn{Resident: r.r, Session: r.s, Actions: r.w}, in)
	if err != nil {
		r.t.Fatalf("handle %+v: %v", in, err)
	}
	if len(out) == 0 {
		r.t.Fatalf("no answer to %+v", in)
	}
	r.last = out
	return out
}

func (r *resident) text(s string) []bot.Outbound {
	return r.send(bot.Inbound{Kind: bot.KindText, Text: s})
}
func (r *resident) cmd(s string) []bot.Outbound {
	return r.send(bot.Inbound{Kind: bot.KindCommand, Text: s})
}

// press presses the button of the last answer whose label is label.
func (r *resident) press(label string) []bot.Outbound {
	r.t.Helper()
	for _, o := range r.last {
		for _, c := range o.Choices {
			if c.Label == label {
				return r.send(bot.Inbound{Kind: bot.KindChoice, Data: c.Data})
			}
		}
	}
	r.t.Fatalf("no button %q in %s", label, dump(r.last))
	return nil
}

// pressMsg presses the button labelled with message id in the resident's language.
func (r *resident) pressMsg(id string) []bot.Outbound {
	r.t.Helper()
	return r.press(r.catalog.T(r.lang(), id, nil))
}

func (r *resident) lang() string {
	if r.r.Lang == "" {
		return i18n.Source
	}
	return r.r.Lang
}

func (r *resident) tr(id string) string { return r.catalog.T(r.lang(), id, nil) }

func dump(out []bot.Outbound) string {
	var b strings.Builder
	for _, o := range out {
		b.WriteString(o.Text)
		for _, c := range o.Choices {
			fmt.Fprintf(&b, " [%s|%s]", c.Label, c.Data)
		}
		b.WriteString("\n---\n")
	}
	return b.String()
}

func lastText(out []bot.Outbound) string { return out[len(out)-1].Text }

func TestUnknownLanguageAsksInEveryScript(t *testing.T) {
	r := newResident(t, "")
	out := r.cmd("start")
	if len(out) != 1 || len(out[0].Choices) != 4 {
		t.Fatalf("want one language menu with 4 choices, got %s", dump(out))
	}
	for _, want := range []string{"中文", "ئۇيغۇرچە", "조선어", "ᠮᠣᠩᠭᠣᠯ ᠬᠡᠯᠡ"} {
		found := false
		for _, c := range out[0].Choices {
			found = found || c.Label == want
		}
		if !found {
			t.Errorf("language menu lacks %q", want)
		}
	}
	if !strings.HasPrefix(out[0].Text, "🚨 110 · 119 · 120") {
		t.Errorf("the language menu must show the emergency numbers first:\n%s", out[0].Text)
	}
	// Free text before a language is chosen gets the menu again.
	r.text("hello")
	if len(r.last[0].Choices) != 4 {
		t.Fatalf("want the language menu again, got %s", dump(r.last))
	}
	r.press("ئۇيغۇرچە")
	if r.w.lang != "ug" || r.r.Lang != "ug" {
		t.Fatalf("language not remembered: world %q resident %q", r.w.lang, r.r.Lang)
	}
	if got, want := r.last[0].Text, r.catalog.T("ug", "lang.set", nil); got != want {
		t.Errorf("confirmation %q, want %q", got, want)
	}
	if r.last[0].Lang != "ug" {
		t.Errorf("confirmation tagged %q, want ug", r.last[0].Lang)
	}
}

func TestLanguageHint(t *testing.T) {
	tests := []struct{ hint, want string }{
		{"zh-hans", "zh-Hans"}, {"ug", "ug"}, {"ko", "ko"}, {"mn-CN", "mn-Mong"},
		{"mn", ""}, {"ar", ""}, {"en", ""}, {"", ""}, {"zh-TW", ""},
	}
	for _, tt := range tests {
		t.Run(tt.hint, func(t *testing.T) {
			r := newResident(t, tt.hint)
			r.cmd("start")
			if r.r.Lang != tt.want {
				t.Fatalf("hint %q gave language %q, want %q", tt.hint, r.r.Lang, tt.want)
			}
			asked := len(r.last[0].Choices) == 4 && strings.HasPrefix(r.last[0].Choices[0].Data, "n:setlang:")
			if asked != (tt.want == "") {
				t.Fatalf("hint %q: language menu shown = %v:\n%s", tt.hint, asked, dump(r.last))
			}
		})
	}
}

func TestHandbookChapter(t *testing.T) {
	for _, lang := range []string{"zh-Hans", "ug", "ko", "mn-Mong"} {
		t.Run(lang, func(t *testing.T) {
			r := newResident(t, "")
			r.r.Lang = lang
			r.cmd("handbook")
			r.pressMsg("category.legal_aid")
			text := lastText(r.last)
			for _, sec := range bot.HandbookSections {
				if !strings.Contains(text, r.tr("handbook.legal_aid."+sec)) {
					t.Errorf("chapter lacks section %s:\n%s", sec, text)
				}
			}
			// The office is named in the resident's language and in Chinese.
			if !strings.Contains(text, "营口市司法局（法律援助中心）") {
				t.Errorf("chapter lacks the office's Chinese name:\n%s", text)
			}
			if lang != "zh-Hans" && !strings.Contains(text, r.tr("bureau.justice")) {
				t.Errorf("chapter lacks the office's name in %s:\n%s", lang, text)
			}
			if !strings.Contains(text, "12348") {
				t.Errorf("legal aid chapter lacks 12348:\n%s", text)
			}
			r.pressMsg("hb.request")
			if got := lastText(r.last); got != r.tr("form.ask_need") {
				t.Errorf("request button led to %q", got)
			}
		})
	}
}

func TestLegalAidForm(t *testing.T) {
	r := newResident(t, "zh-hans")
	r.cmd("legal")
	r.pressMsg("opt.need.unpaid_wages")
	r.text("阿依古丽·买买提")
	r.text("138 1234 5678")
	r.press("西市区")
	r.press("胜利街道")
	r.press("平安社区")
	if got := lastText(r.last); got != r.tr("consent.legal_details") {
		t.Fatalf("consent must come before the details, got %q", got)
	}
	if len(r.w.consents) != 0 {
		t.Fatalf("consent recorded before it was given: %v", r.w.consents)
	}
	r.pressMsg("consent.yes")
	if got := lastText(r.last); got != r.tr("form.ask_details") {
		t.Fatalf("after consent want the details question, got %q", got)
	}
	r.text("老板三个月没给工资")
	summary := lastText(r.last)
	for _, want := range []string{"阿依古丽·买买提", "+8613812345678", "平安社区", r.tr("summary.given")} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	if strings.Contains(summary, "三个月") {
		t.Errorf("summary repeats the sensitive description:\n%s", summary)
	}
	r.pressMsg("form.submit")
	if len(r.w.requests) != 1 {
		t.Fatalf("want one request, got %d", len(r.w.requests))
	}
	req := r.w.requests[0]
	if req.Category != "legal_aid" || req.Street != "yingkou.xishi.shengli" || req.Community != "yingkou.xishi.shengli.pingan" {
		t.Errorf("request routed wrong: %+v", req)
	}
	if req.Sensitive["details"] != "老板三个月没给工资" || req.Sensitive["name"] != "阿依古丽·买买提" || req.Sensitive["phone"] != "+8613812345678" {
		t.Errorf("sensitive answers wrong: %+v", req.Sensitive)
	}
	if _, leaked := req.Fields["details"]; leaked {
		t.Errorf("details among non-sensitive fields: %+v", req.Fields)
	}
	if req.Fields["need"] != "unpaid_wages" || req.LegalBasis != "consent" {
		t.Errorf("fields %+v legal basis %q", req.Fields, req.LegalBasis)
	}
	if r.w.phone != "+8613812345678" {
		t.Errorf("phone not remembered: %q", r.w.phone)
	}
	receipt := lastText(r.last)
	for _, want := range []string{"YK-2026-000001", "营口市司法局（法律援助中心）"} {
		if !strings.Contains(receipt, want) {
			t.Errorf("receipt lacks %q:\n%s", want, receipt)
		}
	}

	// The second request skips the phone question: it is known.
	r.cmd("legal")
	r.pressMsg("opt.need.other")
	r.text("阿依古丽")
	if got := lastText(r.last); got != r.tr("form.ask_district") {
		t.Errorf("known phone asked again; got %q", got)
	}
}

func TestDeclinedConsentSkipsSensitiveQuestions(t *testing.T) {
	r := newResident(t, "zh-hans")
	r.cmd("medical")
	r.pressMsg("opt.need.medical_dispute")
	r.text("金哲")
	r.text("13912345678")
	r.pressMsg("form.not_listed")
	r.text("站前区")
	r.pressMsg("consent.no")
	out := r.last
	if !strings.Contains(dump(out), r.tr("consent.declined")) {
		t.Errorf("declining is not acknowledged:\n%s", dump(out))
	}
	if got := lastText(out); !strings.HasPrefix(got, r.tr("form.confirm")) {
		t.Fatalf("after declining want the summary, got %q", got)
	}
	r.pressMsg("form.submit")
	req := r.w.requests[0]
	if _, ok := req.Sensitive["details"]; ok {
		t.Errorf("health details collected without consent: %+v", req.Sensitive)
	}
	if req.Fields["district_note"] != "站前区" || req.District != "" {
		t.Errorf("typed place not kept as a note: %+v district %q", req.Fields, req.District)
	}
	if len(r.w.consents) != 1 || r.w.consents[0] != "health_details=false" {
		t.Errorf("consents %v", r.w.consents)
	}
}

func TestEmergencyInThreeSteps(t *testing.T) {
	r := newResident(t, "ug")
	first := r.cmd("emergency")
	text := first[0].Text
	for _, n := range []string{"110", "119", "120"} {
		if !strings.Contains(text, n) {
			t.Errorf("first emergency reply lacks %s:\n%s", n, text)
		}
	}
	if i := strings.Index(text, "110"); i > strings.Index(text, "\n\n") {
		t.Errorf("emergency numbers must come first:\n%s", text)
	}
	steps := 0
	r.pressMsg("opt.need.danger")
	steps++
	if r.last[len(r.last)-1].Ask != bot.AskLocation {
		t.Fatalf("second step must ask for a location: %s", dump(r.last))
	}
	r.send(bot.Inbound{Kind: bot.KindLocation, Lat: 40.66, Lon: 122.23})
	steps++
	if r.last[len(r.last)-1].Ask != bot.AskPhone {
		t.Fatalf("third step must ask for a phone: %s", dump(r.last))
	}
	r.send(bot.Inbound{Kind: bot.KindContact, Phone: "8613812345678", Own: true})
	steps++
	if len(r.w.requests) != 1 || steps > 3 {
		t.Fatalf("want an urgent ticket after at most 3 answers, got %d requests after %d", len(r.w.requests), steps)
	}
	req := r.w.requests[0]
	if req.LegalBasis != "emergency" || req.Sensitive["location"] != "40.66000,122.23000" || req.Sensitive["phone"] != "+8613812345678" {
		t.Errorf("emergency request %+v", req)
	}
	if !strings.Contains(lastText(r.last), "YK-2026-000001") {
		t.Errorf("no ticket number in %q", lastText(r.last))
	}
}

func TestEmergencyKeywordStartsAtOnce(t *testing.T) {
	r := newResident(t, "zh-hans")
	r.text("救命！有人打我")
	if !strings.Contains(r.last[0].Text, "110") {
		t.Fatalf("emergency words must start the emergency form:\n%s", dump(r.last))
	}
}

func TestKeywordSuggestsService(t *testing.T) {
	r := newResident(t, "zh-hans")
	r.text("我的孩子想上学")
	want := r.catalog.T("zh-Hans", "fallback.suggest", i18n.Args{"Service": r.tr("category.schooling")})
	if lastText(r.last) != want {
		t.Fatalf("got %q, want %q", lastText(r.last), want)
	}
	r.pressMsg("hb.request")
	if lastText(r.last) != r.tr("form.ask_need") {
		t.Errorf("suggested form did not start: %q", lastText(r.last))
	}
	r3 := newResident(t, "zh-hans")
	r3.text("我想找工作人员")
	if lastText(r3.last) != r3.tr("operator.ask") {
		t.Errorf("a word inside a longer keyword won: %q", lastText(r3.last))
	}
	r2 := newResident(t, "zh-hans")
	r2.text("今天天气怎么样")
	if lastText(r2.last) != r2.tr("fallback.unknown") {
		t.Errorf("unmatched text: got %q", lastText(r2.last))
	}
	if !strings.Contains(dump(r2.last), r2.tr("menu.operator")) {
		t.Errorf("unmatched text must offer a person:\n%s", dump(r2.last))
	}
}

func TestTypedNumbersAndLabels(t *testing.T) {
	r := newResident(t, "zh-hans")
	r.cmd("menu")
	r.text("1") // handbook
	if lastText(r.last) != r.tr("hb.title") {
		t.Fatalf("typed 1 gave %q", lastText(r.last))
	}
	r.text(r.tr("category.jobs"))
	if !strings.Contains(lastText(r.last), r.tr("handbook.jobs.what")) {
		t.Fatalf("typed label gave %q", lastText(r.last))
	}
	r.text("0")
	if lastText(r.last) != r.tr("menu.title") {
		t.Fatalf("0 gave %q", lastText(r.last))
	}
}

func TestValidationAsksAgain(t *testing.T) {
	r := newResident(t, "zh-hans")
	r.cmd("jobs")
	r.pressMsg("opt.need.find_job")
	r.text("12345")
	if !strings.Contains(dump(r.last), r.tr("form.invalid_name")) || lastText(r.last) != r.tr("form.ask_name") {
		t.Fatalf("bad name: %s", dump(r.last))
	}
	r.text("金哲")
	r.text("12345")
	if !strings.Contains(dump(r.last), r.tr("form.invalid_phone")) {
		t.Fatalf("bad phone: %s", dump(r.last))
	}
	r.send(bot.Inbound{Kind: bot.KindContact, Phone: "+8613912345678", Own: false})
	if !strings.Contains(dump(r.last), r.tr("form.not_own_phone")) {
		t.Fatalf("someone else's contact accepted: %s", dump(r.last))
	}
	r.text("１３９１２３４５６７８") // full-width digits
	if lastText(r.last) != r.tr("form.ask_district") {
		t.Fatalf("full-width phone not accepted: %s", dump(r.last))
	}
}

func TestIDNumberIsMaskedInSummary(t *testing.T) {
	r := newResident(t, "zh-hans")
	r.cmd("register")
	r.pressMsg("opt.need.residence_permit")
	r.text("金哲")
	r.text("13912345678")
	r.press("西市区")
	r.pressMsg("form.skip")
	r.pressMsg("consent.yes")
	r.text("11010519491231002Y")
	if !strings.Contains(dump(r.last), r.tr("form.invalid_id")) {
		t.Fatalf("a wrong check character was accepted: %s", dump(r.last))
	}
	r.text("11010519491231002x") // the standard's own example, typed in lower case
	if lastText(r.last) != r.tr("form.ask_details") {
		t.Fatalf("a valid ID number was refused: %s", dump(r.last))
	}
	r.pressMsg("form.skip")
	summary := lastText(r.last)
	if strings.Contains(summary, "11010519491231002X") || !strings.Contains(summary, "**************002X") {
		t.Fatalf("ID number not masked:\n%s", summary)
	}
}

func TestStaleAndExpired(t *testing.T) {
	r := newResident(t, "zh-hans")
	r.cmd("legal")
	old := r.last
	r.pressMsg("opt.need.family")
	// A button of the earlier question.
	var data string
	for _, c := range old[0].Choices {
		if strings.HasPrefix(c.Data, "f") {
			data = c.Data
			break
		}
	}
	r.send(bot.Inbound{Kind: bot.KindChoice, Data: data})
	if !strings.Contains(dump(r.last), r.tr("session.stale_step")) || lastText(r.last) != r.tr("form.ask_name") {
		t.Fatalf("old button: %s", dump(r.last))
	}
	// The session lapses; the resident presses a button of the lapsed form.
	r.s.Expired = true
	r.send(bot.Inbound{Kind: bot.KindChoice, Data: data})
	out := dump(r.last)
	if !strings.Contains(out, r.tr("session.expired")) {
		t.Fatalf("expiry not explained: %s", out)
	}
	if r.s.Flow != "" {
		t.Fatalf("form still open after expiry: %+v", r.s)
	}
}

func TestStatus(t *testing.T) {
	r := newResident(t, "ko")
	r.cmd("status")
	if lastText(r.last) != r.catalog.T("ko", "status.none", nil) {
		t.Fatalf("no tickets: %q", lastText(r.last))
	}
	r.w.tickets = []bot.TicketView{{Number: "YK-2026-000007", Category: "legal_aid", Status: "in_progress", CreatedAt: time.Now()}}
	r.cmd("status")
	text := lastText(r.last)
	for _, want := range []string{"YK-2026-000007", r.tr("category.legal_aid"), r.tr("status_name.in_progress")} {
		if !strings.Contains(text, want) {
			t.Errorf("status lacks %q:\n%s", want, text)
		}
	}
}

func TestEveryCallbackFitsTelegram(t *testing.T) {
	r := newResident(t, "zh-hans")
	check := func() {
		for _, o := range r.last {
			for _, c := range o.Choices {
				if len(c.Data) == 0 || len(c.Data) > 64 {
					t.Errorf("callback data %q is %d bytes", c.Data, len(c.Data))
				}
			}
		}
	}
	for _, cmd := range []string{"start", "lang", "handbook", "menu", "help", "status"} {
		r.cmd(cmd)
		check()
	}
	for id := range bot.Flows {
		r.send(bot.Inbound{Kind: bot.KindChoice, Data: "n:form:" + id})
		check()
	}
}

func TestLaterMessagesGoToTheOpenRequest(t *testing.T) {
	r := newResident(t, "zh-hans")
	r.text("今天天气怎么样")
	if lastText(r.last) != r.tr("fallback.unknown") || len(r.w.attached) != 0 {
		t.Fatalf("without a request: %s (attached %v)", dump(r.last), r.w.attached)
	}
	r.cmd("operator")
	r.text("我想问孩子上学的事")
	r.pressMsg("form.skip") // phone
	r.w.tickets = append(r.w.tickets, bot.TicketView{Number: "YK-2026-000099", Category: "jobs", Status: "resolved"})
	r.w.tickets[0], r.w.tickets[1] = r.w.tickets[1], r.w.tickets[0] // the newest is already resolved
	r.text("还有，我的孩子九岁了")
	if len(r.w.attached) != 1 || r.w.attached[0] != "YK-2026-000001" {
		t.Fatalf("message attached to %v, want the open request YK-2026-000001", r.w.attached)
	}
	want := r.catalog.T("zh-Hans", "message.attached", i18n.Args{"Number": "YK-2026-000001"})
	if lastText(r.last) != want {
		t.Errorf("reply %q, want %q", lastText(r.last), want)
	}
	// Emergency words still start the emergency form.
	r.text("救命")
	if !strings.Contains(r.last[0].Text, "110") || len(r.w.attached) != 1 {
		t.Errorf("emergency words were attached instead: %s", dump(r.last))
	}
}

func TestChangingLanguageKeepsTheForm(t *testing.T) {
	r := newResident(t, "zh-hans")
	r.cmd("jobs")
	r.pressMsg("opt.need.training")
	r.cmd("lang")
	r.press("조선어")
	if r.s.Flow != "jobs" || r.s.Answers["need"] != "training" {
		t.Fatalf("form lost when changing language: %+v", r.s)
	}
	if got, want := lastText(r.last), r.catalog.T("ko", "form.ask_name", nil); got != want {
		t.Fatalf("after changing language the question is asked again in Korean: got %q", got)
	}
}

func TestDeepPlaceCodesFitInButtons(t *testing.T) {
	r := newResident(t, "zh-hans")
	long := "yingkou.xishi.shengli." + strings.Repeat("a", 80)
	r.w.places["yingkou.xishi.shengli"] = append(r.w.places["yingkou.xishi.shengli"], bot.Place{Code: long, NameZh: "很长的社区"})
	r.cmd("jobs")
	r.pressMsg("opt.need.find_job")
	r.text("金哲")
	r.text("13912345678")
	r.press("西市区")
	r.press("胜利街道")
	for _, c := range r.last[len(r.last)-1].Choices {
		if len(c.Data) > 64 {
			t.Fatalf("button data %q is %d bytes", c.Data, len(c.Data))
		}
	}
	r.press("很长的社区")
	r.pressMsg("form.skip")
	r.pressMsg("form.submit")
	if got := r.w.requests[0].Community; got != long {
		t.Fatalf("community %q, want the long code", got)
	}
}

func TestLanguageGuessedFromScript(t *testing.T) {
	tests := []struct {
		text, lang string
		then       string // message id of the last reply
	}{
		{"你好", "zh-Hans", "welcome"},
		{"ياخشىمۇسىز", "ug", "welcome"},
		{"안녕하세요", "ko", "welcome"},
		{"ᠰᠠᠶᠢᠨ ᠪᠠᠶᠢᠨ᠎ᠠ ᠤᠤ", "mn-Mong", "welcome"},
		{"救命", "zh-Hans", "emergency.start"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+" "+tt.text, func(t *testing.T) {
			r := newResident(t, "")
			r.text(tt.text)
			if r.r.Lang != tt.lang || r.w.lang != tt.lang {
				t.Fatalf("language %q, want %q", r.r.Lang, tt.lang)
			}
			if r.last[0].Text != r.catalog.T(tt.lang, "lang.guessed", nil) {
				t.Errorf("the guess is not said first:\n%s", dump(r.last))
			}
			if got, want := lastText(r.last), r.catalog.T(tt.lang, tt.then, nil); got != want {
				t.Errorf("then %q, want %q", got, want)
			}
		})
	}
	// Text in no script we know (digits, Latin) gets the language menu.
	r := newResident(t, "")
	r.text("hello")
	if r.r.Lang != "" || len(r.last[0].Choices) != 4 {
		t.Fatalf("unclear first message: %s", dump(r.last))
	}
}

func TestMeteredChannelsGetTheHandbookInTwoParts(t *testing.T) {
	r := newResident(t, "zh-hans")
	r.r.Metered = true
	r.cmd("handbook")
	r.pressMsg("category.legal_aid")
	first := lastText(r.last)
	for _, sec := range []string{"what", "where", "call"} {
		if !strings.Contains(first, r.tr("handbook.legal_aid."+sec)) {
			t.Errorf("first part lacks %s", sec)
		}
	}
	for _, sec := range []string{"who", "bring"} {
		if strings.Contains(first, r.tr("handbook.legal_aid."+sec)) {
			t.Errorf("first part already has %s", sec)
		}
	}
	r.press("📄 " + r.tr("hb.section.who") + " · " + r.tr("hb.section.bring"))
	second := lastText(r.last)
	for _, sec := range []string{"who", "bring"} {
		if !strings.Contains(second, r.tr("handbook.legal_aid."+sec)) {
			t.Errorf("second part lacks %s:\n%s", sec, second)
		}
	}
	if !strings.Contains(dump(r.last), r.tr("hb.request")) {
		t.Errorf("the second part must still offer the request")
	}
}
