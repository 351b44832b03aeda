// Package tickets opens tickets: it routes a request (routing.Decide over
// the store's rules), reserves a readable number and stores the ticket with
// the timeline that explains it, all inside the caller's transaction. Every
// channel opens tickets this way.
package tickets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/notify"
	"github.com/tongxin/tongxin/internal/routing"
)

// Opener opens tickets numbered with Prefix (YK-2026-000001), the year
// taken in Location.
type Opener struct {
	Prefix   string
	Location *time.Location
	// Notifier, when set, sends the "request received" template to
	// residents who can be reached only by template.
	Notifier *notify.Notifier
}

// Request is a request to become a ticket.
type Request struct {
	ResidentID int64
	Category   string
	// Fields are non-sensitive answers; "district_note", "street_note" or
	// "community_note" hold a place typed because it is not listed.
	Fields map[string]string
	// Sensitive are answers that are personal information.
	Sensitive map[string]string
	// District, Street and Community are jurisdiction codes, or empty.
	District, Street, Community string
	// LegalBasis is "consent", "request" or "emergency"; emergency
	// requests are urgent.
	LegalBasis string
	Language   string
	Channel    string
	// How says how the resident asked, for the timeline ("submitted the
	// legal_aid form", "left a voice message").
	How string
}

// Open routes r and stores the ticket in tx. It fails with an error
// wrapping hotline.ErrNotFound when a chosen place does not exist.
func (o Opener) Open(ctx context.Context, tx hotline.Tx, r Request, now time.Time) (*hotline.Ticket, error) {
	req := routing.Request{Category: r.Category, Urgent: r.LegalBasis == "emergency"}
	var err error
	if req.District, err = place(ctx, tx, r.District); err != nil {
		return nil, err
	}
	if req.Street, err = place(ctx, tx, r.Street); err != nil {
		return nil, err
	}
	if req.Community, err = place(ctx, tx, r.Community); err != nil {
		return nil, err
	}
	for _, k := range []string{"community_note", "street_note", "district_note"} {
		if r.Fields[k] != "" {
			req.PlaceNote = r.Fields[k]
			break
		}
	}
	route, err := tx.FindRoute(ctx, r.Category)
	if errors.Is(err, hotline.ErrNotFound) {
		route, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find route %s: %w", r.Category, err)
	}
	slas, err := tx.SLAs(ctx)
	if err != nil {
		return nil, fmt.Errorf("read SLA table: %w", err)
	}
	d, err := routing.Decide(req, route, slas, now)
	if err != nil {
		return nil, fmt.Errorf("route %s request: %w", r.Category, err)
	}
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	number, err := tx.NextTicketNumber(ctx, o.Prefix, now.In(loc).Year())
	if err != nil {
		return nil, fmt.Errorf("reserve ticket number: %w", err)
	}
	t := &hotline.Ticket{
		Number: number, Category: r.Category, Priority: d.Priority, Status: hotline.StatusNew,
		Bureau: d.Bureau, CoBureau: d.CoBureau,
		District: d.District, Street: d.Street, Community: d.Community,
		ResidentID: r.ResidentID, Language: r.Language, Channel: r.Channel,
		Fields: r.Fields, Sensitive: r.Sensitive, LegalBasis: r.LegalBasis,
		CreatedAt: now, UpdatedAt: now,
		FirstResponseDue: d.FirstResponseDue, ResolutionDue: d.ResolutionDue,
	}
	if err := tx.CreateTicket(ctx, t); err != nil {
		return nil, fmt.Errorf("create ticket %s: %w", number, err)
	}
	events := append([]hotline.Event{{
		Kind: hotline.EventCreated, Actor: "resident", At: now,
		Reason: fmt.Sprintf("resident %s on %s in %s", r.How, r.Channel, r.Language),
		Data:   map[string]string{"legal_basis": r.LegalBasis},
	}}, d.Reasons...)
	for i := range events {
		events[i].TicketID = t.ID
		if err := tx.AppendEvent(ctx, &events[i]); err != nil {
			return nil, fmt.Errorf("record %s event: %w", events[i].Kind, err)
		}
	}
	if o.Notifier != nil && o.Notifier.TemplateOnly(r.Channel) {
		if _, err := o.Notifier.Enqueue(ctx, tx, t, notify.TicketReceived, now); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func place(ctx context.Context, tx hotline.Tx, code string) (*hotline.Jurisdiction, error) {
	if code == "" {
		return nil, nil
	}
	j, err := tx.FindJurisdiction(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("find jurisdiction %s: %w", code, err)
	}
	return j, nil
}
