package i18n

import (
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"text/template/parse"
	"unicode"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/unicode/norm"
)

// Problem is something wrong with a locale's messages.
type Problem struct {
	Locale    string
	MessageID string
	// Kind is one of: missing, stale, vars, plural, template, untranslated,
	// normalization, file.
	Kind   string
	Detail string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s %s: %s: %s", p.Locale, p.MessageID, p.Kind, p.Detail)
}

// Check reads the locales in fsys and reports every problem: a message of
// the source missing in a locale or left in Chinese, a message only a
// locale has, template variables that differ from the source, a counted
// message (one that uses .Count) without every plural form its language
// needs, a template that does not parse, and Uyghur or Kazakh text that is
// not normalized (presentation forms, or ه where ە belongs).
func Check(fsys fs.FS) ([]Problem, error) {
	locales, err := readMeta(fsys)
	if err != nil {
		return nil, err
	}
	files, err := messageFiles(fsys)
	if err != nil {
		return nil, err
	}
	unmarshal := map[string]goi18n.UnmarshalFunc{"toml": toml.Unmarshal}
	var problems []Problem
	msgs := map[string]map[string]*goi18n.Message{}
	for _, l := range locales {
		msgs[l.Tag] = map[string]*goi18n.Message{}
		for _, f := range files[l.Tag] {
			b, err := fs.ReadFile(fsys, f)
			if err != nil {
				return nil, err
			}
			mf, err := goi18n.ParseMessageFileBytes(b, f, unmarshal)
			if err != nil {
				problems = append(problems, Problem{l.Tag, f, "file", err.Error()})
				continue
			}
			for _, m := range mf.Messages {
				if _, dup := msgs[l.Tag][m.ID]; dup {
					problems = append(problems, Problem{l.Tag, m.ID, "file", "defined twice (" + f + ")"})
				}
				msgs[l.Tag][m.ID] = m
			}
		}
	}
	for tag := range files {
		if _, ok := msgs[tag]; !ok {
			problems = append(problems, Problem{tag, files[tag][0], "file", "locale not listed in " + MetaFile})
		}
	}

	source := msgs[Source]
	srcVars := map[string][]string{}
	for id, m := range source {
		v, err := messageVars(m)
		if err != nil {
			problems = append(problems, Problem{Source, id, "template", err.Error()})
		}
		srcVars[id] = v
	}
	for _, l := range locales[1:] {
		have := msgs[l.Tag]
		for _, id := range sortedKeys(source) {
			src := source[id]
			m, ok := have[id]
			if !ok {
				problems = append(problems, Problem{l.Tag, id, "missing", "no translation"})
				continue
			}
			vars, err := messageVars(m)
			if err != nil {
				problems = append(problems, Problem{l.Tag, id, "template", err.Error()})
			} else if !slices.Equal(vars, srcVars[id]) {
				problems = append(problems, Problem{l.Tag, id, "vars", fmt.Sprintf("uses %v, source uses %v", vars, srcVars[id])})
			}
			if slices.Contains(srcVars[id], "Count") {
				for _, form := range l.PluralForms {
					if pluralText(m, form) == "" {
						problems = append(problems, Problem{l.Tag, id, "plural", "missing form " + form})
					}
				}
			}
			if m.Other == src.Other && hasHan(m.Other) {
				problems = append(problems, Problem{l.Tag, id, "untranslated", "same as the Chinese source"})
			}
			if l.Script == "Arab" {
				for _, form := range []string{m.One, m.Other} {
					if d := arabicProblem(form); d != "" {
						problems = append(problems, Problem{l.Tag, id, "normalization", d})
						break
					}
				}
			}
		}
		for _, id := range sortedKeys(have) {
			if _, ok := source[id]; !ok {
				problems = append(problems, Problem{l.Tag, id, "stale", "not in the source"})
			}
		}
	}
	return problems, nil
}

// Drafted lists the locales whose translations await a native speaker's review.
func (c *Catalog) Drafted() []Locale {
	var out []Locale
	for _, l := range c.locales {
		if l.Status == "drafted" {
			out = append(out, l)
		}
	}
	return out
}

// messageVars returns the sorted template fields a message uses, over all
// its plural forms.
func messageVars(m *goi18n.Message) ([]string, error) {
	set := map[string]bool{}
	for _, src := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
		if !strings.Contains(src, "{{") {
			continue
		}
		trees, err := parse.Parse("m", src, "", "", map[string]any{})
		if err != nil {
			return nil, err
		}
		for _, t := range trees {
			walk(t.Root, set)
		}
	}
	return sortedKeys(set), nil
}

func walk(n parse.Node, set map[string]bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(c, set)
		}
	case *parse.ActionNode:
		walk(n.Pipe, set)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walk(c, set)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walk(a, set)
		}
	case *parse.FieldNode:
		set[n.Ident[0]] = true
	case *parse.IfNode:
		walk(n.Pipe, set)
		walk(n.List, set)
		walk(n.ElseList, set)
	case *parse.RangeNode:
		walk(n.Pipe, set)
		walk(n.List, set)
		walk(n.ElseList, set)
	case *parse.WithNode:
		walk(n.Pipe, set)
		walk(n.List, set)
		walk(n.ElseList, set)
	}
}

func pluralText(m *goi18n.Message, form string) string {
	switch form {
	case "zero":
		return m.Zero
	case "one":
		return m.One
	case "two":
		return m.Two
	case "few":
		return m.Few
	case "many":
		return m.Many
	}
	return m.Other
}

// arabicProblem reports Uyghur or Kazakh text that a keyword match or a
// search would miss: not NFC, Arabic presentation forms (legacy input), or
// the Arabic heh ه (U+0647) where Uyghur writes ە (U+06D5).
func arabicProblem(s string) string {
	if !norm.NFC.IsNormalString(s) {
		return "not NFC"
	}
	for _, r := range s {
		switch {
		case r >= 0xFB50 && r <= 0xFDFF || r >= 0xFE70 && r <= 0xFEFF:
			return fmt.Sprintf("presentation form U+%04X", r)
		case r == 0x0647:
			return "U+0647 heh where Uyghur writes U+06D5 ae"
		}
	}
	return ""
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
