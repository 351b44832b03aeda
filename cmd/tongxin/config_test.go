package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// getenvFrom is a getenv over a map; quiet logs unless a test sets the level.
func getenvFrom(m map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := m[k]; ok {
			return v
		}
		if k == "TONGXIN_LOG_LEVEL" {
			return "error"
		}
		return ""
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // every one must be reported; none means valid
	}{
		{name: "defaults", env: map[string]string{}},
		{name: "telegram with a webhook", env: map[string]string{
			"TONGXIN_TELEGRAM_TOKEN": "123:abc", "TONGXIN_TELEGRAM_WEBHOOK_SECRET": "A-z_09",
			"TONGXIN_TICKET_PREFIX": "YKMZW", "TONGXIN_TIMEZONE": "UTC", "TONGXIN_SESSION_TTL": "2h",
		}},
		{"database url", map[string]string{"TONGXIN_DATABASE_URL": "postgres://u:p@db/tongxin"}, []string{"TONGXIN_DATABASE_URL"}},
		{"redis url", map[string]string{"TONGXIN_REDIS_URL": "redis://cache:6379"}, []string{"TONGXIN_REDIS_URL"}},
		{"webhook secret with a space", map[string]string{"TONGXIN_TELEGRAM_TOKEN": "123:abc", "TONGXIN_TELEGRAM_WEBHOOK_SECRET": "not ok"}, []string{"TONGXIN_TELEGRAM_WEBHOOK_SECRET must be"}},
		{"webhook secret too long", map[string]string{"TONGXIN_TELEGRAM_TOKEN": "123:abc", "TONGXIN_TELEGRAM_WEBHOOK_SECRET": strings.Repeat("a", 257)}, []string{"TONGXIN_TELEGRAM_WEBHOOK_SECRET must be"}},
		{"webhook secret without a token", map[string]string{"TONGXIN_TELEGRAM_WEBHOOK_SECRET": "fine_secret"}, []string{"TONGXIN_TELEGRAM_TOKEN is empty"}},
		{"lower-case prefix", map[string]string{"TONGXIN_TICKET_PREFIX": "yk"}, []string{"TONGXIN_TICKET_PREFIX"}},
		{"prefix too long", map[string]string{"TONGXIN_TICKET_PREFIX": "YINGKOU"}, []string{"TONGXIN_TICKET_PREFIX"}},
		{"prefix with a dash", map[string]string{"TONGXIN_TICKET_PREFIX": "Y-K"}, []string{"TONGXIN_TICKET_PREFIX"}},
		{"unknown time zone", map[string]string{"TONGXIN_TIMEZONE": "Asia/Yingkou"}, []string{"TONGXIN_TIMEZONE"}},
		{"session TTL that is no duration", map[string]string{"TONGXIN_SESSION_TTL": "half an hour"}, []string{"TONGXIN_SESSION_TTL"}},
		{"negative session TTL", map[string]string{"TONGXIN_SESSION_TTL": "-30m"}, []string{"TONGXIN_SESSION_TTL"}},
		{"zero session TTL", map[string]string{"TONGXIN_SESSION_TTL": "0s"}, []string{"TONGXIN_SESSION_TTL"}},
		{"relative public URL", map[string]string{"TONGXIN_PUBLIC_URL": "tongxin.example"}, []string{"TONGXIN_PUBLIC_URL"}},
		{"unknown log level", map[string]string{"TONGXIN_LOG_LEVEL": "loud"}, []string{"TONGXIN_LOG_LEVEL"}},
		{
			name: "everything at once",
			env: map[string]string{
				"TONGXIN_DATABASE_URL":            "postgres://db/tongxin",
				"TONGXIN_TELEGRAM_TOKEN":          "123:abc",
				"TONGXIN_TELEGRAM_WEBHOOK_SECRET": "bad secret!",
				"TONGXIN_TICKET_PREFIX":           "yk1",
				"TONGXIN_TIMEZONE":                "Mars/Olympus_Mons",
				"TONGXIN_SESSION_TTL":             "forever",
			},
			want: []string{
				"TONGXIN_DATABASE_URL", "TONGXIN_TELEGRAM_WEBHOOK_SECRET must be",
				"TONGXIN_TICKET_PREFIX", "TONGXIN_TIMEZONE", "TONGXIN_SESSION_TTL",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadConfig(getenvFrom(tt.env), nil).Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error does not mention %q:\n%v", w, err)
				}
			}
			var joined interface{ Unwrap() []error }
			if !errors.As(err, &joined) || len(joined.Unwrap()) != len(tt.want) {
				t.Errorf("want %d problems reported separately, got:\n%v", len(tt.want), err)
			}
		})
	}
}

