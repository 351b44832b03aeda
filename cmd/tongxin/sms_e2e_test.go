package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/segment"
	"github.com/tongxin/tongxin/internal/sms"
)

// A Chinese-speaking resident over SMS: the language guessed from the
// first message, numbered menus, a schooling request in the education
// bureau's queue with the phone number taken from the SMS, the status of
// their requests, and STOP then START.
func TestSMSChineseResident(t *testing.T) {
	e := newEnv(t)
	x := e.texter("+8613812340001")
	zh := func(id string) string { return e.srv.catalog.T("zh-Hans", id, nil) }

	x.send("你好")
	if len(x.last) != 1 {
		t.Fatalf("the first answer must be one SMS, got %d", len(x.last))
	}
	body := x.text()
	for _, want := range []string{zh("lang.guessed"), zh("welcome@sms"), "1 " + plain(zh("menu.handbook")), "2 " + plain(zh("menu.request"))} {
		if !strings.Contains(body, want) {
			t.Errorf("first answer lacks %q:\n%s", want, body)
		}
	}

	x.pick(plain(zh("menu.request")))
	x.pick(zh("category.schooling"))
	x.pick(zh("opt.need.enrolment"))
	if !strings.Contains(x.text(), zh("consent.child_details")) {
		t.Fatalf("consent must be asked before the child's details:\n%s", x.text())
	}
	x.pick(plain(zh("consent.yes")))
	x.pick(zh("opt.child_stage.primary"))
	x.send("金美玲")
	if !strings.Contains(x.text(), zh("form.ask_district")) {
		t.Fatalf("the phone is known from the SMS; want the district next:\n%s", x.text())
	}
	x.pick("西市区")
	x.pick("胜利街道")
	x.pick("平安社区")
	x.send("孩子九岁，想在家附近上小学")
	summary := x.text()
	if !strings.Contains(summary, "+8613812340001") || !strings.Contains(summary, "金美玲") {
		t.Errorf("summary:\n%s", summary)
	}
	x.pick(plain(zh("form.submit")))

	tickets, _ := e.srv.store.FindTickets(context.Background(), hotline.TicketFilter{})
	if len(tickets) != 1 {
		t.Fatalf("want one ticket, got %d", len(tickets))
	}
	tk, _ := e.srv.store.FindTicketByNumber(context.Background(), tickets[0].Number)
	if tk.Category != "schooling" || tk.Bureau != "education" || tk.Street != "yingkou.xishi.shengli" || tk.Channel != "sms" ||
		tk.Sensitive["phone"] != "+8613812340001" || tk.Fields["child_stage"] != "primary" {
		t.Errorf("ticket %+v", tk)
	}
	if !strings.Contains(x.text(), tk.Number) {
		t.Errorf("receipt lacks the number:\n%s", x.text())
	}

	// My requests, asked in words.
	x.send("查询进度")
	if !strings.Contains(x.text(), tk.Number) || !strings.Contains(x.text(), zh("status_name.new")) {
		t.Errorf("status:\n%s", x.text())
	}

	// Every SMS fits the segment budget and its cost is recorded.
	addr := "+8613812340001"
	msgs, _ := e.srv.store.FindOutbox(context.Background(), hotline.OutboxFilter{Address: &addr})
	for _, m := range msgs {
		if m.Segments < 1 || m.Segments > sms.MaxSegments {
			t.Errorf("outbox %d costs %d segments", m.ID, m.Segments)
		}
	}
	for _, s := range e.sms.Sent(addr) {
		if n := segment.Count(s.Body).Segments; n > sms.MaxSegments {
			t.Errorf("an SMS of %d segments was sent:\n%s", n, s.Body)
		}
	}

	// STOP, then nothing, then START.
	x.send("退订")
	if len(x.last) != 1 || x.last[0].Body != zh("optout.done") {
		t.Fatalf("opt-out confirmation:\n%s", x.text())
	}
	if x.send("你好"); len(x.last) != 0 {
		t.Fatalf("an opted-out number got:\n%s", x.text())
	}
	if x.send("1"); len(x.last) != 0 {
		t.Fatalf("an opted-out number got:\n%s", x.text())
	}
	x.send("开始")
	if !strings.HasPrefix(x.text(), zh("optout.undone")) {
		t.Fatalf("opt-in:\n%s", x.text())
	}
	x.pick(plain(zh("menu.status")))
	if !strings.Contains(x.text(), tk.Number) {
		t.Errorf("after opting in, the menu works again:\n%s", x.text())
	}
	// English STOP works too, and YES from someone who did not opt out is
	// just text.
	x.send("STOP")
	if x.last[0].Body != zh("optout.done") {
		t.Fatalf("STOP:\n%s", x.text())
	}
	x.send("START")
	x.send("yes")
	if strings.Contains(x.text(), zh("optout.undone")) {
		t.Errorf("yes was read as an opt-in:\n%s", x.text())
	}
}

