package bot_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/i18n"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/locales"
)

// usedIDs lists every message ID the engine builds from its data: flows,
// options, handbook chapters, commands, keywords, codes.
func usedIDs() []string {
	ids := []string{}
	add := func(s ...string) { ids = append(ids, s...) }
	for _, f := range bot.Flows {
		add("category." + f.Category)
		for _, st := range f.Steps {
			add(st.Prompt)
			for _, o := range st.Options {
				add("opt." + st.ID + "." + o)
			}
			if st.Kind != bot.StepConsent && st.Kind != bot.StepConfirm {
				add("summary." + st.ID)
			}
			if st.Kind == bot.StepPlace {
				add("level." + st.Level)
			}
		}
	}
	for _, svc := range bot.Services {
		add("category." + svc)
		for _, sec := range bot.HandbookSections {
			add("handbook."+svc+"."+sec, "hb.section."+sec)
		}
	}
	for _, name := range bot.CommandOrder {
		add("command." + name)
	}
	for _, k := range bot.KeywordTargets {
		add("keywords." + k)
	}
	for _, p := range bot.Purposes {
		add("consent." + p)
	}
	for _, c := range hotline.Categories {
		add("category." + c)
	}
	for _, b := range hotline.DefaultBureaus {
		add("bureau." + b.Code)
	}
	for _, s := range []string{hotline.StatusNew, hotline.StatusDispatched, hotline.StatusSigned, hotline.StatusInProgress,
		hotline.StatusWaitingResident, hotline.StatusReturned, hotline.StatusResolved, hotline.StatusClosed, hotline.StatusReopened} {
		add("status_name." + s)
	}
	return ids
}

func TestEveryMessageIDUsedExists(t *testing.T) {
	cat, err := i18n.Load(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range usedIDs() {
		if !cat.Has(i18n.Source, id) {
			t.Errorf("message %q is used but not in the source locale", id)
		}
	}
}

var idShape = regexp.MustCompile(`^[a-z_]+(\.[a-z0-9_]+)+(@[a-z]+)?$`)

// TestEveryMessageIDLiteralExists reads the Go source and checks every
// string literal shaped like a message ID of a known namespace.
func TestEveryMessageIDLiteralExists(t *testing.T) {
	cat, err := i18n.Load(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Every first part of a source message ID is a namespace; a literal
	// of that shape in one of them must be a message.
	namespaces := map[string]bool{}
	for _, id := range cat.IDs(i18n.Source) {
		namespaces[strings.SplitN(id, ".", 2)[0]] = true
	}
	root := filepath.Join("..")
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !idShape.MatchString(s) || !namespaces[strings.SplitN(s, ".", 2)[0]] {
				return true
			}
			checked++
			if !cat.Has(i18n.Source, s) {
				t.Errorf("%s: message %q does not exist", path, s)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("only %d message IDs found in the code; the scan is broken", checked)
	}
}
