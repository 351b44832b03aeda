package segment

import (
	"unicode"
	"unicode/utf8"
)

const (
	zwnj = '\u200C' // zero width non-joiner
	zwj  = '\u200D' // zero width joiner
	mvs  = '\u180E' // Mongolian vowel separator
)

// Graphemes splits s into grapheme clusters, the pieces a reader sees as one character and
// a cut must never separate. Joining them gives back s.
//
// The rules are a compact subset of Unicode's extended grapheme clusters (UAX #29), enough
// for the scripts Tongxin serves. There is a break between every two code points except:
//   - CR LF stays together; otherwise there is a break after CR, LF or a control character
//     (Cc, U+2028, U+2029) and before one.
//   - No break before an extending character: a combining mark (Mn, Me, Mc: Tibetan
//     subjoined letters and vowel signs, Arabic harakat, Indic vowel signs), a Mongolian
//     free variation selector U+180B–U+180D or U+180F, a variation selector U+FE00–U+FE0F or
//     U+E0100–U+E01EF, an emoji modifier U+1F3FB–U+1F3FF or a tag U+E0020–U+E007F.
//   - No break before or after ZWJ U+200D, ZWNJ U+200C or the Mongolian vowel separator
//     U+180E, so an emoji ZWJ sequence such as 👨‍👩‍👧 and a Mongolian suffix vowel
//     such as the final ᠠ of ᠭᠠᠵᠠᠷ᠎ᠠ stay with what they join.
//   - Regional indicators pair up into flags (🇨🇳): no break inside a pair.
//   - Conjoining Hangul jamo form syllables: L × (L|V|LV|LVT), (LV|V) × (V|T), (LVT|T) × T.
//
// Left out, because our scripts do not need them: prepended concatenation marks (U+0600–0605),
// Indic conjunct rules, and the ZWJ rule's restriction to pictographs (we never break at ZWJ).
// Invalid UTF-8 bytes are clusters of one byte.
func Graphemes(s string) []string {
	var gs []string
	for s != "" {
		n := clusterLen(s)
		gs = append(gs, s[:n])
		s = s[n:]
	}
	return gs
}

// clusterLen is the length in bytes of the grapheme cluster that s starts with.
func clusterLen(s string) int {
	prev, n := utf8.DecodeRuneInString(s)
	ri := 0 // regional indicators in a row, ending at prev
	if isRegional(prev) {
		ri = 1
	}
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if !joins(prev, r, ri) {
			break
		}
		if isRegional(r) {
			ri++
		} else {
			ri = 0
		}
		prev, n = r, n+size
	}
	return n
}

// joins reports whether there is no grapheme break between prev and r; ri is the number of
// regional indicators in a row that end at prev.
func joins(prev, r rune, ri int) bool {
	switch {
	case prev == '\r' && r == '\n':
		return true
	case isControl(prev) || isControl(r):
		return false
	case isExtend(r) || r == zwj || r == zwnj || r == mvs:
		return true
	case prev == zwj || prev == zwnj || prev == mvs:
		return true
	case isRegional(prev) && isRegional(r):
		return ri%2 == 1
	}
	a, b := jamoOf(prev), jamoOf(r)
	switch a {
	case jamoL:
		return b == jamoL || b == jamoV || b == jamoLV || b == jamoLVT
	case jamoV, jamoLV:
		return b == jamoV || b == jamoT
	case jamoT, jamoLVT:
		return b == jamoT
	}
	return false
}

func isControl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

func isExtend(r rune) bool {
	switch {
	case r < 0x300:
		return false
	case 0x180B <= r && r <= 0x180F, // Mongolian free variation selectors (and MVS)
		0xFE00 <= r && r <= 0xFE0F, 0xE0100 <= r && r <= 0xE01EF, // variation selectors
		0x1F3FB <= r && r <= 0x1F3FF, // emoji skin-tone modifiers
		0xE0020 <= r && r <= 0xE007F: // tags, as in subdivision flags
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc)
}

func isRegional(r rune) bool { return 0x1F1E6 <= r && r <= 0x1F1FF }

// jamo is the Hangul syllable type of a code point (Unicode's Hangul_Syllable_Type).
type jamo int

const (
	jamoNone jamo = iota
	jamoL         // leading consonant
	jamoV         // vowel
	jamoT         // trailing consonant
	jamoLV        // precomposed syllable without a trailing consonant
	jamoLVT       // precomposed syllable with one
)

func jamoOf(r rune) jamo {
	switch {
	case 0x1100 <= r && r <= 0x115F, 0xA960 <= r && r <= 0xA97C:
		return jamoL
	case 0x1160 <= r && r <= 0x11A7, 0xD7B0 <= r && r <= 0xD7C6:
		return jamoV
	case 0x11A8 <= r && r <= 0x11FF, 0xD7CB <= r && r <= 0xD7FB:
		return jamoT
	case 0xAC00 <= r && r <= 0xD7A3 && (r-0xAC00)%28 == 0:
		return jamoLV
	case 0xAC00 <= r && r <= 0xD7A3:
		return jamoLVT
	}
	return jamoNone
}
