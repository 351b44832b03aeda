package telegram_test

import (
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/internal/telegram"
)

// units counts UTF-16 code units, as Telegram does.
func units(s string) int { return len(utf16.Encode([]rune(s))) }

// checkParts fails unless every part is non-empty valid UTF-8 of at most
// limit UTF-16 units, and the parts are the text in order with only line
// breaks left out between them: no character is lost or changed.
func checkParts(t *testing.T, text string, limit int, parts []string) {
	t.Helper()
	if len(parts) == 0 {
		t.Fatal("no parts")
	}
	pos := 0
	for i, p := range parts {
		if p == "" {
			t.Fatalf("part %d is empty", i)
		}
		if !utf8.ValidString(p) {
			t.Fatalf("part %d is not valid UTF-8 (a character was cut): %q", i, p)
		}
		if n := units(p); n > limit {
			t.Fatalf("part %d has %d UTF-16 units, limit %d", i, n, limit)
		}
		j := strings.Index(text[pos:], p)
		if j < 0 {
			t.Fatalf("part %d is not the next piece of the text:\npart %q\nrest %q", i, p, text[pos:])
		}
		if gap := text[pos : pos+j]; strings.Trim(gap, "\n") != "" {
			t.Fatalf("before part %d the text %q was dropped", i, gap)
		}
		pos += j + len(p)
	}
	if rest := text[pos:]; strings.Trim(rest, "\n") != "" {
		t.Fatalf("the end of the text %q was dropped", rest)
	}
}

func TestSplitShortTextUntouched(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		limit int
	}{
		{"ascii", "hello\n\nworld", 100},
		{"exactly at the limit", strings.Repeat("营", 10), 10},
		{"astral characters at the limit", strings.Repeat("𠀀", 5), 10},
		{"emoji at the limit", "👍👍 ok", 7},
		{"uyghur", "ياخشىمۇسىز\n\nرەھمەت", 4096},
		{"empty", "", 10},
		{"the real limit", strings.Repeat("营口", telegram.MaxText/2), telegram.MaxText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := telegram.Split(tt.text, tt.limit)
			if diff := cmp.Diff([]string{tt.text}, got); diff != "" {
				t.Fatalf("Split changed a text within the limit (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitPrefersParagraphsThenLinesThenCharacters(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		limit int
		want  []string
	}{
		{
			name:  "paragraphs are packed, never cut",
			text:  "aaaa\n\nbbbb\n\ncccc",
			limit: 10,
			want:  []string{"aaaa\n\nbbbb", "cccc"},
		},
		{
			name:  "a paragraph over the limit is cut at lines",
			text:  "aaaa\nbbbb\ncccc\n\ndd",
			limit: 10,
			want:  []string{"aaaa\nbbbb", "cccc", "dd"},
		},
		{
			name:  "a line over the limit is cut between characters",
			text:  "abcdefghijkl",
			limit: 5,
			want:  []string{"abcde", "fghij", "kl"},
		},
		{
			name:  "lines after a cut line are packed again",
			text:  "abcdefg\nhi\njk",
			limit: 5,
			want:  []string{"abcde", "fg\nhi", "jk"},
		},
		{
			name:  "a surrogate pair that does not fit moves whole",
			text:  "ab𠀀𠀀",
			limit: 5,
			want:  []string{"ab𠀀", "𠀀"},
		},
		{
			name:  "astral characters counted as two units",
			text:  "𠀀𠀀𠀀𠀀𠀀",
			limit: 4,
			want:  []string{"𠀀𠀀", "𠀀𠀀", "𠀀"},
		},
		{
			name:  "emoji counted as two units",
			text:  "👍👍👍",
			limit: 3,
			want:  []string{"👍", "👍", "👍"},
		},
		{
			name:  "uyghur paragraphs",
			text:  "ياخشىمۇسىز\n\nرەھمەت سىزگە",
			limit: 12,
			want:  []string{"ياخشىمۇسىز", "رەھمەت سىزگە"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := telegram.Split(tt.text, tt.limit)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("Split(%q, %d) (-want +got):\n%s", tt.text, tt.limit, diff)
			}
			checkParts(t, tt.text, tt.limit, got)
		})
	}
}

func TestSplitAtTheTelegramLimit(t *testing.T) {
	para := func(s string, n int) string { return strings.Repeat(s, n) }
	tests := []struct {
		name string
		text string
		want int // parts
	}{
		// Three paragraphs of 3000 units: no two fit together.
		{"chinese paragraphs", strings.Join([]string{para("营", 3000), para("口", 3000), para("市", 3000)}, "\n\n"), 3},
		// Five of 1500: two fit in a part (3002 units), three do not.
		{"uyghur paragraphs", strings.Join([]string{para("ئا", 750), para("بې", 750), para("تى", 750), para("شۇ", 750), para("ۋە", 750)}, "\n\n"), 3},
		// One paragraph of five 1000-unit lines: four lines fit (4003).
		{"lines of one paragraph", strings.Join([]string{para("a", 1000), para("b", 1000), para("c", 1000), para("d", 1000), para("e", 1000)}, "\n"), 2},
		// No break at all, astral characters: 4096 units hold 2048 of them.
		{"one line of astral characters", para("𠀀", 5000), 3},
		{"one line of emoji and chinese", para("👍营", 3000), 3},
		{"mixed", strings.Join([]string{para("营口", 1000) + "\n" + para("👍", 1500), para("ياخشى", 500), para("𠀀a", 2000)}, "\n\n"), 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := telegram.Split(tt.text, telegram.MaxText)
			checkParts(t, tt.text, telegram.MaxText, parts)
			if len(parts) != tt.want {
				var sizes []int
				for _, p := range parts {
					sizes = append(sizes, units(p))
				}
				t.Fatalf("%d parts of %v units, want %d", len(parts), sizes, tt.want)
			}
		})
	}
}

func TestSplitKeepsEveryCharacter(t *testing.T) {
	// Pieces of every width Telegram counts, with breaks of every kind.
	pieces := []string{"营口", "ئۇيغۇر", "조선어", "𠀀", "👍", "a1", "\n", "\n\n", " ", "ᠮᠣᠩᠭᠣᠯ", "\n\n\n"}
	for _, limit := range []int{2, 3, 5, 8, 13, 64} {
		var b strings.Builder
		for i := 0; i < 400; i++ {
			b.WriteString(pieces[(i*7+i/3)%len(pieces)])
		}
		text := b.String()
		if units(text) <= limit {
			t.Fatalf("test text too short for limit %d", limit)
		}
		checkParts(t, text, limit, telegram.Split(text, limit))
	}
}

func TestSplitKeepsGraphemeClustersWhole(t *testing.T) {
	// A long line of Tibetan stacks and family emoji with nowhere better to
	// cut: no part may end inside a cluster.
	line := strings.Repeat("སྒྲ👨‍👩‍👧", 40)
	parts := telegram.Split(line, 25)
	if len(parts) < 2 {
		t.Fatalf("not split: %d parts", len(parts))
	}
	for i, p := range parts {
		if strings.HasPrefix(p, "\u200d") || strings.HasPrefix(p, "\u0f92") || strings.HasPrefix(p, "\u0fb2") || strings.HasSuffix(p, "\u200d") {
			t.Errorf("part %d starts or ends inside a cluster: %q", i, p)
		}
	}
	if strings.Join(parts, "") != line {
		t.Error("splitting lost text")
	}
}
