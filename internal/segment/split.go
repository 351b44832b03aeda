package segment

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Places to cut, from worst to best.
const (
	breakCluster   = iota // between any two grapheme clusters
	breakWord             // at a space, after a comma-like mark or a Tibetan tsheg
	breakSentence         // after the end of a sentence
	breakLine             // at a line break
	breakParagraph        // at a blank line
)

// sentenceEnds end a sentence in our scripts: Latin and fullwidth . ! ?, Chinese 。, Arabic
// and Uyghur ؟ and ۔, Mongolian full stops ᠃ ᠉, Tibetan shads ། ༎. clauseEnds end a clause
// or, for the Tibetan tsheg ་ ༌, a syllable. An ASCII mark counts only before a space, so that
// 3.14 and example.com are never cut.
const (
	sentenceEnds = ".!?。！？．｡؟۔᠃᠉།༎‼⁇…"
	clauseEnds   = ",;:，、；：､،؛᠂᠈་༌"
)

// room is the share of a part, from its end, in which Split looks for a better cut than
// the last cluster that fits: the last fifth.
const roomNum, roomDen = 4, 5

// Split cuts s into messages of at most maxSegments segments each, by Count, so a part that
// happens to be pure GSM-7 holds more than a UCS-2 one; maxSegments below 1 means 1. A text
// that fits is returned whole, and the empty text gives no messages.
//
// Each part is filled as far as it goes, since a part cut early wastes a segment the
// resident pays for, but within the last fifth of its room the cut prefers, in this order:
// a blank line, a line break, the end of a sentence (. ! ? 。！？ ؟ ᠃ ། …), a space or a
// comma-like mark (，、； ، ᠂ and the Tibetan tsheg ་), and otherwise the last boundary
// between grapheme clusters (see Graphemes) that fits. A cut never falls inside a cluster,
// except that a cluster too long for a whole message on its own (only in pathological text,
// such as hundreds of stacked combining marks) is cut between code points.
//
// The whitespace at a cut is dropped. Nothing else is lost: joining the parts with the
// dropped whitespace gives back s (without whitespace that ended s after the last cut).
func Split(s string, maxSegments int) []string {
	m := max(maxSegments, 1)
	if s == "" {
		return nil
	}
	if Count(s).Segments <= m {
		return []string{s}
	}
	sp := splitter{s: s, b: bounds(s, m)}
	n := len(sp.b) - 1
	var parts []string
	for i := 0; i < n; {
		j := sp.longest(i, m)
		if j == n {
			parts = append(parts, s[sp.b[i]:])
			break
		}
		k := sp.cut(i, j)
		end := k
		for end > i && sp.space(end-1) {
			end--
		}
		if end == i { // nothing but whitespace, at the start of s: keep it rather than send nothing
			end = k
		}
		parts = append(parts, s[sp.b[i]:sp.b[end]])
		for i = k; i < n && sp.space(i); i++ {
		}
	}
	return parts
}

// bounds returns the byte offsets between the pieces Split may not cut: grapheme clusters,
// or the code points of a cluster that does not fit m segments by itself. The first offset
// is 0 and the last len(s).
func bounds(s string, m int) []int {
	b := []int{0}
	for off := 0; off < len(s); {
		end := off + clusterLen(s[off:])
		if Count(s[off:end]).Segments <= m {
			b = append(b, end)
		} else {
			for x := off; x < end; {
				_, size := utf8.DecodeRuneInString(s[x:end])
				x += size
				b = append(b, x)
			}
		}
		off = end
	}
	return b
}

// splitter holds the text being split, its pieces, and the tally of the part being grown.
type splitter struct {
	s      string
	b      []int     // piece boundaries, from bounds
	counts []counter // counts[k-i]: the tally of pieces i to k-1, for the part starting at piece i
}

func (sp *splitter) piece(k int) string { return sp.s[sp.b[k]:sp.b[k+1]] }

func (sp *splitter) space(k int) bool { return isSpace(sp.piece(k)) }

// longest returns the largest j such that pieces i to j-1 fit m segments, and leaves their
// tallies in sp.counts. Every piece fits by itself, so j > i.
func (sp *splitter) longest(i, m int) int {
	var c counter
	sp.counts = append(sp.counts[:0], c)
	j := i
	for ; j < len(sp.b)-1; j++ {
		for _, r := range sp.piece(j) {
			c.add(r)
		}
		if c.info().Segments > m {
			break
		}
		sp.counts = append(sp.counts, c)
	}
	return j
}

// cut chooses where the part from piece i, which fits up to piece j, ends: the latest place
// of the best class within the last fifth of the room, else j.
func (sp *splitter) cut(i, j int) int {
	enc := sp.counts[j-i].info().Encoding
	full := sp.counts[j-i].fill(enc)
	best, class := j, breakCluster
	for k := j; k > i && roomDen*sp.counts[k-i].fill(enc) >= roomNum*full; k-- {
		if c := sp.class(i, k); c > class {
			best, class = k, c
		}
	}
	return best
}

// class rates a cut before piece k in the part that starts at piece i. A run of whitespace
// is rated at its start, where the part would end.
func (sp *splitter) class(i, k int) int {
	if sp.space(k - 1) {
		return breakCluster
	}
	if sp.space(k) {
		lines := 0
		for x := k; x < len(sp.b)-1 && lines < 2 && sp.space(x); x++ {
			lines += newlines(sp.piece(x))
		}
		switch {
		case lines >= 2:
			return breakParagraph
		case lines == 1:
			return breakLine
		case sp.endsSentence(i, k, true):
			return breakSentence
		}
		return breakWord
	}
	if r, _ := utf8.DecodeRuneInString(sp.piece(k)); unicode.In(r, unicode.Po, unicode.Pe, unicode.Pf) {
		return breakCluster // keep closing quotes and runs of marks with what they close
	}
	if sp.endsSentence(i, k, false) {
		return breakSentence
	}
	if r, _ := utf8.DecodeRuneInString(sp.piece(k - 1)); r >= utf8.RuneSelf && strings.ContainsRune(clauseEnds, r) {
		return breakWord
	}
	return breakCluster
}

// endsSentence reports whether the pieces before k end a sentence, perhaps followed by a
// few closing quotes or brackets. ASCII marks count only when ascii is set.
func (sp *splitter) endsSentence(i, k int, ascii bool) bool {
	x := k - 1
	for ; x > i && k-x <= 3; x-- {
		if r, _ := utf8.DecodeRuneInString(sp.piece(x)); !unicode.In(r, unicode.Pe, unicode.Pf) {
			break
		}
	}
	r, _ := utf8.DecodeRuneInString(sp.piece(x))
	return (ascii || r >= utf8.RuneSelf) && strings.ContainsRune(sentenceEnds, r)
}

// isSpace reports whether the piece p is whitespace that a cut may drop. No-break spaces
// (U+00A0, U+2007, and U+202F, which joins Mongolian suffixes) are kept, and never cut at.
func isSpace(p string) bool {
	r, size := utf8.DecodeRuneInString(p)
	return p == "\r\n" || size == len(p) && unicode.IsSpace(r) && r != '\u00A0' && r != '\u2007' && r != '\u202F'
}

// newlines counts the line breaks in the whitespace piece p; a paragraph separator counts 2.
func newlines(p string) int {
	switch p {
	case "\n", "\r", "\r\n", "\v", "\f", "\u0085", "\u2028":
		return 1
	case "\u2029":
		return 2
	}
	return 0
}
