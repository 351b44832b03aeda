package telegram_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/i18n"
	"github.com/tongxin/tongxin/internal/inbox"
	"github.com/tongxin/tongxin/internal/telegram"
	"github.com/tongxin/tongxin/locales"
)

var (
	catalogOnce sync.Once
	catalog     *i18n.Catalog
	catalogErr  error
)

// testCatalog is the real catalog, loaded once for the package.
func testCatalog(t *testing.T) *i18n.Catalog {
	t.Helper()
	catalogOnce.Do(func() { catalog, catalogErr = i18n.Load(locales.FS, nil) })
	if catalogErr != nil {
		t.Fatal(catalogErr)
	}
	return catalog
}

// messages decodes rendered payloads.
func messages(t *testing.T, rendered []inbox.Rendered) []telegram.Message {
	t.Helper()
	out := make([]telegram.Message, len(rendered))
	for i, r := range rendered {
		if err := json.Unmarshal(r.Payload, &out[i]); err != nil {
			t.Fatalf("payload %d: %v", i, err)
		}
	}
	return out
}

func choices(n int) []bot.Choice {
	var cs []bot.Choice
	for i := 1; i <= n; i++ {
		s := strings.Repeat("x", i)
		cs = append(cs, bot.Choice{Data: "d" + s, Label: "L" + s})
	}
	return cs
}

func TestRenderLongTextKeyboardOnLast(t *testing.T) {
	ch := &telegram.Channel{Catalog: testCatalog(t)}
	var paras []string
	for i := 0; i < 50; i++ {
		paras = append(paras, strings.Repeat("营口市民族事务委员会", 20)) // 200 characters each
	}
	text := strings.Join(paras, "\n\n")
	if n := len([]rune(text)); n < 10_000 {
		t.Fatalf("test text has %d characters", n)
	}
	out := []bot.Outbound{{Lang: "zh-Hans", Text: text, Choices: choices(3), Columns: 1}}
	rendered, err := ch.Render("4242", "zh-Hans", out)
	if err != nil {
		t.Fatal(err)
	}
	msgs := messages(t, rendered)
	if len(msgs) < 3 {
		t.Fatalf("%d messages for %d characters", len(msgs), len([]rune(text)))
	}
	var parts []string
	for i, m := range msgs {
		if m.ChatID != 4242 || m.Lang != "zh-Hans" {
			t.Errorf("message %d: chat %d lang %q", i, m.ChatID, m.Lang)
		}
		if n := units(m.Text); n > telegram.MaxText {
			t.Errorf("message %d has %d UTF-16 units", i, n)
		}
		last := i == len(msgs)-1
		if !last && (m.Inline != nil || m.Keyboard != nil) {
			t.Errorf("message %d of %d carries a keyboard", i+1, len(msgs))
		}
		if last && len(m.Inline) != 3 {
			t.Errorf("the last message has keyboard %v, want the 3 choices", m.Inline)
		}
		parts = append(parts, m.Text)
	}
	checkParts(t, text, telegram.MaxText, parts)
}

func TestRenderInlineKeyboardColumns(t *testing.T) {
	ch := &telegram.Channel{Catalog: testCatalog(t)}
	row := func(ns ...int) []telegram.Button {
		var r []telegram.Button
		for _, n := range ns {
			s := strings.Repeat("x", n)
			r = append(r, telegram.Button{Text: "L" + s, Data: "d" + s})
		}
		return r
	}
	tests := []struct {
		name    string
		choices int
		columns int
		want    [][]telegram.Button
	}{
		{"one column", 3, 1, [][]telegram.Button{row(1), row(2), row(3)}},
		{"zero columns means one", 2, 0, [][]telegram.Button{row(1), row(2)}},
		{"two columns, odd count", 5, 2, [][]telegram.Button{row(1, 2), row(3, 4), row(5)}},
		{"three columns", 6, 3, [][]telegram.Button{row(1, 2, 3), row(4, 5, 6)}},
		{"more columns than choices", 2, 4, [][]telegram.Button{row(1, 2)}},
		{"no choices", 0, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := []bot.Outbound{{Lang: "zh-Hans", Text: "请选择", Choices: choices(tt.choices), Columns: tt.columns}}
			rendered, err := ch.Render("7", "zh-Hans", out)
			if err != nil {
				t.Fatal(err)
			}
			msgs := messages(t, rendered)
			if len(msgs) != 1 {
				t.Fatalf("%d messages", len(msgs))
			}
			if diff := cmp.Diff(tt.want, msgs[0].Inline); diff != "" {
				t.Fatalf("inline keyboard (-want +got):\n%s", diff)
			}
			if msgs[0].Keyboard != nil {
				t.Fatalf("a reply keyboard was added: %v", msgs[0].Keyboard)
			}
		})
	}
}

