// Package voice is Tongxin's telephone line: an IVR on Twilio-compatible
// voice webhooks. A caller picks a language and a service by digit, hears
// the emergency numbers (9, which also opens an urgent callback ticket), or
// leaves a recorded message or asks for a call back; either becomes a
// ticket. Calls that end without a ticket become callback tasks in the
// commission's queue.
//
// # Wiring
//
//	h := &voice.Handler{Store: store, Catalog: cat, Sessions: sessions,
//		Opener: opener, AuthToken: token, PublicURL: "https://hotline.example.cn",
//		PromptsDir: "/var/lib/tongxin/prompts", Log: log}
//	mux.Handle("POST "+voice.WebhookPath, h)
//	mux.HandleFunc("POST "+voice.StatusPath, h.Status)
//	mux.Handle("GET "+voice.PromptsPath+"{file...}", h.Prompts())
//
// At the gateway, the number's voice URL is PublicURL+WebhookPath and its
// status callback URL PublicURL+StatusPath. Every step of a call comes back
// to WebhookPath with the step in the query string (?step=lang), which the
// gateway signs with the rest of the URL.
//
// # Languages and prompts
//
// The welcome is spoken in Chinese, then every language offers itself in
// its own words ("press 2"), in the catalog's menu order. The menu is
// offered on every call, even when the caller chose a language before: a
// phone is often shared by a family, and the digits stay the same, so
// regular callers learn them. The choice is saved on the caller's resident.
//
// Chinese and Korean are spoken by text-to-speech (<Say> cmn-CN and ko-KR);
// a Korean message not yet translated is spoken in Chinese. The other
// languages have no voice, so their prompts are audio files recorded by a
// native speaker, played from PromptsDir through the Prompts handler:
//
//	<locale>/<message id>.mp3           ug/voice.consent.mp3
//	<locale>/<message id>-<digit>.mp3   ug/voice.menu_item-3.mp3 (third service)
//	                                    ug/voice.press_for_lang-2.mp3
//
// (.wav is accepted too). A missing file is spoken in Chinese instead. A
// ticket number cannot be in a recording: it is read in Chinese, digit by
// digit, right after voice.recorded or voice.callback_done. Script lists
// the files a language needs with the text to read.
package voice

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/i18n"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/tickets"
	"github.com/tongxin/tongxin/internal/twilio"
)

// Routes the handler answers; URLs in TwiML are PublicURL plus these.
const (
	WebhookPath = "/webhooks/voice/twilio"
	StatusPath  = "/webhooks/voice/twilio/status"
	PromptsPath = "/voice/prompts/"
)

// ConsentPurpose is the purpose of the consent a caller gives by choosing
// to leave a recorded message after the notice.
const ConsentPurpose = "voice_recording"

// Call state kept in the Answers of the session "voice:"+CallSid, and limits.
const (
	keyLang     = "lang"
	keyCategory = "category"
	keyTicket   = "ticket"   // the one ticket a call may open
	keyConsent  = "consent"  // version of the notice last spoken
	keyGranted  = "granted"  // version of the consent recorded
	maxTries    = 3          // a menu is offered twice; the third time without input ends the call
	recordLimit = 120        // seconds of a voice message
	gatherWait  = 6          // seconds to wait for a digit
	ticketScan  = 50         // a resident's newest tickets searched for this call's ticket
	operatorKey = "0"        // talks to the commission: category general
	emergency   = "9"        // the emergency choice of the service menu
	flow        = "voice"    // bot.Session.Flow of a call
	sayChinese  = "cmn-CN"   // <Say> language of the Chinese voice
	lockStripes = 32         // per-call locks
	unknownID   = "withheld" // address prefix of a caller without a number
)

// Handler is the voice line. Build it with a struct literal (see the package
// doc); Log and Now may be nil. It must not be copied after first use.
type Handler struct {
	Store   hotline.Store
	Catalog *i18n.Catalog
	// Sessions keeps the state of calls in progress. When it also has
	// PutTx (sqlite.Sessions), the state commits with the call's tickets.
	Sessions bot.Sessions
	Opener   tickets.Opener
	// AuthToken checks X-Twilio-Signature over PublicURL (the base the
	// gateway is configured with, scheme, host and any path prefix) plus
	// the request's path and query.
	AuthToken string
	PublicURL string
	// PromptsDir holds the recorded prompts of languages without a voice;
	// empty means none: they are spoken in Chinese.
	PromptsDir string
	Log        *slog.Logger
	Now        func() time.Time

	locks [lockStripes]sync.Mutex
}