// A Uyghur-speaking resident over SMS: the first message in Arabic script
// sets Uyghur; the same schooling request, status, and STOP and START in
// Uyghur words.
func TestSMSUyghurResident(t *testing.T) {
	e := newEnv(t)
	x := e.texter("+8613812340002")
	ug := func(id string) string { return e.srv.catalog.T("ug", id, nil) }

	x.send("ياخشىمۇسىز")
	for _, want := range []string{ug("lang.guessed"), ug("welcome@sms"), "2 " + plain(ug("menu.request"))} {
		if !strings.Contains(x.text(), want) {
			t.Fatalf("first answer lacks %q:\n%s", want, x.text())
		}
	}
	x.pick(plain(ug("menu.request")))
	x.pick(ug("category.schooling"))
	x.pick(ug("opt.need.korean_school"))
	x.pick(plain(ug("consent.yes")))
	x.pick(ug("opt.child_stage.junior"))
	x.send("گۈلنار ئابدۇرېشىت")
	x.pick("西市区 Xishi")
	x.pick("胜利街道 Shengli")
	x.pick(ug("form.skip"))
	x.send("بالام 13 ياشتا")
	x.pick(plain(ug("form.submit")))
	tickets, _ := e.srv.store.FindTickets(context.Background(), hotline.TicketFilter{})
	if len(tickets) != 1 || tickets[0].Bureau != "education" || tickets[0].Language != "ug" || tickets[0].Street != "yingkou.xishi.shengli" {
		t.Fatalf("tickets %+v", tickets)
	}
	if !strings.Contains(x.text(), tickets[0].Number) {
		t.Fatalf("receipt:\n%s", x.text())
	}

	x.pick(plain(ug("menu.status")))
	if !strings.Contains(x.text(), tickets[0].Number) || !strings.Contains(x.text(), ug("status_name.new")) {
		t.Errorf("status in Uyghur:\n%s", x.text())
	}

	stop := strings.Split(ug("sms.stop_words"), ",")[0]
	x.send(stop)
	if len(x.last) != 1 || x.last[0].Body != ug("optout.done") {
		t.Fatalf("opt-out in Uyghur (%q):\n%s", stop, x.text())
	}
	if x.send("ياخشىمۇسىز"); len(x.last) != 0 {
		t.Fatalf("an opted-out number got:\n%s", x.text())
	}
	x.send(strings.Split(ug("sms.start_words"), ",")[0])
	if !strings.HasPrefix(x.text(), ug("optout.undone")) {
		t.Fatalf("opt-in in Uyghur:\n%s", x.text())
	}
}

