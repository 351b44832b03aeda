// Package bot is Tongxin's conversation engine. It is channel-neutral: a
// channel adapter turns what a resident sent into an Inbound event, the
// engine answers with Outbound messages (text plus choices) in the
// resident's language, and the adapter renders those for its channel. Menus
// and request forms are declared as data (flows.go); the engine walks them.
//
// The engine never touches storage directly: what it does to the world
// (change the language, record consent, open a ticket, read tickets and
// places) goes through Actions, which the caller binds to one transaction,
// so that the state change and the replies it causes commit together.
package bot

import (
	"context"
	"time"
)

// Kind says what a resident did.
type Kind string

// Event kinds.
const (
	KindText     Kind = "text"     // wrote a message
	KindChoice   Kind = "choice"   // pressed a button; Data says which
	KindContact  Kind = "contact"  // shared a phone number (Phone; Own says whether it is theirs)
	KindLocation Kind = "location" // shared a location
	KindCommand  Kind = "command"  // sent a command such as /start; Text is its name without the slash
	KindOther    Kind = "other"    // sent something the engine cannot read (a sticker, a photo)
)

// Inbound is one thing a resident did, as the engine sees it.
type Inbound struct {
	Kind     Kind
	Text     string
	Data     string
	Phone    string
	Own      bool
	Lat, Lon float64
	// LangHint is the channel's guess of the resident's language (Telegram's
	// language_code), used only until the resident has a language.
	LangHint string
}

// Ask asks the channel for a special input, where it has one (Telegram's
// contact and location buttons).
type Ask string

// What an Outbound may ask for.
const (
	AskNone     Ask = ""
	AskPhone    Ask = "phone"
	AskLocation Ask = "location"
)

// Outbound is one message to a resident.
type Outbound struct {
	// Lang is the locale Text is written in.
	Lang string
	Text string
	// Choices are the answers offered as buttons (or a numbered list where
	// the channel has no buttons). A resident may also type a choice's
	// number or its label.
	Choices []Choice
	// Columns is how many buttons fit on a row (1 when labels are long).
	Columns int
	Ask     Ask
}

// Choice is one button. Data comes back in an Inbound of KindChoice and is
// at most 64 bytes.
type Choice struct {
	Data  string
	Label string
}

// Resident is what the engine knows of the person it is talking to.
type Resident struct {
	// Lang is the resident's locale, empty until known.
	Lang string
	// Phone is the resident's phone number in E.164, empty until given.
	Phone string
	// Channel is the kind of channel the resident writes from.
	Channel string
	// Metered says every character costs the resident or the city (SMS):
	// long texts come in parts the resident asks for.
	Metered bool
}

// Place is a node of the jurisdiction tree, as offered in forms.
type Place struct {
	Code   string
	NameZh string
	Pinyin string
}

// Office is where a bureau receives people; empty fields are not known yet.
type Office struct {
	Bureau  string
	NameZh  string
	Address string
	Hours   string
	Phone   string
}

// Request is a completed form, to become a ticket.
type Request struct {
	Category string
	// Fields are non-sensitive answers (codes chosen from lists).
	Fields map[string]string
	// Sensitive are answers that are personal information.
	Sensitive map[string]string
	District  string
	Street    string
	Community string
	// LegalBasis is "consent", or "emergency" when life may be in danger.
	LegalBasis string
}

// Receipt is what the resident is told after a request became a ticket.
type Receipt struct {
	Number           string
	Bureau           string
	Priority         string
	FirstResponseDue time.Time
}

// TicketView is a ticket as the resident may see it.
type TicketView struct {
	Number    string
	Category  string
	Status    string
	Bureau    string
	CreatedAt time.Time
}

// Actions are the effects a conversation may have, bound by the caller to
// the resident and to one transaction.
type Actions interface {
	// SetLanguage remembers the resident's locale.
	SetLanguage(ctx context.Context, lang string) error
	// SetPhone remembers the resident's own phone number.
	SetPhone(ctx context.Context, phone string) error
	// RecordConsent records an answer to a consent request: its purpose,
	// the version of the text shown, and whether it was given.
	RecordConsent(ctx context.Context, purpose, version string, granted bool) error
	// OpenTicket turns a request into a ticket.
	OpenTicket(ctx context.Context, r Request) (Receipt, error)
	// Tickets lists the resident's tickets, newest first.
	Tickets(ctx context.Context) ([]TicketView, error)
	// AttachMessage adds the message being handled to a ticket of the
	// resident, for the people handling it.
	AttachMessage(ctx context.Context, number string) error
	// Places lists the children of a jurisdiction; parent "" lists the
	// city's districts.
	Places(ctx context.Context, parent string) ([]Place, error)
	// Office returns a bureau's office details.
	Office(ctx context.Context, bureau string) (Office, error)
}

// Turn is one inbound event's context: who, where they are in the
// conversation, and what the engine may do.
type Turn struct {
	Resident *Resident
	Session  *Session
	Actions  Actions
}
