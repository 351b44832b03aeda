package segment

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// checkSplit checks what Split must guarantee for any text, and returns where each part
// ends in s: the text fits whole or every part fits maxSegments, no part is empty, and the
// parts with whitespace between them (and after the last) give back s; and when every
// cluster fits a message, every cut falls between grapheme clusters.
func checkSplit(t *testing.T, s string, maxSegments int, parts []string) (ends []int) {
	t.Helper()
	m := max(maxSegments, 1)
	switch {
	case s == "":
		if len(parts) != 0 {
			t.Fatalf("Split(%q) = %q, want no parts", s, parts)
		}
		return nil
	case Fit(s, m):
		if len(parts) != 1 || parts[0] != s {
			t.Fatalf("Split(%q, %d) = %q, want the text whole", s, m, parts)
		}
		return []int{len(s)}
	}
	var cuts []int // offsets in s where a part ends or starts
	off := 0
	for n, p := range parts {
		if p == "" {
			t.Fatalf("Split(%q, %d): part %d is empty", s, m, n)
		}
		if got := Count(p); got.Segments > m {
			t.Fatalf("Split(%q, %d): part %d %q is %+v", s, m, n, p, got)
		}
		for n > 0 && !strings.HasPrefix(s[off:], p) {
			r, size := utf8.DecodeRuneInString(s[off:])
			if size == 0 || !unicode.IsSpace(r) {
				t.Fatalf("Split(%q, %d): part %d %q does not follow part %d after whitespace, lost %q", s, m, n, p, n-1, s[off:])
			}
			off += size
		}
		if !strings.HasPrefix(s[off:], p) {
			t.Fatalf("Split(%q, %d): first part %q does not start the text", s, m, p)
		}
		cuts = append(cuts, off)
		off += len(p)
		ends = append(ends, off)
		cuts = append(cuts, off)
	}
	if strings.TrimFunc(s[off:], unicode.IsSpace) != "" {
		t.Fatalf("Split(%q, %d) lost the end %q", s, m, s[off:])
	}
	clusters := map[int]bool{len(s): true}
	b := 0
	for _, g := range Graphemes(s) {
		if !Fit(g, m) {
			return ends // Split may cut this cluster between code points
		}
		clusters[b] = true
		b += len(g)
	}
	for _, c := range cuts {
		if !clusters[c] {
			t.Fatalf("Split(%q, %d) = %q cuts inside a cluster at byte %d", s, m, parts, c)
		}
	}
	return ends
}

// build repeats sentences, joined by sep and with a blank line after every para of them,
// until the text has at least n runes.
func build(sentences []string, sep string, para, n int) string {
	var b strings.Builder
	for i := 0; utf8.RuneCountInString(b.String()) < n; i++ {
		if i > 0 && i%para == 0 {
			b.WriteString("\n\n")
		} else if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(sentences[i%len(sentences)])
	}
	return b.String()
}

