package i18n

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// Match maps a channel's language hint (Telegram's language_code such as
// "zh-hans", "ug", "mn-CN"; an Accept-Language value) to a supported
// locale. It reports false when the hint is missing or not a confident
// match, and the resident should then be asked. Plain "mn" (Cyrillic
// Mongolian of Mongolia) and "zh-TW" (traditional characters) are not
// confident matches for mn-Mong and zh-Hans, and Arabic is not Uyghur.
func (c *Catalog) Match(hint string) (string, bool) {
	hint = strings.TrimSpace(hint)
	if hint == "" {
		return "", false
	}
	tags, _, err := language.ParseAcceptLanguage(hint)
	if err != nil || len(tags) == 0 {
		return "", false
	}
	_, index, conf := c.matcher.Match(tags...)
	if conf < language.High {
		return "", false
	}
	return c.tags[index], true
}

// Script tallies, in the order Detect prefers when scripts mix.
var scripts = []struct {
	table *unicode.RangeTable
	tag   string
}{
	{unicode.Mongolian, "mn-Mong"},
	{unicode.Tibetan, "bo"},
	{unicode.Arabic, "ug"},
	{unicode.Hangul, "ko"},
	{unicode.Yi, "ii"},
	{unicode.Han, Source},
}

// Letters that only Kazakh in Arabic script uses, not Uyghur: the high
// hamza that marks front vowels and its precomposed letters.
const kazakhOnly = "\u0674\u0675\u0676\u0677\u0678"

// Letters that only Uyghur uses, not Kazakh.
const uyghurOnly = "\u0626\u06d0\u06c8\u063a\u062e\u0698"

// Detect guesses the locale of free text from its script: Han → Chinese,
// Arabic script → Uyghur (Kazakh when Kazakh-only letters show and no
// Uyghur-only ones), Hangul → Korean, Mongolian script → Mongolian, Tibetan
// → Tibetan, Yi → Yi. It reports false for text with no letters of those
// scripts (digits, Latin, emoji). The tag may be one the catalog does not
// support; check with Supported.
func Detect(text string) (string, bool) {
	counts := make([]int, len(scripts))
	var kk, ug int
	for _, r := range text {
		for i, s := range scripts {
			if unicode.IsLetter(r) && unicode.Is(s.table, r) {
				counts[i]++
				break
			}
		}
		switch {
		case strings.ContainsRune(kazakhOnly, r):
			kk++
		case strings.ContainsRune(uyghurOnly, r):
			ug++
		}
	}
	best := -1
	for i, n := range counts {
		if n > 0 && (best < 0 || n > counts[best]) {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	tag := scripts[best].tag
	if tag == "ug" && kk > 0 && ug == 0 {
		tag = "kk-Arab"
	}
	return tag, true
}

func hasRTL(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Arabic, unicode.Hebrew, unicode.Syriac, unicode.Thaana) {
			return true
		}
	}
	return false
}

var folder = cases.Fold()

// Fold prepares text for comparison with keywords: compatibility forms
// and full-width letters become plain ones (NFKC), case is folded, and in
// Uyghur and Kazakh the heh that legacy keyboards type for ە becomes ە.
func Fold(lang, s string) string {
	s = folder.String(norm.NFKC.String(s))
	if lang == "ug" || lang == "kk-Arab" {
		s = strings.ReplaceAll(s, "\u0647", "\u06d5")
	}
	return strings.TrimSpace(s)
}