// txSessions is a session store that can save inside a transaction.
type txSessions interface {
	PutTx(ctx context.Context, tx hotline.Tx, key string, s *bot.Session) error
}

// call is one webhook request of a call being answered.
type call struct {
	h       *Handler
	ctx     context.Context
	tx      hotline.Tx
	res     *hotline.Resident
	sid     string
	phone   string // E.164, or empty when the number is withheld
	st      *bot.Session
	now     time.Time
	out     []twilio.Verb
	created *hotline.Ticket // opened by this request
}

// ServeHTTP answers every step of a call with TwiML. It answers 403 for a
// missing or forged signature, 413 for a body over the limit and 400 for a
// request without CallSid or From. When the call cannot be handled (the
// store is down), the caller hears that the line cannot take the call and
// the emergency numbers, rather than the gateway's error message. The request is recorded as an inbound
// event before anything is done; a duplicate (a gateway retry) gets the
// same answer and never a second ticket. A later step whose call state
// lapsed starts the call over.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	form, ok := h.verify(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	step := q.Get("step")
	if step == "" {
		step = "start"
	}
	try, _ := strconv.Atoi(q.Get("try"))
	try = max(try, 1)
	input := form.Get("Digits")
	if step == "recorded" {
		input = form.Get("RecordingSid")
	}
	ext := fmt.Sprintf("%s:%s:%d:%s", form.Get("CallSid"), step, try, input)
	c, err := h.handle(r.Context(), form, ext, func(c *call) error { return c.step(step, try, form) })
	if err != nil {
		// A caller must never hear a gateway's error message: say, in
		// Chinese, that the line cannot take the call, and which numbers
		// to call in danger.
		h.log().Error("voice webhook", "call_sid", form.Get("CallSid"), "step", step, "err", err)
		say := twilio.Say{Language: sayChinese, Text: h.Catalog.T(i18n.Source, "voice.unavailable", nil)}
		(&twilio.Response{Verbs: []twilio.Verb{say, twilio.Hangup{}}}).ServeHTTP(w, r)
		return
	}
	(&twilio.Response{Verbs: c.out}).ServeHTTP(w, r)
}