var (
	chinese = build([]string{
		"如果您需要办理居住证，请携带身份证和租房合同到所在社区服务中心。",
		"社区服务中心工作时间为周一至周五上午八点半到下午五点。",
		"遇到紧急情况请拨打一一零，火灾请拨打一一九，急救请拨打一二零。",
		"您可以用本民族语言发送短信，我们会安排懂您语言的工作人员回复。",
		"子女入学需要准备户口簿、居住证明和预防接种证明。",
		"有问题吗？请直接回复这条短信。",
		"我们不会向任何人透露您的个人信息！",
		"如果您对处理结果不满意，可以要求复查，我们会在七个工作日内答复。",
	}, "", 4, 1000)
	uyghur = build([]string{
		"ئەگەر سىز ئولتۇراق گۇۋاھنامىسى بېجىرمەكچى بولسىڭىز، كىملىك ۋە ئىجارە توختامىنى ئېلىپ مەھەللە مۇلازىمەت مەركىزىگە بېرىڭ.",
		"جىددىي ئەھۋالدا 110 گە تېلېفون قىلىڭ.",
		"سوئالىڭىز بارمۇ؟",
		"بىز سىزنىڭ شەخسىي ئۇچۇرىڭىزنى ھېچكىمگە ئاشكارىلىمايمىز.",
		"بالىلارنى مەكتەپكە كىرگۈزۈش ئۈچۈن نوپۇس دەپتىرى ۋە ئولتۇراق ئىسپاتى كېرەك.",
	}, " ", 3, 1000)
	tibetan = build([]string{
		"ཁྱེད་རང་ལ་རོགས་རམ་དགོས་ན་འཕྲིན་ཐུང་གཏོང་རོགས།",
		"ང་ཚོས་ཁྱེད་ཀྱི་སྒེར་གྱི་ཆ་འཕྲིན་སུ་ལའང་མི་སྤྲོད།",
		"ཉེན་ཁ་ཛ་དྲག་བྱུང་ན་ཁ་པར་གཏོང་རོགས།",
		"སློབ་གྲྭར་འཛུལ་བར་ཐེམ་ཐོ་དང་སྡོད་གནས་ར་སྤྲོད་དགོས།",
	}, " ", 3, 1000)
	mongolian = build([]string{
		"ᠮᠣᠩᠭᠣᠯ ᠪᠢᠴᠢᠭ\u202fᠦᠨ ᠬᠡᠯᠡ᠂ ᠭᠠᠵᠠᠷ\u180eᠠ ᠤᠯᠤᠰ\u202fᠤᠨ ᠬᠦᠮᠦᠨ ᠪᠦᠷ ᠡᠷᠬᠡ ᠲᠡᠢ᠃",
		"ᠲᠠ ᠨ\u180bᠠᠳᠠ ᠮᠡᠳᠡᠭᠡ ᠶᠠᠪᠤᠭᠤᠯᠤᠭᠠᠷᠠᠢ᠃",
		"ᠪᠢᠳᠡ ᠲᠠᠨ\u202fᠤ ᠬᠤᠪᠢ\u180eᠶᠢᠨ ᠮᠡᠳᠡᠭᠡ\u202fᠶᠢ ᠬᠡᠨ ᠳᠦ ᠴᠤ ᠦᠭᠬᠦ ᠦᠭᠡᠢ᠃",
	}, " ", 4, 600)
	korean = build([]string{
		"주민센터는 평일 오전 9시부터 오후 6시까지 운영합니다.",
		"외국인 등록은 출입국 사무소에서 할 수 있습니다.",
		"궁금한 점이 있으면 이 번호로 문자를 보내 주세요.",
		"긴급한 경우에는 119에 전화하십시오!",
	}, " ", 6, 800)
)

// TestSplitScripts splits handbook-like texts and checks that each part but the last is
// nearly full and ends where a reader expects.
func TestSplitScripts(t *testing.T) {
	endsWith := func(marks string) func(string, string) bool {
		return func(part, _ string) bool {
			r, _ := utf8.DecodeLastRuneInString(part)
			return strings.ContainsRune(marks, r)
		}
	}
	atWord := func(marks string) func(string, string) bool {
		return func(part, after string) bool {
			r, _ := utf8.DecodeRuneInString(after)
			return unicode.IsSpace(r) || endsWith(marks)(part, after)
		}
	}
	tests := []struct {
		name  string
		s     string
		max   int
		cutOK func(part, after string) bool // after is the text that follows the part
	}{
		{"chinese", chinese, 3, endsWith("。！？")},
		{"chinese one segment", chinese, 1, endsWith("。！？，、")},
		{"uyghur", uyghur, 2, atWord(".؟،")},
		{"tibetan", tibetan, 2, endsWith("་།")},
		{"tibetan three", tibetan, 3, endsWith("་།")},
		{"mongolian", mongolian, 2, atWord("᠂᠃")},
		{"korean", korean, 2, atWord(".!")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := Split(tt.s, tt.max)
			ends := checkSplit(t, tt.s, tt.max, parts)
			for n, p := range parts[:len(parts)-1] {
				info := Count(p)
				room := ucsSingle
				if tt.max > 1 {
					room = ucsConcat * tt.max
				}
				if 4*info.Units < 3*room {
					t.Errorf("part %d has %d units of %d: %q", n, info.Units, room, p)
				}
				if !tt.cutOK(p, tt.s[ends[n]:]) {
					t.Errorf("part %d is cut badly: …%q | %q…", n, last(p, 8), first(tt.s[ends[n]:], 8))
				}
			}
		})
	}
}

func first(s string, n int) string { return string([]rune(s)[:min(n, utf8.RuneCountInString(s))]) }

func last(s string, n int) string {
	rs := []rune(s)
	return string(rs[max(len(rs)-n, 0):])
}

