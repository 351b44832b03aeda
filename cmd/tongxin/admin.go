package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/tongxin/tongxin/internal/hotline"
)

func adminCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: tongxin admin import-jurisdictions|bureaus|set-bureau|routes|set-route: %w", errUsage)
	}
	sub, args := args[0], args[1:]
	var f adminFlags
	extra := func(fs *flag.FlagSet) {
		switch sub {
		case "set-bureau":
			fs.StringVar(&f.address, "address", "", "office address, in Chinese as on the door")
			fs.StringVar(&f.hours, "hours", "", "opening hours")
			fs.StringVar(&f.phone, "phone", "", "office telephone")
			fs.StringVar(&f.name, "name", "", "official Chinese name")
		case "set-route":
			fs.StringVar(&f.bureau, "bureau", "", "responsible bureau code")
			fs.StringVar(&f.coBureau, "co-bureau", "", "co-handling bureau code")
			fs.StringVar(&f.priority, "priority", "", "default priority: urgent, high or normal")
			fs.BoolVar(&f.local, "local", false, "the resident's street office handles it first")
		}
	}
	return withApp(ctx, "admin "+sub, args, getenv, stderr, extra, func(a *app, fs *flag.FlagSet) error {
		return admin(ctx, a, sub, fs, f, stdout)
	})
}

// adminFlags are the flags of the admin subcommands that change data.
type adminFlags struct {
	address, hours, phone, name string
	bureau, coBureau, priority  string
	local                       bool
}

