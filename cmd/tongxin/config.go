package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// Config is everything Tongxin is configured with. Environment variables
// set it; flags of the same meaning override them.
type Config struct {
	Addr                  string
	DataDir               string
	DatabaseURL           string
	RedisURL              string
	PublicURL             string
	SecretKey             string
	TelegramToken         string
	TelegramAPIURL        string
	TelegramWebhookSecret string
	TwilioAuthToken       string
	TwilioAccountSID      string
	TwilioAPIURL          string
	SMSFrom               string
	SMSReply              string
	VoicePromptsDir       string
	SMSTemplates          string
	SMSTemplateURL        string
	SMSTemplateKey        string
	HotlineNumber         string
	TicketPrefix          string
	TimeZone              string
	SessionTTL            time.Duration
	LogLevel              string

	// problems found while loading, reported by Validate.
	problems []error
}

// setting describes one configuration variable, for loading and --help.
type setting struct {
	env, flag, def, help string
	secret               bool
	field                func(*Config) *string
}

var settings = []setting{
	{"TONGXIN_ADDR", "addr", ":8080", "listen address", false, func(c *Config) *string { return &c.Addr }},
	{"TONGXIN_DATA_DIR", "data", "./data", "embedded store directory", false, func(c *Config) *string { return &c.DataDir }},
	{"TONGXIN_DATABASE_URL", "database-url", "", "PostgreSQL URL (not available in this version; leave empty for the embedded store)", true, func(c *Config) *string { return &c.DatabaseURL }},
	{"TONGXIN_REDIS_URL", "redis-url", "", "Redis URL (not available in this version; leave empty for in-process state)", true, func(c *Config) *string { return &c.RedisURL }},
	{"TONGXIN_PUBLIC_URL", "public-url", "http://localhost:8080", "the URL the outside world reaches us at (webhook registration, links)", false, func(c *Config) *string { return &c.PublicURL }},
	{"TONGXIN_SECRET_KEY", "", "", "32-byte key (base64) for encrypting personal data; generated into the data dir when unset", true, func(c *Config) *string { return &c.SecretKey }},
	{"TONGXIN_TELEGRAM_TOKEN", "telegram-token", "", "Telegram bot token; Telegram is off when empty", true, func(c *Config) *string { return &c.TelegramToken }},
	{"TONGXIN_TELEGRAM_API_URL", "telegram-api-url", "https://api.telegram.org", "Bot API base URL (tests and demos point it at the fake)", false, func(c *Config) *string { return &c.TelegramAPIURL }},
	{"TONGXIN_TELEGRAM_WEBHOOK_SECRET", "telegram-webhook-secret", "", "webhook secret token; when empty, Tongxin long-polls instead", true, func(c *Config) *string { return &c.TelegramWebhookSecret }},
	{"TONGXIN_TWILIO_AUTH_TOKEN", "", "", "auth token of the Twilio-compatible gateway: checks webhook signatures and sends SMS; SMS and voice are off when empty", true, func(c *Config) *string { return &c.TwilioAuthToken }},
	{"TONGXIN_TWILIO_ACCOUNT_SID", "twilio-account-sid", "", "account SID for the gateway's REST API (sending SMS)", false, func(c *Config) *string { return &c.TwilioAccountSID }},
	{"TONGXIN_TWILIO_API_URL", "twilio-api-url", "https://api.twilio.com", "REST API base URL of the gateway (tests and demos point it at the fake)", false, func(c *Config) *string { return &c.TwilioAPIURL }},
	{"TONGXIN_SMS_FROM", "sms-from", "", "our SMS number in E.164, or a Messaging Service SID", false, func(c *Config) *string { return &c.SMSFrom }},
	{"TONGXIN_SMS_REPLY", "sms-reply", "rest", "how SMS replies go out: rest (through the outbox and the gateway's REST API) or twiml (in the webhook's answer)", false, func(c *Config) *string { return &c.SMSReply }},
	{"TONGXIN_VOICE_PROMPTS_DIR", "voice-prompts", "", "folder of recorded voice prompts (default: prompts/ in the data dir)", false, func(c *Config) *string { return &c.VoicePromptsDir }},
	{"TONGXIN_SMS_TEMPLATES", "sms-templates", "", "file of approved SMS templates for a mainland gateway (notification-only mode)", false, func(c *Config) *string { return &c.SMSTemplates }},
	{"TONGXIN_SMS_TEMPLATE_URL", "sms-template-url", "", "send endpoint of the template gateway", false, func(c *Config) *string { return &c.SMSTemplateURL }},
	{"TONGXIN_SMS_TEMPLATE_KEY", "", "", "key of the template gateway", true, func(c *Config) *string { return &c.SMSTemplateKey }},
	{"TONGXIN_HOTLINE_NUMBER", "hotline-number", "", "the commission's hotline number, given in templates that ask residents to call", false, func(c *Config) *string { return &c.HotlineNumber }},
	{"TONGXIN_TICKET_PREFIX", "ticket-prefix", "YK", "prefix of ticket numbers (YK-2026-000001)", false, func(c *Config) *string { return &c.TicketPrefix }},
	{"TONGXIN_TIMEZONE", "timezone", "Asia/Shanghai", "time zone of due times shown to residents and of ticket-number years", false, func(c *Config) *string { return &c.TimeZone }},
	{"TONGXIN_LOG_LEVEL", "log-level", "info", "debug, info, warn or error", false, func(c *Config) *string { return &c.LogLevel }},
}

const sessionTTLEnv = "TONGXIN_SESSION_TTL"

