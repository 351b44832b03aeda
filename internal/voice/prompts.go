package voice

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/tongxin/tongxin/i18n"
	"github.com/tongxin/tongxin/internal/twilio"
)

// sayLanguages are the locales a text-to-speech voice speaks, with the
// <Say> language for each; the others play recorded prompts.
var sayLanguages = map[string]string{i18n.Source: sayChinese, "ko": "ko-KR"}

// audioTypes are the prompt file formats, in the order they are looked for.
var audioTypes = []struct{ ext, contentType string }{
	{".mp3", "audio/mpeg"},
	{".wav", "audio/wav"},
}

// args are a voice message's variables. A digit also names the recording
// ("voice.menu_item-3"); a ticket number never does.
type args struct {
	digit   int
	service string // category code, rendered as category.<code>
	number  string // ticket number
}

// prompt renders message id for a caller speaking lang: a <Say> where a
// voice speaks the translated message, else the file recorded for it, else
// the Chinese text. It also returns the locale and the text of what the
// caller hears (for a file, the text it was recorded from).
func (h *Handler) prompt(lang, id string, a args) (out []twilio.Nested, spoken, text string) {
	said := a
	if voice, ok := sayLanguages[lang]; ok && (lang == i18n.Source || h.Catalog.Has(lang, id)) {
		said.number = spokenNumber(a.number, lang)
		text = render(h.Catalog, lang, id, said)
		return []twilio.Nested{twilio.Say{Text: text, Language: voice}}, lang, text
	}
	if file := h.localFile(lang, id, a.digit); file != "" {
		out = []twilio.Nested{twilio.Play{URL: strings.TrimSuffix(h.PublicURL, "/") + PromptsPath + file}}
		if a.number != "" {
			said.number = "…"
			out = append(out, twilio.Say{Text: spokenNumber(a.number, i18n.Source), Language: sayChinese})
		}
		return out, lang, render(h.Catalog, lang, id, said)
	}
	if l, ok := h.Catalog.Locale(lang); ok && id == "voice.press_for_lang" && lang != i18n.Source {
		// "说中文，请按 2" would name the wrong language: "维吾尔语，请按 2".
		text = h.Catalog.T(i18n.Source, "voice.menu_item", i18n.Args{"Service": l.Chinese, "Digit": a.digit})
	} else {
		said.number = spokenNumber(a.number, i18n.Source)
		text = render(h.Catalog, i18n.Source, id, said)
	}
	return []twilio.Nested{twilio.Say{Text: text, Language: sayChinese}}, i18n.Source, text
}

// render renders a message with its variables.
func render(cat *i18n.Catalog, lang, id string, a args) string {
	v := i18n.Args{}
	if a.digit > 0 {
		v["Digit"] = a.digit
	}
	if a.service != "" {
		v["Service"] = cat.T(lang, "category."+a.service, nil)
	}
	if a.number != "" {
		v["Number"] = a.number
	}
	return cat.T(lang, id, v)
}

// fileBase is a prompt's file name without its extension.
func fileBase(lang, id string, digit int) string {
	name := lang + "/" + id
	if digit > 0 {
		name += "-" + strconv.Itoa(digit)
	}
	return name
}

// localFile returns the file recorded for a prompt in a language other
// than Chinese, relative to PromptsDir, or "" when there is none.
func (h *Handler) localFile(lang, id string, digit int) string {
	if h.PromptsDir == "" || lang == i18n.Source || !h.Catalog.Supported(lang) {
		return ""
	}
	base := fileBase(lang, id, digit)
	for _, t := range audioTypes {
		fi, err := os.Stat(filepath.Join(h.PromptsDir, filepath.FromSlash(base+t.ext)))
		if err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
			return base + t.ext
		}
	}
	return ""
}

