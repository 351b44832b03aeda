// Package segment counts and splits SMS texts the way carriers bill them.
//
// A text travels as GSM-7 when every character is in the GSM 03.38 alphabet and as UCS-2
// (UTF-16 on the wire) otherwise: one non-GSM character switches the whole message. One SMS
// holds 160 septets or 70 units; a concatenated message loses 7 septets or 3 units a part to
// the 6-byte user data header, leaving 153 or 67, and no part may split a character, an
// escape sequence or a surrogate pair. Chinese, Uyghur, Tibetan, Mongolian and Korean are
// always UCS-2 and cost one unit a code point (two outside the BMP), not one a glyph.
//
// Split cuts long texts where a reader expects a cut, never inside a grapheme cluster; see
// Graphemes for the cluster rules.
package segment

import "unicode/utf16"

// Encoding is the SMS data coding a text needs.
type Encoding string

const (
	// GSM7 is the GSM 03.38 default alphabet with its extension table, 7 bits a septet.
	GSM7 Encoding = "GSM-7"
	// UCS2 is 16 bits a unit. Gateways send UTF-16, so a character outside the BMP (an emoji,
	// a CJK Extension B name character such as 𠀀) takes two units.
	UCS2 Encoding = "UCS-2"
)

// Message sizes, from 3GPP TS 23.040: a concatenated part carries a 6-byte header.
const (
	gsmSingle = 160 // septets in a lone SMS
	gsmConcat = 153 // septets in each part of a concatenated SMS
	ucsSingle = 70  // UTF-16 units in a lone SMS
	ucsConcat = 67  // UTF-16 units in each part of a concatenated SMS
)

// gsmBasic is the GSM 03.38 default alphabet in code order, 0x00 to 0x7F, without 0x1B (ESC,
// the escape to gsmExtension, which is no character of its own). Each costs one septet.
// 0x09 is the capital Ç of the standard; a lowercase ç needs UCS-2.
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅå" + // 0x00–0x0F
	"Δ_ΦΓΛΩΠΨΣΘΞ" + "ÆæßÉ" + // 0x10–0x1F; ESC would sit between Ξ and Æ
	" !\"#¤%&'()*+,-./" + // 0x20–0x2F
	"0123456789:;<=>?" + // 0x30–0x3F
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§" + // 0x40–0x5F
	"¿abcdefghijklmnopqrstuvwxyzäöñüà" // 0x60–0x7F

// gsmExtension is the part of the GSM 03.38 extension table every phone supports: form feed,
// ^ { } \ [ ~ ] | and €. Each is sent as ESC and one septet, so it costs two, and the pair
// is never split between the parts of a concatenated message.
const gsmExtension = "\f^{}\\[~]|€"

// gsmCost maps each GSM-7 character to the septets it takes.
var gsmCost = func() map[rune]int {
	m := make(map[rune]int, 137)
	for _, r := range gsmBasic {
		m[r] = 1
	}
	for _, r := range gsmExtension {
		m[r] = 2
	}
	return m
}()

// Info is what a text costs as one SMS message.
type Info struct {
	// Encoding is GSM7 when every character is in GSM 03.38, otherwise UCS2.
	Encoding Encoding
	// Units counts septets for GSM7 (an extension character counts 2) and UTF-16 units for UCS2.
	Units int
	// Segments is how many SMS the carrier bills: 0 for the empty text, which no gateway
	// sends (Twilio rejects an empty Body), 1 up to PerSegment units, and beyond that the
	// number of 153-septet or 67-unit parts the text fills when packed without splitting a
	// character. This can be one more than Units divided by PerSegment.
	Segments int
	// PerSegment is the capacity of one segment: 160 or 70 for a text that fits one SMS
	// (including the empty text), 153 or 67 for a concatenated one.
	PerSegment int
}

// Count reports the encoding, length and segment count of s. Invalid UTF-8 bytes count as
// U+FFFD. The empty text is GSM7 with 0 units and 0 segments: there is nothing to send.
func Count(s string) Info {
	var c counter
	for _, r := range s {
		c.add(r)
	}
	return c.info()
}

// Fit reports whether s fits in maxSegments segments; maxSegments below 1 means 1.
func Fit(s string, maxSegments int) bool {
	return Count(s).Segments <= max(maxSegments, 1)
}

// counter tallies a text rune by rune in both encodings at once, so that Split can grow a
// part piece by piece without recounting it.
type counter struct {
	ucs                       bool // a rune outside GSM 03.38 was seen
	septets, gsmSegs, gsmFill int  // GSM-7 total, and packing into 153-septet parts
	units, ucsSegs, ucsFill   int  // UTF-16 total, and packing into 67-unit parts
}

func (c *counter) add(r rune) {
	n := max(utf16.RuneLen(r), 1) // a surrogate code point would go out as U+FFFD
	c.units += n
	c.ucsSegs, c.ucsFill = pack(c.ucsSegs, c.ucsFill, n, ucsConcat)
	if c.ucs {
		return
	}
	s := gsmCost[r]
	if s == 0 {
		c.ucs = true
		return
	}
	c.septets += s
	c.gsmSegs, c.gsmFill = pack(c.gsmSegs, c.gsmFill, s, gsmConcat)
}

// pack adds a character of n units to parts of per units, starting a new part when the
// current one has no room for all of it.
func pack(segs, fill, n, per int) (int, int) {
	if segs == 0 || fill+n > per {
		return segs + 1, n
	}
	return segs, fill + n
}

func (c *counter) info() Info {
	switch {
	case !c.ucs && c.septets <= gsmSingle:
		return Info{GSM7, c.septets, min(c.septets, 1), gsmSingle}
	case !c.ucs:
		return Info{GSM7, c.septets, c.gsmSegs, gsmConcat}
	case c.units <= ucsSingle:
		return Info{UCS2, c.units, 1, ucsSingle}
	default:
		return Info{UCS2, c.units, c.ucsSegs, ucsConcat}
	}
}

// fill is how full the counted text is, in the units of enc.
func (c *counter) fill(enc Encoding) int {
	if enc == GSM7 {
		return c.septets
	}
	return c.units
}
