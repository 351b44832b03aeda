package bot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tongxin/tongxin/i18n"
)

// Option codes carried in step buttons.
const (
	valSkip      = "skip"
	valYes       = "yes"
	valNo        = "no"
	valSubmit    = "submit"
	valRestart   = "restart"
	valNotListed = "other"
)

func (c *conv) flow() *Flow { return Flows[c.s.Flow] }

func (c *conv) step() (Step, int) {
	f := c.flow()
	for i, st := range f.Steps {
		if st.ID == c.s.Step {
			return st, i
		}
	}
	return Step{}, -1
}

func (c *conv) startFlow(id string) {
	c.s.Flow, c.s.Step, c.s.Sub = id, "", ""
	c.s.Answers = map[string]string{}
	c.advance(-1)
}

// advance moves to the first step after index from that applies, or
// finishes the form.
func (c *conv) advance(from int) {
	steps := c.flow().Steps
	for i := from + 1; i < len(steps); i++ {
		if c.applies(steps[i]) {
			c.s.Step, c.s.Sub = steps[i].ID, ""
			c.prompt()
			return
		}
	}
	c.finish()
}

func (c *conv) applies(st Step) bool {
	a := c.s.Answers
	if st.Needs != "" && a["consent_"+st.Needs] != valYes {
		return false
	}
	if st.SkipIfKnown && c.t.Resident.Phone != "" {
		a[st.ID] = c.t.Resident.Phone
		return false
	}
	switch st.ID {
	case "street":
		return a["district"] != ""
	case "community":
		return a["street"] != ""
	}
	return true
}

// prompt asks the current step's question.
func (c *conv) prompt() {
	st, _ := c.step()
	c.s.Seq++
	opt := func(value, label string) Choice { return Choice{Data: stepData(c.s.Seq, value), Label: label} }
	var choices []Choice
	columns, ask := 1, AskNone
	text := c.tr(st.Prompt, nil)
	switch st.Kind {
	case StepChoose:
		for _, code := range st.Options {
			choices = append(choices, opt("o:"+code, c.tr("opt."+st.ID+"."+code, nil)))
		}
	case StepConsent:
		choices = []Choice{opt(valYes, c.tr("consent.yes", nil)), opt(valNo, c.tr("consent.no", nil))}
	case StepPlace:
		places := c.places(st)
		if c.s.Sub == "text" || len(places) == 0 {
			text = c.tr("form.type_place", i18n.Args{"Level": c.tr("level."+st.Level, nil)})
			break
		}
		// Buttons carry an index into the places offered, not the code:
		// a deep code would not fit Telegram's 64 bytes of button data.
		columns = 2
		c.s.Offered = c.s.Offered[:0]
		for i, p := range places {
			c.s.Offered = append(c.s.Offered, p.Code)
			choices = append(choices, opt("p:"+strconv.Itoa(i), c.placeLabel(p)))
		}
		choices = append(choices, opt("o:"+valNotListed, c.tr("form.not_listed", nil)))
	case StepPhone:
		ask = AskPhone
	case StepLocation:
		ask = AskLocation
	case StepConfirm:
		text = c.tr("form.confirm", nil) + "\n\n" + c.summary()
		choices = []Choice{opt(valSubmit, c.tr("form.submit", nil)), opt(valRestart, c.tr("form.restart", nil))}
	}
	if st.Optional {
		choices = append(choices, opt(valSkip, c.tr("form.skip", nil)))
	}
	if !c.flow().Emergency {
		choices = append(choices, Choice{Data: nav("menu"), Label: c.tr("form.cancel", nil)})
	}
	c.say(text, choices, columns, ask)
}

func (c *conv) places(st Step) []Place {
	parent := ""
	switch st.Level {
	case "street":
		parent = c.s.Answers["district"]
	case "community":
		parent = c.s.Answers["street"]
	}
	ps, err := c.t.Actions.Places(c.ctx, parent)
	c.fail(err)
	return ps
}

// placeLabel is a place's Chinese name, with its pinyin for residents who
// read another language, so they can match it to signs and papers.
func (c *conv) placeLabel(p Place) string {
	if c.lang() == i18n.Source || p.Pinyin == "" {
		return p.NameZh
	}
	return p.NameZh + " " + p.Pinyin
}

