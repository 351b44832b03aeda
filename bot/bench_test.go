package bot_test

import (
	"context"
	"testing"

	"github.com/tongxin/tongxin/bot"
)

// BenchmarkEngineStep measures one step of a form: a resident in the
// legal-aid form types their name, the engine validates it, stores the
// answer and asks the next question (the phone number).
func BenchmarkEngineStep(b *testing.B) {
	r := newResident(b, "zh-hans")
	r.cmd("legal")
	r.pressMsg("opt.need.unpaid_wages")
	at := *r.s
	at.Answers = map[string]string{"need": "unpaid_wages"}
	ctx := context.Background()
	in := bot.Inbound{Kind: bot.KindText, Text: "阿依古丽·买买提"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := at
		s.Answers = map[string]string{"need": "unpaid_wages"}
		out, err := r.e.Handle(ctx, &bot.Turn{Resident: r.r, Session: &s, Actions: r.w}, in)
		if err != nil || len(out) != 1 || s.Step != "phone" {
			b.Fatalf("step went wrong: %v %d %s", err, len(out), s.Step)
		}
	}
}

// BenchmarkEngineHandbook measures rendering a handbook chapter in Uyghur.
func BenchmarkEngineHandbook(b *testing.B) {
	r := newResident(b, "ug")
	r.cmd("start")
	ctx := context.Background()
	in := bot.Inbound{Kind: bot.KindChoice, Data: "n:hb:legal_aid"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := r.e.Handle(ctx, &bot.Turn{Resident: r.r, Session: &bot.Session{}, Actions: r.w}, in)
		if err != nil || len(out) != 1 {
			b.Fatal(err)
		}
	}
}
