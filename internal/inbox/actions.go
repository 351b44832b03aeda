package inbox

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/internal/hotline"
	"github.com/tongxin/tongxin/internal/tickets"
)

// actions are the engine's effects, done in the event's transaction.
type actions struct {
	tx  hotline.Tx
	res *hotline.Resident
	// inbound is the event being handled.
	inbound int64
	channel string
	now     time.Time
	opener  tickets.Opener
}

func (a *actions) saveResident(ctx context.Context) error {
	a.res.UpdatedAt = a.now
	if err := a.tx.UpdateResident(ctx, a.res); err != nil {
		return fmt.Errorf("update resident %d: %w", a.res.ID, err)
	}
	return nil
}

func (a *actions) SetLanguage(ctx context.Context, lang string) error {
	a.res.Lang = lang
	return a.saveResident(ctx)
}

func (a *actions) SetPhone(ctx context.Context, phone string) error {
	a.res.Phone = phone
	return a.saveResident(ctx)
}

func (a *actions) RecordConsent(ctx context.Context, purpose, version string, granted bool) error {
	c := &hotline.Consent{
		ResidentID: a.res.ID, Purpose: purpose, Version: version, Lang: a.res.Lang,
		Channel: a.channel, Granted: granted, CreatedAt: a.now,
	}
	if err := a.tx.RecordConsent(ctx, c); err != nil {
		return fmt.Errorf("record consent: %w", err)
	}
	return nil
}

// OpenTicket turns the resident's completed form into a ticket.
func (a *actions) OpenTicket(ctx context.Context, r bot.Request) (bot.Receipt, error) {
	t, err := a.opener.Open(ctx, a.tx, tickets.Request{
		ResidentID: a.res.ID, Category: r.Category, Fields: r.Fields, Sensitive: r.Sensitive,
		District: r.District, Street: r.Street, Community: r.Community,
		LegalBasis: r.LegalBasis, Language: a.res.Lang, Channel: a.channel,
		How: "submitted the " + r.Category + " form",
	}, a.now)
	if err != nil {
		return bot.Receipt{}, err
	}
	return bot.Receipt{Number: t.Number, Bureau: t.Bureau, Priority: t.Priority, FirstResponseDue: t.FirstResponseDue}, nil
}

func (a *actions) Tickets(ctx context.Context) ([]bot.TicketView, error) {
	id := a.res.ID
	ts, err := a.tx.FindTickets(ctx, hotline.TicketFilter{ResidentID: &id})
	if err != nil {
		return nil, fmt.Errorf("find tickets of resident %d: %w", id, err)
	}
	out := make([]bot.TicketView, len(ts))
	for i, t := range ts {
		out[i] = bot.TicketView{Number: t.Number, Category: t.Category, Status: t.Status, Bureau: t.Bureau, CreatedAt: t.CreatedAt}
	}
	return out, nil
}

// Places lists a node's children; "" lists the districts of the city (or
// the top level when the tree has several cities).
// AttachMessage records on a ticket that the resident wrote about it; the
// message itself stays in the sealed inbound record it points at.
func (a *actions) AttachMessage(ctx context.Context, number string) error {
	t, err := a.tx.FindTicketByNumber(ctx, number)
	if err != nil {
		return fmt.Errorf("find ticket %s: %w", number, err)
	}
	if t.ResidentID != a.res.ID {
		return fmt.Errorf("ticket %s is not the resident's: %w", number, hotline.ErrInvalid)
	}
	e := &hotline.Event{
		TicketID: t.ID, Kind: hotline.EventMessage, Actor: "resident", At: a.now,
		Reason: "the resident wrote again on " + a.channel,
		Data:   map[string]string{"inbound_id": strconv.FormatInt(a.inbound, 10)},
	}
	if err := a.tx.AppendEvent(ctx, e); err != nil {
		return fmt.Errorf("attach message to ticket %s: %w", number, err)
	}
	return nil
}

func (a *actions) Places(ctx context.Context, parent string) ([]bot.Place, error) {
	js, err := a.tx.Jurisdictions(ctx, parent)
	if err != nil {
		return nil, fmt.Errorf("list places under %q: %w", parent, err)
	}
	if parent == "" && len(js) == 1 {
		if js, err = a.tx.Jurisdictions(ctx, js[0].Code); err != nil {
			return nil, fmt.Errorf("list districts: %w", err)
		}
	}
	out := make([]bot.Place, len(js))
	for i, j := range js {
		out[i] = bot.Place{Code: j.Code, NameZh: j.NameZh, Pinyin: j.Pinyin}
	}
	return out, nil
}

func (a *actions) Office(ctx context.Context, bureau string) (bot.Office, error) {
	b, err := a.tx.FindBureau(ctx, bureau)
	if errors.Is(err, hotline.ErrNotFound) {
		return bot.Office{Bureau: bureau}, nil
	}
	if err != nil {
		return bot.Office{}, fmt.Errorf("find bureau %s: %w", bureau, err)
	}
	return bot.Office{Bureau: b.Code, NameZh: b.NameZh, Address: b.Address, Hours: b.Hours, Phone: b.Phone}, nil
}
