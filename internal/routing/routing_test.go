package routing

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/internal/hotline"
)

func TestDecide(t *testing.T) {
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	xishi := &hotline.Jurisdiction{Code: "yingkou.xishi", Parent: "yingkou", Level: hotline.LevelDistrict, NameZh: "西市区"}
	shengli := &hotline.Jurisdiction{Code: "yingkou.xishi.shengli", Parent: "yingkou.xishi", Level: hotline.LevelStreet, NameZh: "胜利街道"}
	pingan := &hotline.Jurisdiction{Code: "yingkou.xishi.shengli.pingan", Parent: "yingkou.xishi.shengli", Level: hotline.LevelCommunity, NameZh: "平安社区"}
	routes := map[string]hotline.Route{}
	for _, r := range hotline.DefaultRoutes {
		routes[r.Category] = r
	}
	route := func(c string) *hotline.Route { r := routes[c]; return &r }

	tests := []struct {
		name         string
		req          Request
		route        *hotline.Route
		bureau       string
		priority     string
		street       string
		firstDue     time.Duration
		reasonSubstr []string
	}{
		{
			name:     "legal aid to justice for the chosen street",
			req:      Request{Category: "legal_aid", District: xishi, Street: shengli, Community: pingan},
			route:    route("legal_aid"),
			bureau:   "justice",
			priority: "high",
			street:   "yingkou.xishi.shengli",
			firstDue: 4 * time.Hour,
			reasonSubstr: []string{
				"routing table: legal_aid → justice",
				"resident chose 西市区 › 胜利街道 › 平安社区",
				"SLA legal_aid/high: first response within 4h, resolution within 7d",
			},
		},
		{
			name:         "emergency is urgent whatever the table says",
			req:          Request{Category: "emergency", Urgent: true},
			route:        &hotline.Route{Category: "emergency", Bureau: "ethnic_affairs", Priority: "normal"},
			bureau:       "ethnic_affairs",
			priority:     "urgent",
			firstDue:     15 * time.Minute,
			reasonSubstr: []string{"emergency request: urgent", "resident gave no place"},
		},
		{
			name:         "dispute goes to the street office first",
			req:          Request{Category: "dispute", District: xishi, Street: shengli},
			route:        route("dispute"),
			bureau:       "ethnic_affairs",
			priority:     "high",
			street:       "yingkou.xishi.shengli",
			firstDue:     4 * time.Hour,
			reasonSubstr: []string{"local handling first: street office 胜利街道"},
		},
		{
			name:         "an unlisted place is kept and explained",
			req:          Request{Category: "jobs", District: xishi, PlaceNote: "站前街道"},
			route:        route("jobs"),
			bureau:       "hrss",
			priority:     "normal",
			firstDue:     24 * time.Hour,
			reasonSubstr: []string{`typed "站前街道" below it`, "SLA */normal"},
		},
		{
			name:         "a category without a route goes to the commission",
			req:          Request{Category: "general"},
			route:        nil,
			bureau:       "ethnic_affairs",
			priority:     "normal",
			firstDue:     24 * time.Hour,
			reasonSubstr: []string{"no route for category general"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Decide(tt.req, tt.route, hotline.DefaultSLAs, now)
			if err != nil {
				t.Fatal(err)
			}
			if d.Bureau != tt.bureau || d.Priority != tt.priority || d.Street != tt.street {
				t.Errorf("got bureau %s priority %s street %q; want %s %s %q", d.Bureau, d.Priority, d.Street, tt.bureau, tt.priority, tt.street)
			}
			if got := d.FirstResponseDue.Sub(now); got != tt.firstDue {
				t.Errorf("first response due in %s, want %s", got, tt.firstDue)
			}
			var all []string
			for _, e := range d.Reasons {
				all = append(all, e.Kind+": "+e.Reason)
			}
			joined := strings.Join(all, "\n")
			for _, s := range tt.reasonSubstr {
				if !strings.Contains(joined, s) {
					t.Errorf("reasons lack %q:\n%s", s, joined)
				}
			}
			if len(d.Reasons) != 4 {
				t.Errorf("want 4 reasons (routed, jurisdiction, prioritized, sla), got %d", len(d.Reasons))
			}
		})
	}
}

func TestDecideRejectsMismatchedPlaces(t *testing.T) {
	xishi := &hotline.Jurisdiction{Code: "yingkou.xishi", NameZh: "西市区"}
	other := &hotline.Jurisdiction{Code: "yingkou.zhanqian.x", Parent: "yingkou.zhanqian", NameZh: "某街道"}
	_, err := Decide(Request{Category: "jobs", District: xishi, Street: other}, nil, hotline.DefaultSLAs, time.Now())
	if !errors.Is(err, hotline.ErrInvalid) {
		t.Fatalf("want ErrInvalid for a street outside the district, got %v", err)
	}
}

func TestDecideWithoutSLA(t *testing.T) {
	_, err := Decide(Request{Category: "jobs"}, nil, nil, time.Now())
	if !errors.Is(err, hotline.ErrNotFound) {
		t.Fatalf("want ErrNotFound without SLA rules, got %v", err)
	}
}
