package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/tongxin/tongxin/internal/hotline"
)

func testBureaus(t *testing.T, open func(t *testing.T) hotline.Store) {
	s := open(t)
	ctx := t.Context()
	justice := hotline.Bureau{Code: hotline.BureauJustice, NameZh: "营口市司法局"}
	education := hotline.Bureau{Code: hotline.BureauEducation, NameZh: "营口市教育局", Address: "站前区", Hours: "8:30-17:00", Phone: "0417-0000000"}
	update(t, s, func(tx hotline.Tx) error {
		if err := tx.PutBureau(ctx, justice); err != nil {
			return err
		}
		return tx.PutBureau(ctx, education)
	})
	got, err := s.Bureaus(ctx)
	must(t, "Bureaus", err)
	diff(t, "bureaus ordered by code", []hotline.Bureau{education, justice}, got)

	t.Run("replace", func(t *testing.T) {
		justice.NameZh, justice.Hours = "营口市司法局（法律援助中心）", "9:00-16:00"
		update(t, s, func(tx hotline.Tx) error { return tx.PutBureau(ctx, justice) })
		got, err := s.FindBureau(ctx, justice.Code)
		must(t, "FindBureau", err)
		diff(t, "bureau", &justice, got)
		all, err := s.Bureaus(ctx)
		must(t, "Bureaus", err)
		diff(t, "bureaus", []hotline.Bureau{education, justice}, all)
	})

	t.Run("not found", func(t *testing.T) {
		_, err := s.FindBureau(ctx, hotline.BureauTourism)
		wantErr(t, "FindBureau", err, hotline.ErrNotFound)
	})
}

func testJurisdictions(t *testing.T, open func(t *testing.T) hotline.Store) {
	s := open(t)
	ctx := t.Context()
	city := hotline.Jurisdiction{Code: "yingkou", Level: hotline.LevelCity, NameZh: "营口市", Pinyin: "Yingkou"}
	other := hotline.Jurisdiction{Code: "dalian", Level: hotline.LevelCity, NameZh: "大连市", Pinyin: "Dalian"}
	xishi := hotline.Jurisdiction{Code: "yingkou.xishi", Parent: "yingkou", Level: hotline.LevelDistrict, NameZh: "西市区", Pinyin: "Xishi"}
	bayuquan := hotline.Jurisdiction{Code: "yingkou.bayuquan", Parent: "yingkou", Level: hotline.LevelDistrict, NameZh: "鲅鱼圈区", Pinyin: "Bayuquan"}
	shengli := hotline.Jurisdiction{Code: "yingkou.xishi.shengli", Parent: "yingkou.xishi", Level: hotline.LevelStreet, NameZh: "胜利街道", Pinyin: "Shengli"}
	pingan := hotline.Jurisdiction{Code: "yingkou.xishi.shengli.pingan", Parent: "yingkou.xishi.shengli", Level: hotline.LevelCommunity, NameZh: "平安社区", Pinyin: "Ping'an"}

	t.Run("valid tree", func(t *testing.T) {
		for _, j := range []hotline.Jurisdiction{city, other, xishi, bayuquan, shengli, pingan} {
			update(t, s, func(tx hotline.Tx) error { return tx.PutJurisdiction(ctx, j) })
		}
		tests := []struct {
			parent string
			want   []hotline.Jurisdiction
		}{
			{"", []hotline.Jurisdiction{other, city}},
			{"yingkou", []hotline.Jurisdiction{bayuquan, xishi}},
			{"yingkou.xishi", []hotline.Jurisdiction{shengli}},
			{"yingkou.xishi.shengli", []hotline.Jurisdiction{pingan}},
			{"yingkou.xishi.shengli.pingan", nil},
			{"nowhere", nil},
		}
		for _, tt := range tests {
			got, err := s.Jurisdictions(ctx, tt.parent)
			must(t, "Jurisdictions", err)
			diff(t, "children of "+tt.parent, tt.want, got)
		}
		got, err := s.FindJurisdiction(ctx, pingan.Code)
		must(t, "FindJurisdiction", err)
		diff(t, "community", &pingan, got)
	})

	t.Run("replace", func(t *testing.T) {
		xishi.NameZh, xishi.Pinyin = "西市区（新）", "Xishi Qu"
		update(t, s, func(tx hotline.Tx) error { return tx.PutJurisdiction(ctx, xishi) })
		got, err := s.FindJurisdiction(ctx, xishi.Code)
		must(t, "FindJurisdiction", err)
		diff(t, "district", &xishi, got)
		children, err := s.Jurisdictions(ctx, xishi.Code)
		must(t, "Jurisdictions", err)
		diff(t, "children kept", []hotline.Jurisdiction{shengli}, children)
	})

	t.Run("invalid", func(t *testing.T) {
		tests := []struct {
			name string
			j    hotline.Jurisdiction
		}{
			{"district without parent", hotline.Jurisdiction{Code: "gaizhou", Level: hotline.LevelDistrict, NameZh: "盖州市"}},
			{"missing parent", hotline.Jurisdiction{Code: "yingkou.gaizhou", Parent: "yingkou.nowhere", Level: hotline.LevelDistrict, NameZh: "盖州市"}},
			{"street under a city", hotline.Jurisdiction{Code: "yingkou.dongfeng", Parent: "yingkou", Level: hotline.LevelStreet, NameZh: "东风街道"}},
			{"community under a district", hotline.Jurisdiction{Code: "yingkou.xishi.x", Parent: "yingkou.xishi", Level: hotline.LevelCommunity, NameZh: "某社区"}},
			{"district under a district", hotline.Jurisdiction{Code: "yingkou.xishi.y", Parent: "yingkou.xishi", Level: hotline.LevelDistrict, NameZh: "某区"}},
			{"city with a parent", hotline.Jurisdiction{Code: "yingkou.z", Parent: "yingkou", Level: hotline.LevelCity, NameZh: "某市"}},
			{"unknown level", hotline.Jurisdiction{Code: "yingkou.w", Parent: "yingkou", Level: "province", NameZh: "某省"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := s.Update(ctx, func(tx hotline.Tx) error { return tx.PutJurisdiction(ctx, tt.j) })
				wantErr(t, "PutJurisdiction", err, hotline.ErrInvalid)
				_, err = s.FindJurisdiction(ctx, tt.j.Code)
				wantErr(t, "FindJurisdiction of the rejected node", err, hotline.ErrNotFound)
			})
		}
	})

	t.Run("not found", func(t *testing.T) {
		_, err := s.FindJurisdiction(ctx, "yingkou.nowhere")
		wantErr(t, "FindJurisdiction", err, hotline.ErrNotFound)
	})
}

