// Package i18n gives Tongxin its languages: the message catalog (go-i18n,
// loaded from the locales folder), our own matching of a channel's language
// hint to a locale, script detection for free text, and the checks that keep
// every locale complete.
//
// go-i18n alone is not trusted to choose a language: it maps Arabic or
// Persian users to Uyghur and ignores confidence. Callers choose one locale
// (the resident's stored choice, or Match) and the catalog renders that one,
// falling back to Chinese message by message.
package i18n

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"
)

// Source is the locale messages are written in first and fall back to.
const Source = "zh-Hans"

// Locale describes one language Tongxin speaks.
type Locale struct {
	Tag string `toml:"tag"`
	// Native is the language's name in its own script, as shown in the
	// language menu.
	Native string `toml:"native"`
	// Chinese is the language's name in Chinese, for operators.
	Chinese string `toml:"chinese"`
	Script  string `toml:"script"`
	// Direction is "ltr" or "rtl".
	Direction string `toml:"direction"`
	// PluralForms are the CLDR plural categories the language needs.
	PluralForms []string `toml:"plural_forms"`
	// Status is "source", "drafted" (written by the team, awaiting a
	// native speaker's review) or "reviewed".
	Status string `toml:"status"`
	// Reviewer names who reviewed a "reviewed" locale.
	Reviewer string `toml:"reviewer"`
}

// RTL reports whether the locale is written right to left.
func (l Locale) RTL() bool { return l.Direction == "rtl" }

// Args is the data a message template is executed with.
type Args map[string]any

// Catalog renders messages in the supported locales. It is safe for
// concurrent use.
type Catalog struct {
	bundle  *goi18n.Bundle
	locales []Locale
	byTag   map[string]Locale
	locs    map[string]*goi18n.Localizer
	matcher language.Matcher
	tags    []string // index → our tag, for matcher results
	log     *slog.Logger
	ids     map[string]map[string]bool // locale → message ids it defines

	fallbacks atomic.Int64
	mu        sync.Mutex
	reported  map[string]bool // lang/id pairs already logged
}

// strict makes a missing template key an error instead of "<no value>".
var strict = &template.TextParser{Option: "missingkey=error"}

// MetaFile lists the locales and their metadata inside the locales folder.
const MetaFile = "locales.toml"

// Load reads the locale metadata and every message file of the listed
// locales from fsys. A message file's locale is named by its file name
// (active.ug.toml, handbook.ug.toml).
func Load(fsys fs.FS, log *slog.Logger) (*Catalog, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	locales, err := readMeta(fsys)
	if err != nil {
		return nil, err
	}
	c := &Catalog{
		bundle:   goi18n.NewBundle(language.MustParse(Source)),
		locales:  locales,
		byTag:    map[string]Locale{},
		locs:     map[string]*goi18n.Localizer{},
		ids:      map[string]map[string]bool{},
		log:      log,
		reported: map[string]bool{},
	}
	c.bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := messageFiles(fsys)
	if err != nil {
		return nil, err
	}
	var supported []language.Tag
	for _, l := range locales {
		c.byTag[l.Tag] = l
		c.ids[l.Tag] = map[string]bool{}
		for _, f := range files[l.Tag] {
			mf, err := c.bundle.LoadMessageFileFS(fsys, f)
			if err != nil {
				return nil, fmt.Errorf("load %s: %w", f, err)
			}
			for _, m := range mf.Messages {
				c.ids[l.Tag][m.ID] = true
			}
		}
		c.locs[l.Tag] = goi18n.NewLocalizer(c.bundle, l.Tag)
		supported = append(supported, language.Make(l.Tag))
		c.tags = append(c.tags, l.Tag)
	}
	c.matcher = language.NewMatcher(supported)
	return c, nil
}

func readMeta(fsys fs.FS) ([]Locale, error) {
	b, err := fs.ReadFile(fsys, MetaFile)
	if err != nil {
		return nil, fmt.Errorf("read locale list: %w", err)
	}
	var meta struct {
		Locale []Locale `toml:"locale"`
	}
	if err := toml.Unmarshal(b, &meta); err != nil {
		return nil, fmt.Errorf("parse %s: %w", MetaFile, err)
	}
	if len(meta.Locale) == 0 || meta.Locale[0].Tag != Source {
		return nil, fmt.Errorf("%s must list %s first", MetaFile, Source)
	}
	for _, l := range meta.Locale {
		if _, err := language.Parse(l.Tag); err != nil {
			return nil, fmt.Errorf("%s: locale %q: %w", MetaFile, l.Tag, err)
		}
	}
	return meta.Locale, nil
}

