package i18n_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/tongxin/tongxin/i18n"
	"github.com/tongxin/tongxin/locales"
)

// TestLocalesComplete fails when any locale lacks a message, has
// different template variables or a missing plural form, or is not
// normalized. It is the gate every change of a message passes.
func TestLocalesComplete(t *testing.T) {
	problems, err := i18n.Check(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

func TestEveryLocaleIsDraftedOrReviewed(t *testing.T) {
	cat, err := i18n.Load(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range cat.Locales() {
		switch {
		case l.Tag == i18n.Source && l.Status != "source":
			t.Errorf("%s must have status source", l.Tag)
		case l.Tag != i18n.Source && l.Status != "drafted" && l.Status != "reviewed":
			t.Errorf("%s: status %q, want drafted or reviewed", l.Tag, l.Status)
		case l.Status == "reviewed" && l.Reviewer == "":
			t.Errorf("%s is reviewed but names no reviewer", l.Tag)
		}
	}
}

const meta = `
[[locale]]
tag = "zh-Hans"
native = "中文"
script = "Hans"
direction = "ltr"
plural_forms = ["other"]
status = "source"
[[locale]]
tag = "ug"
native = "ئۇيغۇرچە"
script = "Arab"
direction = "rtl"
plural_forms = ["one", "other"]
status = "drafted"
`

func testFS(zh, ug string) fstest.MapFS {
	return fstest.MapFS{
		"locales.toml":        {Data: []byte(meta)},
		"active.zh-Hans.toml": {Data: []byte(zh)},
		"active.ug.toml":      {Data: []byte(ug)},
	}
}

func TestCheckFindsEachKindOfProblem(t *testing.T) {
	zh := `
"hello" = "你好 {{.Name}}"
"missing" = "只有中文"
"same" = "中文"
"count" = { other = "{{.Count}} 件" }
"heh" = "好"
"forms" = "好"
`
	ug := `
"hello" = "ياخشىمۇسىز {{.Nmae}}"
"same" = "中文"
"count" = { other = "{{.Count}} دانە" }
"heh" = "ھەمم` + "\u0647" + `"
"forms" = "` + "\uFE8B" + `"
"extra" = "ئارتۇق"
`
	problems, err := i18n.Check(testFS(zh, ug))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"hello":   "vars",
		"missing": "missing",
		"same":    "untranslated",
		"count":   "plural",
		"heh":     "normalization",
		"forms":   "normalization",
		"extra":   "stale",
	}
	got := map[string]string{}
	for _, p := range problems {
		got[p.MessageID] = p.Kind
	}
	for id, kind := range want {
		if got[id] != kind {
			t.Errorf("%s: got problem %q, want %q (all: %v)", id, got[id], kind, problems)
		}
	}
	if len(problems) != len(want) {
		t.Errorf("want %d problems, got %d: %v", len(want), len(problems), problems)
	}
}

func TestMissingTranslationFallsBackToChinese(t *testing.T) {
	zh := `
"only_zh" = "只有中文 {{.N}}"
"both" = "两种"
`
	ug := `"both" = "ئىككىسى"`
	var logs bytes.Buffer
	cat, err := i18n.Load(testFS(zh, ug), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if got := cat.T("ug", "both", nil); got != "ئىككىسى" {
		t.Errorf("translated message: %q", got)
	}
	got := cat.T("ug", "only_zh", i18n.Args{"N": 3})
	if !strings.HasPrefix(got, "只有中文") || !strings.Contains(got, "3") {
		t.Errorf("fallback: %q", got)
	}
	if cat.Fallbacks() != 1 {
		t.Errorf("fallbacks counted: %d", cat.Fallbacks())
	}
	if !strings.Contains(logs.String(), "only_zh") {
		t.Errorf("fallback not logged: %s", logs.String())
	}
	cat.T("ug", "only_zh", i18n.Args{"N": 3})
	if n := strings.Count(logs.String(), "only_zh"); n != 1 {
		t.Errorf("fallback logged %d times, want once", n)
	}
	// Missing everywhere, missing template data, unknown language: no panic.
	if got := cat.T("ug", "no.such.id", nil); got != "no.such.id" {
		t.Errorf("unknown id rendered %q", got)
	}
	if got := cat.T("zh-Hans", "only_zh", nil); got == "" || strings.Contains(got, "<no value>") {
		t.Errorf("missing data rendered %q", got)
	}
	if got := cat.T("xx", "both", nil); got != "两种" {
		t.Errorf("unknown language rendered %q", got)
	}
}

func TestRTLKeepsNumbersTogether(t *testing.T) {
	zh := `"n" = "编号 {{.Number}}"`
	ug := `"n" = "نومۇر {{.Number}}"`
	cat, err := i18n.Load(testFS(zh, ug), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cat.T("ug", "n", i18n.Args{"Number": "YK-2026-000001"}), "نومۇر \u200eYK-2026-000001\u200e"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := cat.T("zh-Hans", "n", i18n.Args{"Number": "YK-2026-000001"}); got != "编号 YK-2026-000001" {
		t.Errorf("left-to-right text changed: %q", got)
	}
}

func TestMatch(t *testing.T) {
	cat, err := i18n.Load(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		hint string
		want string
	}{
		{"zh-hans", "zh-Hans"}, {"zh", "zh-Hans"}, {"zh-CN", "zh-Hans"},
		{"ug", "ug"}, {"ug-CN", "ug"}, {"ko", "ko"}, {"ko-KR", "ko"},
		{"mn-CN", "mn-Mong"}, {"mn-Mong", "mn-Mong"},
		{"mn", ""}, {"mn-MN", ""}, {"zh-TW", ""}, {"zh-hant", ""},
		{"ar", ""}, {"fa", ""}, {"en", ""}, {"", ""}, {"not a tag!", ""},
	}
	for _, tt := range tests {
		got, ok := cat.Match(tt.hint)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Match(%q) = %q, %v; want %q", tt.hint, got, ok, tt.want)
		}
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		text string
		want string
	}{
		{"我要办居住证", "zh-Hans"},
		{"مەن ئىش ئىزدەيمەن", "ug"},
		{"ئۇيغۇرچە ، 123", "ug"},
		{"قازاقشا ٴسوز", "kk-Arab"},
		{"일자리를 찾습니다", "ko"},
		{"ᠮᠣᠩᠭᠣᠯ ᠬᠡᠯᠡ", "mn-Mong"},
		{"བོད་ཡིག", "bo"},
		{"12345", ""},
		{"hello", ""},
		{"🙂", ""},
	}
	for _, tt := range tests {
		got, ok := i18n.Detect(tt.text)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Detect(%q) = %q, %v; want %q", tt.text, got, ok, tt.want)
		}
	}
}

func TestFold(t *testing.T) {
	if got := i18n.Fold("zh-Hans", "  ＭＥＮＵ "); got != "menu" {
		t.Errorf("full-width not folded: %q", got)
	}
	if got := i18n.Fold("ug", "\uFEEB\uFEE0\uFEEE"); !strings.ContainsRune(got, '\u06d5') && strings.ContainsRune(got, '\u0647') {
		t.Errorf("Uyghur heh not mapped to ae: %q", got)
	}
}