// answerChoice takes a pressed button of the current step.
func (c *conv) answerChoice(value string) {
	st, i := c.step()
	a := c.s.Answers
	switch {
	case value == valSkip && st.Optional:
		a[st.ID] = ""
	case st.Kind == StepChoose && strings.HasPrefix(value, "o:"):
		code := strings.TrimPrefix(value, "o:")
		if !slices.Contains(st.Options, code) {
			c.prompt()
			return
		}
		a[st.ID] = code
	case st.Kind == StepPlace && value == "o:"+valNotListed:
		c.s.Sub = "text"
		c.prompt()
		return
	case st.Kind == StepPlace && strings.HasPrefix(value, "p:"):
		i, err := strconv.Atoi(strings.TrimPrefix(value, "p:"))
		if err != nil || i < 0 || i >= len(c.s.Offered) {
			c.prompt()
			return
		}
		p, ok := findPlace(c.places(st), c.s.Offered[i])
		if !ok {
			c.prompt()
			return
		}
		a[st.ID], a[st.ID+"_label"] = p.Code, p.NameZh
	case st.Kind == StepConsent && (value == valYes || value == valNo):
		text := c.tr(st.Prompt, nil)
		c.fail(c.t.Actions.RecordConsent(c.ctx, st.Purpose, consentVersion(c.lang(), text), value == valYes))
		a[st.ID] = value
		if value == valNo {
			c.say(c.tr("consent.declined", nil), nil, 0, AskNone)
		}
	case st.Kind == StepConfirm && value == valSubmit:
		c.finish()
		return
	case st.Kind == StepConfirm && value == valRestart:
		c.startFlow(c.s.Flow)
		return
	default:
		c.prompt()
		return
	}
	c.advance(i)
}

// answerText takes a typed answer to the current step. Where the step
// offers choices, a typed number or label picks one.
func (c *conv) answerText(text string) {
	st, i := c.step()
	if v, ok := c.typedChoice(text); ok {
		if target, isNav := strings.CutPrefix(v, "n:"); isNav {
			c.navigate(target)
			return
		}
		if _, value, ok := parseStepData(v); ok {
			c.answerChoice(value)
			return
		}
	}
	a := c.s.Answers
	switch st.Kind {
	case StepChoose, StepConsent, StepConfirm:
		c.say(c.tr("form.pick_one", nil), nil, 0, AskNone)
		c.prompt()
		return
	case StepPlace:
		if len([]rune(text)) > 60 {
			c.retry("form.too_long")
			return
		}
		a[st.ID], a[st.ID+"_note"], a[st.ID+"_label"] = "", text, text
	case StepName:
		name, ok := ValidName(text, st.MaxLen)
		if !ok {
			c.retry("form.invalid_name")
			return
		}
		a[st.ID] = name
	case StepPhone:
		phone, ok := NormalizePhone(text)
		if !ok {
			c.retry("form.invalid_phone")
			return
		}
		c.takePhone(phone)
	case StepIDNumber:
		id, ok := ValidIDNumber(text)
		if !ok {
			c.retry("form.invalid_id")
			return
		}
		a[st.ID] = id
	case StepText, StepLocation:
		if st.MaxLen > 0 && len([]rune(text)) > st.MaxLen {
			c.retry("form.too_long")
			return
		}
		a[st.ID] = text
	}
	c.advance(i)
}

// typedChoice maps a typed number or label to the choice it names among
// those last offered.
func (c *conv) typedChoice(text string) (string, bool) {
	if n, err := strconv.Atoi(text); err == nil && n >= 1 && n <= len(c.s.Menu) {
		return c.s.Menu[n-1].Data, true
	}
	want := i18n.Fold(c.lang(), text)
	for _, ch := range c.s.Menu {
		if i18n.Fold(c.lang(), ch.Label) == want {
			return ch.Data, true
		}
	}
	return "", false
}

func (c *conv) retry(id string) {
	c.say(c.tr(id, nil), nil, 0, AskNone)
	c.prompt()
}