func testRoutes(t *testing.T, open func(t *testing.T) hotline.Store) {
	s := open(t)
	ctx := t.Context()
	dispute := hotline.Route{Category: hotline.CategoryDispute, Bureau: hotline.BureauEthnicAffairs, Priority: hotline.PriorityHigh, Local: true, Note: "street office first"}
	medical := hotline.Route{Category: hotline.CategoryMedical, Bureau: hotline.BureauHRSS, CoBureau: hotline.BureauHealth, Priority: hotline.PriorityNormal}
	update(t, s, func(tx hotline.Tx) error {
		if err := tx.PutRoute(ctx, medical); err != nil {
			return err
		}
		return tx.PutRoute(ctx, dispute)
	})
	got, err := s.Routes(ctx)
	must(t, "Routes", err)
	diff(t, "routes ordered by category", []hotline.Route{dispute, medical}, got)

	t.Run("replace", func(t *testing.T) {
		dispute.Local, dispute.Bureau, dispute.Note = false, hotline.BureauJustice, ""
		update(t, s, func(tx hotline.Tx) error { return tx.PutRoute(ctx, dispute) })
		got, err := s.FindRoute(ctx, dispute.Category)
		must(t, "FindRoute", err)
		diff(t, "route", &dispute, got)
	})

	t.Run("not found", func(t *testing.T) {
		_, err := s.FindRoute(ctx, hotline.CategoryJobs)
		wantErr(t, "FindRoute", err, hotline.ErrNotFound)
	})
}

func testSLAs(t *testing.T, open func(t *testing.T) hotline.Store) {
	s := open(t)
	ctx := t.Context()
	defNormal := hotline.SLA{Category: "*", Priority: hotline.PriorityNormal, FirstResponse: 24 * time.Hour, Resolution: 5 * 24 * time.Hour}
	defUrgent := hotline.SLA{Category: "*", Priority: hotline.PriorityUrgent, FirstResponse: 30 * time.Minute, Resolution: 24 * time.Hour}
	emergency := hotline.SLA{Category: hotline.CategoryEmergency, Priority: hotline.PriorityUrgent, FirstResponse: 15 * time.Minute, Resolution: 24 * time.Hour}
	legal := hotline.SLA{Category: hotline.CategoryLegalAid, Priority: hotline.PriorityHigh, FirstResponse: 4*time.Hour + 30*time.Second, Resolution: 7 * 24 * time.Hour}
	update(t, s, func(tx hotline.Tx) error {
		for _, sla := range []hotline.SLA{defNormal, defUrgent, emergency, legal} {
			if err := tx.PutSLA(ctx, sla); err != nil {
				return err
			}
		}
		return nil
	})

	t.Run("table", func(t *testing.T) {
		got, err := s.SLAs(ctx)
		must(t, "SLAs", err)
		// The contract gives no order.
		byKey := map[[2]string]hotline.SLA{}
		for _, sla := range got {
			byKey[[2]string{sla.Category, sla.Priority}] = sla
		}
		want := map[[2]string]hotline.SLA{}
		for _, sla := range []hotline.SLA{defNormal, defUrgent, emergency, legal} {
			want[[2]string{sla.Category, sla.Priority}] = sla
		}
		if len(got) != len(want) {
			t.Errorf("SLAs returned %d rules, want %d", len(got), len(want))
		}
		diff(t, "SLAs", want, byKey)
	})

	tests := []struct {
		name     string
		category string
		priority string
		want     *hotline.SLA
	}{
		{"own rule", hotline.CategoryEmergency, hotline.PriorityUrgent, &emergency},
		{"own rule with seconds", hotline.CategoryLegalAid, hotline.PriorityHigh, &legal},
		{"default for the category", hotline.CategoryJobs, hotline.PriorityUrgent, &defUrgent},
		{"default when the category has rules at other priorities", hotline.CategoryEmergency, hotline.PriorityNormal, &defNormal},
		{"no rule and no default", hotline.CategoryLegalAid, "whenever", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.FindSLA(ctx, tt.category, tt.priority)
			if tt.want == nil {
				wantErr(t, "FindSLA", err, hotline.ErrNotFound)
				return
			}
			must(t, "FindSLA", err)
			diff(t, "SLA", tt.want, got)
		})
	}

	t.Run("replace", func(t *testing.T) {
		emergency.FirstResponse = 10 * time.Minute
		update(t, s, func(tx hotline.Tx) error { return tx.PutSLA(ctx, emergency) })
		got, err := s.FindSLA(ctx, emergency.Category, emergency.Priority)
		must(t, "FindSLA", err)
		diff(t, "SLA", &emergency, got)
	})
}