func TestRenderAskPhoneAndLocation(t *testing.T) {
	cat := testCatalog(t)
	ch := &telegram.Channel{Catalog: cat}
	tests := []struct {
		lang  string
		ask   bot.Ask
		label string // message ID of the special button
	}{
		{"zh-Hans", bot.AskPhone, "button.share_phone"},
		{"zh-Hans", bot.AskLocation, "button.share_location"},
		{"ug", bot.AskPhone, "button.share_phone"},
		{"ko", bot.AskLocation, "button.share_location"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+string(tt.ask), func(t *testing.T) {
			label := cat.T(tt.lang, tt.label, nil)
			if tt.lang != i18n.Source && label == cat.T(i18n.Source, tt.label, nil) {
				t.Fatalf("%s has no %s translation; the test cannot tell localized labels", tt.lang, tt.label)
			}
			out := []bot.Outbound{{
				Lang: tt.lang, Text: "?", Ask: tt.ask, Columns: 2,
				Choices: []bot.Choice{{Data: "f3:skip", Label: "Skip"}, {Data: "f3:x", Label: "Other"}, {Data: "n:menu", Label: "Cancel"}},
			}}
			rendered, err := ch.Render("99", tt.lang, out)
			if err != nil {
				t.Fatal(err)
			}
			msgs := messages(t, rendered)
			if len(msgs) != 1 {
				t.Fatalf("%d messages", len(msgs))
			}
			first := telegram.KeyButton{Text: label, Contact: tt.ask == bot.AskPhone, Location: tt.ask == bot.AskLocation}
			want := [][]telegram.KeyButton{
				{first},
				{{Text: "Skip"}, {Text: "Other"}},
				{{Text: "Cancel"}},
			}
			if diff := cmp.Diff(want, msgs[0].Keyboard); diff != "" {
				t.Fatalf("reply keyboard (-want +got):\n%s", diff)
			}
			if msgs[0].Inline != nil {
				t.Fatalf("an inline keyboard came with the reply keyboard: %v", msgs[0].Inline)
			}
		})
	}
}

func TestRenderRejects(t *testing.T) {
	ch := &telegram.Channel{Catalog: testCatalog(t)}
	tests := []struct {
		name    string
		address string
		choice  bot.Choice
	}{
		{"callback data over 64 bytes", "1", bot.Choice{Data: strings.Repeat("a", 65), Label: "x"}},
		{"callback data of 22 Chinese characters (66 bytes)", "1", bot.Choice{Data: strings.Repeat("营", 22), Label: "x"}},
		{"empty callback data", "1", bot.Choice{Data: "", Label: "x"}},
		{"address that is not a chat id", "chat:alice", bot.Choice{Data: "ok", Label: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := []bot.Outbound{{Lang: "zh-Hans", Text: "hi", Choices: []bot.Choice{tt.choice}}}
			if r, err := ch.Render(tt.address, "zh-Hans", out); err == nil {
				t.Fatalf("Render accepted it: %s", r[0].Payload)
			}
		})
	}
	t.Run("64 bytes is allowed", func(t *testing.T) {
		out := []bot.Outbound{{Lang: "zh-Hans", Text: "hi", Choices: []bot.Choice{{Data: strings.Repeat("a", 64), Label: "x"}}}}
		if _, err := ch.Render("1", "zh-Hans", out); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRenderRightToLeftMarks(t *testing.T) {
	const rlm = "\u200f"
	ch := &telegram.Channel{Catalog: testCatalog(t)}
	lines := []struct {
		line   string
		marked bool
	}{
		{"ئىلتىماسىڭىز تاپشۇرۇۋېلىندى", false}, // Arabic script
		{"YK-2026-000001", true},          // Latin first: a ticket number
		{"营口市司法局（法律援助中心）", true},          // Chinese first: an office name
		{"𠀀 astral Chinese", true},        // astral Chinese
		{"110", true},                     // digits only
		{"+8613812345678", true},          // a phone number
		{"2026 Yingkou", true},            // digits, then Latin
		{"📞 0417-1234567", true},          // emoji and digits
		{"🏢 营口市公安局", true},                // emoji, then Chinese
		{"Ping'an ئاھالە كومىتېتى", true}, // Latin, then Arabic script
		{"조선어", true},                     // Hangul
		{"", false},                       // empty lines stay empty
		{"▪ نېمە ئىش", false},             // a bullet, then Arabic script
		{"ئادرېس: 营口市西市区", false},         // Arabic script first
		{"(ئۇيغۇرچە)", false},             // punctuation, then Arabic script
		{"ە", false},                      // Uyghur ae, U+06D5
		{"ﺋ", false},                      // a presentation form is still Arabic script
		// Digits are weak for the bidi algorithm: the first letter decides.
		{"2026-يىلى 12-ئاينىڭ 5-كۈنى", false},
	}
	var text []string
	for _, l := range lines {
		text = append(text, l.line)
	}
	render := func(lang string) []string {
		t.Helper()
		out := []bot.Outbound{{Lang: lang, Text: strings.Join(text, "\n")}}
		rendered, err := ch.Render("5", lang, out)
		if err != nil {
			t.Fatal(err)
		}
		msgs := messages(t, rendered)
		if len(msgs) != 1 {
			t.Fatalf("%d messages", len(msgs))
		}
		return strings.Split(msgs[0].Text, "\n")
	}

	got := render("ug")
	if len(got) != len(text) {
		t.Fatalf("%d lines rendered, want %d", len(got), len(text))
	}
	for i, l := range lines {
		want := l.line
		if l.marked {
			want = rlm + l.line
		}
		if got[i] != want {
			t.Errorf("ug line %q rendered %q, want %q", l.line, got[i], want)
		}
	}

	// Left-to-right locales are left alone.
	for _, lang := range []string{"zh-Hans", "ko", "mn-Mong"} {
		if diff := cmp.Diff(text, render(lang)); diff != "" {
			t.Errorf("%s text changed (-want +got):\n%s", lang, diff)
		}
	}
}
