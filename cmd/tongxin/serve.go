package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/sync/errgroup"

	"github.com/tongxin/tongxin/internal/dispatch"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/inbox"
	"github.com/tongxin/tongxin/internal/notify"
	"github.com/tongxin/tongxin/internal/sms"
	"github.com/tongxin/tongxin/internal/spool"
	"github.com/tongxin/tongxin/internal/telegram"
	"github.com/tongxin/tongxin/internal/twilio"
	"github.com/tongxin/tongxin/internal/voice"
)

// server is a running Tongxin: the HTTP handlers and the workers behind them.
type server struct {
	*app
	handler      http.Handler
	processor    *inbox.Processor
	dispatcher   *dispatch.Dispatcher
	telegram     *telegram.Channel
	poller       *telegram.Poller
	webhook      bool
	sms          *sms.Webhook
	voicePrompts string
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var printConfig bool
	cfg, _, err := parseFlags("serve", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&printConfig, "print-config", false, "print the configuration (secrets masked) and exit")
	})
	if err != nil {
		return err
	}
	if printConfig {
		cfg.Print(stdout)
		return nil
	}
	log := cfg.logger(stderr)
	s, err := newServer(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	s.announce(stdout, ln.Addr().String())
	return s.run(ctx, ln)
}

// newServer wires the store, the engine and the channels.
func newServer(ctx context.Context, cfg *Config, log *slog.Logger) (*server, error) {
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	s := &server{app: a}
	s.dispatcher = &dispatch.Dispatcher{
		Store:   a.store,
		Senders: map[string]dispatch.Sender{},
		Limits:  map[string]dispatch.Limits{},
		Log:     log.With("component", "dispatch"),
	}
	s.processor = &inbox.Processor{
		Store: a.store, Engine: a.engine, Sessions: a.sessions,
		Log:     log.With("component", "inbox"),
		Tickets: a.tickets,
		Sent:    s.dispatcher.Wake,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.store.Ping(ctx); err != nil {
			log.Error("readiness: store does not answer", "err", err)
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})

	var receiver *telegram.Receiver
	if cfg.TelegramToken != "" {
		b, err := tgbot.New(cfg.TelegramToken,
			tgbot.WithServerURL(cfg.TelegramAPIURL),
			tgbot.WithSkipGetMe(),
			tgbot.WithHTTPClient(time.Minute, &http.Client{Timeout: 30 * time.Second}),
			tgbot.WithErrorsHandler(func(err error) { log.Warn("telegram client", "err", err) }),
			tgbot.WithDefaultHandler(func(context.Context, *tgbot.Bot, *models.Update) {}),
		)
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("telegram client: %w", err)
		}
		s.telegram = &telegram.Channel{Bot: b, Catalog: a.catalog}
		s.processor.Channels = append(s.processor.Channels, s.telegram)
		s.dispatcher.Senders[hotline.ChannelTelegram] = s.telegram
		s.dispatcher.Limits[hotline.ChannelTelegram] = dispatch.TelegramLimits
		receiver = &telegram.Receiver{Store: a.store, Wake: s.processor.Wake}
		if cfg.TelegramWebhookSecret != "" {
			s.webhook = true
			mux.Handle("POST /webhooks/telegram", &telegram.Webhook{Receiver: receiver, Secret: cfg.TelegramWebhookSecret, Log: log.With("component", "telegram")})
		} else {
			s.poller = &telegram.Poller{
				Receiver: receiver,
				API:      &telegram.API{BaseURL: cfg.TelegramAPIURL, Token: cfg.TelegramToken, Client: &http.Client{Timeout: time.Minute}},
				Log:      log.With("component", "telegram"),
			}
		}
	}
	if cfg.smsOn() {
		client := &twilio.Client{BaseURL: cfg.TwilioAPIURL, AccountSID: cfg.TwilioAccountSID, AuthToken: cfg.TwilioAuthToken}
		ch := sms.NewChannel(a.catalog, client, cfg.SMSFrom)
		s.processor.Channels = append(s.processor.Channels, ch)
		if cfg.SMSReply == "rest" {
			s.dispatcher.Senders[hotline.ChannelSMS] = ch
			s.dispatcher.Limits[hotline.ChannelSMS] = sms.Limits
		}
		s.sms = &sms.Webhook{
			Store: a.store, AuthToken: cfg.TwilioAuthToken, PublicURL: cfg.PublicURL,
			Spool: &spool.Spool{Dir: filepath.Join(cfg.DataDir, "spool"), Sealer: a.sealer},
			Wake:  s.processor.Wake, Log: log.With("component", "sms"),
		}
		if cfg.SMSReply == "twiml" {
			s.sms.Answer = s.processor
		}
		mux.Handle("POST /webhooks/sms/twilio", s.sms)
	}
	if cfg.voiceOn() {
		prompts := cfg.VoicePromptsDir
		if prompts == "" {
			prompts = filepath.Join(cfg.DataDir, "prompts")
		}
		h := &voice.Handler{
			Store: a.store, Catalog: a.catalog, Sessions: a.sessions, Opener: a.tickets,
			AuthToken: cfg.TwilioAuthToken, PublicURL: cfg.PublicURL, PromptsDir: prompts,
			Log: log.With("component", "voice"),
		}
		mux.Handle("POST "+voice.WebhookPath, h)
		mux.HandleFunc("POST "+voice.StatusPath, h.Status)
		mux.Handle("GET "+voice.PromptsPath+"{file...}", h.Prompts())
		s.voicePrompts = prompts
	}
	if a.tickets.Notifier != nil {
		s.dispatcher.Senders[hotline.ChannelSMSTemplate] = &notify.Sender{URL: cfg.SMSTemplateURL, Key: cfg.SMSTemplateKey}
		s.dispatcher.Limits[hotline.ChannelSMSTemplate] = notify.Limits
	}
	mux.Handle("GET /metrics", metricsHandler(s.metrics(receiver)))
	s.handler = mux
	return s, nil
}