// Flags override the environment, and a command refuses to run on a bad
// configuration, listing every problem.
func TestRunRefusesABadConfiguration(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	getenv := getenvFrom(map[string]string{"TONGXIN_DATABASE_URL": "postgres://db/x", "TONGXIN_TICKET_PREFIX": "YK"})
	var out, errOut strings.Builder
	err := run(context.Background(), []string{"serve", "--data", dir, "--ticket-prefix", "yk", "--timezone", "Nowhere/City", "--addr", "127.0.0.1:0"},
		getenv, strings.NewReader(""), &out, &errOut)
	if err == nil {
		t.Fatal("serve started with a bad configuration")
	}
	for _, w := range []string{"TONGXIN_DATABASE_URL", `TONGXIN_TICKET_PREFIX "yk"`, "TONGXIN_TIMEZONE"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the error does not mention %q:\n%v", w, err)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the data directory was created before the configuration was checked: %v", err)
	}
}

func TestPrintConfigMasksSecrets(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	secrets := map[string]string{
		"TONGXIN_TELEGRAM_TOKEN":          "123456:AAH-very-secret-token",
		"TONGXIN_TELEGRAM_WEBHOOK_SECRET": "hook_secret_value",
		"TONGXIN_SECRET_KEY":              "c2VjcmV0LWtleS1zZWNyZXQta2V5LXNlY3JldC1rZXk=",
	}
	env := map[string]string{"TONGXIN_DATA_DIR": dir, "TONGXIN_TICKET_PREFIX": "YKA"}
	for k, v := range secrets {
		env[k] = v
	}
	var out, errOut strings.Builder
	if err := run(context.Background(), []string{"serve", "--print-config", "--timezone", "UTC"}, getenvFrom(env), strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	printed := out.String()
	for k, v := range secrets {
		if strings.Contains(printed, v) {
			t.Errorf("%s is printed in clear", k)
		}
		if !strings.Contains(printed, k+"=****\n") {
			t.Errorf("%s is not shown masked", k)
		}
	}
	for _, line := range []string{
		"TONGXIN_DATA_DIR=" + dir + "\n",
		"TONGXIN_TICKET_PREFIX=YKA\n",
		"TONGXIN_TIMEZONE=UTC\n",  // the flag wins over the default
		"TONGXIN_DATABASE_URL=\n", // an empty secret is shown empty, not masked
		"TONGXIN_SESSION_TTL=30m0s\n",
	} {
		if !strings.Contains(printed, line) {
			t.Errorf("the configuration lacks %q:\n%s", line, printed)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--print-config touched the data directory: %v", err)
	}
}

func TestUnknownCommandAndHelp(t *testing.T) {
	ctx := context.Background()
	var out, errOut strings.Builder
	err := run(ctx, []string{"frobnicate"}, getenvFrom(nil), strings.NewReader(""), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "tongxin help") || !strings.Contains(err.Error(), "frobnicate") {
		t.Fatalf("unknown command: err = %v; want it to name the command and point to tongxin help", err)
	}

	var help strings.Builder
	if err := run(ctx, []string{"help"}, getenvFrom(nil), strings.NewReader(""), &help, &errOut); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Usage:", "tongxin chat", "tongxin ticket list", "tongxin admin import-jurisdictions", "tongxin i18n check", "Environment"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
	checkEnvTable(t, help.String())

	// --help and -h alone print the same as help.
	for _, flag := range []string{"--help", "-h"} {
		t.Run(flag, func(t *testing.T) {
			var out, errOut strings.Builder
			if err := run(ctx, []string{flag}, getenvFrom(nil), strings.NewReader(""), &out, &errOut); err != nil {
				t.Fatalf("%s: %v", flag, err)
			}
			if out.String() != help.String() {
				t.Errorf("%s printed something else than help:\n%s", flag, out.String()+errOut.String())
			}
		})
	}
}

// checkEnvTable fails unless text lists every setting's variable.
func checkEnvTable(t *testing.T, text string) {
	t.Helper()
	for _, s := range settings {
		if !strings.Contains(text, "  "+s.env+" ") {
			t.Errorf("the environment table lacks %s", s.env)
		}
	}
	if !strings.Contains(text, "  "+sessionTTLEnv+" ") {
		t.Errorf("the environment table lacks %s", sessionTTLEnv)
	}
}
