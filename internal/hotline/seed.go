package hotline

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// SeedVersion names the seed data below; Seed records it so that the seed
// loads once and later edits by the commission are kept.
const SeedVersion = "yingkou-2026-1"

// DefaultBureaus are the departments the work plan (营政办发〔2014〕29号)
// gives duties to, under their current names. Addresses, hours and phone
// numbers are left for the commission to enter.
var DefaultBureaus = []Bureau{
	{Code: BureauEthnicAffairs, NameZh: "营口市民族事务委员会"},
	{Code: BureauPublicSecurity, NameZh: "营口市公安局"},
	{Code: BureauEducation, NameZh: "营口市教育局"},
	{Code: BureauJustice, NameZh: "营口市司法局（法律援助中心）"},
	{Code: BureauHRSS, NameZh: "营口市人力资源和社会保障局"},
	{Code: BureauCivilAffairs, NameZh: "营口市民政局"},
	{Code: BureauHealth, NameZh: "营口市卫生健康委员会"},
	{Code: BureauMarketRegulation, NameZh: "营口市市场监督管理局"},
	{Code: BureauUrbanManagement, NameZh: "营口市城市管理综合执法局"},
	{Code: BureauHousing, NameZh: "营口市住房和城乡建设局"},
	{Code: BureauTourism, NameZh: "营口市文化旅游局"},
}

// DefaultJurisdictions are Yingkou, its districts and county-level cities,
// and the pilot street office and community the plan names. The rest of the
// tree is imported by the commission.
var DefaultJurisdictions = []Jurisdiction{
	{Code: "yingkou", Level: LevelCity, NameZh: "营口市", Pinyin: "Yingkou"},
	{Code: "yingkou.zhanqian", Parent: "yingkou", Level: LevelDistrict, NameZh: "站前区", Pinyin: "Zhanqian"},
	{Code: "yingkou.xishi", Parent: "yingkou", Level: LevelDistrict, NameZh: "西市区", Pinyin: "Xishi"},
	{Code: "yingkou.bayuquan", Parent: "yingkou", Level: LevelDistrict, NameZh: "鲅鱼圈区", Pinyin: "Bayuquan"},
	{Code: "yingkou.laobian", Parent: "yingkou", Level: LevelDistrict, NameZh: "老边区", Pinyin: "Laobian"},
	{Code: "yingkou.gaizhou", Parent: "yingkou", Level: LevelDistrict, NameZh: "盖州市", Pinyin: "Gaizhou"},
	{Code: "yingkou.dashiqiao", Parent: "yingkou", Level: LevelDistrict, NameZh: "大石桥市", Pinyin: "Dashiqiao"},
	{Code: "yingkou.xishi.shengli", Parent: "yingkou.xishi", Level: LevelStreet, NameZh: "胜利街道", Pinyin: "Shengli"},
	{Code: "yingkou.xishi.shengli.pingan", Parent: "yingkou.xishi.shengli", Level: LevelCommunity, NameZh: "平安社区", Pinyin: "Ping'an"},
}

// DefaultRoutes is the routing table the commission starts from.
var DefaultRoutes = []Route{
	{Category: CategoryRegistration, Bureau: BureauPublicSecurity, Priority: PriorityNormal, Note: "residence registration and residence permit (居住证)"},
	{Category: CategorySchooling, Bureau: BureauEducation, Priority: PriorityNormal, Note: "nearby enrolment, equal fees, aid for poor families"},
	{Category: CategoryJobs, Bureau: BureauHRSS, Priority: PriorityNormal, Note: "employment, training, language classes"},
	{Category: CategoryMedical, Bureau: BureauHRSS, CoBureau: BureauHealth, Priority: PriorityNormal, Note: "insurance at HR & social security; health co-handles services and disputes"},
	{Category: CategoryLegalAid, Bureau: BureauJustice, Priority: PriorityHigh, Note: "legal aid centre window"},
	{Category: CategoryEmergency, Bureau: BureauEthnicAffairs, CoBureau: BureauCivilAffairs, Priority: PriorityUrgent, Note: "duty desk; hands over to 110/119/120; civil affairs for hardship aid"},
	{Category: CategoryBusinessLicence, Bureau: BureauMarketRegulation, Priority: PriorityNormal},
	{Category: CategoryUrbanManagement, Bureau: BureauUrbanManagement, Priority: PriorityNormal, Note: "street vending, outdoor stalls"},
	{Category: CategoryDispute, Bureau: BureauEthnicAffairs, Priority: PriorityHigh, Local: true, Note: "local handling first: the resident's street office"},
	{Category: CategoryGeneral, Bureau: BureauEthnicAffairs, Priority: PriorityNormal},
}

// DefaultSLAs are the due times a ticket starts with, after common 12345
// hotline rules: urgent matters the same day, others within working days.
// Durations are calendar time.
var DefaultSLAs = []SLA{
	{Category: "*", Priority: PriorityUrgent, FirstResponse: 30 * time.Minute, Resolution: 24 * time.Hour},
	{Category: "*", Priority: PriorityHigh, FirstResponse: 4 * time.Hour, Resolution: 3 * 24 * time.Hour},
	{Category: "*", Priority: PriorityNormal, FirstResponse: 24 * time.Hour, Resolution: 5 * 24 * time.Hour},
	{Category: CategoryEmergency, Priority: PriorityUrgent, FirstResponse: 15 * time.Minute, Resolution: 24 * time.Hour},
	{Category: CategoryLegalAid, Priority: PriorityHigh, FirstResponse: 4 * time.Hour, Resolution: 7 * 24 * time.Hour},
}

const seedKey = "seed_version"

// Seed loads the default reference data into an empty store. It does nothing
// when a seed was loaded before, so the commission's edits survive restarts.
// It reports whether it loaded anything.
func Seed(ctx context.Context, s Store) (bool, error) {
	seeded := false
	err := s.Update(ctx, func(tx Tx) error {
		v, err := tx.Setting(ctx, seedKey)
		switch {
		case err == nil && v != "":
			return nil
		case err != nil && !errors.Is(err, ErrNotFound):
			return fmt.Errorf("read seed version: %w", err)
		}
		for _, b := range DefaultBureaus {
			if err := tx.PutBureau(ctx, b); err != nil {
				return fmt.Errorf("bureau %s: %w", b.Code, err)
			}
		}
		for _, j := range DefaultJurisdictions {
			if err := tx.PutJurisdiction(ctx, j); err != nil {
				return fmt.Errorf("jurisdiction %s: %w", j.Code, err)
			}
		}
		for _, r := range DefaultRoutes {
			if err := tx.PutRoute(ctx, r); err != nil {
				return fmt.Errorf("route %s: %w", r.Category, err)
			}
		}
		for _, sla := range DefaultSLAs {
			if err := tx.PutSLA(ctx, sla); err != nil {
				return fmt.Errorf("sla %s/%s: %w", sla.Category, sla.Priority, err)
			}
		}
		seeded = true
		return tx.PutSetting(ctx, seedKey, SeedVersion)
	})
	if err != nil {
		return false, fmt.Errorf("seed: %w", err)
	}
	return seeded, nil
}
