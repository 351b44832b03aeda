package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/i18n"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/notify"
	"github.com/tongxin/tongxin/internal/seal"
	"github.com/tongxin/tongxin/internal/sqlite"
	"github.com/tongxin/tongxin/internal/tickets"
	"github.com/tongxin/tongxin/locales"
)

const usage = `tongxin: a multilingual hotline for ethnic-minority residents.

Usage:
  tongxin [serve] [flags]           start the server, the bot and the dispatcher (default)
  tongxin chat [--lang TAG] [--as NAME]
                                    talk to the bot in this terminal
  tongxin ticket list [--json] [--status S] [--bureau B] [--limit N]
                                    list tickets (personal data is not shown)
  tongxin ticket notify NUMBER received|answered|satisfaction
                                    send a template SMS about a ticket (mainland gateways)
  tongxin outbox list [--json] [--status S] [--limit N]
                                    list outgoing messages; --status parked shows the stuck ones
  tongxin admin import-jurisdictions FILE.csv
                                    load street offices and communities (validated, idempotent)
  tongxin admin bureaus | set-bureau CODE [--address A] [--hours H] [--phone P]
  tongxin admin routes  | set-route CATEGORY --bureau B [--co-bureau C] [--priority P] [--local]
  tongxin migrate                   create or upgrade the embedded store, then exit
  tongxin i18n check                report missing or broken translations
  tongxin voice script [LANG]       what a native speaker records for the voice line, file by file
  tongxin fake-telegram [--addr :8081] [--token T]
                                    run a fake Telegram Bot API for demos and load tests
  tongxin help                      this text

`

// run is the whole program; main only adds the process around it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	err := dispatchCommand(ctx, args, getenv, stdin, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the flag package printed the usage
	}
	return err
}

func dispatchCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	switch {
	case len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help"):
		cmd = "help"
	case len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-':
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "chat":
		return chatCmd(ctx, args, getenv, stdin, stdout, stderr)
	case "ticket":
		return ticketCmd(ctx, args, getenv, stdout, stderr)
	case "outbox":
		return outboxCmd(ctx, args, getenv, stdout, stderr)
	case "admin":
		return adminCmd(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, args, getenv, stdout, stderr)
	case "i18n":
		return i18nCmd(args, stdout)
	case "voice":
		return voiceCmd(args, stdout)
	case "fake-telegram":
		return fakeTelegramCmd(ctx, args, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage+settingsHelp())
		return nil
	}
	return fmt.Errorf("unknown command %q; see tongxin help", cmd)
}

// parseFlags parses a subcommand's flags with the configuration's.
func parseFlags(name string, args []string, getenv func(string) string, stderr io.Writer, extra func(*flag.FlagSet)) (*Config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet("tongxin "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := loadConfig(getenv, fs)
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage of tongxin %s:\n", name)
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\n"+settingsHelp())
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, fmt.Errorf("configuration:\n%w", err)
	}
	return cfg, fs, nil
}

// app is what every command that touches data shares.
type app struct {
	cfg        *Config
	log        *slog.Logger
	store      hotline.Store
	catalog    *i18n.Catalog
	engine     *bot.Engine
	sessions   bot.Sessions
	loc        *time.Location
	sealer     hotline.Sealer
	tickets    tickets.Opener
	keyCreated bool
	seeded     bool
}

// openApp opens the store (creating it and its key on first start, and
// loading the seed data), the catalog and the engine.
func openApp(ctx context.Context, cfg *Config, log *slog.Logger) (*app, error) {
	key, created, err := seal.LoadOrCreateKey(cfg.SecretKey, cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	box, err := seal.New(key)
	if err != nil {
		return nil, err
	}
	store, err := sqlite.Open(ctx, cfg.DataDir, box)
	if err != nil {
		return nil, fmt.Errorf("open store in %s: %w", cfg.DataDir, err)
	}
	seeded, err := hotline.Seed(ctx, store)
	if err != nil {
		store.Close()
		return nil, err
	}
	cat, err := i18n.Load(locales.FS, log)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("load locales: %w", err)
	}
	loc, _ := time.LoadLocation(cfg.TimeZone)
	templates, err := notify.LoadOrNil(cfg.SMSTemplates)
	if err != nil {
		store.Close()
		return nil, err
	}
	opener := tickets.Opener{Prefix: cfg.TicketPrefix, Location: loc}
	if templates != nil {
		opener.Notifier = &notify.Notifier{Templates: templates, FreeTextSMS: cfg.smsOn(), Hotline: cfg.HotlineNumber, Location: loc}
	}
	return &app{
		cfg: cfg, log: log, store: store, catalog: cat, loc: loc, sealer: box, tickets: opener,
		engine:     bot.New(cat, loc),
		sessions:   store.Sessions(cfg.SessionTTL, nil),
		keyCreated: created, seeded: seeded,
	}, nil
}

func (a *app) Close() error { return a.store.Close() }

// dataPath is where the embedded database lives, for messages.
func dataPath(cfg *Config) string {
	abs, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return cfg.DataDir
	}
	return abs
}

// defaultUser names the terminal resident after the login.
func defaultUser() string {
	for _, v := range []string{"USER", "USERNAME", "LOGNAME"} {
		if u := os.Getenv(v); u != "" {
			return u
		}
	}
	return "local"
}

var errUsage = errors.New("see tongxin help")
