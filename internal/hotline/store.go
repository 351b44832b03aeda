package hotline

import (
	"context"
	"time"
)

// Reader is the read side of the store, available inside and outside
// transactions. Finders of one thing return ErrNotFound when it is absent.
type Reader interface {
	// FindResidentByAddress returns the resident an address belongs to, or ErrNotFound.
	FindResidentByAddress(ctx context.Context, a Address) (*Resident, error)
	// FindResidentByID returns a resident or ErrNotFound.
	FindResidentByID(ctx context.Context, id int64) (*Resident, error)
	// FindAddressState returns an address's state or ErrNotFound.
	FindAddressState(ctx context.Context, a Address) (*AddressState, error)

	// FindTicketByID returns a ticket with its sensitive answers opened, or
	// ErrNotFound.
	FindTicketByID(ctx context.Context, id int64) (*Ticket, error)
	// FindTicketByNumber returns a ticket with its sensitive answers
	// opened, or ErrNotFound.
	FindTicketByNumber(ctx context.Context, number string) (*Ticket, error)
	// FindTickets returns the tickets that match, newest first. Lists never
	// carry sensitive answers: Sensitive is nil in every ticket returned.
	FindTickets(ctx context.Context, f TicketFilter) ([]*Ticket, error)
	// TicketEvents returns a ticket's timeline, oldest first.
	TicketEvents(ctx context.Context, ticketID int64) ([]Event, error)

	// Consents returns a resident's consent answers, oldest first.
	Consents(ctx context.Context, residentID int64) ([]Consent, error)

	// Bureaus returns every bureau, ordered by code.
	Bureaus(ctx context.Context) ([]Bureau, error)
	// FindBureau returns a bureau or ErrNotFound.
	FindBureau(ctx context.Context, code string) (*Bureau, error)
	// Jurisdictions returns the children of parent ordered by code; parent ""
	// returns the top level.
	Jurisdictions(ctx context.Context, parent string) ([]Jurisdiction, error)
	// FindJurisdiction returns a node or ErrNotFound.
	FindJurisdiction(ctx context.Context, code string) (*Jurisdiction, error)
	// Routes returns the routing table ordered by category.
	Routes(ctx context.Context) ([]Route, error)
	// FindRoute returns a category's route or ErrNotFound.
	FindRoute(ctx context.Context, category string) (*Route, error)
	// SLAs returns the SLA table.
	SLAs(ctx context.Context) ([]SLA, error)
	// FindSLA returns the rule for a category and priority, falling back to
	// category "*"; ErrNotFound when neither exists.
	FindSLA(ctx context.Context, category, priority string) (*SLA, error)

	// Setting returns a stored setting, or ErrNotFound.
	Setting(ctx context.Context, key string) (string, error)
}

// Tx is a unit of work: everything done through it is committed together or
// not at all. When one of its methods returns an error, fn should stop and
// return it: not every backend can go on writing in a transaction that
// failed a statement.
type Tx interface {
	Reader

	// CreateResident stores a new resident reachable at a. It sets r.ID and
	// returns ErrConflict if the address already belongs to someone.
	CreateResident(ctx context.Context, r *Resident, a Address) error
	// UpdateResident saves a resident's language and phone; ErrNotFound if absent.
	UpdateResident(ctx context.Context, r *Resident) error
	// SetAddressBlocked marks an address blocked (true) or reachable again.
	SetAddressBlocked(ctx context.Context, a Address, blocked bool, at time.Time) error
	// SetAddressOptedOut records an opt-out (true) or an opt-in.
	SetAddressOptedOut(ctx context.Context, a Address, optedOut bool, at time.Time) error

	// NextTicketNumber reserves the next readable number of a year, such as
	// YK-2026-000001, within the transaction. A number that was committed is
	// never handed out again.
	NextTicketNumber(ctx context.Context, prefix string, year int) (string, error)
	// CreateTicket stores a ticket and sets its ID; ErrConflict on a used number.
	CreateTicket(ctx context.Context, t *Ticket) error
	// UpdateTicket changes a ticket by read-modify-write; ErrNotFound if absent.
	UpdateTicket(ctx context.Context, id int64, fn func(*Ticket) error) error
	// AppendEvent adds an event to a ticket's timeline and sets its ID.
	AppendEvent(ctx context.Context, e *Event) error

	// RecordConsent stores a consent answer and sets its ID.
	RecordConsent(ctx context.Context, c *Consent) error

	// EnqueueOutbox stores messages to send and sets their IDs.
	EnqueueOutbox(ctx context.Context, msgs ...*Outbox) error
	// MarkInboundProcessed records that an inbound event was handled; errText
	// says why it was given up on, or is empty. It returns ErrConflict when
	// the event was already marked (someone else handled it: roll back) and
	// ErrNotFound when there is no such event.
	MarkInboundProcessed(ctx context.Context, id int64, errText string, at time.Time) error

	// PutBureau inserts or replaces a bureau.
	PutBureau(ctx context.Context, b Bureau) error
	// PutJurisdiction inserts or replaces a node. ErrInvalid if its parent
	// does not exist or the level does not follow the parent's.
	PutJurisdiction(ctx context.Context, j Jurisdiction) error
	// PutRoute inserts or replaces a category's route.
	PutRoute(ctx context.Context, r Route) error
	// PutSLA inserts or replaces an SLA rule.
	PutSLA(ctx context.Context, s SLA) error
	// PutSetting stores a setting.
	PutSetting(ctx context.Context, key, value string) error
}

// Store is Tongxin's system of record.
type Store interface {
	Reader

	// Update runs fn in a transaction, committing when fn returns nil and
	// returning fn's error otherwise. fn writes through its Tx only.
	Update(ctx context.Context, fn func(Tx) error) error

	// RecordInbound stores an event durably and sets in.ID. If the channel
	// already delivered an event with the same ExtID it stores nothing and
	// reports duplicate.
	RecordInbound(ctx context.Context, in *Inbound) (duplicate bool, err error)
	// PendingInbound returns unprocessed events of the given channels whose
	// ID is greater than after, oldest first; limit 0 means no cap.
	PendingInbound(ctx context.Context, channels []string, after int64, limit int) ([]Inbound, error)
	// FindInbound returns one event or ErrNotFound.
	FindInbound(ctx context.Context, id int64) (*Inbound, error)

	// DueOutbox returns, for each address of the given channels, its oldest
	// pending message if that one is due at now; so a message never
	// overtakes an earlier one to the same address. Oldest first.
	DueOutbox(ctx context.Context, channels []string, now time.Time, limit int) ([]Outbox, error)
	// MarkOutboxSent records a delivery; ErrNotFound if absent.
	MarkOutboxSent(ctx context.Context, id int64, providerID string, at time.Time) error
	// RetryOutbox schedules another attempt at next; countAttempt says
	// whether the failure counts towards parking (a 429 does not).
	RetryOutbox(ctx context.Context, id int64, next time.Time, errText string, countAttempt bool) error
	// FailOutbox ends a message's delivery with status OutboxParked or
	// OutboxBlocked and the reason.
	FailOutbox(ctx context.Context, id int64, status, errText string) error
	// FindOutbox lists outbox messages, newest first.
	FindOutbox(ctx context.Context, f OutboxFilter) ([]Outbox, error)

	// PutSetting stores a setting in a transaction of its own.
	PutSetting(ctx context.Context, key, value string) error

	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}
