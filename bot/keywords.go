package bot

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tongxin/tongxin/i18n"
)

// keyword is one word that points free text to a place in the conversation.
type keyword struct {
	word   string // folded
	target string // a navigate target
}

// KeywordTargets are the places free text can lead to. Each has the
// message "keywords.<name>": words separated by commas, in that language.
var KeywordTargets = []string{
	"emergency", "registration", "schooling", "jobs", "medical", "legal_aid",
	"business_licence", "urban_management", "dispute",
	"operator", "status", "menu", "handbook", "lang", "help",
}

// loadKeywords reads every locale's keywords. Chinese keywords are added to
// every locale, since residents often mix in the Chinese word for an office.
func loadKeywords(cat *i18n.Catalog) map[string][]keyword {
	out := map[string][]keyword{}
	for _, l := range cat.Locales() {
		for _, name := range KeywordTargets {
			ids := []string{l.Tag}
			if l.Tag != i18n.Source {
				ids = append(ids, i18n.Source)
			}
			for _, tag := range ids {
				for _, w := range splitList(cat.T(tag, "keywords."+name, nil)) {
					out[l.Tag] = append(out[l.Tag], keyword{word: i18n.Fold(l.Tag, w), target: name})
				}
			}
		}
		slices.SortStableFunc(out[l.Tag], func(a, b keyword) int {
			return utf8.RuneCountInString(b.word) - utf8.RuneCountInString(a.word)
		})
	}
	return out
}

func splitList(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '，' || r == '،' || r == '、' || r == '᠂' || r == '\n'
	})
	out := f[:0]
	for _, w := range f {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// match returns the target whose keywords free text hits most. Longer
// keywords are tried first and blank out what they cover, so a specific
// word (工作人员, staff) is not also read as a word inside it (工作, work).
// Hits weigh by length; ties go to the earlier target, so emergency wins.
func (e *Engine) match(lang, text string) (string, bool) {
	t := i18n.Fold(lang, text)
	hits := map[string]int{}
	for _, k := range e.keywords[lang] {
		if n := strings.Count(t, k.word); n > 0 {
			hits[k.target] += n * utf8.RuneCountInString(k.word)
			t = strings.ReplaceAll(t, k.word, "\x00")
		}
	}
	best, n := "", 0
	for _, name := range KeywordTargets {
		if hits[name] > n {
			best, n = name, hits[name]
		}
	}
	return best, n > 0
}

// suggest answers free text outside a form: an emergency word starts the
// emergency form at once; a service's words offer its handbook chapter and
// its form; anything else goes to the resident's open request, if they
// have one, for the people handling it, and otherwise gets the menu and a
// person.
func (c *conv) suggest(text string) {
	target, ok := c.e.match(c.lang(), text)
	if !ok {
		if !c.attachToOpenTicket() {
			c.notUnderstood()
		}
		return
	}
	switch target {
	case "emergency":
		c.startFlow("emergency")
	case "operator":
		c.startFlow("general")
	case "status", "menu", "lang", "help":
		c.navigate(target)
	case "handbook":
		c.navigate("hb")
	default:
		c.say(c.tr("fallback.suggest", map[string]any{"Service": c.tr("category."+target, nil)}), []Choice{
			{Data: nav("hb:" + target), Label: c.tr("hb.read", nil)},
			{Data: nav("form:" + target), Label: c.tr("hb.request", nil)},
			{Data: nav("form:general"), Label: c.tr("menu.operator", nil)},
			{Data: nav("menu"), Label: c.tr("nav.menu", nil)},
		}, 1, AskNone)
	}
}

// attachToOpenTicket adds the message to the resident's latest request
// that is still open and tells them so. It reports whether there was one.
func (c *conv) attachToOpenTicket() bool {
	tickets, err := c.t.Actions.Tickets(c.ctx)
	if err != nil {
		c.fail(err)
		return true
	}
	for _, t := range tickets {
		if t.Status == "resolved" || t.Status == "closed" {
			continue
		}
		if err := c.t.Actions.AttachMessage(c.ctx, t.Number); err != nil {
			c.fail(err)
			return true
		}
		c.say(c.tr("message.attached", map[string]any{"Number": t.Number}), []Choice{
			{Data: nav("status"), Label: c.tr("menu.status", nil)},
			{Data: nav("menu"), Label: c.tr("nav.menu", nil)},
		}, 2, AskNone)
		return true
	}
	return false
}
