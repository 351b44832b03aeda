package segment

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestCount(t *testing.T) {
	r := strings.Repeat
	tests := []struct {
		name string
		s    string
		want Info
	}{
		{"empty", "", Info{GSM7, 0, 0, 160}},
		{"one", "a", Info{GSM7, 1, 1, 160}},
		{"160 gsm", r("a", 160), Info{GSM7, 160, 1, 160}},
		{"161 gsm", r("a", 161), Info{GSM7, 161, 2, 153}},
		{"306 gsm", r("a", 306), Info{GSM7, 306, 2, 153}},
		{"307 gsm", r("a", 307), Info{GSM7, 307, 3, 153}},
		{"whole basic table", gsmBasic, Info{GSM7, 127, 1, 160}},
		{"extension table", gsmExtension, Info{GSM7, 20, 1, 160}},
		{"80 euro", r("€", 80), Info{GSM7, 160, 1, 160}},
		{"81 euro", r("€", 81), Info{GSM7, 162, 2, 153}},
		{"159 and a brace", r("a", 159) + "{", Info{GSM7, 161, 2, 153}},
		// 306 septets would be 2 parts by division, but the escape pair at septets 153–154
		// moves whole into the second part, which then overflows.
		{"escape pair at the 153 boundary", r("a", 152) + "€" + r("a", 152), Info{GSM7, 306, 3, 153}},
		{"escape pair fits the boundary", r("a", 151) + "€" + r("a", 153), Info{GSM7, 306, 2, 153}},
		{"lowercase c cedilla is not GSM", "ça", Info{UCS2, 2, 1, 70}},
		{"capital C cedilla is GSM", "Ça", Info{GSM7, 2, 1, 160}},
		{"crlf", "a\r\nb", Info{GSM7, 4, 1, 160}},
		{"70 hanzi", r("中", 70), Info{UCS2, 70, 1, 70}},
		{"71 hanzi", r("中", 71), Info{UCS2, 71, 2, 67}},
		{"134 hanzi", r("中", 134), Info{UCS2, 134, 2, 67}},
		{"135 hanzi", r("中", 135), Info{UCS2, 135, 3, 67}},
		{"one hanzi makes latin UCS-2", r("a", 100) + "中", Info{UCS2, 101, 2, 67}},
		{"uyghur", "ئۇيغۇرچە", Info{UCS2, 8, 1, 70}},
		{"tibetan", "བོད་ཡིག", Info{UCS2, 7, 1, 70}},
		{"mongolian", "ᠮᠣᠩᠭᠣᠯ", Info{UCS2, 6, 1, 70}},
		{"korean", "한국어", Info{UCS2, 3, 1, 70}},
		{"extension B", "𠀀", Info{UCS2, 2, 1, 70}},
		{"astral in the middle, 70 exactly", r("中", 34) + "𠀀" + r("中", 34), Info{UCS2, 70, 1, 70}},
		{"astral makes 71", r("中", 35) + "𠀀" + r("中", 34), Info{UCS2, 71, 2, 67}},
		// 134 units would be 2 parts by division, but the pair at units 67–68 moves whole.
		{"pair straddles 67", r("中", 66) + "𠀀" + r("中", 66), Info{UCS2, 134, 3, 67}},
		{"pair ends at 67", r("中", 65) + "𠀀" + r("中", 67), Info{UCS2, 134, 2, 67}},
		{"emoji", "ok 👍", Info{UCS2, 5, 1, 70}},
		{"family", "👨‍👩‍👧", Info{UCS2, 8, 1, 70}},
		{"flag", "🇨🇳", Info{UCS2, 4, 1, 70}},
		{"invalid byte", "a\xffb", Info{UCS2, 3, 1, 70}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Count(tt.s)); diff != "" {
				t.Errorf("Count (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTables(t *testing.T) {
	if n := utf8.RuneCountInString(gsmBasic); n != 127 {
		t.Errorf("gsmBasic has %d characters, want 127 (128 less ESC)", n)
	}
	if n := utf8.RuneCountInString(gsmExtension); n != 10 {
		t.Errorf("gsmExtension has %d characters, want 10", n)
	}
	if len(gsmCost) != 137 {
		t.Errorf("gsmCost has %d entries, want 137: a character is listed twice", len(gsmCost))
	}
	// The Greek capitals are easy to confuse with look-alikes such as Ω U+2126 OHM SIGN.
	for _, r := range []rune{0x394, 0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0, 0x3A8, 0x3A3, 0x398, 0x39E} {
		if gsmCost[r] != 1 {
			t.Errorf("%U is missing from gsmBasic", r)
		}
	}
	for _, r := range []rune{0x1B, 'ç', '`', 0x2126, '\t'} {
		if gsmCost[r] != 0 {
			t.Errorf("%U should not be GSM-7", r)
		}
	}
}

// TestCountAgainstDivision checks Count against the plain formula: it may exceed
// ceil(units/per) only when a two-unit character is involved, and never falls below it.
func TestCountAgainstDivision(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabets := []string{"ab c", "ab€c{", "中文字", "中𠀀字", "a中"}
	for range 2000 {
		alpha := []rune(alphabets[rng.IntN(len(alphabets))])
		var b strings.Builder
		for range rng.IntN(400) {
			b.WriteRune(alpha[rng.IntN(len(alpha))])
		}
		s := b.String()
		got := Count(s)
		per := got.PerSegment
		naive := (got.Units + per - 1) / per
		wide := strings.ContainsAny(s, "€{𠀀")
		if got.Segments < naive || !wide && got.Segments != naive {
			t.Fatalf("Count(%q) = %+v, division gives %d segments", s, got, naive)
		}
		if got.Encoding == UCS2 && got.Units != len(utf16.Encode([]rune(s))) {
			t.Fatalf("Count(%q).Units = %d, want UTF-16 length", s, got.Units)
		}
	}
}

func TestFit(t *testing.T) {
	tests := []struct {
		s    string
		max  int
		want bool
	}{
		{"", 1, true},
		{strings.Repeat("中", 70), 1, true},
		{strings.Repeat("中", 71), 1, false},
		{strings.Repeat("中", 71), 0, false}, // 0 means 1
		{strings.Repeat("中", 71), 2, true},
		{strings.Repeat("a", 160), -3, true},
	}
	for _, tt := range tests {
		if got := Fit(tt.s, tt.max); got != tt.want {
			t.Errorf("Fit(%d runes, %d) = %v, want %v", utf8.RuneCountInString(tt.s), tt.max, got, tt.want)
		}
	}
}
