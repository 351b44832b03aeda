// Package hotline holds Tongxin's domain: residents and the channel addresses
// they write from, the messages they send and receive, tickets with their
// timeline, the reference data tickets are routed by (bureaus, jurisdictions,
// routing and SLA rules), and the consent residents give. It defines the Store
// contract that every storage backend satisfies.
package hotline

import (
	"errors"
	"time"
)

// Errors returned by Store implementations. Backends map their driver errors
// to these at the boundary so callers never see SQL details.
var (
	// ErrNotFound means the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a unique rule would be broken (a duplicate key).
	ErrConflict = errors.New("conflict")
	// ErrInvalid means the value given breaks a rule of the domain.
	ErrInvalid = errors.New("invalid")
)

// Channel kinds. An address is unique within its channel.
const (
	ChannelTelegram = "telegram"
	ChannelChat     = "chat" // the terminal channel of `tongxin chat`
	ChannelSMS      = "sms"
	ChannelVoice    = "voice"
	// ChannelSMSTemplate sends approved templates through a mainland
	// gateway; it only notifies, residents cannot write back on it.
	ChannelSMSTemplate = "sms_template"
)

// Address is where a resident can be reached: a channel kind and the
// channel's own identifier (a Telegram chat id, a terminal user name, an E.164
// phone number).
type Address struct {
	Channel string
	ID      string
}

func (a Address) String() string { return a.Channel + ":" + a.ID }

// Resident is a person who contacted Tongxin. Residents are known only by
// the addresses they wrote from; nothing else is required of them.
type Resident struct {
	ID int64
	// Lang is the locale the resident chose or we matched with confidence;
	// empty until then.
	Lang string
	// Phone is the resident's own phone number in E.164, when they gave it.
	// It is sensitive and sealed at rest.
	Phone     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AddressState says whether an address may be written to.
type AddressState struct {
	Address    Address
	ResidentID int64
	// BlockedAt is set when the channel told us the resident blocked us
	// (Telegram 403) and cleared when they write again.
	BlockedAt *time.Time
	// OptedOutAt is set when the resident asked for no more messages (SMS
	// STOP) and cleared when they opt back in.
	OptedOutAt *time.Time
}

// Inbound is one event received from a channel, recorded before the channel
// is acknowledged. ExtID is the channel's own id for it (Telegram update_id,
// SMS MessageSid) and is unique per channel.
type Inbound struct {
	ID      int64
	Channel string
	ExtID   string
	// Address is the conversation the event belongs to; events of one
	// address are processed in the order they were recorded.
	Address string
	// Payload is the event as the channel delivered it. It may hold anything
	// a resident said and is sealed at rest.
	Payload     []byte
	ReceivedAt  time.Time
	ProcessedAt *time.Time
	// Error says why processing gave up on the event, if it did; the
	// payload is kept either way.
	Error string
}

// Outbox statuses.
const (
	OutboxPending = "pending" // waiting to be sent, or to be retried
	OutboxSent    = "sent"
	OutboxParked  = "parked"  // kept failing; an operator must look
	OutboxBlocked = "blocked" // the resident blocked us or opted out
)

// Outbox is one message waiting for, or done with, delivery. It is written in
// the same transaction as the change that caused it.
type Outbox struct {
	ID         int64
	Channel    string
	Address    string
	ResidentID int64
	// Payload is the message rendered for its channel. Sealed at rest.
	Payload       []byte
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	ProviderID    string
	// Segments is what the message costs on a metered channel (SMS); 0
	// where the channel does not count.
	Segments int
	// Notice marks the one message that goes even to an address that
	// opted out: the confirmation of the opt-out itself.
	Notice    bool
	CreatedAt time.Time
	SentAt    *time.Time
}

// OutboxFilter selects outbox messages; nil fields do not filter.
type OutboxFilter struct {
	Status  *string
	Channel *string
	Address *string
	Limit   int
}

// Consent is one answer a resident gave to a consent request, shown in their
// language. Withdrawal is recorded as a new Consent with Granted false.
type Consent struct {
	ID         int64
	ResidentID int64
	// Purpose names what the consent covers, such as "legal_details".
	Purpose string
	// Version identifies the wording shown; Lang the language it was shown in.
	Version   string
	Lang      string
	Channel   string
	Granted   bool
	CreatedAt time.Time
}

// Sealer encrypts personal data before it is stored and decrypts it when
// read. aad binds a sealed value to the place it belongs (such as
// "tickets.sensitive"), so a value copied elsewhere fails to open.
type Sealer interface {
	Seal(plain []byte, aad string) ([]byte, error)
	Open(sealed []byte, aad string) ([]byte, error)
}