func testSettings(t *testing.T, open func(t *testing.T) hotline.Store) {
	s := open(t)
	ctx := t.Context()
	_, err := s.Setting(ctx, "motd")
	wantErr(t, "Setting", err, hotline.ErrNotFound)
	for _, v := range []string{"欢迎", "", "خۇش كەلدىڭىز"} {
		must(t, "PutSetting", s.PutSetting(ctx, "motd", v))
		got, err := s.Setting(ctx, "motd")
		must(t, "Setting", err)
		if got != v {
			t.Errorf("Setting = %q, want %q", got, v)
		}
	}
	must(t, "PutSetting", s.PutSetting(ctx, "other", "x"))
	got, err := s.Setting(ctx, "motd")
	must(t, "Setting", err)
	if got != "خۇش كەلدىڭىز" {
		t.Errorf("Setting changed by another key: %q", got)
	}
	// A setting written in a transaction that rolls back is not kept; one
	// that commits is, and is visible inside the transaction.
	boom := errors.New("boom")
	err = s.Update(ctx, func(tx hotline.Tx) error {
		if err := tx.PutSetting(ctx, "motd", "rolled back"); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, "Update", err, boom)
	update(t, s, func(tx hotline.Tx) error {
		if err := tx.PutSetting(ctx, "tx", "kept"); err != nil {
			return err
		}
		v, err := tx.Setting(ctx, "tx")
		if err == nil && v != "kept" {
			t.Errorf("setting inside its transaction: %q", v)
		}
		return err
	})
	for key, want := range map[string]string{"motd": "خۇش كەلدىڭىز", "tx": "kept"} {
		got, err := s.Setting(ctx, key)
		must(t, "Setting", err)
		if got != want {
			t.Errorf("Setting(%s) = %q, want %q", key, got, want)
		}
	}
	must(t, "Ping", s.Ping(ctx))
}

func testSeed(t *testing.T, open func(t *testing.T) hotline.Store) {
	s := open(t)
	ctx := t.Context()
	loaded, err := hotline.Seed(ctx, s)
	must(t, "Seed", err)
	if !loaded {
		t.Fatal("Seed into an empty store loaded nothing")
	}
	bureaus, err := s.Bureaus(ctx)
	must(t, "Bureaus", err)
	if len(bureaus) != len(hotline.DefaultBureaus) {
		t.Errorf("%d bureaus after seeding, want %d", len(bureaus), len(hotline.DefaultBureaus))
	}
	routes, err := s.Routes(ctx)
	must(t, "Routes", err)
	if len(routes) != len(hotline.DefaultRoutes) {
		t.Errorf("%d routes after seeding, want %d", len(routes), len(hotline.DefaultRoutes))
	}
	slas, err := s.SLAs(ctx)
	must(t, "SLAs", err)
	if len(slas) != len(hotline.DefaultSLAs) {
		t.Errorf("%d SLAs after seeding, want %d", len(slas), len(hotline.DefaultSLAs))
	}
	top, err := s.Jurisdictions(ctx, "")
	must(t, "Jurisdictions", err)
	diff(t, "top level", hotline.DefaultJurisdictions[:1], top)
	sla, err := s.FindSLA(ctx, hotline.CategoryJobs, hotline.PriorityNormal)
	must(t, "FindSLA", err)
	if sla.Category != "*" {
		t.Errorf("FindSLA(jobs, normal) found category %q, want the default", sla.Category)
	}

	edited := hotline.Bureau{Code: hotline.BureauJustice, NameZh: "营口市司法局", Address: "西市区", Hours: "8:30-17:00", Phone: "0417-1234567"}
	update(t, s, func(tx hotline.Tx) error { return tx.PutBureau(ctx, edited) })
	loaded, err = hotline.Seed(ctx, s)
	must(t, "Seed again", err)
	if loaded {
		t.Error("second Seed loaded again")
	}
	got, err := s.FindBureau(ctx, hotline.BureauJustice)
	must(t, "FindBureau", err)
	diff(t, "edited bureau", &edited, got)
}