// messageFiles groups the message files in fsys by the locale their name gives.
func messageFiles(fsys fs.FS) (map[string][]string, error) {
	names, err := fs.Glob(fsys, "*.toml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := map[string][]string{}
	for _, n := range names {
		if n == MetaFile {
			continue
		}
		out[fileTag(n)] = append(out[fileTag(n)], n)
	}
	return out, nil
}

// fileTag returns the locale part of a message file name: the part between
// the last two dots, as go-i18n reads it.
func fileTag(name string) string {
	base := strings.TrimSuffix(path.Base(name), path.Ext(name))
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		return base[i+1:]
	}
	return base
}

// Locales returns the supported locales, the source first.
func (c *Catalog) Locales() []Locale { return c.locales }

// Locale returns a supported locale's metadata.
func (c *Catalog) Locale(tag string) (Locale, bool) {
	l, ok := c.byTag[tag]
	return l, ok
}

// Supported reports whether tag is one of the catalog's locales.
func (c *Catalog) Supported(tag string) bool {
	_, ok := c.byTag[tag]
	return ok
}

// Fallbacks counts how many messages were rendered in Chinese because their
// locale lacked them.
func (c *Catalog) Fallbacks() int64 { return c.fallbacks.Load() }

// T renders message id in lang with args. An unsupported lang renders
// Chinese. A message missing in lang falls back to Chinese and is logged
// once; a message missing everywhere renders as its id, so a resident sees
// something and the check reports it. T never panics.
func (c *Catalog) T(lang, id string, args Args) string {
	return c.render(lang, id, nil, args)
}

// N renders a message whose wording depends on the count n (plural forms);
// n is available to the template as .Count.
func (c *Catalog) N(lang, id string, n int, args Args) string {
	a := Args{"Count": n}
	for k, v := range args {
		a[k] = v
	}
	return c.render(lang, id, n, a)
}

func (c *Catalog) render(lang, id string, count any, args Args) string {
	loc, ok := c.locs[lang]
	if !ok {
		lang, loc = Source, c.locs[Source]
	}
	if c.byTag[lang].RTL() {
		args = isolateLTR(args)
	}
	var data any
	if args != nil {
		data = map[string]any(args)
	}
	text, err := loc.Localize(&goi18n.LocalizeConfig{
		MessageID:      id,
		TemplateData:   data,
		PluralCount:    count,
		TemplateParser: strict,
	})
	if err == nil {
		return text
	}
	var nf *goi18n.MessageNotFoundErr
	if errors.As(err, &nf) && text != "" {
		c.fallbacks.Add(1)
		c.reportOnce(lang, id, "message missing in locale; rendered in Chinese", nil)
		return text
	}
	c.reportOnce(lang, id, "message cannot be rendered", err)
	if lang != Source {
		if t, err := c.locs[Source].Localize(&goi18n.LocalizeConfig{
			MessageID: id, TemplateData: data, PluralCount: count, TemplateParser: strict,
		}); err == nil {
			c.fallbacks.Add(1)
			return t
		}
	}
	return id
}

func (c *Catalog) reportOnce(lang, id, msg string, err error) {
	key := lang + "/" + id
	c.mu.Lock()
	seen := c.reported[key]
	c.reported[key] = true
	c.mu.Unlock()
	if seen {
		return
	}
	if err != nil {
		c.log.Error(msg, "lang", lang, "message_id", id, "err", err)
		return
	}
	c.log.Warn(msg, "lang", lang, "message_id", id)
}

// IDs lists the message IDs lang defines, sorted.
func (c *Catalog) IDs(lang string) []string { return sortedKeys(c.ids[lang]) }

// Has reports whether lang itself, not its fallback, has message id.
func (c *Catalog) Has(lang, id string) bool { return c.ids[lang][id] }

// isolateLTR keeps numbers, ticket numbers, phone numbers and Latin words
// in one left-to-right run inside right-to-left text, by putting a
// left-to-right mark on each side of values without right-to-left letters.
func isolateLTR(args Args) Args {
	out := make(Args, len(args))
	for k, v := range args {
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case int, int64:
			s = fmt.Sprint(v)
		default:
			out[k] = v
			continue
		}
		if s == "" || hasRTL(s) {
			out[k] = v
			continue
		}
		out[k] = "\u200e" + s + "\u200e"
	}
	return out
}
