package tgfake

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// maxTextUnits is sendMessage's limit, "1-4096 characters after entities
// parsing", counted in UTF-16 code units like entity offsets.
const maxTextUnits = 4096

// formatText parses text in parseMode and applies the real server's checks.
// It returns the text as the message will hold it (tags removed, entities
// decoded, surrounding white space trimmed) and its entities. MarkdownV2 and
// Markdown are accepted but not parsed: their text counts as-is.
func formatText(text, parseMode string) (string, []models.MessageEntity, *apiError) {
	if text == "" {
		return "", nil, badRequest("message text is empty")
	}
	if !utf8.ValidString(text) {
		return "", nil, badRequest("text must be encoded in UTF-8")
	}
	var entities []models.MessageEntity
	switch strings.ToLower(parseMode) {
	case "", "markdown", "markdownv2":
	case "html":
		var err error
		if text, entities, err = parseHTML(text); err != nil {
			return "", nil, badRequest("can't parse entities: %v", err)
		}
	default:
		return "", nil, badRequest("unsupported parse_mode")
	}
	text, entities = trimText(text, entities)
	if text == "" {
		return "", nil, badRequest("message must be non-empty")
	}
	if utf16Len(text) > maxTextUnits {
		return "", nil, badRequest("message is too long")
	}
	return text, entities, nil
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// trimText strips surrounding white space and shifts the entities to match.
func trimText(text string, entities []models.MessageEntity) (string, []models.MessageEntity) {
	trimmed := strings.TrimLeftFunc(text, unicode.IsSpace)
	shift := utf16Len(text[:len(text)-len(trimmed)])
	trimmed = strings.TrimRightFunc(trimmed, unicode.IsSpace)
	size := utf16Len(trimmed)
	var out []models.MessageEntity
	for _, e := range entities {
		start, end := max(e.Offset-shift, 0), min(e.Offset+e.Length-shift, size)
		if end > start {
			e.Offset, e.Length = start, end-start
			out = append(out, e)
		}
	}
	return trimmed, out
}

// htmlTags maps the supported start tags to their entity types.
var htmlTags = map[string]models.MessageEntityType{
	"b": models.MessageEntityTypeBold, "strong": models.MessageEntityTypeBold,
	"i": models.MessageEntityTypeItalic, "em": models.MessageEntityTypeItalic,
	"u": models.MessageEntityTypeUnderline, "ins": models.MessageEntityTypeUnderline,
	"s": models.MessageEntityTypeStrikethrough, "strike": models.MessageEntityTypeStrikethrough, "del": models.MessageEntityTypeStrikethrough,
	"tg-spoiler": models.MessageEntityTypeSpoiler, "span": models.MessageEntityTypeSpoiler,
	"a":          models.MessageEntityTypeTextLink,
	"code":       models.MessageEntityTypeCode,
	"pre":        models.MessageEntityTypePre,
	"blockquote": models.MessageEntityTypeBlockquote,
	"tg-emoji":   models.MessageEntityTypeCustomEmoji,
}

// parseHTML parses Telegram's HTML subset like tdlib's parse_html, with its
// error messages: only the tags in htmlTags, attributes quoted or as name
// tokens, end tags matching the innermost start tag. An '&' that starts no
// known entity (only &lt; &gt; &amp; &quot; and numeric ones are) stays
// literal, as on the real server; a bare '<' is an error.
func parseHTML(s string) (string, []models.MessageEntity, error) {
	type open struct {
		tag, arg string
		offset   int // UTF-16 offset in the result
		begin    int // byte offset in the result, for <a> without href
	}
	at := func(i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	var out strings.Builder
	var stack []open
	var entities []models.MessageEntity
	units := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c == '&' {
			if r, n := decodeEntity(s[i:]); n > 0 {
				if utf16.IsSurrogate(r) {
					return "", nil, fmt.Errorf("Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units")
				}
				out.WriteRune(r)
				units += utf16.RuneLen(r)
				i += n
				continue
			}
		}
		if c != '<' {
			if c&0xC0 != 0x80 { // first byte of a UTF-8 sequence
				units++
				if c >= 0xF0 {
					units++ // outside the BMP: a surrogate pair
				}
			}
			out.WriteByte(c)
			i++
			continue
		}
		begin := i
		i++
		if at(i) != '/' {
			for at(i) != 0 && !isSpace(at(i)) && at(i) != '>' {
				i++
			}
			if at(i) == 0 {
				return "", nil, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
			}
			tag := strings.ToLower(s[begin+1 : i])
			if _, ok := htmlTags[tag]; !ok {
				return "", nil, fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", tag, begin)
			}
			var arg, class string
			for at(i) != '>' {
				for isSpace(at(i)) {
					i++
				}
				if at(i) == '>' {
					break
				}
				if at(i) == 0 {
					return "", nil, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
				}
				nameBegin := i
				for at(i) != 0 && !isSpace(at(i)) && at(i) != '=' && at(i) != '>' {
					i++
				}
				name := strings.ToLower(s[nameBegin:i])
				if name == "" {
					return "", nil, fmt.Errorf("Empty attribute name in the tag \"%s\" at byte offset %d", tag, begin)
				}
				for isSpace(at(i)) {
					i++
				}
				if at(i) != '=' {
					if tag == "blockquote" && name == "expandable" {
						arg = name
						continue
					}
					if at(i) == 0 {
						return "", nil, fmt.Errorf("Unclosed start tag \"%s\" at byte offset %d", tag, begin)
					}
					return "", nil, fmt.Errorf("Expected equal sign in declaration of an attribute of the tag \"%s\" at byte offset %d", tag, begin)
				}
				i++
				for isSpace(at(i)) {
					i++
				}
				if at(i) == 0 {
					return "", nil, fmt.Errorf("Unclosed start tag \"%s\" at byte offset %d", tag, begin)
				}
				var value strings.Builder
				if q := at(i); q == '"' || q == '\'' {
					for i++; at(i) != q && at(i) != 0; {
						if r, n := decodeEntity(s[i:]); n > 0 {
							value.WriteRune(r)
							i += n
							continue
						}
						value.WriteByte(s[i])
						i++
					}
					if at(i) == q {
						i++
					}
				} else {
					tokenBegin := i
					for c := at(i); c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'; c = at(i) {
						i++
					}
					value.WriteString(strings.ToLower(s[tokenBegin:i]))
					if !isSpace(at(i)) && at(i) != '>' {
						return "", nil, fmt.Errorf("Unexpected end of name token at byte offset %d", tokenBegin)
					}
				}
				if at(i) == 0 {
					return "", nil, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
				}
				v := value.String()
				switch {
				case tag == "a" && name == "href", tag == "tg-emoji" && name == "emoji-id":
					arg = v
				case tag == "code" && name == "class" && strings.HasPrefix(v, "language-"):
					arg = v[len("language-"):]
				case tag == "span" && name == "class":
					class = v
				}
			}
			if tag == "span" && class != "tg-spoiler" {
				return "", nil, fmt.Errorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", begin)
			}
			i++ // '>'
			stack = append(stack, open{tag: tag, arg: arg, offset: units, begin: out.Len()})
			continue
		}
		if len(stack) == 0 {
			return "", nil, fmt.Errorf("Unexpected end tag at byte offset %d", begin)
		}
		i++ // '/'
		nameBegin := i
		for at(i) != 0 && !isSpace(at(i)) && at(i) != '>' {
			i++
		}
		name := strings.ToLower(s[nameBegin:i])
		for isSpace(at(i)) {
			i++
		}
		if at(i) != '>' {
			return "", nil, fmt.Errorf("Unclosed end tag at byte offset %d", begin)
		}
		i++
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if name != "" && name != top.tag {
			return "", nil, fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", begin, top.tag, name)
		}
		if units == top.offset {
			continue // empty entities are dropped
		}
		e := models.MessageEntity{Type: htmlTags[top.tag], Offset: top.offset, Length: units - top.offset}
		switch top.tag {
		case "a":
			e.URL = top.arg
			if e.URL == "" {
				e.URL = out.String()[top.begin:]
			}
		case "code":
			e.Language = top.arg // kept only if a <pre> of the same range follows
		case "pre":
			if n := len(entities); n > 0 && entities[n-1].Type == models.MessageEntityTypeCode &&
				entities[n-1].Offset == e.Offset && entities[n-1].Length == e.Length && entities[n-1].Language != "" {
				e.Language = entities[n-1].Language
				entities = entities[:n-1]
			}
		case "blockquote":
			if top.arg != "" {
				e.Type = models.MessageEntityTypeExpandableBlockquote
			}
		case "tg-emoji":
			if id, err := strconv.ParseInt(top.arg, 10, 64); err != nil || id <= 0 {
				return "", nil, fmt.Errorf("Invalid custom emoji identifier specified")
			}
			e.CustomEmojiID = top.arg
		}
		entities = append(entities, e)
	}
	if len(stack) > 0 {
		return "", nil, fmt.Errorf("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1].tag)
	}
	for i := range entities {
		if entities[i].Type == models.MessageEntityTypeCode {
			entities[i].Language = ""
		}
	}
	sort.SliceStable(entities, func(i, j int) bool {
		a, b := entities[i], entities[j]
		return a.Offset < b.Offset || a.Offset == b.Offset && a.Length > b.Length
	})
	return out.String(), entities, nil
}

// decodeEntity decodes an HTML entity at the start of s ("&lt;", "&#1234;",
// "&#x1F600;"; the ';' is optional) and returns the rune and the bytes it
// took, or n == 0 if s starts with no supported entity.
func decodeEntity(s string) (r rune, n int) {
	if len(s) < 2 || s[0] != '&' {
		return 0, 0
	}
	end := 1
	if s[1] == '#' {
		end = 2
		base := 10
		if len(s) > 2 && s[2] == 'x' {
			end, base = 3, 16
		}
		digits := end
		isDigit := func(c byte) bool {
			return c >= '0' && c <= '9' || base == 16 && c|0x20 >= 'a' && c|0x20 <= 'f'
		}
		for end < len(s) && isDigit(s[end]) {
			end++
		}
		if end >= 10 { // tdlib's bound on the reference's length
			return 0, 0
		}
		v, err := strconv.ParseInt(s[digits:end], base, 32)
		if err != nil || v == 0 || v >= 0x10FFFF {
			return 0, 0
		}
		r = rune(v)
	} else {
		for end < len(s) && (s[end] >= 'a' && s[end] <= 'z' || s[end] >= 'A' && s[end] <= 'Z') {
			end++
		}
		switch s[1:end] {
		case "lt":
			r = '<'
		case "gt":
			r = '>'
		case "amp":
			r = '&'
		case "quot":
			r = '"'
		default:
			return 0, 0
		}
	}
	if end < len(s) && s[end] == ';' {
		end++
	}
	return r, end
}