// announce says what is running, where the data is, and how to turn on
// what is off.
func (s *server) announce(w io.Writer, addr string) {
	cfg := s.cfg
	fmt.Fprintf(w, "Tongxin is listening on %s\n", addr)
	fmt.Fprintf(w, "  store:    embedded SQLite in %s\n", dataPath(cfg))
	if s.keyCreated {
		fmt.Fprintf(w, "  key:      a new encryption key was written to %s/secret.key: back it up, without it the data cannot be read\n", dataPath(cfg))
	}
	if s.seeded {
		fmt.Fprintf(w, "  seed:     loaded %d bureaus, %d places and the default routing table\n", len(hotline.DefaultBureaus), len(hotline.DefaultJurisdictions))
	}
	fmt.Fprintf(w, "  languages: ")
	var tags []string
	for _, l := range s.catalog.Locales() {
		tags = append(tags, l.Tag+" ("+l.Status+")")
	}
	fmt.Fprintln(w, strings.Join(tags, ", "))
	switch {
	case s.telegram == nil:
		fmt.Fprintln(w, "  telegram: off; set TONGXIN_TELEGRAM_TOKEN to turn it on (and TONGXIN_TELEGRAM_WEBHOOK_SECRET for a webhook instead of polling)")
	case s.webhook:
		fmt.Fprintf(w, "  telegram: webhook at %s/webhooks/telegram (Bot API %s)\n", strings.TrimSuffix(cfg.PublicURL, "/"), cfg.TelegramAPIURL)
	default:
		fmt.Fprintf(w, "  telegram: long polling (Bot API %s); set TONGXIN_TELEGRAM_WEBHOOK_SECRET to use a webhook\n", cfg.TelegramAPIURL)
	}
	switch {
	case cfg.smsOn() && cfg.SMSReply == "twiml":
		fmt.Fprintf(w, "  sms:      webhook at %s/webhooks/sms/twilio, replying in TwiML\n", strings.TrimSuffix(cfg.PublicURL, "/"))
	case cfg.smsOn():
		fmt.Fprintf(w, "  sms:      webhook at %s/webhooks/sms/twilio, sending from %s through %s\n", strings.TrimSuffix(cfg.PublicURL, "/"), cfg.SMSFrom, cfg.TwilioAPIURL)
	default:
		fmt.Fprintln(w, "  sms:      off; set TONGXIN_TWILIO_AUTH_TOKEN, TONGXIN_TWILIO_ACCOUNT_SID and TONGXIN_SMS_FROM to turn it on")
	}
	if cfg.voiceOn() {
		fmt.Fprintf(w, "  voice:    webhook at %s%s (status callback %s), recorded prompts from %s\n",
			strings.TrimSuffix(cfg.PublicURL, "/"), voice.WebhookPath, voice.StatusPath, s.voicePrompts)
	} else {
		fmt.Fprintln(w, "  voice:    off; set TONGXIN_TWILIO_AUTH_TOKEN to turn it on")
	}
	if s.tickets.Notifier != nil {
		fmt.Fprintf(w, "  templates: notifying residents reachable only by template through %s\n", cfg.SMSTemplateURL)
	}
	fmt.Fprintln(w, "  chat:     run `tongxin chat` in another terminal to talk to the bot")
}

// run serves until ctx ends, then drains: the HTTP server stops taking
// requests, the workers finish what they hold, and the store closes last.
func (s *server) run(ctx context.Context, ln net.Listener) error {
	if s.telegram != nil {
		s.setupTelegram(ctx)
	}
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	})
	g.Go(func() error { return s.processor.Run(ctx) })
	g.Go(func() error { return s.dispatcher.Run(ctx) })
	if s.poller != nil {
		g.Go(func() error { return s.poller.Run(ctx) })
	}
	if s.sms != nil {
		g.Go(func() error { s.drainSpool(ctx); return nil })
	}
	return g.Wait()
}

// setupTelegram registers the command menus and the webhook. Failures are
// logged, not fatal: Telegram may be unreachable for a while, and updates
// wait for us for a day.
func (s *server) setupTelegram(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if me, err := s.telegram.Bot.GetMe(ctx); err != nil {
		s.log.Warn("telegram: getMe failed; check the token and the API URL", "err", err)
	} else {
		s.log.Info("telegram: connected", "bot", me.Username)
	}
	if err := s.telegram.SetCommands(ctx); err != nil {
		s.log.Warn("telegram: command menus not registered", "err", err)
	}
	if s.webhook {
		url := strings.TrimSuffix(s.cfg.PublicURL, "/") + "/webhooks/telegram"
		if err := s.telegram.SetWebhook(ctx, url, s.cfg.TelegramWebhookSecret); err != nil {
			s.log.Warn("telegram: webhook not registered", "err", err)
		}
	}
}

// drainSpool stores, every few seconds, the SMS that arrived while the
// store could not take them.
func (s *server) drainSpool(ctx context.Context) {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		if n, err := s.sms.DrainSpool(ctx); err != nil {
			s.log.Warn("sms spool: not drained yet", "stored", n, "err", err)
		} else if n > 0 {
			s.log.Info("sms spool: stored spooled messages", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