// Status is the call status callback: a call that ends (completed, busy,
// no-answer, failed, canceled) without a ticket becomes a callback task, a
// general ticket in the commission's queue with reason "missed" (not
// answered, or no language chosen) or "abandoned" (the caller left the
// menus). A call opens at most one ticket, so a repeated callback, or one
// for a call that opened a ticket, adds nothing. Errors as for ServeHTTP.
func (h *Handler) Status(w http.ResponseWriter, r *http.Request) {
	form, ok := h.verify(w, r)
	if !ok {
		return
	}
	status := form.Get("CallStatus")
	_, err := h.handle(r.Context(), form, form.Get("CallSid")+":status:"+status, func(c *call) error {
		return c.ended(status)
	})
	if err != nil {
		h.log().Error("voice status callback", "call_sid", form.Get("CallSid"), "err", err)
		http.Error(w, "cannot take the status now", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// verify checks the signature and the fields every request has, answering
// the error itself.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil, false
	}
	form, err := twilio.VerifyRequest(h.AuthToken, h.PublicURL, r)
	switch {
	case errors.Is(err, twilio.ErrSignature):
		h.log().Warn("voice webhook: bad signature", "remote", r.RemoteAddr)
		http.Error(w, "forbidden", http.StatusForbidden)
	case errors.Is(err, twilio.ErrTooLarge):
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
	case err != nil:
		http.Error(w, "bad request", http.StatusBadRequest)
	case form.Get("CallSid") == "" || form.Get("From") == "":
		http.Error(w, "CallSid and From are required", http.StatusBadRequest)
	default:
		return form, true
	}
	return nil, false
}

// handle records the request as an inbound event, then runs fn in one
// transaction with the caller's resident, the call state and the event's
// processing mark. Requests of one call run one at a time.
func (h *Handler) handle(ctx context.Context, form url.Values, ext string, fn func(*call) error) (*call, error) {
	sid, from := form.Get("CallSid"), form.Get("From")
	now := h.now()
	in := &hotline.Inbound{Channel: hotline.ChannelVoice, ExtID: ext, Address: from, Payload: []byte(form.Encode()), ReceivedAt: now}
	dup, err := h.Store.RecordInbound(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("record voice request %s: %w", ext, err)
	}

	lock := &h.locks[stripe(sid)]
	lock.Lock()
	defer lock.Unlock()
	key := "voice:" + sid
	st, err := h.Sessions.Get(ctx, key)
	if err != nil {
		// The call goes on from the start rather than failing.
		h.log().Warn("read call state", "call_sid", sid, "err", err)
	}
	if err != nil || st == nil || st.Expired {
		st = &bot.Session{Flow: flow}
	}
	if st.Answers == nil {
		st.Answers = map[string]string{}
	}
	c := &call{h: h, ctx: ctx, sid: sid, st: st, now: now}
	phone, ok := bot.NormalizePhone(from)
	addr := hotline.Address{Channel: hotline.ChannelVoice, ID: phone}
	if ok {
		c.phone = phone
	} else {
		// Withheld numbers arrive as made-up ones; callers stay apart.
		addr.ID = unknownID + ":" + sid
	}
	txs, inTx := h.Sessions.(txSessions)
	err = h.Store.Update(ctx, func(tx hotline.Tx) error {
		c.tx, c.out, c.created = tx, nil, nil
		var err error
		if c.res, err = resident(ctx, tx, addr, c.phone, now); err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		if !dup {
			if err := tx.MarkInboundProcessed(ctx, in.ID, "", now); err != nil {
				return fmt.Errorf("mark voice request processed: %w", err)
			}
		}
		if inTx {
			return txs.PutTx(ctx, tx, key, st)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if c.created != nil {
		h.log().Info("voice ticket opened", "call_sid", sid, "ticket", c.created.Number, "category", c.created.Category, "lang", c.created.Language)
	}
	if !inTx {
		if err := h.Sessions.Put(ctx, key, st); err != nil {
			return nil, fmt.Errorf("save call state: %w", err)
		}
	}
	return c, nil
}

// resident finds or creates the caller's resident, keeping its phone.
func resident(ctx context.Context, tx hotline.Tx, a hotline.Address, phone string, now time.Time) (*hotline.Resident, error) {
	res, err := tx.FindResidentByAddress(ctx, a)
	if errors.Is(err, hotline.ErrNotFound) {
		res = &hotline.Resident{Phone: phone, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateResident(ctx, res, a); err != nil {
			return nil, fmt.Errorf("create caller's resident: %w", err)
		}
		return res, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find caller's resident: %w", err)
	}
	if phone != "" && res.Phone != phone {
		res.Phone, res.UpdatedAt = phone, now
		if err := tx.UpdateResident(ctx, res); err != nil {
			return nil, fmt.Errorf("save caller's phone: %w", err)
		}
	}
	return res, nil
}

// step answers one step of the call.
func (c *call) step(step string, try int, form url.Values) error {
	lang, cat := c.st.Answers[keyLang], c.st.Answers[keyCategory]
	digits := form.Get("Digits")
	// A later step without its state (the session lapsed) starts over.
	if (lang == "" && slices.Contains([]string{"menu", "service", "options", "choice"}, step)) ||
		(cat == "" && slices.Contains([]string{"options", "choice"}, step)) {
		step, try = "start", 1
	}
	c.st.Step = step
	switch step {
	case "lang":
		locales := c.h.Catalog.Locales()
		n, err := strconv.Atoi(digits)
		if err != nil || len(digits) != 1 || n < 1 || n > len(locales) {
			c.say(i18n.Source, "voice.invalid", args{})
			c.langMenu(1)
			return nil
		}
		lang = locales[n-1].Tag
		c.st.Answers[keyLang] = lang
		if c.res.Lang != lang {
			c.res.Lang, c.res.UpdatedAt = lang, c.now
			if err := c.tx.UpdateResident(c.ctx, c.res); err != nil {
				return fmt.Errorf("save caller's language: %w", err)
			}
		}
		c.serviceMenu(lang, 1)
	case "service":
		if digits == emergency {
			c.say(lang, "voice.emergency", args{})
			if _, err := c.open(hotline.CategoryEmergency, "emergency", "pressed 9 for an emergency",
				map[string]string{"callback": "yes"}, nil); err != nil {
				return err
			}
			c.say(lang, "voice.emergency_callback", args{})
			c.say(lang, "voice.goodbye", args{})
			c.out = append(c.out, twilio.Hangup{})
			return nil
		}
		picked := choice(digits)
		if picked == "" {
			c.say(lang, "voice.invalid", args{})
			c.serviceMenu(lang, 1)
			return nil
		}
		c.st.Answers[keyCategory] = picked
		c.options(lang, 1)
	case "choice":
		switch digits {
		case "1":
			if err := c.consent(lang); err != nil {
				return err
			}
			c.say(lang, "voice.record_prompt", args{})
			beep := true
			c.out = append(c.out,
				twilio.Record{Action: c.h.url("recorded", 1), MaxLength: recordLimit, FinishOnKey: "#", PlayBeep: &beep},
				// Reached when nothing was recorded: then a call back.
				twilio.Redirect{URL: c.h.url("recorded", 2)})
		case "2":
			return c.callback(lang, cat, "asked for a call back")
		default:
			c.say(lang, "voice.invalid", args{})
			c.options(lang, 1)
		}
	case "recorded":
		if lang == "" {
			lang = cmp.Or(c.res.Lang, i18n.Source)
		}
		cat = cmp.Or(cat, hotline.CategoryGeneral)
		rec, dur := form.Get("RecordingUrl"), form.Get("RecordingDuration")
		if rec == "" || dur == "0" {
			return c.callback(lang, cat, "left an empty voice message")
		}
		t, err := c.open(cat, "consent", "left a voice message",
			map[string]string{"callback": "no", "recording_duration": dur, "recording_sid": form.Get("RecordingSid")},
			map[string]string{"recording": rec})
		if err != nil {
			return err
		}
		c.say(lang, "voice.recorded", args{number: t.Number})
		c.say(lang, "voice.goodbye", args{})
		c.out = append(c.out, twilio.Hangup{})
	case "menu", "options", "start":
		if try >= maxTries {
			c.say(cmp.Or(lang, i18n.Source), "voice.no_input", args{})
			c.say(cmp.Or(lang, i18n.Source), "voice.goodbye", args{})
			c.out = append(c.out, twilio.Hangup{})
			return nil
		}
		if try > 1 {
			c.say(cmp.Or(lang, i18n.Source), "voice.no_input", args{})
		}
		switch step {
		case "menu":
			c.serviceMenu(lang, try)
		case "options":
			c.options(lang, try)
		default:
			c.langMenu(try)
		}
	default:
		c.st.Step = "start"
		c.langMenu(1)
	}
	return nil
}

// langMenu offers every language in its own words, after the welcome on
// the first time.
func (c *call) langMenu(try int) {
	g := twilio.Gather{NumDigits: 1, Timeout: gatherWait, Action: c.h.url("lang", 1)}
	if try == 1 && c.st.Step == "start" {
		g.Children, _, _ = c.h.prompt(i18n.Source, "voice.welcome", args{})
	}
	for i, l := range c.h.Catalog.Locales() {
		ns, _, _ := c.h.prompt(l.Tag, "voice.press_for_lang", args{digit: i + 1})
		g.Children = append(g.Children, ns...)
	}
	c.out = append(c.out, g, twilio.Redirect{URL: c.h.url("start", try+1)})
}

// serviceMenu offers the services: 1–8, 9 emergency, 0 anything else.
func (c *call) serviceMenu(lang string, try int) {
	g := twilio.Gather{NumDigits: 1, Timeout: gatherWait, Action: c.h.url("service", 1)}
	add := func(id string, a args) {
		ns, _, _ := c.h.prompt(lang, id, a)
		g.Children = append(g.Children, ns...)
	}
	add("voice.menu_intro", args{})
	for i, svc := range services() {
		add("voice.menu_item", args{digit: i + 1, service: svc})
	}
	add("voice.menu_emergency", args{})
	add("voice.menu_operator", args{})
	c.out = append(c.out, g, twilio.Redirect{URL: c.h.url("menu", try+1)})
}

// options gives the consent notice, then offers a message or a call back.
// The notice is outside the Gather so that a key press cannot skip it.
func (c *call) options(lang string, try int) {
	ns, spoken, text := c.h.prompt(lang, "voice.consent", args{})
	c.add(ns)
	c.st.Answers[keyConsent] = spoken + "@" + shortHash(text)
	g := twilio.Gather{NumDigits: 1, Timeout: gatherWait, Action: c.h.url("choice", 1)}
	g.Children, _, _ = c.h.prompt(lang, "voice.record_or_callback", args{})
	c.out = append(c.out, g, twilio.Redirect{URL: c.h.url("options", try+1)})
}

// consent records that the caller chose to be recorded after the notice.
func (c *call) consent(lang string) error {
	version := c.st.Answers[keyConsent]
	if c.st.Answers[keyGranted] == version {
		return nil // a retry of this step
	}
	spoken, _, _ := strings.Cut(version, "@")
	err := c.tx.RecordConsent(c.ctx, &hotline.Consent{ResidentID: c.res.ID, Purpose: ConsentPurpose,
		Version: version, Lang: cmp.Or(spoken, lang), Channel: hotline.ChannelVoice, Granted: true, CreatedAt: c.now})
	if err != nil {
		return fmt.Errorf("record consent to recording: %w", err)
	}
	c.st.Answers[keyGranted] = version
	return nil
}

// callback opens a callback ticket and reads its number out.
func (c *call) callback(lang, cat, how string) error {
	t, err := c.open(cat, "request", how, map[string]string{"callback": "yes"}, nil)
	if err != nil {
		return err
	}
	c.say(lang, "voice.callback_done", args{number: t.Number})
	c.say(lang, "voice.goodbye", args{})
	c.out = append(c.out, twilio.Hangup{})
	return nil
}

// ended handles the call's final status.
func (c *call) ended(status string) error {
	switch status {
	case "completed", "busy", "no-answer", "failed", "canceled":
	default:
		return nil
	}
	if t, err := c.existing(); err != nil || t != nil {
		return err
	}
	if c.phone == "" {
		c.h.log().Info("voice call without a ticket from a withheld number", "call_sid", c.sid, "call_status", status)
		return nil
	}
	reason, how := "missed", "called the voice line and was not served"
	if status == "completed" && c.st.Answers[keyLang] != "" {
		reason, how = "abandoned", "hung up in the voice menus"
	}
	_, err := c.open(hotline.CategoryGeneral, "request", how,
		map[string]string{"callback": "yes", "reason": reason, "call_status": status}, nil)
	return err
}

// open opens the call's ticket, or returns the one it opened already: a
// call has at most one ticket.
func (c *call) open(cat, basis, how string, fields, sensitive map[string]string) (*hotline.Ticket, error) {
	if t, err := c.existing(); err != nil || t != nil {
		return t, err
	}
	fields["call_sid"] = c.sid
	if sensitive == nil {
		sensitive = map[string]string{}
	}
	if c.phone != "" {
		sensitive["phone"] = c.phone
	}
	lang := cmp.Or(c.st.Answers[keyLang], c.res.Lang, i18n.Source)
	t, err := c.h.Opener.Open(c.ctx, c.tx, tickets.Request{
		ResidentID: c.res.ID, Category: cat, Fields: fields, Sensitive: sensitive,
		LegalBasis: basis, Language: lang, Channel: hotline.ChannelVoice, How: how,
	}, c.now)
	if err != nil {
		return nil, fmt.Errorf("open %s ticket: %w", cat, err)
	}
	c.st.Answers[keyTicket], c.created = t.Number, t
	return t, nil
}

// existing returns the ticket this call opened, from the call state or, if
// that was lost, from the resident's tickets; nil if none.
func (c *call) existing() (*hotline.Ticket, error) {
	if n := c.st.Answers[keyTicket]; n != "" {
		t, err := c.tx.FindTicketByNumber(c.ctx, n)
		if err == nil || !errors.Is(err, hotline.ErrNotFound) {
			return t, err
		}
	}
	ts, err := c.tx.FindTickets(c.ctx, hotline.TicketFilter{ResidentID: &c.res.ID, Limit: ticketScan})
	if err != nil {
		return nil, fmt.Errorf("find the call's ticket: %w", err)
	}
	for _, t := range ts {
		if t.Fields["call_sid"] == c.sid && t.Channel == hotline.ChannelVoice {
			c.st.Answers[keyTicket] = t.Number
			return t, nil
		}
	}
	return nil, nil
}

// say adds a prompt to the answer.
func (c *call) say(lang, id string, a args) {
	ns, _, _ := c.h.prompt(lang, id, a)
	c.add(ns)
}

func (c *call) add(ns []twilio.Nested) {
	for _, n := range ns {
		c.out = append(c.out, n)
	}
}

// services are the services of the menu, digits 1–8 in order: bot.Services
// without the emergency, which has 9.
func services() []string {
	var out []string
	for _, s := range bot.Services {
		if s != hotline.CategoryEmergency && len(out) < 8 {
			out = append(out, s)
		}
	}
	return out
}

// choice maps a digit of the service menu to a category, "" if none.
func choice(digits string) string {
	if digits == operatorKey {
		return hotline.CategoryGeneral
	}
	n, err := strconv.Atoi(digits)
	if svcs := services(); err == nil && len(digits) == 1 && n >= 1 && n <= len(svcs) {
		return svcs[n-1]
	}
	return ""
}

// url is the absolute URL of a step, as the gateway will request and sign it.
func (h *Handler) url(step string, try int) string {
	u := strings.TrimSuffix(h.PublicURL, "/") + WebhookPath + "?step=" + step
	if try > 1 {
		u += "&try=" + strconv.Itoa(try)
	}
	return u
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.New(slog.DiscardHandler)
}

func stripe(sid string) int {
	f := fnv.New32a()
	f.Write([]byte(sid))
	return int(f.Sum32() % lockStripes)
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}
