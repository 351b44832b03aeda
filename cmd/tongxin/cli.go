package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tongxin/tongxin/i18n"
	"github.com/tongxin/tongxin/internal/chat"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/inbox"
	"github.com/tongxin/tongxin/internal/notify"
	"github.com/tongxin/tongxin/internal/tgfake"
	"github.com/tongxin/tongxin/internal/voice"
	"github.com/tongxin/tongxin/locales"
)

func chatCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	var lang, user string
	cfg, _, err := parseFlags("chat", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&lang, "lang", "", "language to start in, such as zh-Hans, ug, ko, mn-Mong (asked when empty)")
		fs.StringVar(&user, "as", defaultUser(), "the name this terminal resident is known by")
	})
	if err != nil {
		return err
	}
	log := cfg.logger(stderr)
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if lang != "" && !a.catalog.Supported(lang) {
		var tags []string
		for _, l := range a.catalog.Locales() {
			tags = append(tags, l.Tag)
		}
		return fmt.Errorf("unknown language %q; choose one of %s", lang, strings.Join(tags, ", "))
	}
	ch := &chat.Channel{Catalog: a.catalog}
	p := &inbox.Processor{
		Store: a.store, Engine: a.engine, Sessions: a.sessions, Channels: []inbox.Channel{ch},
		Log: log, Tickets: a.tickets,
	}
	s := &chat.Session{Store: a.store, Processor: p, User: user, Lang: lang}
	fmt.Fprintf(stderr, "tongxin chat as %q (data in %s). Type a message; Ctrl-D to leave.\n\n", user, dataPath(cfg))
	return s.Run(ctx, stdin, stdout)
}