// spokenNumber writes a ticket number so that a voice reads it digit by
// digit: "YK-2026-000042" is "Y K，二零二六，零零零零四二" in Chinese and
// "Y K, 2 0 2 6, 0 0 0 0 4 2" otherwise.
func spokenNumber(number, lang string) string {
	if number == "" {
		return ""
	}
	var parts []string
	for _, part := range strings.Split(number, "-") {
		if lang == i18n.Source && part != "" && strings.Trim(part, "0123456789") == "" {
			parts = append(parts, strings.Map(func(r rune) rune { return []rune("零一二三四五六七八九")[r-'0'] }, part))
			continue
		}
		parts = append(parts, strings.Join(strings.Split(part, ""), " "))
	}
	if lang == i18n.Source {
		return strings.Join(parts, "，")
	}
	return strings.Join(parts, ", ")
}

// Spoken reports whether lang is spoken by a text-to-speech voice, and so
// needs no recorded prompts.
func Spoken(lang string) bool {
	_, ok := sayLanguages[lang]
	return ok
}

// Prompt is one recording a language without a voice needs.
type Prompt struct {
	// File is the path under PromptsDir, such as "ug/voice.menu_item-3.mp3"
	// (a .wav of the same name will do).
	File string
	// Text is what to read, in the language; Chinese where the message is
	// not translated yet (Note says so).
	Text string
	// Note tells the reader what else to know, or is empty.
	Note string
}

// Script lists every prompt file lang needs, in the order a caller hears
// them, with the text to read: the recording script for a native speaker.
// Chinese and Korean are spoken by text-to-speech and need no files, but
// get a script too.
func Script(cat *i18n.Catalog, lang string) []Prompt {
	var out []Prompt
	add := func(id string, a args, note string) {
		text := render(cat, lang, id, a)
		if !cat.Has(lang, id) {
			note = strings.TrimSpace("Not translated yet: the Chinese text is given. " + note)
		}
		out = append(out, Prompt{File: fileBase(lang, id, a.digit) + ".mp3", Text: text, Note: note})
	}
	for i, l := range cat.Locales() {
		if l.Tag == lang {
			add("voice.press_for_lang", args{digit: i + 1}, "")
		}
	}
	add("voice.menu_intro", args{}, "")
	for i, svc := range services() {
		add("voice.menu_item", args{digit: i + 1, service: svc}, "")
	}
	for _, id := range []string{"voice.menu_emergency", "voice.menu_operator", "voice.invalid", "voice.no_input",
		"voice.emergency", "voice.emergency_callback", "voice.consent", "voice.record_or_callback", "voice.record_prompt"} {
		add(id, args{}, "")
	}
	const numberNote = "Stop before the ticket number (…): Tongxin reads it in Chinese right after this recording."
	add("voice.recorded", args{number: "…"}, numberNote)
	add("voice.callback_done", args{number: "…"}, numberNote)
	add("voice.goodbye", args{}, "")
	return out
}

// promptName is what a prompt's path may look like: a locale folder and a
// voice message's file, nothing else.
var promptName = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*/voice\.[a-z_]+(-[0-9]{1,2})?\.(mp3|wav)$`)

// Prompts serves the recorded prompts of PromptsDir for the gateway to
// play: GET PromptsPath+"ug/voice.consent.mp3". Mount it at
// "GET "+PromptsPath+"{file...}" (or under PromptsPath). Only names of the
// package's scheme are served, with an audio Content-Type; anything else,
// including a path that leaves the folder, is 404.
func (h *Handler) Prompts() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		if name == "" {
			name = strings.TrimPrefix(r.URL.Path, PromptsPath)
		}
		if h.PromptsDir == "" || !promptName.MatchString(name) || path.Clean(name) != name {
			http.NotFound(w, r)
			return
		}
		root, err := os.OpenRoot(h.PromptsDir)
		if err != nil {
			h.log().Error("open prompts folder", "err", err)
			http.NotFound(w, r)
			return
		}
		defer root.Close()
		f, err := root.Open(name) // os.Root refuses to leave the folder, by symlink too
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				h.log().Warn("open prompt", "file", name, "err", err)
			}
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			http.NotFound(w, r)
			return
		}
		for _, t := range audioTypes {
			if strings.HasSuffix(name, t.ext) {
				w.Header().Set("Content-Type", t.contentType)
			}
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, name, fi.ModTime(), f)
	})
}
