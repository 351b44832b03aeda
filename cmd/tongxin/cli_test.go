package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chatAs runs `tongxin chat` in Chinese as user, typing input.
func chatAs(t *testing.T, dir, user, input string) string {
	t.Helper()
	var out, errOut strings.Builder
	err := run(context.Background(), []string{"chat", "--data", dir, "--lang", "zh-Hans", "--as", user},
		getenvFrom(nil), strings.NewReader(input), &out, &errOut)
	if err != nil {
		t.Fatalf("chat: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	return out.String()
}

// What the resident typed into the legal aid form that is theirs alone.
const (
	residentName    = "阿依古丽"
	residentPhone   = "13812345678"
	residentDetails = "老板拖欠工资三个月不给"
)

// legalAidForm walks the legal aid form by typing: 2 requests, 5 legal
// aid, 1 unpaid wages, name, phone, 5 西市区, 1 胜利街道, 1 平安社区,
// 1 consent, the details, 1 submit.
var legalAidForm = strings.Join([]string{"2", "5", "1", residentName, residentPhone, "5", "1", "1", "1", residentDetails, "1"}, "\n") + "\n"

var ticketNumber = regexp.MustCompile(`YK-\d{4}-\d{6}`)

func TestTicketListAfterAChat(t *testing.T) {
	dir := t.TempDir()
	transcript := chatAs(t, dir, "t1", legalAidForm)
	number := ticketNumber.FindString(transcript)
	if number == "" {
		t.Fatalf("no ticket number in the transcript:\n%s", transcript)
	}

	// The ticket holds what the resident typed, sealed; the listing must
	// not show it.
	store := openData(t, dir)
	full, err := store.FindTicketByNumber(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	if full.Sensitive["name"] != residentName || full.Sensitive["details"] != residentDetails {
		t.Fatalf("the ticket does not hold the answers typed: %v", full.Sensitive)
	}
	store.Close()

	out := mustTongxin(t, dir, "ticket", "list", "--json")
	for _, private := range []string{residentName, residentPhone, residentDetails, "+86"} {
		if strings.Contains(out, private) {
			t.Errorf("ticket list --json shows %q", private)
		}
	}
	var tickets []map[string]any
	if err := json.Unmarshal([]byte(out), &tickets); err != nil {
		t.Fatalf("not a JSON array of objects: %v\n%s", err, out)
	}
	if len(tickets) != 1 {
		t.Fatalf("%d tickets, want 1:\n%s", len(tickets), out)
	}
	tk := tickets[0]
	want := map[string]string{
		"number":    number,
		"category":  "legal_aid",
		"priority":  "high",
		"status":    "new",
		"bureau":    "justice",
		"district":  "yingkou.xishi",
		"street":    "yingkou.xishi.shengli",
		"community": "yingkou.xishi.shengli.pingan",
		"language":  "zh-Hans",
		"channel":   "chat",
	}
	for k, v := range want {
		if got, _ := tk[k].(string); got != v {
			t.Errorf("%s = %v, want %q", k, tk[k], v)
		}
	}
	times := map[string]time.Time{}
	for _, k := range []string{"created_at", "first_response_due", "resolution_due"} {
		s, _ := tk[k].(string)
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Errorf("%s = %v: %v", k, tk[k], err)
		}
		times[k] = ts
	}
	if since := time.Since(times["created_at"]); since < 0 || since > time.Hour {
		t.Errorf("created_at %s is not now", times["created_at"])
	}
	if !times["created_at"].Before(times["first_response_due"]) || !times["first_response_due"].Before(times["resolution_due"]) {
		t.Errorf("due times out of order: %v", times)
	}

	// Filters narrow the list.
	if out := mustTongxin(t, dir, "ticket", "list", "--json", "--bureau", "education"); strings.TrimSpace(out) != "[]" {
		t.Errorf("--bureau education: %s", out)
	}
	if out := mustTongxin(t, dir, "ticket", "list", "--json", "--bureau", "justice", "--status", "new"); !strings.Contains(out, number) {
		t.Errorf("--bureau justice --status new lacks %s: %s", number, out)
	}

	plain := mustTongxin(t, dir, "ticket", "list")
	lines := strings.Split(strings.TrimSpace(plain), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "NUMBER") {
		t.Fatalf("plain listing:\n%s", plain)
	}
	for _, w := range []string{number, "legal_aid", "high", "new", "justice", "yingkou.xishi.shengli.pingan", "zh-Hans", "chat"} {
		if !strings.Contains(lines[1], w) {
			t.Errorf("the plain row lacks %q: %s", w, lines[1])
		}
	}
	for _, private := range []string{residentName, residentPhone, residentDetails} {
		if strings.Contains(plain, private) {
			t.Errorf("ticket list shows %q", private)
		}
	}
}

func TestChatCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errOut strings.Builder
	err := run(context.Background(), []string{"chat", "--data", dir, "--lang", "tlh", "--as", "x"}, getenvFrom(nil), strings.NewReader("1\n"), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "zh-Hans") {
		t.Fatalf("an unsupported language: err = %v; want the list of languages", err)
	}

	// Two terminal residents are two residents; each sees only their own.
	chatAs(t, dir, "amina", legalAidForm)
	other := chatAs(t, dir, "bilal", "3\n") // 3: my requests
	if ticketNumber.MatchString(other) {
		t.Errorf("another resident's ticket is listed:\n%s", other)
	}
	mine := chatAs(t, dir, "amina", "3\n")
	if !ticketNumber.MatchString(mine) {
		t.Errorf("the resident's own ticket is not listed:\n%s", mine)
	}
}

func TestI18nCheck(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), []string{"i18n"}, getenvFrom(nil), strings.NewReader(""), &out, &out); err == nil || !strings.Contains(err.Error(), "tongxin help") {
		t.Errorf("i18n without check: err = %v", err)
	}
	out.Reset()
	err := run(context.Background(), []string{"i18n", "check"}, getenvFrom(nil), strings.NewReader(""), &out, &out)
	text := out.String()
	// Another engineer may be halfway through a translation: then the
	// check must fail and list the problems, one per line, as
	// "<locale> <message id>: <kind>: <detail>".
	problem := regexp.MustCompile(`^\S+ \S+: (missing|stale|vars|plural|template|untranslated|normalization|file): `)
	note := regexp.MustCompile(`^note: \S+ \(.+\) is drafted and awaits review by a native speaker$`)
	var problems int
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		switch {
		case problem.MatchString(l):
			problems++
		case note.MatchString(l), regexp.MustCompile(`^all \d+ locales complete$`).MatchString(l):
		default:
			t.Errorf("unexpected line %q", l)
		}
	}
	if err != nil {
		if problems == 0 || !strings.Contains(err.Error(), "translation problems") {
			t.Fatalf("i18n check failed with %v but listed %d problems:\n%s", err, problems, text)
		}
		t.Logf("the locales have %d problems now (a translation in progress?):\n%s", problems, text)
		return
	}
	if problems != 0 || !regexp.MustCompile(`(?m)^all \d+ locales complete$`).MatchString(text) {
		t.Fatalf("i18n check passed but printed:\n%s", text)
	}
}
