package bot

import (
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
	"github.com/tongxin/tongxin/i18n"
)

// NormalizePhone reads a phone number as a resident types or shares it
// (full-width digits, spaces, dashes, with or without +86) and returns it
// in E.164. Numbers without a country code are read as mainland Chinese.
func NormalizePhone(s string) (string, bool) {
	s = i18n.Fold("", s)
	digits := strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) || r == '+' {
			return r
		}
		if unicode.IsSpace(r) || strings.ContainsRune("-()./", r) {
			return -1
		}
		return 'x'
	}, s)
	if digits == "" || strings.ContainsRune(digits, 'x') || len(digits) > 20 {
		return "", false
	}
	// Shared contacts arrive as 8613812345678 without the plus sign.
	if !strings.HasPrefix(digits, "+") && strings.HasPrefix(digits, "86") && len(digits) == 13 {
		digits = "+" + digits
	}
	n, err := phonenumbers.Parse(digits, "CN")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// ValidName accepts a person's name in any script: letters with spaces,
// dots and hyphens between them (Uyghur and Korean names, 阿依古丽·买买提).
func ValidName(s string, max int) (string, bool) {
	s = strings.Join(strings.Fields(s), " ")
	n, letters := 0, 0
	for _, r := range s {
		n++
		switch {
		case unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r):
			letters++
		case r == ' ' || r == '·' || r == '•' || r == '.' || r == '-' || r == '\'' || r == '\u200c' || r == '\u200d' || r == '\u180e' || unicode.Is(unicode.Mongolian, r):
		default:
			return "", false
		}
	}
	if letters == 0 || (max > 0 && n > max) {
		return "", false
	}
	return s, true
}

// ValidIDNumber checks a mainland resident ID number (GB 11643-1999): 17
// digits, a birth date, and the check character.
func ValidIDNumber(s string) (string, bool) {
	s = strings.ToUpper(strings.ReplaceAll(i18n.Fold("", s), " ", ""))
	if len(s) != 18 {
		return "", false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
		sum += int(s[i]-'0') * weights[i]
	}
	if "10X98765432"[sum%11] != s[17] {
		return "", false
	}
	month := int(s[10]-'0')*10 + int(s[11]-'0')
	day := int(s[12]-'0')*10 + int(s[13]-'0')
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return "", false
	}
	return s, true
}
