package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/i18n"
)

// Engine answers residents. It holds no per-resident state and is safe for
// concurrent use; everything about one conversation comes in a Turn.
type Engine struct {
	cat      *i18n.Catalog
	loc      *time.Location
	keywords map[string][]keyword // locale → keywords
}

// New returns an engine speaking the catalog's locales; times are shown in loc.
func New(cat *i18n.Catalog, loc *time.Location) *Engine {
	if loc == nil {
		loc = time.UTC
	}
	e := &Engine{cat: cat, loc: loc}
	e.keywords = loadKeywords(cat)
	return e
}

// Catalog returns the engine's message catalog.
func (e *Engine) Catalog() *i18n.Catalog { return e.cat }

// Handle answers one inbound event. It changes t.Session in place (the
// caller saves it) and acts through t.Actions. An error comes only from
// Actions; the caller should roll back and retry the event.
func (e *Engine) Handle(ctx context.Context, t *Turn, in Inbound) ([]Outbound, error) {
	if t.Session == nil {
		t.Session = &Session{}
	}
	if t.Session.Answers == nil {
		// A stored session may come back without the map it was saved with.
		t.Session.Answers = map[string]string{}
	}
	c := &conv{e: e, ctx: ctx, t: t, s: t.Session}
	c.handle(in)
	return c.out, c.err
}

// conv is one turn of a conversation. The first error from Actions is kept
// in err and stops further effects; the caller discards the replies.
type conv struct {
	e   *Engine
	ctx context.Context
	t   *Turn
	s   *Session
	out []Outbound
	err error
}

func (c *conv) lang() string {
	if c.t.Resident.Lang != "" {
		return c.t.Resident.Lang
	}
	return i18n.Source
}

// tr renders a message in the resident's language. Where a channel needs
// other words (an SMS cannot be tapped, and costs by length), the message
// "<id>@<channel>" is used when it exists.
func (c *conv) tr(id string, args i18n.Args) string {
	if ch := c.t.Resident.Channel; ch != "" && c.e.cat.Has(i18n.Source, id+"@"+ch) {
		id += "@" + ch
	}
	return c.e.cat.T(c.lang(), id, args)
}

// say queues a message. The choices it offers become the menu a typed
// number refers to.
func (c *conv) say(text string, choices []Choice, columns int, ask Ask) {
	if columns == 0 {
		columns = 1
	}
	c.out = append(c.out, Outbound{Lang: c.lang(), Text: text, Choices: choices, Columns: columns, Ask: ask})
	if len(choices) > 0 {
		c.s.Menu = append(c.s.Menu[:0], choices...)
	}
}

func (c *conv) fail(err error) {
	if c.err == nil && err != nil {
		c.err = err
	}
}

func nav(target string) string { return "n:" + target }

func (c *conv) handle(in Inbound) {
	in.Text = strings.TrimSpace(strings.ToValidUTF8(in.Text, ""))
	if c.s.Expired {
		inForm := c.s.Flow != ""
		c.reset()
		if inForm && c.t.Resident.Lang != "" {
			c.say(c.tr("session.expired", nil), nil, 0, AskNone)
			if _, _, isStep := parseStepData(in.Data); in.Kind == KindChoice && isStep {
				c.mainMenu()
				return
			}
		}
	}
	if c.t.Resident.Lang == "" && !c.chooseLanguage(&in) {
		return
	}
	switch in.Kind {
	case KindCommand:
		target, ok := Commands[strings.ToLower(in.Text)]
		if !ok {
			c.notUnderstood()
			return
		}
		c.navigate(target)
	case KindChoice:
		c.choice(in.Data)
	case KindContact, KindLocation:
		if c.s.Flow == "" {
			c.notUnderstood()
			return
		}
		c.answerInput(in)
	case KindText:
		c.text(in.Text)
	default:
		if c.s.Flow != "" {
			c.say(c.tr("form.need_text", nil), nil, 0, AskNone)
			c.prompt()
			return
		}
		c.say(c.tr("fallback.unsupported", nil), c.mainChoices(), 2, AskNone)
	}
}

