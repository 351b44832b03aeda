package tgfake

import (
	"testing"

	"github.com/go-telegram/bot/models"
	"github.com/google/go-cmp/cmp"
)

func TestParseHTML(t *testing.T) {
	type E = models.MessageEntity
	tests := []struct {
		in       string
		text     string
		entities []E
	}{
		{"<b>bold</b> <i>it</i>", "bold it", []E{{Type: "bold", Offset: 0, Length: 4}, {Type: "italic", Offset: 5, Length: 2}}},
		{"😀<B>x</B>", "😀x", []E{{Type: "bold", Offset: 2, Length: 1}}},
		{"a &lt; b &amp;&quot; &#20320;&#x597D; &nbsp; &copy", "a < b &\" 你好 &nbsp; &copy", nil},
		{`<a href="https://x.org/?a=1&amp;b=2">l</a>`, "l", []E{{Type: "text_link", Offset: 0, Length: 1, URL: "https://x.org/?a=1&b=2"}}},
		{"<pre><code class=\"language-go\">x := 1</code></pre>", "x := 1", []E{{Type: "pre", Offset: 0, Length: 6, Language: "go"}}},
		{`<code class="language-go">x</code>`, "x", []E{{Type: "code", Offset: 0, Length: 1}}},
		{`<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>`, "st", []E{{Type: "spoiler", Offset: 0, Length: 1}, {Type: "spoiler", Offset: 1, Length: 1}}},
		{"<blockquote expandable>q</blockquote><blockquote>r</blockquote>", "qr", []E{{Type: "expandable_blockquote", Offset: 0, Length: 1}, {Type: "blockquote", Offset: 1, Length: 1}}},
		{"<b><i>x</i>y</b>", "xy", []E{{Type: "bold", Offset: 0, Length: 2}, {Type: "italic", Offset: 0, Length: 1}}},
		{"<b></b>x<u>y</>", "xy", []E{{Type: "underline", Offset: 1, Length: 1}}},
		{`<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>`, "👍", []E{{Type: "custom_emoji", Offset: 0, Length: 2, CustomEmojiID: "5368324170671202286"}}},
	}
	for _, tt := range tests {
		text, entities, err := parseHTML(tt.in)
		if err != nil {
			t.Errorf("parseHTML(%q): %v", tt.in, err)
			continue
		}
		if text != tt.text {
			t.Errorf("parseHTML(%q) text = %q, want %q", tt.in, text, tt.text)
		}
		if diff := cmp.Diff(tt.entities, entities); diff != "" {
			t.Errorf("parseHTML(%q) entities (-want +got):\n%s", tt.in, diff)
		}
	}
}

// The expected messages are tdlib's, as in the description after
// "Bad Request: can't parse entities: ".
func TestParseHTMLErrors(t *testing.T) {
	tests := []struct{ in, err string }{
		{"<br>", `Unsupported start tag "br" at byte offset 0`},
		{"a < b", `Unsupported start tag "" at byte offset 2`},
		{"x <b", `Unclosed start tag at byte offset 2`},
		{"<a href", `Unclosed start tag "a" at byte offset 0`},
		{`<a href="x"`, `Unclosed start tag at byte offset 0`},
		{`<a ="x">y</a>`, `Empty attribute name in the tag "a" at byte offset 0`},
		{`<a href=x/>y</a>`, `Unexpected end of name token at byte offset 8`},
		{`<a href=https://x.org>l</a>`, `Unexpected end of name token at byte offset 8`},
		{`<a href>y</a>`, `Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0`},
		{"<span>x</span>", `Tag "span" must have class "tg-spoiler" at byte offset 0`},
		{"x</b>", `Unexpected end tag at byte offset 1`},
		{"<b>x</b", `Unclosed end tag at byte offset 4`},
		{"<b>x</i>", `Unmatched end tag at byte offset 4, expected "</b>", found "</i>"`},
		{"<b>x", `Can't find end tag corresponding to start tag "b"`},
		{`<tg-emoji emoji-id="x">y</tg-emoji>`, `Invalid custom emoji identifier specified`},
		{"&#xD800;", `Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units`},
	}
	for _, tt := range tests {
		_, _, err := parseHTML(tt.in)
		if err == nil || err.Error() != tt.err {
			t.Errorf("parseHTML(%q) err = %v, want %q", tt.in, err, tt.err)
		}
	}
}

func TestFormatTextTrims(t *testing.T) {
	text, entities, err := formatText("  <b> hi</b> \n", "HTML")
	if err != nil {
		t.Fatal(err)
	}
	want := []models.MessageEntity{{Type: "bold", Offset: 0, Length: 2}}
	if text != "hi" || !cmp.Equal(entities, want) {
		t.Errorf("formatText = %q %+v, want %q %+v", text, entities, "hi", want)
	}
}
