package segment

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGraphemes(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want []string
	}{
		{"empty", "", nil},
		{"latin", "ab", []string{"a", "b"}},
		{"combining acute", "e\u0301te\u0301", []string{"e\u0301", "t", "e\u0301"}},
		{"tibetan stack", "སྒྲ", []string{"སྒྲ"}},
		{"tibetan stack and vowel", "སྒྲུབ", []string{"སྒྲུ", "བ"}},
		{"tibetan word", "བོད་ཡིག", []string{"བོ", "ད", "་", "ཡི", "ག"}},
		{"tibetan long vowel", "ཨཱཿ", []string{"ཨཱཿ"}}, // Mn then Mc
		{"uyghur letters", "ئۇيغۇر", []string{"ئ", "ۇ", "ي", "غ", "ۇ", "ر"}},
		{"harakat", "مُحَمَّد", []string{"مُ", "حَ", "مَّ", "د"}},
		{"zwnj", "می\u200cخواهم", []string{"م", "ی\u200cخ", "و", "ا", "ه", "م"}},
		{"mongolian fvs", "ᠨ\u180bᠠ", []string{"ᠨ\u180b", "ᠠ"}},
		{"mongolian fvs4", "ᠭ\u180fᠠ", []string{"ᠭ\u180f", "ᠠ"}},
		{"mongolian mvs", "ᠭᠠᠵᠠᠷ\u180eᠠ", []string{"ᠭ", "ᠠ", "ᠵ", "ᠠ", "ᠷ\u180eᠠ"}},
		{"hangul precomposed", "한국", []string{"한", "국"}},
		{"hangul jamo", "\u1112\u1161\u11ab", []string{"\u1112\u1161\u11ab"}},
		{"hangul jamo words", "\u1112\u1161\u11ab\u1100\u116e\u11a8", []string{"\u1112\u1161\u11ab", "\u1100\u116e\u11a8"}},
		{"hangul LV + T", "\ud558\u11ab", []string{"\ud558\u11ab"}},
		{"hangul LVT + V breaks", "\ud55c\u1161", []string{"\ud55c", "\u1161"}},
		{"flag", "🇨🇳", []string{"🇨🇳"}},
		{"flags", "🇨🇳🇰🇷🇲", []string{"🇨🇳", "🇰🇷", "🇲"}},
		{"subdivision flag", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007Fx", []string{"🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", "x"}},
		{"family", "👨‍👩‍👧!", []string{"👨‍👩‍👧", "!"}},
		{"skin tone", "👍🏽👍", []string{"👍🏽", "👍"}},
		{"variation selector", "❤️中", []string{"❤️", "中"}},
		{"ideographic variation", "葛\U000E0100中", []string{"葛\U000E0100", "中"}},
		{"crlf", "a\r\nb", []string{"a", "\r\n", "b"}},
		{"lf cr", "\n\r", []string{"\n", "\r"}},
		{"mark after newline stands alone", "\n\u0301", []string{"\n", "\u0301"}},
		{"zwj before newline", "a\u200d\n", []string{"a\u200d", "\n"}},
		{"invalid bytes", "a\xff\u0301", []string{"a", "\xff\u0301"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Graphemes(tt.s)); diff != "" {
				t.Errorf("Graphemes(%q) (-want +got):\n%s", tt.s, diff)
			}
		})
	}
}

// TestGraphemesJoin checks that clusters are never empty and give back the text.
func TestGraphemesJoin(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		s := randomText(rng, 60)
		gs := Graphemes(s)
		for _, g := range gs {
			if g == "" {
				t.Fatalf("Graphemes(%q) has an empty cluster", s)
			}
		}
		if got := strings.Join(gs, ""); got != s {
			t.Fatalf("Graphemes(%q) joined = %q", s, got)
		}
	}
}

// fragments are the pieces randomText builds texts from: every script we serve, the
// clusters Graphemes knows, whitespace of each kind and the marks Split cuts after.
var fragments = []string{
	"a", "Hello", "€", "{", "é", "e\u0301", "中", "文", "。", "，", "、", "！", "「", "」", "𠀀",
	"ئۇيغۇر", "،", "؟", "مَ", "བོད", "སྒྲུ", "་", "། ", "ᠮᠣᠩᠭᠣᠯ", "ᠷ\u180eᠠ", "ᠨ\u180b", "᠂", "᠃",
	"한국어", "\u1112\u1161\u11ab", "🇨🇳", "👨‍👩‍👧", "👍🏽", "❤️", "\u200d", "\u0301",
	" ", " ", "  ", "\n", "\n\n", "\r\n", "\t", "\u3000", "\u00a0", "\u202f", ". ", "\"", ")",
}

func randomText(rng *rand.Rand, n int) string {
	var b strings.Builder
	for range rng.IntN(n + 1) {
		b.WriteString(fragments[rng.IntN(len(fragments))])
	}
	return b.String()
}
