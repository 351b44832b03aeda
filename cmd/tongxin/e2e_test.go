package main

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/internal/hotline"
)

// A Chinese-speaking resident over Telegram: greeting, handbook, a legal
// aid request that lands in the justice bureau's queue for the chosen
// street, an emergency, and /status.
func TestTelegramChineseResident(t *testing.T) {
	e := newEnv(t)
	p := e.person(1001, "zh-hans")
	zh := func(id string) string { return e.tr("zh-Hans", id, nil) }

	out := p.text("/start")
	if len(out) != 1 || out[0].Text != zh("welcome") {
		t.Fatalf("/start answered:\n%s", texts(out))
	}
	if out[0].ParseMode != "HTML" {
		t.Errorf("parse mode %q, want HTML", out[0].ParseMode)
	}

	p.press(zh("menu.handbook"))
	out = p.press(zh("category.legal_aid"))
	if len(out) != 1 || !strings.Contains(out[0].Text, zh("handbook.legal_aid.what")) || !strings.Contains(out[0].Text, "12348") {
		t.Fatalf("legal aid chapter:\n%s", texts(out))
	}

	p.press(zh("hb.request"))
	p.press(zh("opt.need.unpaid_wages"))
	p.text("阿依古丽")
	out = p.text("13812345678")
	if out[0].Text != zh("form.ask_district") {
		t.Fatalf("after the phone:\n%s", texts(out))
	}
	p.press("西市区")
	p.press("胜利街道")
	out = p.press("平安社区")
	if out[0].Text != zh("consent.legal_details") {
		t.Fatalf("consent must be asked before the details:\n%s", texts(out))
	}
	p.press(zh("consent.yes"))
	p.text("老板欠我三个月工资 <3000元> & 不给合同")
	out = p.press(zh("form.submit"))

	tickets, err := e.srv.store.FindTickets(context.Background(), hotline.TicketFilter{})
	if err != nil || len(tickets) != 1 {
		t.Fatalf("want one ticket, got %d (%v)", len(tickets), err)
	}
	if tickets[0].Sensitive != nil {
		t.Errorf("a ticket list carries sensitive answers: %+v", tickets[0].Sensitive)
	}
	tk, err := e.srv.store.FindTicketByNumber(context.Background(), tickets[0].Number)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Category != "legal_aid" || tk.Bureau != "justice" || tk.Street != "yingkou.xishi.shengli" ||
		tk.Community != "yingkou.xishi.shengli.pingan" || tk.District != "yingkou.xishi" || tk.Language != "zh-Hans" ||
		tk.Channel != "telegram" || tk.Priority != "high" || tk.Status != "new" {
		t.Errorf("ticket %+v", tk)
	}
	if tk.Sensitive["details"] != "老板欠我三个月工资 <3000元> & 不给合同" {
		t.Errorf("details not kept exactly: %q", tk.Sensitive["details"])
	}
	if !strings.HasPrefix(tk.Number, "YK-") || !strings.Contains(out[0].Text, tk.Number) {
		t.Errorf("receipt %q lacks number %s", out[0].Text, tk.Number)
	}
	events, err := e.srv.store.TicketEvents(context.Background(), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range events {
		kinds = append(kinds, ev.Kind)
		if ev.Reason == "" {
			t.Errorf("event %s has no reason", ev.Kind)
		}
	}
	if strings.Join(kinds, ",") != "created,routed,jurisdiction,prioritized,sla" {
		t.Errorf("timeline %v", kinds)
	}
	consents, _ := e.srv.store.Consents(context.Background(), tk.ResidentID)
	if len(consents) != 1 || consents[0].Purpose != "legal_details" || !consents[0].Granted || consents[0].Lang != "zh-Hans" {
		t.Errorf("consents %+v", consents)
	}

	// An emergency: the numbers first, an urgent ticket in three answers.
	out = p.text("/emergency")
	if !strings.HasPrefix(out[0].Text, "🚨") || !strings.Contains(out[0].Text, "110") || !strings.Contains(out[0].Text, "119") || !strings.Contains(out[0].Text, "120") {
		t.Fatalf("first emergency reply:\n%s", texts(out))
	}
	out = p.press(zh("opt.need.danger"))
	if len(out[0].Keyboard) == 0 || !out[0].Keyboard[0][0].RequestLocation {
		t.Fatalf("location button missing:\n%s", texts(out))
	}
	out = p.deliver(e.fake.LocationUpdate(p.chat, 40.664, 122.228, p.lang))
	if !strings.Contains(out[len(out)-1].Text, "YK-") {
		t.Fatalf("phone is known, so the ticket comes after the location:\n%s", texts(out))
	}
	tickets, _ = e.srv.store.FindTickets(context.Background(), hotline.TicketFilter{Limit: 1})
	if tickets[0].Category != "emergency" || tickets[0].Priority != "urgent" || tickets[0].Bureau != "ethnic_affairs" || tickets[0].LegalBasis != "emergency" {
		t.Errorf("emergency ticket %+v", tickets[0])
	}

	out = p.text("/status")
	for _, want := range []string{tk.Number, tickets[0].Number, zh("category.legal_aid"), zh("status_name.new")} {
		if !strings.Contains(out[0].Text, want) {
			t.Errorf("/status lacks %q:\n%s", want, out[0].Text)
		}
	}
	if strings.Contains(out[0].Text, "阿依古丽") || strings.Contains(out[0].Text, "13812345678") {
		t.Errorf("/status shows personal data:\n%s", out[0].Text)
	}

	// The command menu is registered in every language.
	for _, code := range []string{"", "zh", "ug", "ko", "mn"} {
		if cmds := e.fake.Commands(code); len(cmds) != 13 {
			t.Errorf("commands for %q: %d", code, len(cmds))
		}
	}
}

// A Uyghur-speaking resident whose client sends no language: the language
// menu in every script, then everything in Uyghur.
func TestTelegramUyghurResident(t *testing.T) {
	e := newEnv(t)
	p := e.person(2002, "")
	ug := func(id string) string { return e.tr("ug", id, nil) }

	out := p.text("/start")
	if len(out) != 1 || !strings.Contains(out[0].Text, e.srv.catalog.T("ug", "lang.prompt", nil)) {
		t.Fatalf("want the language menu, got:\n%s", texts(out))
	}
	out = p.press("ئۇيغۇرچە")
	if out[0].Text != ug("lang.set") {
		t.Fatalf("language confirmation:\n%s", texts(out))
	}
	if out[1].Text != ug("menu.title") {
		t.Fatalf("menu after choosing:\n%s", texts(out))
	}
	// The choice is remembered: a new session greets in Uyghur.
	out = p.text("/start")
	if out[0].Text != ug("welcome") {
		t.Fatalf("/start after choosing Uyghur:\n%s", texts(out))
	}

	p.press(ug("menu.handbook"))
	out = p.press(ug("category.legal_aid"))
	if !strings.Contains(out[0].Text, ug("handbook.legal_aid.what")) {
		t.Fatalf("handbook chapter not in Uyghur:\n%s", texts(out))
	}
	if !strings.Contains(out[0].Text, "营口市司法局（法律援助中心）") || !strings.Contains(out[0].Text, ug("bureau.justice")) {
		t.Errorf("office must be named in Uyghur and in Chinese:\n%s", out[0].Text)
	}

	p.press(ug("hb.request"))
	p.press(ug("opt.need.work_injury"))
	p.text("ئابدۇرېشىت")
	out = p.text("13912345678")
	if out[0].Text != ug("form.ask_district") {
		t.Fatalf("after the phone:\n%s", texts(out))
	}
	p.press("西市区 Xishi")
	p.press("胜利街道 Shengli")
	out = p.press(ug("form.skip"))
	if out[0].Text != ug("consent.legal_details") {
		t.Fatalf("consent in Uyghur expected:\n%s", texts(out))
	}
	p.press(ug("consent.yes"))
	p.text("ئىشتا قولۇم يارىلاندى")
	out = p.press(ug("form.submit"))
	tickets, _ := e.srv.store.FindTickets(context.Background(), hotline.TicketFilter{})
	if len(tickets) != 1 || tickets[0].Bureau != "justice" || tickets[0].Street != "yingkou.xishi.shengli" || tickets[0].Community != "" || tickets[0].Language != "ug" {
		t.Fatalf("tickets %+v", tickets)
	}
	// The ticket number stays one left-to-right run inside Uyghur text.
	if !strings.Contains(out[0].Text, "\u200e"+tickets[0].Number+"\u200e") {
		t.Errorf("receipt does not isolate the number:\n%q", out[0].Text)
	}

	out = p.text("/emergency")
	for _, n := range []string{"110", "119", "120"} {
		if !strings.Contains(out[0].Text, n) {
			t.Errorf("emergency reply lacks %s", n)
		}
	}
	if out[0].Text != e.tr("ug", "emergency.start", nil) && !strings.Contains(out[0].Text, "\u200f") {
		t.Errorf("emergency reply not in Uyghur:\n%s", out[0].Text)
	}
	out = p.press(ug("opt.need.hardship"))
	out = p.tap(ug("form.skip"))
	if !strings.Contains(out[len(out)-1].Text, "YK-") {
		t.Fatalf("urgent ticket after skipping the location:\n%s", texts(out))
	}
	out = p.text("/status")
	if !strings.Contains(out[0].Text, ug("category.emergency")) || !strings.Contains(out[0].Text, ug("status_name.new")) {
		t.Errorf("/status not in Uyghur:\n%s", out[0].Text)
	}
}

// No message reaches a resident in a language they did not choose, and
// no literal in Go code reaches them at all: every text sent is one of
// the catalog's messages (or built from them).
func TestRepliesComeFromTheCatalog(t *testing.T) {
	e := newEnv(t)
	p := e.person(3003, "ko")
	p.text("/help")
	if p.last[0].Text != e.tr("ko", "help.text", nil) {
		t.Errorf("help in Korean expected:\n%s", texts(p.last))
	}
	if e.srv.catalog.Fallbacks() != 0 {
		t.Errorf("%d messages fell back to Chinese for a Korean resident", e.srv.catalog.Fallbacks())
	}
}

// A resident asks for a person, then keeps writing: each later message is
// put on the request's timeline, pointing at the recorded message, and the
// resident is told it reached the request.
func TestTalkToAPersonThenKeepWriting(t *testing.T) {
	e := newEnv(t)
	p := e.person(1313, "ko")
	ko := func(id string) string { return e.tr("ko", id, nil) }
	p.text("/start")
	p.press(ko("menu.operator"))
	p.text("아이 학교 문제로 상담하고 싶습니다")
	out := p.tap(ko("form.skip")) // the phone question has a keyboard: share or skip
	tickets, _ := e.srv.store.FindTickets(context.Background(), hotline.TicketFilter{})
	if len(tickets) != 1 || tickets[0].Category != "general" || tickets[0].Bureau != "ethnic_affairs" || tickets[0].Language != "ko" {
		t.Fatalf("tickets %+v", tickets)
	}
	if !strings.Contains(out[0].Text, tickets[0].Number) {
		t.Fatalf("receipt:\n%s", texts(out))
	}
	out = p.text("그리고 제 아이는 아홉 살입니다")
	if !strings.Contains(out[0].Text, tickets[0].Number) || !strings.HasPrefix(out[0].Text, "📝") {
		t.Fatalf("the resident is not told where the message went:\n%s", texts(out))
	}
	events, _ := e.srv.store.TicketEvents(context.Background(), tickets[0].ID)
	last := events[len(events)-1]
	if last.Kind != hotline.EventMessage || last.Data["inbound_id"] == "" {
		t.Fatalf("last event %+v", last)
	}
	id, _ := strconv.ParseInt(last.Data["inbound_id"], 10, 64)
	in, err := e.srv.store.FindInbound(context.Background(), id)
	if err != nil || !strings.Contains(string(in.Payload), "아홉 살") {
		t.Fatalf("the event does not point at the message: %v %s", err, in.Payload)
	}
}