// chooseLanguage finds a language for a resident who has none: from the
// channel's confident hint, from the script of what they wrote (said to
// them, with how to change it), or from their answer to the language
// menu. It reports false when it asked and the event is done.
func (c *conv) chooseLanguage(in *Inbound) bool {
	if tag, ok := c.e.cat.Match(in.LangHint); ok {
		c.setLanguage(tag)
		return true
	}
	if in.Kind == KindText {
		if data, ok := c.typedChoice(in.Text); ok {
			*in = Inbound{Kind: KindChoice, Data: data}
		} else if tag, ok := i18n.Detect(in.Text); ok && c.e.cat.Supported(tag) {
			c.setLanguage(tag)
			c.say(c.tr("lang.guessed", nil), nil, 0, AskNone)
			if _, asked := c.e.match(tag, in.Text); asked {
				return true
			}
			// A first "hello": greet, rather than say it was not understood.
			c.say(c.tr("welcome", nil), c.mainChoices(), 2, AskNone)
			return false
		}
	}
	if in.Kind == KindCommand && (in.Text == "unsubscribe" || in.Text == "resubscribe") {
		return true // answered in Chinese, the fallback, rather than not at all
	}
	if in.Kind == KindChoice && strings.HasPrefix(in.Data, nav("setlang:")) {
		return true
	}
	// Until a language is chosen, only the language menu answers.
	c.languageMenu()
	return false
}

func (c *conv) reset() {
	c.s.Flow, c.s.Step, c.s.Sub, c.s.Answers = "", "", "", nil
	c.s.Expired = false
}

// navigate goes to a place of the conversation that does not depend on
// where the resident was: a menu, a handbook chapter, the start of a form.
func (c *conv) navigate(target string) {
	name, arg, _ := strings.Cut(target, ":")
	if c.s.Flow != "" && name != "lang" && name != "setlang" {
		c.reset()
		if name != "unsubscribe" {
			c.say(c.tr("form.cancelled", nil), nil, 0, AskNone)
		}
	}
	switch name {
	case "start":
		c.say(c.tr("welcome", nil), c.mainChoices(), 2, AskNone)
	case "menu":
		c.mainMenu()
	case "lang":
		c.languageMenu()
	case "setlang":
		if !c.e.cat.Supported(arg) {
			c.languageMenu()
			return
		}
		c.setLanguage(arg)
		c.say(c.tr("lang.set", nil), nil, 0, AskNone)
		if c.s.Flow != "" {
			c.prompt()
			return
		}
		c.mainMenu()
	case "hb":
		if arg == "" {
			c.serviceList("hb.title", "hb:")
			return
		}
		sections := HandbookSections
		if c.t.Resident.Metered {
			sections = briefSections
		}
		c.article(arg, sections)
	case "hbm":
		c.article(arg, moreSections)
	case "req":
		c.serviceList("req.title", "form:")
	case "form":
		if _, ok := Flows[arg]; !ok {
			c.mainMenu()
			return
		}
		c.startFlow(arg)
	case "status":
		c.status()
	case "help":
		c.say(c.tr("help.text", nil), c.mainChoices(), 2, AskNone)
	case "unsubscribe":
		// The channel has already stopped messages to the resident; this
		// one confirmation still goes out.
		c.say(c.tr("optout.done", nil), nil, 0, AskNone)
	case "resubscribe":
		c.say(c.tr("optout.undone", nil), c.mainChoices(), 2, AskNone)
	default:
		c.mainMenu()
	}
}

func (c *conv) setLanguage(tag string) {
	c.fail(c.t.Actions.SetLanguage(c.ctx, tag))
	c.t.Resident.Lang = tag
}

