package hotline

import "time"

// Bureau codes.
const (
	BureauEthnicAffairs    = "ethnic_affairs"
	BureauPublicSecurity   = "public_security"
	BureauEducation        = "education"
	BureauJustice          = "justice"
	BureauHRSS             = "hrss"
	BureauCivilAffairs     = "civil_affairs"
	BureauHealth           = "health"
	BureauMarketRegulation = "market_regulation"
	BureauUrbanManagement  = "urban_management"
	BureauHousing          = "housing"
	BureauTourism          = "tourism"
)

// Bureau is a government department with a ticket queue. Address, Hours and
// Phone are maintained by the commission; they stay empty until it sets them,
// and residents are then told to ask instead.
type Bureau struct {
	Code    string
	NameZh  string
	Address string
	Hours   string
	Phone   string
}

// Jurisdiction levels, from the top.
const (
	LevelCity      = "city"
	LevelDistrict  = "district" // districts and county-level cities
	LevelStreet    = "street"   // street offices (街道) and towns
	LevelCommunity = "community"
)

// Jurisdiction is a node of the four-level tree city → district → street
// office → community. Code is the parent's code, a dot and a slug, so a
// node's code starts with every ancestor's code.
type Jurisdiction struct {
	Code   string
	Parent string
	Level  string
	NameZh string
	Pinyin string
}

// Route says which bureau handles a category.
type Route struct {
	Category string
	Bureau   string
	// CoBureau co-handles part of the category (health for medical
	// disputes); empty when none.
	CoBureau string
	// Priority is the category's default priority.
	Priority string
	// Local means the resident's street office handles it first (属地管理).
	Local bool
	Note  string
}

// SLA gives a category's due times at a priority. Category "*" is the
// default for categories without their own rule.
type SLA struct {
	Category      string
	Priority      string
	FirstResponse time.Duration
	Resolution    time.Duration
}