func TestSMSBadInput(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	url := "http://" + e.addr + "/webhooks/sms/twilio"

	// Empty body: answered, asking for words.
	x := e.texter("+8613812340010")
	x.send("你好")
	x.send("")
	if !strings.Contains(x.text(), e.srv.catalog.T("zh-Hans", "fallback.unsupported", nil)) {
		t.Errorf("empty SMS:\n%s", x.text())
	}
	// 1,600 characters, the most the gateway carries: kept whole, answered.
	long := strings.Repeat("工", 1600)
	x.send(long)
	if len(x.last) == 0 {
		t.Fatal("a 1600-character SMS got no answer")
	}
	// Invalid UTF-8 in the body: recorded as sent, answered.
	resp, _, err := e.sms.PostSMS(ctx, url, "+8613812340011", testSMSFrom, "\xff\xfe救命", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("invalid UTF-8: %v %v", err, resp.StatusCode)
	}
	e.settle(ctx, hotline.ChannelSMS, "+8613812340011")
	sent := e.sms.Sent("+8613812340011")
	if len(sent) == 0 || !strings.Contains(sent[0].Body, "110") {
		t.Errorf("an emergency with broken bytes around it was not answered as one: %+v", sent)
	}
	// A sender that is not a phone number: recorded, not answered.
	resp, _, _ = e.sms.PostSMS(ctx, url, "Alipay", testSMSFrom, "您的验证码是 1234", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("short-code sender: %d", resp.StatusCode)
	}
	e.settle(ctx, hotline.ChannelSMS, "Alipay")
	if got := e.sms.Sent("Alipay"); len(got) != 0 {
		t.Errorf("answered a sender that is not a phone: %+v", got)
	}
	// The gateway fails twice, then takes the message: it arrives once.
	y := e.texter("+8613812340012")
	e.sms.FailNext(2, 500, 0, 0)
	y.send("你好")
	if len(y.last) != 1 {
		t.Fatalf("after two 500s: %d SMS", len(y.last))
	}
	// The gateway says the number unsubscribed (21610): the number is
	// marked and nothing more is tried.
	z := e.texter("+8613812340013")
	e.sms.Unsubscribe("+8613812340013")
	z.send("你好")
	st, err := e.srv.store.FindAddressState(ctx, hotline.Address{Channel: hotline.ChannelSMS, ID: "+8613812340013"})
	if err != nil || st.OptedOutAt == nil {
		t.Fatalf("21610 did not mark the number: %+v %v", st, err)
	}
	before := len(e.sms.Calls())
	e.sms.Resubscribe("+8613812340013")
	z.send("1")
	if len(e.sms.Calls()) != before {
		t.Errorf("the gateway was asked again for a number that opted out")
	}
}

// With TONGXIN_SMS_REPLY=twiml the reply comes in the webhook's answer and
// the gateway's REST API is not used.
func TestSMSRepliesInTwiML(t *testing.T) {
	e := newEnv(t, func(m map[string]string) {
		m["TONGXIN_SMS_REPLY"] = "twiml"
		delete(m, "TONGXIN_TWILIO_ACCOUNT_SID")
		delete(m, "TONGXIN_SMS_FROM")
	})
	ctx := context.Background()
	url := "http://" + e.addr + "/webhooks/sms/twilio"
	resp, _, err := e.sms.PostSMS(ctx, url, "+8613812340077", testSMSFrom, "你好", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	welcome := e.srv.catalog.T("zh-Hans", "welcome@sms", nil)
	if !strings.Contains(string(body), "<Message>") || !strings.Contains(string(body), welcome) {
		t.Fatalf("TwiML answer:\n%s", body)
	}
	resp, _, _ = e.sms.PostSMS(ctx, url, "+8613812340077", testSMSFrom, "0", nil)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), e.srv.catalog.T("zh-Hans", "menu.title", nil)) {
		t.Fatalf("second answer:\n%s", body)
	}
	if n := len(e.sms.All()); n != 0 {
		t.Errorf("the REST API sent %d messages in TwiML mode", n)
	}
	e.settle(ctx, hotline.ChannelSMS, "+8613812340077")
	// Each message was handled once.
	addr := "+8613812340077"
	msgs, _ := e.srv.store.FindOutbox(ctx, hotline.OutboxFilter{Address: &addr})
	if len(msgs) != 2 {
		t.Errorf("%d replies recorded, want 2 (one per message)", len(msgs))
	}
	for _, m := range msgs {
		if m.Status != hotline.OutboxSent || m.ProviderID != "twiml" {
			t.Errorf("reply %d: %s by %q", m.ID, m.Status, m.ProviderID)
		}
	}
}