func admin(ctx context.Context, a *app, sub string, fs *flag.FlagSet, f adminFlags, stdout io.Writer) error {
	switch sub {
	case "import-jurisdictions":
		if fs.NArg() != 1 {
			return fmt.Errorf("usage: tongxin admin import-jurisdictions FILE.csv: %w", errUsage)
		}
		file, err := os.Open(fs.Arg(0))
		if err != nil {
			return err
		}
		defer file.Close()
		rep, err := importJurisdictions(ctx, a.store, file)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d added, %d updated, %d unchanged\n", rep.added, rep.updated, rep.unchanged)
		return nil
	case "bureaus":
		bs, err := a.store.Bureaus(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CODE\tNAME\tADDRESS\tHOURS\tPHONE")
		for _, b := range bs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", b.Code, b.NameZh, dash(b.Address), dash(b.Hours), dash(b.Phone))
		}
		return tw.Flush()
	case "set-bureau":
		if fs.NArg() != 1 {
			return fmt.Errorf("usage: tongxin admin set-bureau CODE [--address A] [--hours H] [--phone P] [--name N]: %w", errUsage)
		}
		return a.store.Update(ctx, func(tx hotline.Tx) error {
			b, err := tx.FindBureau(ctx, fs.Arg(0))
			if err != nil {
				return fmt.Errorf("bureau %s: %w", fs.Arg(0), err)
			}
			fs.Visit(func(set *flag.Flag) {
				switch set.Name {
				case "address":
					b.Address = f.address
				case "hours":
					b.Hours = f.hours
				case "phone":
					b.Phone = f.phone
				case "name":
					b.NameZh = f.name
				}
			})
			return tx.PutBureau(ctx, *b)
		})
	case "routes":
		rs, err := a.store.Routes(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CATEGORY\tBUREAU\tCO-BUREAU\tPRIORITY\tLOCAL FIRST\tNOTE")
		for _, r := range rs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\n", r.Category, r.Bureau, dash(r.CoBureau), r.Priority, r.Local, r.Note)
		}
		return tw.Flush()
	case "set-route":
		if fs.NArg() != 1 || f.bureau == "" {
			return fmt.Errorf("usage: tongxin admin set-route CATEGORY --bureau B [--co-bureau C] [--priority P] [--local]: %w", errUsage)
		}
		cat := fs.Arg(0)
		if !slices.Contains(hotline.Categories, cat) {
			return fmt.Errorf("unknown category %q", cat)
		}
		if f.priority == "" {
			f.priority = hotline.PriorityNormal
		}
		if !slices.Contains([]string{hotline.PriorityUrgent, hotline.PriorityHigh, hotline.PriorityNormal}, f.priority) {
			return fmt.Errorf("unknown priority %q", f.priority)
		}
		return a.store.Update(ctx, func(tx hotline.Tx) error {
			for _, b := range []string{f.bureau, f.coBureau} {
				if b == "" {
					continue
				}
				if _, err := tx.FindBureau(ctx, b); err != nil {
					return fmt.Errorf("bureau %s: %w", b, err)
				}
			}
			return tx.PutRoute(ctx, hotline.Route{Category: cat, Bureau: f.bureau, CoBureau: f.coBureau, Priority: f.priority, Local: f.local})
		})
	}
	return fmt.Errorf("unknown admin command %q: %w", sub, errUsage)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type importReport struct{ added, updated, unchanged int }

var levelRank = map[string]int{hotline.LevelCity: 0, hotline.LevelDistrict: 1, hotline.LevelStreet: 2, hotline.LevelCommunity: 3}

// importJurisdictions loads a CSV with the header
// code,parent,level,name_zh,pinyin. Every row is checked first (levels,
// parents in the file or the store, codes under their parent's code); a
// file with any error changes nothing. Rows are applied parents first, and
// importing the same file again changes nothing.
func importJurisdictions(ctx context.Context, store hotline.Store, r io.Reader) (importReport, error) {
	var rep importReport
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return rep, fmt.Errorf("read CSV: %w", err)
	}
	want := []string{"code", "parent", "level", "name_zh", "pinyin"}
	if len(rows) == 0 || !slices.Equal(trimAll(rows[0]), want) {
		return rep, fmt.Errorf("the first line must be %q", strings.Join(want, ","))
	}
	var problems []error
	var nodes []hotline.Jurisdiction
	inFile := map[string]hotline.Jurisdiction{}
	lineOf := map[string]int{}
	for i, row := range rows[1:] {
		line := i + 2
		if len(row) != len(want) {
			problems = append(problems, fmt.Errorf("line %d: want %d fields, got %d", line, len(want), len(row)))
			continue
		}
		row = trimAll(row)
		j := hotline.Jurisdiction{Code: row[0], Parent: row[1], Level: row[2], NameZh: row[3], Pinyin: row[4]}
		switch {
		case j.Code == "" || j.NameZh == "":
			problems = append(problems, fmt.Errorf("line %d: code and name_zh are required", line))
			continue
		case j.Level == hotline.LevelCity || levelRank[j.Level] == 0:
			problems = append(problems, fmt.Errorf("line %d: level %q must be district, street or community", line, j.Level))
			continue
		case !strings.HasPrefix(j.Code, j.Parent+".") || strings.Contains(strings.TrimPrefix(j.Code, j.Parent+"."), "."):
			problems = append(problems, fmt.Errorf("line %d: code %q must be the parent's code %q, a dot and one more part", line, j.Code, j.Parent))
			continue
		}
		if _, dup := inFile[j.Code]; dup {
			problems = append(problems, fmt.Errorf("line %d: code %q appears twice", line, j.Code))
			continue
		}
		inFile[j.Code] = j
		lineOf[j.Code] = line
		nodes = append(nodes, j)
	}
	for _, j := range nodes {
		parentLevel := ""
		if p, ok := inFile[j.Parent]; ok {
			parentLevel = p.Level
		} else if p, err := store.FindJurisdiction(ctx, j.Parent); err == nil {
			parentLevel = p.Level
		} else if !errors.Is(err, hotline.ErrNotFound) {
			return rep, err
		}
		switch {
		case parentLevel == "":
			problems = append(problems, fmt.Errorf("line %d: %s: parent %q is neither in the file nor in the store", lineOf[j.Code], j.Code, j.Parent))
		case levelRank[parentLevel]+1 != levelRank[j.Level]:
			problems = append(problems, fmt.Errorf("line %d: %s: a %s cannot be under a %s", lineOf[j.Code], j.Code, j.Level, parentLevel))
		}
	}
	if len(problems) > 0 {
		return rep, fmt.Errorf("nothing imported:\n%w", errors.Join(problems...))
	}
	slices.SortStableFunc(nodes, func(a, b hotline.Jurisdiction) int { return levelRank[a.Level] - levelRank[b.Level] })
	err = store.Update(ctx, func(tx hotline.Tx) error {
		rep = importReport{}
		for _, j := range nodes {
			old, err := tx.FindJurisdiction(ctx, j.Code)
			switch {
			case errors.Is(err, hotline.ErrNotFound):
				rep.added++
			case err != nil:
				return err
			case *old == j:
				rep.unchanged++
				continue
			default:
				rep.updated++
			}
			if err := tx.PutJurisdiction(ctx, j); err != nil {
				return fmt.Errorf("%s: %w", j.Code, err)
			}
		}
		return nil
	})
	return rep, err
}

func trimAll(row []string) []string {
	out := make([]string, len(row))
	for i, s := range row {
		out[i] = strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
	}
	return out
}
