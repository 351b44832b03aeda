package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/seal"
	"github.com/tongxin/tongxin/internal/sqlite"
)

// tongxin runs the command line on a data directory and returns stdout.
func tongxin(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	var out, errOut strings.Builder
	// Flags go before a subcommand's arguments; --data after the subcommand words.
	words := 1
	if len(args) > 1 && (args[0] == "admin" || args[0] == "ticket" || args[0] == "outbox") {
		words = 2
	}
	full := append(append(append([]string{}, args[:words]...), "--data", dir), args[words:]...)
	err := run(context.Background(), full, getenvFrom(nil), strings.NewReader(""), &out, &errOut)
	return out.String(), err
}

func mustTongxin(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := tongxin(t, dir, args...)
	if err != nil {
		t.Fatalf("tongxin %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// openData opens the store a command left in dir, with the key it made.
func openData(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	key, created, err := seal.LoadOrCreateKey("", dir)
	if err != nil || created {
		t.Fatalf("no key in %s (created=%v): %v", dir, created, err)
	}
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(context.Background(), dir, box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// codes lists the children of parent in the store.
func codes(t *testing.T, s hotline.Store, parent string) []string {
	t.Helper()
	js, err := s.Jurisdictions(context.Background(), parent)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, j := range js {
		out = append(out, j.Code+" "+j.NameZh)
	}
	return out
}

func TestImportJurisdictions(t *testing.T) {
	dir := t.TempDir()
	mustTongxin(t, dir, "migrate") // the seeded tree: 西市区 with 胜利街道 and 平安社区

	// Exported from a spreadsheet: a byte order mark, spaces, and a
	// community listed before its street office.
	valid := "\ufeffcode, parent, level, name_zh, pinyin\n" +
		"yingkou.xishi.wuyi.hongqi,yingkou.xishi.wuyi,community,红旗社区,Hongqi\n" +
		"yingkou.xishi.wuyi, yingkou.xishi, street, 五一街道, Wuyi\n" +
		"yingkou.xishi.shengli.xingfu,yingkou.xishi.shengli,community,幸福社区,Xingfu\n"
	file := writeFile(t, "places.csv", valid)

	steps := []struct {
		name, file, want string
	}{
		{"first import", file, "3 added, 0 updated, 0 unchanged\n"},
		{"same file again", file, "0 added, 0 updated, 3 unchanged\n"},
		{"a name corrected", writeFile(t, "fixed.csv", strings.Replace(valid, "红旗社区", "红旗村", 1)), "0 added, 1 updated, 2 unchanged\n"},
		{"header only", writeFile(t, "empty.csv", "code,parent,level,name_zh,pinyin\n"), "0 added, 0 updated, 0 unchanged\n"},
	}
	for _, st := range steps {
		if got := mustTongxin(t, dir, "admin", "import-jurisdictions", st.file); got != st.want {
			t.Errorf("%s: %q, want %q", st.name, got, st.want)
		}
	}

	s := openData(t, dir)
	if diff := cmp.Diff([]string{"yingkou.xishi.shengli 胜利街道", "yingkou.xishi.wuyi 五一街道"}, codes(t, s, "yingkou.xishi")); diff != "" {
		t.Errorf("streets of 西市区 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"yingkou.xishi.wuyi.hongqi 红旗村"}, codes(t, s, "yingkou.xishi.wuyi")); diff != "" {
		t.Errorf("communities of 五一街道 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"yingkou.xishi.shengli.pingan 平安社区", "yingkou.xishi.shengli.xingfu 幸福社区"}, codes(t, s, "yingkou.xishi.shengli")); diff != "" {
		t.Errorf("communities of 胜利街道 (-want +got):\n%s", diff)
	}
}

func TestImportJurisdictionsWithErrorsChangesNothing(t *testing.T) {
	dir := t.TempDir()
	mustTongxin(t, dir, "migrate")
	bad := strings.Join([]string{
		"code,parent,level,name_zh,pinyin",
		"yingkou.xishi.good,yingkou.xishi,street,好街道,Hao",                 // 2: fine on its own
		"yingkou.nowhere.a,yingkou.nowhere,street,无名街道,Wuming",            // 3: unknown parent
		"yingkou.xishi.c,yingkou.xishi,community,错社区,Cuo",                 // 4: a community under a district
		"yingkou.zhanqian.d,yingkou.xishi,street,错街道,Cuo",                 // 5: code not under its parent
		"yingkou.xishi.good,yingkou.xishi,street,重复街道,Chongfu",            // 6: duplicate code
		"yingkou.xishi.e,yingkou.xishi,street,少一列",                        // 7: four fields
		"yingkou.xishi.f,yingkou.xishi,city,西市,Xishi",                     // 8: a city below a district
		",yingkou.xishi,street,无代码,Wudaima",                               // 9: no code
		"yingkou.xishi.g.h,yingkou.xishi,street,两段,Liangduan",             // 10: two parts below the parent
		"yingkou.xishi.good.k,yingkou.xishi.good,community,好社区,Hao,extra", // 11: six fields
	}, "\n") + "\n"
	_, err := tongxin(t, dir, "admin", "import-jurisdictions", writeFile(t, "bad.csv", bad))
	if err == nil {
		t.Fatal("a file with errors was imported")
	}
	msg := err.Error()
	for _, want := range []string{
		"nothing imported",
		`yingkou.nowhere.a: parent "yingkou.nowhere"`,             // line 3, named by its code
		"yingkou.xishi.c: a community cannot be under a district", // line 4, named by its code
		"line 5: code \"yingkou.zhanqian.d\"",
		"line 6: code \"yingkou.xishi.good\" appears twice",
		"line 7: want 5 fields, got 4",
		"line 8: level \"city\"",
		"line 9: code and name_zh are required",
		"line 10: code \"yingkou.xishi.g.h\"",
		"line 11: want 5 fields, got 6",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not name %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "line 2:") {
		t.Errorf("the good line 2 is reported:\n%s", msg)
	}

	s := openData(t, dir)
	if _, err := s.FindJurisdiction(context.Background(), "yingkou.xishi.good"); !errors.Is(err, hotline.ErrNotFound) {
		t.Errorf("the good line of a bad file was imported: %v", err)
	}
	if diff := cmp.Diff([]string{"yingkou.xishi.shengli 胜利街道"}, codes(t, s, "yingkou.xishi")); diff != "" {
		t.Errorf("streets of 西市区 changed (-want +got):\n%s", diff)
	}
}

func TestImportJurisdictionsNeedsItsHeader(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]string{
		"no header":      "yingkou.xishi.wuyi,yingkou.xishi,street,五一街道,Wuyi\n",
		"columns moved":  "parent,code,level,name_zh,pinyin\nyingkou.xishi,yingkou.xishi.wuyi,street,五一街道,Wuyi\n",
		"empty file":     "",
		"column missing": "code,parent,level,name_zh\nyingkou.xishi.wuyi,yingkou.xishi,street,五一街道\n",
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := tongxin(t, dir, "admin", "import-jurisdictions", writeFile(t, "x.csv", content))
			if err == nil || !strings.Contains(err.Error(), "code,parent,level,name_zh,pinyin") {
				t.Fatalf("err = %v; want one that shows the header expected", err)
			}
		})
	}
	s := openData(t, dir)
	if _, err := s.FindJurisdiction(context.Background(), "yingkou.xishi.wuyi"); !errors.Is(err, hotline.ErrNotFound) {
		t.Errorf("a file without its header was imported: %v", err)
	}
}

func TestSetBureau(t *testing.T) {
	dir := t.TempDir()
	const address, phone, hours = "营口市站前区渤海大街西29号", "0417-2825110", "8:30-17:00"
	mustTongxin(t, dir, "admin", "set-bureau", "--address", address, "--phone", phone, "public_security")

	row := func(out, code string) string {
		t.Helper()
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, code+" ") {
				return l
			}
		}
		t.Fatalf("no row for %s in:\n%s", code, out)
		return ""
	}
	fields := func(l string) []string { return strings.Fields(l) }

	out := mustTongxin(t, dir, "admin", "bureaus")
	if !strings.HasPrefix(out, "CODE ") {
		t.Errorf("no header: %q", out)
	}
	if diff := cmp.Diff([]string{"public_security", "营口市公安局", address, "-", phone}, fields(row(out, "public_security"))); diff != "" {
		t.Errorf("public_security row (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"education", "营口市教育局", "-", "-", "-"}, fields(row(out, "education"))); diff != "" {
		t.Errorf("an untouched bureau changed (-want +got):\n%s", diff)
	}

	// Setting one field leaves the others as they were.
	mustTongxin(t, dir, "admin", "set-bureau", "--hours", hours, "public_security")
	out = mustTongxin(t, dir, "admin", "bureaus")
	if diff := cmp.Diff([]string{"public_security", "营口市公安局", address, hours, phone}, fields(row(out, "public_security"))); diff != "" {
		t.Errorf("after setting the hours (-want +got):\n%s", diff)
	}

	if _, err := tongxin(t, dir, "admin", "set-bureau", "--phone", phone, "no_such_bureau"); err == nil || !strings.Contains(err.Error(), "no_such_bureau") {
		t.Errorf("an unknown bureau: err = %v", err)
	}
	if _, err := tongxin(t, dir, "admin", "set-bureau", "--phone", phone); err == nil || !strings.Contains(err.Error(), "tongxin help") {
		t.Errorf("no bureau code: err = %v", err)
	}
}