// loadConfig reads the environment and registers flags that override it.
// Call Validate after the flag set is parsed.
func loadConfig(getenv func(string) string, fs *flag.FlagSet) *Config {
	c := &Config{SessionTTL: 30 * time.Minute}
	for _, s := range settings {
		v := s.def
		if e := getenv(s.env); e != "" {
			v = e
		}
		// Secrets may come from a file (Docker and Kubernetes secrets).
		if f := getenv(s.env + "_FILE"); s.secret && f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				c.problems = append(c.problems, fmt.Errorf("%s_FILE: %w", s.env, err))
			}
			v = strings.TrimSpace(string(b))
		}
		*s.field(c) = v
		if s.flag != "" && fs != nil {
			fs.StringVar(s.field(c), s.flag, v, s.help+" ($"+s.env+")")
		}
	}
	if v := getenv(sessionTTLEnv); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			c.SessionTTL = d
		} else {
			c.SessionTTL = -1 // reported by Validate
		}
	}
	return c
}

var webhookSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// Validate reports every problem at once.
func (c *Config) Validate() error {
	errs := append([]error(nil), c.problems...)
	if c.DatabaseURL != "" {
		errs = append(errs, errors.New("TONGXIN_DATABASE_URL is set, but this version has only the embedded store: unset it"))
	}
	if c.RedisURL != "" {
		errs = append(errs, errors.New("TONGXIN_REDIS_URL is set, but this version keeps state in process: unset it"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("TONGXIN_DATA_DIR is empty"))
	}
	if u, err := url.Parse(c.PublicURL); err != nil || u.Scheme == "" || u.Host == "" {
		errs = append(errs, fmt.Errorf("TONGXIN_PUBLIC_URL %q is not an absolute URL", c.PublicURL))
	}
	if u, err := url.Parse(c.TelegramAPIURL); err != nil || u.Scheme == "" || u.Host == "" {
		errs = append(errs, fmt.Errorf("TONGXIN_TELEGRAM_API_URL %q is not an absolute URL", c.TelegramAPIURL))
	}
	if c.TelegramWebhookSecret != "" && !webhookSecret.MatchString(c.TelegramWebhookSecret) {
		errs = append(errs, errors.New("TONGXIN_TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -"))
	}
	if c.TelegramWebhookSecret != "" && c.TelegramToken == "" {
		errs = append(errs, errors.New("TONGXIN_TELEGRAM_WEBHOOK_SECRET is set but TONGXIN_TELEGRAM_TOKEN is empty"))
	}
	if u, err := url.Parse(c.TwilioAPIURL); err != nil || u.Scheme == "" || u.Host == "" {
		errs = append(errs, fmt.Errorf("TONGXIN_TWILIO_API_URL %q is not an absolute URL", c.TwilioAPIURL))
	}
	if c.TwilioAuthToken != "" && (c.TwilioAccountSID == "") != (c.SMSFrom == "") {
		errs = append(errs, errors.New("SMS needs both TONGXIN_TWILIO_ACCOUNT_SID and TONGXIN_SMS_FROM (leave both empty for the voice line alone)"))
	}
	if c.SMSReply != "rest" && c.SMSReply != "twiml" {
		errs = append(errs, fmt.Errorf("TONGXIN_SMS_REPLY %q must be rest or twiml", c.SMSReply))
	}
	if c.SMSTemplates != "" && (c.SMSTemplateURL == "" || c.SMSTemplateKey == "") {
		errs = append(errs, errors.New("TONGXIN_SMS_TEMPLATES needs TONGXIN_SMS_TEMPLATE_URL and TONGXIN_SMS_TEMPLATE_KEY"))
	}
	if !regexp.MustCompile(`^[A-Z]{1,6}$`).MatchString(c.TicketPrefix) {
		errs = append(errs, fmt.Errorf("TONGXIN_TICKET_PREFIX %q must be 1-6 capital letters", c.TicketPrefix))
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		errs = append(errs, fmt.Errorf("TONGXIN_TIMEZONE: %w", err))
	}
	if c.SessionTTL <= 0 {
		errs = append(errs, fmt.Errorf("%s must be a positive duration such as 30m", sessionTTLEnv))
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		errs = append(errs, fmt.Errorf("TONGXIN_LOG_LEVEL: %w", err))
	}
	return errors.Join(errs...)
}

// Print writes the configuration with secrets masked.
func (c *Config) Print(w io.Writer) {
	for _, s := range settings {
		v := *s.field(c)
		if s.secret && v != "" {
			v = "****"
		}
		fmt.Fprintf(w, "%s=%s\n", s.env, v)
	}
	fmt.Fprintf(w, "%s=%s\n", sessionTTLEnv, c.SessionTTL)
}

func (c *Config) logger(w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
}

func settingsHelp() string {
	var b strings.Builder
	b.WriteString("Environment (flags of serve override them):\n")
	for _, s := range settings {
		def := s.def
		if def == "" {
			def = "empty"
		}
		fmt.Fprintf(&b, "  %-33s %s (default %s)\n", s.env, s.help, def)
	}
	fmt.Fprintf(&b, "  %-33s how long an unfinished form is kept (default 30m)\n", sessionTTLEnv)
	b.WriteString("A secret may also be read from a file named by the variable with _FILE appended,\nsuch as TONGXIN_TELEGRAM_TOKEN_FILE.\n")
	return b.String()
}

// smsOn reports whether the SMS hotline is configured: answering in
// TwiML needs only the auth token; the REST API also the account and
// our number.
func (c *Config) smsOn() bool {
	return c.TwilioAuthToken != "" && (c.SMSReply == "twiml" || c.restSMS())
}

// restSMS reports whether SMS can be sent through the REST API.
func (c *Config) restSMS() bool {
	return c.TwilioAuthToken != "" && c.TwilioAccountSID != "" && c.SMSFrom != ""
}

// voiceOn reports whether the voice line is configured.
func (c *Config) voiceOn() bool { return c.TwilioAuthToken != "" }