func (c *conv) mainChoices() []Choice {
	items := []struct{ id, target string }{
		{"menu.handbook", "hb"}, {"menu.request", "req"},
		{"menu.status", "status"}, {"menu.operator", "form:general"},
		{"menu.emergency", "form:emergency"}, {"menu.lang", "lang"},
		{"menu.help", "help"},
	}
	out := make([]Choice, len(items))
	for i, it := range items {
		out[i] = Choice{Data: nav(it.target), Label: c.tr(it.id, nil)}
	}
	return out
}

func (c *conv) mainMenu() { c.say(c.tr("menu.title", nil), c.mainChoices(), 2, AskNone) }

// languageMenu asks for a language in every language, each in its own
// script, so that a resident who reads none of the others finds theirs.
// The emergency numbers come first: someone in danger may not get further.
func (c *conv) languageMenu() {
	lines := []string{"🚨 110 · 119 · 120"}
	var choices []Choice
	for _, l := range c.e.cat.Locales() {
		lines = append(lines, c.e.cat.T(l.Tag, "lang.prompt", nil))
		choices = append(choices, Choice{Data: nav("setlang:" + l.Tag), Label: l.Native})
	}
	c.say(strings.Join(lines, "\n"), choices, 2, AskNone)
}

func (c *conv) serviceList(title, prefix string) {
	var choices []Choice
	for _, svc := range Services {
		choices = append(choices, Choice{Data: nav(prefix + svc), Label: c.tr("category."+svc, nil)})
	}
	choices = append(choices, Choice{Data: nav("menu"), Label: c.tr("nav.menu", nil)})
	c.say(c.tr(title, nil), choices, 2, AskNone)
}

// article shows sections of one handbook chapter: what the service is,
// who may use it, what to bring, where to go and which number to call.
// When some sections are left out, a choice offers them.
func (c *conv) article(svc string, sections []string) {
	if _, ok := serviceBureau[svc]; !ok {
		c.serviceList("hb.title", "hb:")
		return
	}
	var b strings.Builder
	b.WriteString("📖 " + c.tr("category."+svc, nil))
	for _, sec := range sections {
		b.WriteString("\n\n▪ " + c.tr("hb.section."+sec, nil) + "\n")
		b.WriteString(c.tr("handbook."+svc+"."+sec, nil))
		if sec == "where" {
			b.WriteString("\n" + c.officeLines(serviceBureau[svc]))
		}
	}
	choices := []Choice{{Data: nav("form:" + svc), Label: c.tr("hb.request", nil)}}
	if len(sections) == len(briefSections) && sections[0] == briefSections[0] {
		more := make([]string, len(moreSections))
		for i, sec := range moreSections {
			more[i] = c.tr("hb.section."+sec, nil)
		}
		choices = append(choices, Choice{Data: nav("hbm:" + svc), Label: "📄 " + strings.Join(more, " · ")})
	}
	choices = append(choices,
		Choice{Data: nav("hb"), Label: c.tr("nav.handbook", nil)},
		Choice{Data: nav("menu"), Label: c.tr("nav.menu", nil)},
	)
	c.say(b.String(), choices, 1, AskNone)
}

// officeLines gives a bureau's name in the resident's language and in
// Chinese (people show it at a window), and its address, hours and phone
// where the commission has entered them.
func (c *conv) officeLines(bureau string) string {
	off, err := c.t.Actions.Office(c.ctx, bureau)
	if err != nil {
		c.fail(err)
		return ""
	}
	lines := []string{"🏢 " + c.bureauName(bureau, off.NameZh)}
	if off.Address != "" {
		lines = append(lines, c.tr("handbook.office_address", i18n.Args{"Address": off.Address}))
	}
	if off.Hours != "" {
		lines = append(lines, c.tr("handbook.office_hours", i18n.Args{"Hours": off.Hours}))
	}
	if off.Phone != "" {
		lines = append(lines, c.tr("handbook.office_phone", i18n.Args{"Phone": off.Phone}))
	}
	if off.Address == "" && off.Phone == "" {
		lines = append(lines, c.tr("handbook.office_unknown", nil))
	}
	return strings.Join(lines, "\n")
}