func TestSplit(t *testing.T) {
	r := strings.Repeat
	family := "👨‍👩‍👧"
	tests := []struct {
		name string
		s    string
		max  int
		want []string
	}{
		{"empty", "", 1, nil},
		{"fits, whitespace kept", "  hi \n", 1, []string{"  hi \n"}},
		{"fits two", r("中", 134), 2, []string{r("中", 134)}},
		{"no breaks, hanzi", r("中", 150), 1, []string{r("中", 70), r("中", 70), r("中", 10)}},
		{"zero means one", r("中", 150), 0, []string{r("中", 70), r("中", 70), r("中", 10)}},
		{"no breaks, gsm", r("a", 400), 2, []string{r("a", 306), r("a", 94)}},
		{"no breaks, tibetan stacks", r("སྒྲུ", 20), 1, []string{r("སྒྲུ", 17), r("སྒྲུ", 3)}},
		{"zwj sequence at the cut moves whole", r("中", 66) + family + r("中", 10), 1, []string{r("中", 66), family + r("中", 10)}},
		{"flag at the cut moves whole", r("中", 67) + "🇨🇳" + r("中", 3), 1, []string{r("中", 67), "🇨🇳" + r("中", 3)}},
		{"astral at the cut moves whole", r("中", 69) + "𠀀中", 1, []string{r("中", 69), "𠀀中"}},
		{"mvs at the cut moves whole", r("ᠠ", 68) + "ᠷ\u180eᠠ", 1, []string{r("ᠠ", 68), "ᠷ\u180eᠠ"}},
		{"extension char at the cut", r("a", 159) + "€" + r("b", 10), 1, []string{r("a", 159), "€" + r("b", 10)}},
		{"escape pair at the 153 boundary", r("a", 152) + "€" + r("a", 152), 2, []string{r("a", 152) + "€" + r("a", 151), "a"}},
		{"gsm part holds more", r("a", 150) + r("中", 10), 1, []string{r("a", 150), r("中", 10)}},
		{"ucs-2 part holds less", r("中", 10) + r("a", 150), 1, []string{r("中", 10) + r("a", 60), r("a", 90)}},
		{"paragraph first", r("a", 130) + "\n\n" + r("b", 10) + "\n" + r("c", 10) + ". " + r("d", 100), 1,
			[]string{r("a", 130), r("b", 10) + "\n" + r("c", 10) + ". " + r("d", 100)}},
		{"line when the paragraph is too early", r("a", 120) + "\n\n" + r("b", 10) + "\n" + r("c", 10) + ". " + r("d", 100), 1,
			[]string{r("a", 120) + "\n\n" + r("b", 10), r("c", 10) + ". " + r("d", 100)}},
		{"sentence before word", r("a", 140) + ". " + "bb cc " + r("d", 100), 1, []string{r("a", 140) + ".", "bb cc " + r("d", 100)}},
		{"latest word", "aaa " + r("a", 140) + " b c " + r("d", 100), 1, []string{"aaa " + r("a", 140) + " b c", r("d", 100)}},
		{"no period inside a number", r("a", 140) + " " + r("b", 15) + "3.14159265", 1, []string{r("a", 140), r("b", 15) + "3.14159265"}},
		{"closing quote stays", r("中", 60) + "。」" + r("中", 20), 1, []string{r("中", 60) + "。」", r("中", 20)}},
		{"no break at a no-break space", r("中", 60) + "\u00a0" + r("中", 20), 1, []string{r("中", 60) + "\u00a0" + r("中", 9), r("中", 11)}},
		{"whitespace run dropped whole", r("a", 150) + " \n  " + r("b", 20), 1, []string{r("a", 150), r("b", 20)}},
		{"trailing whitespace after the last cut", r("a", 160) + r(" ", 200), 1, []string{r("a", 160)}},
		{"leading whitespace kept", r(" ", 200) + "x", 1, []string{r(" ", 160), "x"}},
		{"oversized cluster cut between code points", "a" + r("\u0301", 80), 1, []string{"a" + r("\u0301", 69), r("\u0301", 11)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.s, tt.max)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Split (-want +got):\n%s", diff)
			}
			checkSplit(t, tt.s, tt.max, got)
		})
	}
}

// TestSplitNoLoss checks the guarantees of Split over many random mixed-script texts.
func TestSplitNoLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		s := randomText(rng, 150)
		m := rng.IntN(5)
		checkSplit(t, s, m, Split(s, m))
	}
}

func FuzzSplit(f *testing.F) {
	// Short seeds keep the fuzzer fast: it minimizes every new input it finds interesting.
	for i, s := range []string{"", "a", first(chinese, 150), first(uyghur, 150), first(tibetan, 150),
		first(mongolian, 150), first(korean, 150), strings.Repeat("中", 66) + "👨‍👩‍👧" + "中",
		strings.Repeat("€", 81), strings.Repeat(" \n", 90), "a" + strings.Repeat("\u0301", 80), strings.Repeat("🇨", 37)} {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, s string, m uint8) {
		if !utf8.ValidString(s) {
			t.Skip()
		}
		max := int(m%5) + 1
		checkSplit(t, s, max, Split(s, max))
	})
}