func (c *conv) takePhone(phone string) {
	st, _ := c.step()
	c.s.Answers[st.ID] = phone
	if c.t.Resident.Phone != phone {
		c.fail(c.t.Actions.SetPhone(c.ctx, phone))
		c.t.Resident.Phone = phone
	}
}

// answerInput takes a shared contact or location.
func (c *conv) answerInput(in Inbound) {
	st, i := c.step()
	switch {
	case in.Kind == KindContact && st.Kind == StepPhone:
		if !in.Own {
			c.retry("form.not_own_phone")
			return
		}
		phone, ok := NormalizePhone(in.Phone)
		if !ok {
			c.retry("form.invalid_phone")
			return
		}
		c.takePhone(phone)
	case in.Kind == KindLocation && st.Kind == StepLocation:
		c.s.Answers[st.ID] = fmt.Sprintf("%.5f,%.5f", in.Lat, in.Lon)
	default:
		c.say(c.tr("form.pick_one", nil), nil, 0, AskNone)
		c.prompt()
		return
	}
	c.advance(i)
}

// finish turns the answers into a ticket and tells the resident its number.
func (c *conv) finish() {
	f := c.flow()
	req := Request{Category: f.Category, Fields: map[string]string{}, Sensitive: map[string]string{}, LegalBasis: "request"}
	a := c.s.Answers
	for _, st := range f.Steps {
		v, answered := a[st.ID]
		switch {
		case st.Kind == StepPlace:
			if note := a[st.ID+"_note"]; note != "" {
				req.Fields[st.ID+"_note"] = note
			}
		case !answered || v == "" || st.Kind == StepConfirm:
		case st.Kind == StepConsent:
			req.Fields[st.ID] = v
			if v == valYes {
				req.LegalBasis = "consent"
			}
		case st.Sensitive:
			req.Sensitive[st.ID] = v
		default:
			req.Fields[st.ID] = v
		}
	}
	req.District, req.Street, req.Community = a["district"], a["street"], a["community"]
	if f.Emergency {
		req.LegalBasis = "emergency"
	}
	rc, err := c.t.Actions.OpenTicket(c.ctx, req)
	if err != nil {
		c.fail(err)
		return
	}
	off, err := c.t.Actions.Office(c.ctx, rc.Bureau)
	if err != nil {
		c.fail(err)
		return
	}
	done := "receipt.done"
	switch f.ID {
	case "emergency":
		done = "emergency.done"
	case "general":
		done = "operator.done"
	}
	c.reset()
	c.say(c.tr(done, i18n.Args{
		"Number": rc.Number,
		"Bureau": c.bureauName(rc.Bureau, off.NameZh),
		"Due":    c.date(rc.FirstResponseDue),
	}), []Choice{
		{Data: nav("status"), Label: c.tr("menu.status", nil)},
		{Data: nav("menu"), Label: c.tr("nav.menu", nil)},
	}, 2, AskNone)
}

// summary lists the answers for confirmation. Free-text answers about
// sensitive matters are not repeated, and an ID number is masked.
func (c *conv) summary() string {
	f := c.flow()
	a := c.s.Answers
	lines := []string{c.tr("summary.service", nil) + ": " + c.tr("category."+f.Category, nil)}
	for _, st := range f.Steps {
		v, answered := a[st.ID]
		if !answered || st.Kind == StepConsent || st.Kind == StepConfirm {
			continue
		}
		var shown string
		switch {
		case st.Kind == StepPlace:
			shown = a[st.ID+"_label"]
		case v == "":
			shown = c.tr("summary.none", nil)
		case st.Kind == StepChoose:
			shown = c.tr("opt."+st.ID+"."+v, nil)
		case st.Kind == StepIDNumber:
			shown = MaskID(v)
		case st.Kind == StepText || st.Kind == StepLocation:
			shown = c.tr("summary.given", nil)
		default:
			shown = v
		}
		if shown == "" {
			continue
		}
		lines = append(lines, c.tr("summary."+st.ID, nil)+": "+shown)
	}
	return strings.Join(lines, "\n")
}

func findPlace(ps []Place, code string) (Place, bool) {
	for _, p := range ps {
		if p.Code == code {
			return p, true
		}
	}
	return Place{}, false
}