// ticketJSON is a ticket as `ticket list --json` prints it. Sensitive
// answers are left out.
type ticketJSON struct {
	Number    string            `json:"number"`
	Category  string            `json:"category"`
	Priority  string            `json:"priority"`
	Status    string            `json:"status"`
	Bureau    string            `json:"bureau"`
	CoBureau  string            `json:"co_bureau,omitempty"`
	District  string            `json:"district"`
	Street    string            `json:"street"`
	Community string            `json:"community"`
	Language  string            `json:"language"`
	Channel   string            `json:"channel"`
	Assignee  string            `json:"assignee,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
	// Reach says how the resident can be answered: "chat" (free text on
	// their channel), "templates" (approved SMS templates only) or
	// "callback" (a phone call only).
	Reach            string    `json:"reach"`
	CreatedAt        time.Time `json:"created_at"`
	FirstResponseDue time.Time `json:"first_response_due"`
	ResolutionDue    time.Time `json:"resolution_due"`
}

func ticketCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "notify" {
		return notifyCmd(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "list" {
		return fmt.Errorf("usage: tongxin ticket list [--json] [--status S] [--bureau B] [--category C] [--limit N]: %w", errUsage)
	}
	var asJSON bool
	var status, bureau, category string
	var limit int
	return withApp(ctx, "ticket list", args[1:], getenv, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print JSON")
		fs.StringVar(&status, "status", "", "only this status")
		fs.StringVar(&bureau, "bureau", "", "only this bureau's queue")
		fs.StringVar(&category, "category", "", "only this category")
		fs.IntVar(&limit, "limit", 100, "at most this many, newest first (0: all)")
	}, func(a *app, _ *flag.FlagSet) error {
		f := hotline.TicketFilter{Status: optional(status), Bureau: optional(bureau), Category: optional(category), Limit: limit}
		return listTickets(ctx, a, f, asJSON, stdout)
	})
}

func listTickets(ctx context.Context, a *app, f hotline.TicketFilter, asJSON bool, stdout io.Writer) error {
	tickets, err := a.store.FindTickets(ctx, f)
	if err != nil {
		return fmt.Errorf("list tickets: %w", err)
	}
	if asJSON {
		out := make([]ticketJSON, len(tickets))
		for i, t := range tickets {
			out[i] = ticketJSON{
				Number: t.Number, Category: t.Category, Priority: t.Priority, Status: t.Status,
				Bureau: t.Bureau, CoBureau: t.CoBureau, District: t.District, Street: t.Street, Community: t.Community,
				Language: t.Language, Channel: t.Channel, Assignee: t.Assignee, Fields: t.Fields, Reach: a.reach(t.Channel),
				CreatedAt: t.CreatedAt, FirstResponseDue: t.FirstResponseDue, ResolutionDue: t.ResolutionDue,
			}
		}
		return writeJSON(stdout, out)
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NUMBER\tCATEGORY\tPRIORITY\tSTATUS\tBUREAU\tPLACE\tLANG\tCHANNEL\tREACH\tCREATED\tFIRST RESPONSE DUE")
	for _, t := range tickets {
		place := t.Community
		if place == "" {
			place = t.Street
		}
		if place == "" {
			place = t.District
		}
		if place == "" {
			place = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Number, t.Category, t.Priority, t.Status, t.Bureau,
			place, t.Language, t.Channel, a.reach(t.Channel), t.CreatedAt.In(a.loc).Format("2006-01-02 15:04"), t.FirstResponseDue.In(a.loc).Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}

func outboxCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "list" {
		return fmt.Errorf("usage: tongxin outbox list [--json] [--status pending|sent|parked|blocked] [--limit N]: %w", errUsage)
	}
	var asJSON bool
	var status string
	var limit int
	return withApp(ctx, "outbox list", args[1:], getenv, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print JSON")
		fs.StringVar(&status, "status", "", "only this status: pending, sent, parked or blocked")
		fs.IntVar(&limit, "limit", 100, "at most this many, newest first")
	}, func(a *app, _ *flag.FlagSet) error {
		return listOutbox(ctx, a, hotline.OutboxFilter{Status: optional(status), Limit: limit}, asJSON, stdout)
	})
}

func listOutbox(ctx context.Context, a *app, f hotline.OutboxFilter, asJSON bool, stdout io.Writer) error {
	msgs, err := a.store.FindOutbox(ctx, f)
	if err != nil {
		return fmt.Errorf("list outbox: %w", err)
	}
	type row struct {
		ID            int64      `json:"id"`
		Channel       string     `json:"channel"`
		Address       string     `json:"address"`
		Status        string     `json:"status"`
		Attempts      int        `json:"attempts"`
		NextAttemptAt time.Time  `json:"next_attempt_at"`
		LastError     string     `json:"last_error,omitempty"`
		Segments      int        `json:"segments,omitempty"`
		CreatedAt     time.Time  `json:"created_at"`
		SentAt        *time.Time `json:"sent_at,omitempty"`
		Preview       string     `json:"preview"`
	}
	rows := make([]row, len(msgs))
	for i, m := range msgs {
		var p struct {
			Text string `json:"text"`
		}
		_ = json.Unmarshal(m.Payload, &p)
		// Only the first line: it says which message this is, while later
		// lines of a confirmation hold the resident's name and phone.
		first, _, _ := strings.Cut(p.Text, "\n")
		rows[i] = row{m.ID, m.Channel, m.Address, m.Status, m.Attempts, m.NextAttemptAt, m.LastError, m.Segments, m.CreatedAt, m.SentAt, preview(first, 30)}
	}
	if asJSON {
		return writeJSON(stdout, rows)
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCHANNEL\tADDRESS\tSTATUS\tATTEMPTS\tSEGMENTS\tNEXT ATTEMPT\tLAST ERROR\tTEXT")
	for _, r := range rows {
		segs := "-"
		if r.Segments > 0 {
			segs = strconv.Itoa(r.Segments)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", r.ID, r.Channel, r.Address, r.Status, r.Attempts, segs,
			r.NextAttemptAt.In(a.loc).Format("01-02 15:04:05"), preview(r.LastError, 40), r.Preview)
	}
	return tw.Flush()
}

// reach says how a resident who came on channel can be answered.
func (a *app) reach(channel string) string {
	switch {
	case channel == hotline.ChannelVoice || channel == hotline.ChannelSMS && !a.cfg.smsOn():
		if a.tickets.Notifier != nil {
			return "templates"
		}
		return "callback"
	}
	return "chat"
}

var notifyKinds = map[string]string{"received": notify.TicketReceived, "answered": notify.TicketAnswered, "satisfaction": notify.Satisfaction}

// notifyCmd queues a template notification about a ticket; the running
// server sends it.
func notifyCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return withApp(ctx, "ticket notify", args, getenv, stderr, nil, func(a *app, fs *flag.FlagSet) error {
		kind, ok := notifyKinds[fs.Arg(1)]
		if fs.NArg() != 2 || !ok {
			return fmt.Errorf("usage: tongxin ticket notify NUMBER received|answered|satisfaction: %w", errUsage)
		}
		if a.tickets.Notifier == nil {
			return errors.New("no SMS templates are configured (TONGXIN_SMS_TEMPLATES)")
		}
		var queued bool
		err := a.store.Update(ctx, func(tx hotline.Tx) error {
			t, err := tx.FindTicketByNumber(ctx, fs.Arg(0))
			if err != nil {
				return err
			}
			queued, err = a.tickets.Notifier.Enqueue(ctx, tx, t, kind, time.Now())
			return err
		})
		if err != nil {
			return err
		}
		if !queued {
			return fmt.Errorf("ticket %s: the resident has no phone number, or opted out of SMS", fs.Arg(0))
		}
		fmt.Fprintf(stdout, "queued the %s template for ticket %s\n", kind, fs.Arg(0))
		return nil
	})
}

// withApp parses a subcommand's flags, opens the data, runs fn and closes
// the data again.
func withApp(ctx context.Context, name string, args []string, getenv func(string) string, stderr io.Writer,
	extra func(*flag.FlagSet), fn func(*app, *flag.FlagSet) error) error {
	cfg, fs, err := parseFlags(name, args, getenv, stderr, extra)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, cfg.logger(stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a, fs)
}

// optional is nil for an empty flag, so that it does not filter.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// preview shortens text to n characters on one line.
func preview(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func migrateCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return withApp(ctx, "migrate", args, getenv, stderr, nil, func(a *app, _ *flag.FlagSet) error {
		fmt.Fprintf(stdout, "store in %s is up to date\n", dataPath(a.cfg))
		return nil
	})
}

func i18nCmd(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		return fmt.Errorf("usage: tongxin i18n check: %w", errUsage)
	}
	problems, err := i18n.Check(locales.FS)
	if err != nil {
		return err
	}
	cat, err := i18n.Load(locales.FS, nil)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	for _, l := range cat.Drafted() {
		fmt.Fprintf(stdout, "note: %s (%s) is drafted and awaits review by a native speaker\n", l.Tag, l.Chinese)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d translation problems", len(problems))
	}
	fmt.Fprintf(stdout, "all %d locales complete\n", len(cat.Locales()))
	return nil
}

// voiceCmd prints the recording script of the voice line: for each file
// in the prompts folder, the words to record.
func voiceCmd(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "script" {
		return fmt.Errorf("usage: tongxin voice script [LANG]: %w", errUsage)
	}
	cat, err := i18n.Load(locales.FS, nil)
	if err != nil {
		return err
	}
	var langs []string
	if len(args) > 1 {
		if !cat.Supported(args[1]) {
			return fmt.Errorf("unknown language %q", args[1])
		}
		langs = args[1:2]
	} else {
		for _, l := range cat.Locales() {
			langs = append(langs, l.Tag)
		}
	}
	for _, lang := range langs {
		if voice.Spoken(lang) && len(args) < 2 {
			fmt.Fprintf(stdout, "# %s: spoken by the text-to-speech voice; nothing to record\n\n", lang)
			continue
		}
		prompts := voice.Script(cat, lang)
		fmt.Fprintf(stdout, "# %s: record these files into the prompts folder\n", lang)
		for _, p := range prompts {
			fmt.Fprintf(stdout, "%s\t%s", p.File, p.Text)
			if p.Note != "" {
				fmt.Fprintf(stdout, "\t(%s)", p.Note)
			}
			fmt.Fprintln(stdout)
		}
		fmt.Fprintln(stdout)
	}
	return nil
}

func fakeTelegramCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tongxin fake-telegram", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8081", "listen address")
	token := fs.String("token", "123456:fake-token", "the bot token the fake accepts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fake := tgfake.New(*token)
	defer fake.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "fake Telegram Bot API on http://%s (token %s)\n", ln.Addr(), *token)
	fmt.Fprintf(stdout, "  run tongxin with TONGXIN_TELEGRAM_API_URL=http://%s TONGXIN_TELEGRAM_TOKEN=%s\n", ln.Addr(), *token)
	fmt.Fprintf(stdout, "  send a message:  curl -d '{\"message\":{\"message_id\":1,\"date\":0,\"chat\":{\"id\":42,\"type\":\"private\"},\"from\":{\"id\":42,\"is_bot\":false,\"first_name\":\"A\",\"language_code\":\"zh-hans\"},\"text\":\"/start\"}}' http://%s/_fake/updates\n", ln.Addr())
	fmt.Fprintf(stdout, "  see the calls:   curl http://%s/_fake/calls\n", ln.Addr())
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
