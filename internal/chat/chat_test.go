package chat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/i18n"
	"github.com/tongxin/tongxin/internal/chat"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/inbox"
	"github.com/tongxin/tongxin/internal/sqlite"
	"github.com/tongxin/tongxin/internal/storetest"
	"github.com/tongxin/tongxin/locales"
)

var (
	catalogOnce sync.Once
	catalog     *i18n.Catalog
	catalogErr  error
)

func testCatalog(t *testing.T) *i18n.Catalog {
	t.Helper()
	catalogOnce.Do(func() { catalog, catalogErr = i18n.Load(locales.FS, nil) })
	if catalogErr != nil {
		t.Fatal(catalogErr)
	}
	return catalog
}

func line(text, lang string) []byte {
	b, _ := json.Marshal(map[string]string{"text": text, "lang": lang})
	return b
}

func TestDecode(t *testing.T) {
	ch := &chat.Channel{}
	tests := []struct {
		name    string
		payload []byte
		want    bot.Inbound
	}{
		{"text", line("你好", "zh-Hans"), bot.Inbound{Kind: bot.KindText, Text: "你好", LangHint: "zh-Hans"}},
		{"number", line("1", ""), bot.Inbound{Kind: bot.KindText, Text: "1"}},
		{"command", line("/menu", "ug"), bot.Inbound{Kind: bot.KindCommand, Text: "menu", LangHint: "ug"}},
		{"command in capitals with an argument", line("/START ref", ""), bot.Inbound{Kind: bot.KindCommand, Text: "start"}},
		{"location", line("/location 40.6 122.2", "ko"), bot.Inbound{Kind: bot.KindLocation, Lat: 40.6, Lon: 122.2, LangHint: "ko"}},
		{"negative location", line("/location -33.86 151.21", ""), bot.Inbound{Kind: bot.KindLocation, Lat: -33.86, Lon: 151.21}},
		{"location that is not numbers", line("/location x y", ""), bot.Inbound{Kind: bot.KindCommand, Text: "location"}},
		{"location with one number", line("/location 40.6", ""), bot.Inbound{Kind: bot.KindCommand, Text: "location"}},
		{"location with three numbers", line("/location 1 2 3", ""), bot.Inbound{Kind: bot.KindCommand, Text: "location"}},
		{"slash inside text", line("a/b", ""), bot.Inbound{Kind: bot.KindText, Text: "a/b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := ch.Decode(tt.payload)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(inbox.Event{In: tt.want}, ev); diff != "" {
				t.Fatalf("Decode(%s) (-want +got):\n%s", tt.payload, diff)
			}
		})
	}
	if _, err := ch.Decode([]byte("not json")); err == nil {
		t.Error("Decode accepted a payload that is not JSON")
	}
}

