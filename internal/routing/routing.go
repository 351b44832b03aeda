// Package routing decides where a request goes: the responsible bureau
// from the routing table, the jurisdiction from the resident's place, the
// priority and the due times from the SLA table. It is pure: the caller
// reads the rules from the store and records the decision. Every part of
// the decision comes with the reason an operator can check.
package routing

import (
	"fmt"
	"strings"
	"time"

	"github.com/tongxin/tongxin/internal/hotline"
)

// Request is what routing needs to know of a request.
type Request struct {
	Category string
	// Places are the resident's chosen jurisdiction nodes, from the
	// district down; absent levels are nil.
	District, Street, Community *hotline.Jurisdiction
	// PlaceNote is a place the resident typed because it is not listed.
	PlaceNote string
	// Urgent forces urgent priority (an emergency form).
	Urgent bool
}

// Decision is where a ticket goes and when it is due.
type Decision struct {
	Bureau           string
	CoBureau         string
	Priority         string
	District         string
	Street           string
	Community        string
	FirstResponseDue time.Time
	ResolutionDue    time.Time
	// Reasons are the timeline events that explain the decision, in order.
	Reasons []hotline.Event
}

// Decide routes a request. route is the category's row of the routing
// table (nil when the category has none: the commission takes it); slas is
// the whole SLA table.
func Decide(req Request, route *hotline.Route, slas []hotline.SLA, now time.Time) (Decision, error) {
	var d Decision
	event := func(kind, reason string, data map[string]string) {
		d.Reasons = append(d.Reasons, hotline.Event{Kind: kind, Actor: "system", Reason: reason, Data: data, At: now})
	}

	if route == nil {
		d.Bureau = hotline.BureauEthnicAffairs
		event(hotline.EventRouted, fmt.Sprintf("no route for category %s: the commission (ethnic_affairs) takes it", req.Category),
			map[string]string{"bureau": d.Bureau})
	} else {
		d.Bureau, d.CoBureau = route.Bureau, route.CoBureau
		reason := fmt.Sprintf("routing table: %s → %s", req.Category, route.Bureau)
		if route.CoBureau != "" {
			reason += fmt.Sprintf(", co-handled by %s", route.CoBureau)
		}
		if route.Note != "" {
			reason += " (" + route.Note + ")"
		}
		event(hotline.EventRouted, reason, map[string]string{"bureau": d.Bureau, "co_bureau": d.CoBureau})
	}

	var path []string
	for _, j := range []*hotline.Jurisdiction{req.District, req.Street, req.Community} {
		if j != nil {
			path = append(path, j.NameZh)
		}
	}
	if req.District != nil {
		d.District = req.District.Code
	}
	if req.Street != nil {
		if req.District == nil || req.Street.Parent != req.District.Code {
			return Decision{}, fmt.Errorf("street %s is not in district %s: %w", req.Street.Code, d.District, hotline.ErrInvalid)
		}
		d.Street = req.Street.Code
	}
	if req.Community != nil {
		if req.Street == nil || req.Community.Parent != req.Street.Code {
			return Decision{}, fmt.Errorf("community %s is not in street %s: %w", req.Community.Code, d.Street, hotline.ErrInvalid)
		}
		d.Community = req.Community.Code
	}
	var reason string
	switch {
	case len(path) == 0 && req.PlaceNote == "":
		reason = "resident gave no place: the city-level queue"
	case len(path) == 0:
		reason = fmt.Sprintf("resident's place is not in the tree (typed %q): the city-level queue", req.PlaceNote)
	default:
		reason = "resident chose " + strings.Join(path, " › ")
		if req.PlaceNote != "" {
			reason += fmt.Sprintf(" and typed %q below it", req.PlaceNote)
		}
	}
	if route != nil && route.Local {
		if d.Street != "" {
			reason += fmt.Sprintf("; local handling first: street office %s", req.Street.NameZh)
		} else {
			reason += "; local handling first, but no street office is known: the commission assigns one"
		}
	}
	event(hotline.EventJurisdiction, reason, map[string]string{"district": d.District, "street": d.Street, "community": d.Community})

	switch {
	case req.Urgent:
		d.Priority = hotline.PriorityUrgent
		event(hotline.EventPrioritized, "emergency request: urgent", map[string]string{"priority": d.Priority})
	case route != nil && route.Priority != "":
		d.Priority = route.Priority
		event(hotline.EventPrioritized, fmt.Sprintf("routing table: %s is %s", req.Category, d.Priority), map[string]string{"priority": d.Priority})
	default:
		d.Priority = hotline.PriorityNormal
		event(hotline.EventPrioritized, "default priority: normal", map[string]string{"priority": d.Priority})
	}

	sla, ok := FindSLA(slas, req.Category, d.Priority)
	if !ok {
		return Decision{}, fmt.Errorf("no SLA rule for %s/%s or */%s: %w", req.Category, d.Priority, d.Priority, hotline.ErrNotFound)
	}
	d.FirstResponseDue = now.Add(sla.FirstResponse)
	d.ResolutionDue = now.Add(sla.Resolution)
	event(hotline.EventSLA, fmt.Sprintf("SLA %s/%s: first response within %s, resolution within %s",
		sla.Category, sla.Priority, human(sla.FirstResponse), human(sla.Resolution)),
		map[string]string{
			"first_response_due": d.FirstResponseDue.UTC().Format(time.RFC3339),
			"resolution_due":     d.ResolutionDue.UTC().Format(time.RFC3339),
		})
	return d, nil
}

// FindSLA picks the rule for a category and priority, falling back to the
// default rule "*" of that priority.
func FindSLA(slas []hotline.SLA, category, priority string) (hotline.SLA, bool) {
	var fallback *hotline.SLA
	for i, s := range slas {
		if s.Priority != priority {
			continue
		}
		if s.Category == category {
			return s, true
		}
		if s.Category == "*" {
			fallback = &slas[i]
		}
	}
	if fallback != nil {
		return *fallback, true
	}
	return hotline.SLA{}, false
}

// human writes a duration the way the rules are usually written: days,
// hours or minutes.
func human(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	default:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
}
