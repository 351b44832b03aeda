// Package notify sends template notifications through mainland SMS
// gateways, which send only pre-approved templates: a signature (shown as
// 【…】), a template code and the template's variables. Residents who can
// get no free-text reply (a caller of the voice line; an SMS resident where
// the gateway is template-only) are told this way that their request was
// received, that it was answered, and asked how satisfied they are.
//
// The template file is TOML:
//
//	signature = "营口民委"
//
//	[ticket_received.zh-Hans]
//	code = "SMS_000001"
//	variables = ["number", "due"]
//
//	[ticket_received.ug]
//	code = "SMS_000002"
//	variables = ["number"]
//
// Kinds are ticket_received, ticket_answered and satisfaction; each needs
// a zh-Hans template, which also serves a locale without its own.
// Variables are number (the ticket number), due (first-response due time),
// bureau (the bureau's Chinese name) and hotline (the commission's number,
// configured).
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/tongxin/tongxin/internal/hotline"
)

// Template kinds.
const (
	TicketReceived = "ticket_received"
	TicketAnswered = "ticket_answered"
	Satisfaction   = "satisfaction"
)

// Kinds lists every template kind.
var Kinds = []string{TicketReceived, TicketAnswered, Satisfaction}

// Variables a template may use.
var Variables = []string{"number", "due", "bureau", "hotline"}

// Template is one approved template of the gateway.
type Template struct {
	Code      string   `toml:"code"`
	Variables []string `toml:"variables"`
}

// Templates are the approved templates, by kind and locale.
type Templates struct {
	Signature string
	Kinds     map[string]map[string]Template
}

// Load reads and checks a template file, reporting every problem.
func Load(path string) (*Templates, error) {
	var raw map[string]any
	if _, err := toml.DecodeFile(path, &raw); err != nil {
		return nil, fmt.Errorf("read templates %s: %w", path, err)
	}
	t := &Templates{Kinds: map[string]map[string]Template{}}
	var problems []error
	for key, v := range raw {
		if key == "signature" {
			t.Signature, _ = v.(string)
			continue
		}
		if !slices.Contains(Kinds, key) {
			problems = append(problems, fmt.Errorf("unknown template kind %q (want one of %v)", key, Kinds))
			continue
		}
		locales, ok := v.(map[string]any)
		if !ok {
			problems = append(problems, fmt.Errorf("%s: want a table of locales", key))
			continue
		}
		t.Kinds[key] = map[string]Template{}
		for lang, tv := range locales {
			var tpl Template
			b, _ := toml.Marshal(tv)
			if err := toml.Unmarshal(b, &tpl); err != nil || tpl.Code == "" {
				problems = append(problems, fmt.Errorf("%s.%s: needs a code", key, lang))
				continue
			}
			for _, name := range tpl.Variables {
				if !slices.Contains(Variables, name) {
					problems = append(problems, fmt.Errorf("%s.%s: unknown variable %q (want some of %v)", key, lang, name, Variables))
				}
			}
			t.Kinds[key][lang] = tpl
		}
	}
	if t.Signature == "" {
		problems = append(problems, errors.New("signature is required"))
	}
	for _, k := range Kinds {
		if _, ok := t.Kinds[k]["zh-Hans"]; !ok {
			problems = append(problems, fmt.Errorf("%s needs a zh-Hans template", k))
		}
	}
	sort.Slice(problems, func(i, j int) bool { return problems[i].Error() < problems[j].Error() })
	if err := errors.Join(problems...); err != nil {
		return nil, fmt.Errorf("templates %s:\n%w", path, err)
	}
	return t, nil
}

// Message is an outbox payload: one template to send.
type Message struct {
	Phone     string            `json:"phone"`
	Signature string            `json:"signature"`
	Template  string            `json:"template"`
	Kind      string            `json:"kind"`
	Params    map[string]string `json:"params"`
}

// Notifier queues template notifications.
type Notifier struct {
	Templates *Templates
	// FreeTextSMS says SMS residents can be answered in free text (a
	// Twilio-compatible gateway); then only voice callers need templates.
	FreeTextSMS bool
	// Hotline is the number residents can call, for the hotline variable.
	Hotline  string
	Location *time.Location
}

// TemplateOnly reports whether a resident who came on channel can be
// reached only by template.
func (n *Notifier) TemplateOnly(channel string) bool {
	return channel == hotline.ChannelVoice || channel == hotline.ChannelSMS && !n.FreeTextSMS
}

// Enqueue queues a notification of kind about ticket t, in tx, to the
// resident's phone, in their language (or Chinese). It queues nothing, and
// reports false, when the resident has no phone or opted out of SMS.
func (n *Notifier) Enqueue(ctx context.Context, tx hotline.Tx, t *hotline.Ticket, kind string, now time.Time) (bool, error) {
	tpl, ok := n.Templates.Kinds[kind][t.Language]
	if !ok {
		tpl, ok = n.Templates.Kinds[kind]["zh-Hans"]
	}
	if !ok {
		return false, fmt.Errorf("no %s template", kind)
	}
	res, err := tx.FindResidentByID(ctx, t.ResidentID)
	if err != nil {
		return false, fmt.Errorf("notify: find resident: %w", err)
	}
	if res.Phone == "" {
		return false, nil
	}
	st, err := tx.FindAddressState(ctx, hotline.Address{Channel: hotline.ChannelSMS, ID: res.Phone})
	if err == nil && st.OptedOutAt != nil {
		return false, nil
	}
	loc := n.Location
	if loc == nil {
		loc = time.UTC
	}
	params := map[string]string{}
	for _, name := range tpl.Variables {
		switch name {
		case "number":
			params[name] = t.Number
		case "due":
			params[name] = t.FirstResponseDue.In(loc).Format("01-02 15:04")
		case "hotline":
			params[name] = n.Hotline
		case "bureau":
			b, err := tx.FindBureau(ctx, t.Bureau)
			if err != nil {
				return false, fmt.Errorf("notify: find bureau: %w", err)
			}
			params[name] = b.NameZh
		}
	}
	payload, err := json.Marshal(Message{Phone: res.Phone, Signature: n.Templates.Signature, Template: tpl.Code, Kind: kind, Params: params})
	if err != nil {
		return false, err
	}
	m := &hotline.Outbox{
		Channel: hotline.ChannelSMSTemplate, Address: res.Phone, ResidentID: res.ID,
		Payload: payload, Segments: 1, CreatedAt: now, NextAttemptAt: now,
	}
	if err := tx.EnqueueOutbox(ctx, m); err != nil {
		return false, fmt.Errorf("notify: queue: %w", err)
	}
	return true, nil
}

// LoadOrNil loads templates from path, or returns nil for an empty path.
func LoadOrNil(path string) (*Templates, error) {
	if path == "" {
		return nil, nil
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	return Load(path)
}