func TestRenderNumbersChoicesAndHintsLocation(t *testing.T) {
	cat := testCatalog(t)
	ch := &chat.Channel{Catalog: cat}
	out := []bot.Outbound{
		{Lang: "zh-Hans", Text: "菜单", Choices: []bot.Choice{{Data: "n:hb", Label: "办事指南"}, {Data: "n:req", Label: "我要办事"}}},
		{Lang: "ug", Text: "?", Ask: bot.AskLocation},
		{Lang: "ug", Text: "?", Ask: bot.AskPhone},
	}
	rendered, err := ch.Render("alice", "zh-Hans", out)
	if err != nil {
		t.Fatal(err)
	}
	var got []chat.Message
	for _, r := range rendered {
		var m chat.Message
		if err := json.Unmarshal(r.Payload, &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	want := []chat.Message{
		{Text: "菜单", Choices: []string{"办事指南", "我要办事"}},
		{Text: "?", Hint: cat.T("ug", "chat.location_hint", nil)},
		{Text: "?"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("rendered (-want +got):\n%s", diff)
	}
}

// terminal is a chat session over a real store, wired as `tongxin chat`
// wires it.
type terminal struct {
	store *sqlite.Store
	cat   *i18n.Catalog
}

func newTerminal(t *testing.T) *terminal {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, t.TempDir(), storetest.NewSealer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := hotline.Seed(ctx, store); err != nil {
		t.Fatal(err)
	}
	return &terminal{store: store, cat: testCatalog(t)}
}

// session types input as user and returns what the terminal printed.
func (tm *terminal) session(t *testing.T, user, lang, input string) string {
	t.Helper()
	ch := &chat.Channel{Catalog: tm.cat}
	p := &inbox.Processor{
		Store: tm.store, Engine: bot.New(tm.cat, time.UTC), Sessions: tm.store.Sessions(30*time.Minute, nil),
		Channels: []inbox.Channel{ch},
	}
	s := &chat.Session{Store: tm.store, Processor: p, User: user, Lang: lang}
	var out strings.Builder
	if err := s.Run(context.Background(), strings.NewReader(input), &out); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	return out.String()
}

// numbered is how the terminal lists choices.
func numbered(labels ...string) string {
	var b strings.Builder
	for i, l := range labels {
		fmt.Fprintf(&b, "  %d. %s\n", i+1, l)
	}
	return b.String()
}

func TestSessionUnknownLanguageStartsWithTheLanguageMenu(t *testing.T) {
	tm := newTerminal(t)
	out := tm.session(t, "newcomer", "", "")
	var prompts, names []string
	for _, l := range tm.cat.Locales() {
		prompts = append(prompts, tm.cat.T(l.Tag, "lang.prompt", nil))
		names = append(names, l.Native)
	}
	want := "🚨 110 · 119 · 120\n" + strings.Join(prompts, "\n") + "\n" + numbered(names...) + "\n"
	if out != want {
		t.Fatalf("transcript:\n%s\nwant:\n%s", out, want)
	}
}

func TestSessionWithLanguageHint(t *testing.T) {
	tm := newTerminal(t)
	out := tm.session(t, "t1", "zh-Hans", "1\n")
	tr := func(id string) string { return tm.cat.T("zh-Hans", id, nil) }
	welcome := tr("welcome@chat") + "\n" + numbered(
		tr("menu.handbook"), tr("menu.request"), tr("menu.status"), tr("menu.operator"),
		tr("menu.emergency"), tr("menu.lang"), tr("menu.help"),
	) + "\n"
	if !strings.HasPrefix(out, welcome) {
		t.Fatalf("transcript does not start with the welcome:\n%s\nwant:\n%s", out, welcome)
	}
	var chapters []string
	for _, svc := range bot.Services {
		chapters = append(chapters, tr("category."+svc))
	}
	chapters = append(chapters, tr("nav.menu"))
	handbook := tr("hb.title") + "\n" + numbered(chapters...) + "\n"
	if rest := strings.TrimPrefix(out, welcome); rest != handbook {
		t.Fatalf("after typing 1:\n%s\nwant the handbook list:\n%s", rest, handbook)
	}

	// Every reply was printed once and marked sent.
	user := "t1"
	msgs, err := tm.store.FindOutbox(context.Background(), hotline.OutboxFilter{Address: &user})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("%d outbox rows, want 2 (welcome, handbook)", len(msgs))
	}
	for _, m := range msgs {
		if m.Status != hotline.OutboxSent || m.SentAt == nil {
			t.Errorf("outbox %d is %s", m.ID, m.Status)
		}
		if m.Channel != hotline.ChannelChat {
			t.Errorf("outbox %d is on channel %s", m.ID, m.Channel)
		}
	}
}

func TestSessionWalksAForm(t *testing.T) {
	tm := newTerminal(t)
	// Main menu → 2 request → 5 legal aid → 1 unpaid wages → name → phone →
	// 5 Xishi → 1 Shengli → 1 Ping'an → 1 consent → details → 1 submit.
	input := "2\n5\n1\n张三丰\n13812345678\n5\n1\n1\n1\n老板拖欠工资三个月\n\n   \n1\n"
	out := tm.session(t, "walker", "zh-Hans", input)
	ctx := context.Background()
	res, err := tm.store.FindResidentByAddress(ctx, hotline.Address{Channel: hotline.ChannelChat, ID: "walker"})
	if err != nil {
		t.Fatal(err)
	}
	id := res.ID
	tickets, err := tm.store.FindTickets(ctx, hotline.TicketFilter{ResidentID: &id})
	if err != nil {
		t.Fatal(err)
	}
	if len(tickets) != 1 {
		t.Fatalf("%d tickets, want 1; transcript:\n%s", len(tickets), out)
	}
	tk := tickets[0]
	if tk.Category != "legal_aid" || tk.Community != "yingkou.xishi.shengli.pingan" || tk.Channel != hotline.ChannelChat {
		t.Errorf("ticket %+v", tk)
	}
	if !strings.Contains(out, tk.Number) {
		t.Errorf("the receipt does not show %s:\n%s", tk.Number, out)
	}
	if res.Phone != "+8613812345678" {
		t.Errorf("resident phone %q", res.Phone)
	}

	// A second session of the same user goes on where the first left off.
	more := tm.session(t, "walker", "zh-Hans", "3\n")
	if !strings.Contains(more, tk.Number) {
		t.Errorf("the status list in a new session lacks %s:\n%s", tk.Number, more)
	}
	user := "walker"
	pending := hotline.OutboxPending
	left, err := tm.store.FindOutbox(ctx, hotline.OutboxFilter{Address: &user, Status: &pending})
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("%d replies left unsent", len(left))
	}
}

// Lines typed within one tick of the clock are each answered.
func TestSessionLinesAtTheSameInstant(t *testing.T) {
	tm := newTerminal(t)
	ch := &chat.Channel{Catalog: tm.cat}
	fixed := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return fixed }
	p := &inbox.Processor{
		Store: tm.store, Engine: bot.New(tm.cat, time.UTC), Sessions: tm.store.Sessions(30*time.Minute, clock),
		Channels: []inbox.Channel{ch}, Now: clock,
	}
	s := &chat.Session{Store: tm.store, Processor: p, User: "same", Lang: "zh-Hans"}
	var out strings.Builder
	if err := s.Run(context.Background(), strings.NewReader("/help\n/status\n"), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{tm.cat.T("zh-Hans", "welcome@chat", nil), tm.cat.T("zh-Hans", "help.text@chat", nil), tm.cat.T("zh-Hans", "status.none", nil)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("transcript lacks %q:\n%s", want, out.String())
		}
	}
}
