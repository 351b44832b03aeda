package main

import (
	"context"
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