// bureauName is the bureau's name in the resident's language followed by
// its Chinese name.
func (c *conv) bureauName(code, nameZh string) string {
	local := c.tr("bureau."+code, nil)
	if nameZh == "" || c.lang() == i18n.Source {
		if nameZh != "" {
			return nameZh
		}
		return local
	}
	return local + " (" + nameZh + ")"
}

func (c *conv) status() {
	tickets, err := c.t.Actions.Tickets(c.ctx)
	if err != nil {
		c.fail(err)
		return
	}
	if len(tickets) == 0 {
		c.say(c.tr("status.none", nil), c.mainChoices(), 2, AskNone)
		return
	}
	const shown = 10
	lines := []string{c.e.cat.N(c.lang(), "status.header", len(tickets), nil)}
	for i, t := range tickets {
		if i == shown {
			break
		}
		lines = append(lines, c.tr("status.line", i18n.Args{
			"Number":   t.Number,
			"Category": c.tr("category."+t.Category, nil),
			"Status":   c.tr("status_name."+t.Status, nil),
			"Date":     c.date(t.CreatedAt),
		}))
	}
	c.say(strings.Join(lines, "\n"), []Choice{{Data: nav("menu"), Label: c.tr("nav.menu", nil)}}, 1, AskNone)
}

func (c *conv) date(t time.Time) string {
	t = t.In(c.e.loc)
	return c.tr("time.datetime", i18n.Args{"Month": int(t.Month()), "Day": t.Day(), "Time": t.Format("15:04")})
}

// choice handles a pressed button.
func (c *conv) choice(data string) {
	if target, ok := strings.CutPrefix(data, "n:"); ok {
		c.navigate(target)
		return
	}
	seq, value, ok := parseStepData(data)
	if !ok {
		c.notUnderstood()
		return
	}
	if c.s.Flow == "" {
		c.say(c.tr("session.stale", nil), c.mainChoices(), 2, AskNone)
		return
	}
	if seq != c.s.Seq {
		c.say(c.tr("session.stale_step", nil), nil, 0, AskNone)
		c.prompt()
		return
	}
	c.answerChoice(value)
}

func stepData(seq int, value string) string { return "f" + strconv.Itoa(seq) + ":" + value }

func parseStepData(data string) (int, string, bool) {
	rest, ok := strings.CutPrefix(data, "f")
	if !ok {
		return 0, "", false
	}
	num, value, ok := strings.Cut(rest, ":")
	seq, err := strconv.Atoi(num)
	if !ok || err != nil {
		return 0, "", false
	}
	return seq, value, true
}

// text handles a typed message.
func (c *conv) text(text string) {
	switch text {
	case "0":
		c.navigate("menu")
		return
	case "#":
		c.navigate("lang")
		return
	}
	if c.s.Flow != "" {
		c.answerText(text)
		return
	}
	if data, ok := c.typedChoice(text); ok {
		c.choice(data)
		return
	}
	c.suggest(text)
}

func (c *conv) notUnderstood() {
	choices := []Choice{
		{Data: nav("menu"), Label: c.tr("nav.menu", nil)},
		{Data: nav("form:general"), Label: c.tr("menu.operator", nil)},
		{Data: nav("hb"), Label: c.tr("menu.handbook", nil)},
	}
	c.say(c.tr("fallback.unknown", nil), choices, 1, AskNone)
}

// MaskID shows only the last four characters of an ID number.
func MaskID(id string) string {
	r := []rune(id)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	return strings.Repeat("*", len(r)-4) + string(r[len(r)-4:])
}

// consentVersion identifies the exact consent text shown: its language and
// a hash of its words.
func consentVersion(lang, text string) string {
	sum := sha256.Sum256([]byte(text))
	return lang + "@" + hex.EncodeToString(sum[:6])
}
