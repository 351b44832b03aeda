package hotline

import "time"

// Ticket categories (stable codes used by the CLI, the API and the routing table).
const (
	CategoryRegistration    = "registration"
	CategorySchooling       = "schooling"
	CategoryJobs            = "jobs"
	CategoryMedical         = "medical"
	CategoryLegalAid        = "legal_aid"
	CategoryEmergency       = "emergency"
	CategoryBusinessLicence = "business_licence"
	CategoryUrbanManagement = "urban_management"
	CategoryDispute         = "dispute"
	CategoryGeneral         = "general"
)

// Categories lists every category code in menu order.
var Categories = []string{
	CategoryRegistration, CategorySchooling, CategoryJobs, CategoryMedical,
	CategoryLegalAid, CategoryEmergency, CategoryBusinessLicence,
	CategoryUrbanManagement, CategoryDispute, CategoryGeneral,
}

// Priorities.
const (
	PriorityUrgent = "urgent"
	PriorityHigh   = "high"
	PriorityNormal = "normal"
)

// Statuses follow the 12345 hotline chain: accepted, dispatched, signed for
// (签收), in progress, waiting for the resident, returned to the dispatcher
// (退单), resolved, closed, reopened.
const (
	StatusNew             = "new"
	StatusDispatched      = "dispatched"
	StatusSigned          = "signed"
	StatusInProgress      = "in_progress"
	StatusWaitingResident = "waiting_resident"
	StatusReturned        = "returned"
	StatusResolved        = "resolved"
	StatusClosed          = "closed"
	StatusReopened        = "reopened"
)

// Ticket is a resident's request in a bureau's queue.
type Ticket struct {
	ID int64
	// Number is the readable number, such as YK-2026-000042; unique, never reused.
	Number   string
	Category string
	Priority string
	Status   string
	// Bureau is the responsible bureau's code; CoBureau one that co-handles.
	Bureau   string
	CoBureau string
	// District, Street and Community are jurisdiction codes; empty where the
	// resident's place is not in the tree (see Fields "place_note").
	District   string
	Street     string
	Community  string
	ResidentID int64
	Language   string
	Channel    string
	Assignee   string
	// Fields holds the non-sensitive answers of the request form, as codes.
	Fields map[string]string
	// Sensitive holds answers that are personal information (name, phone, ID
	// number, descriptions of legal or health matters). Sealed at rest,
	// never listed.
	Sensitive map[string]string
	// LegalBasis says why the sensitive answers may be processed: "consent"
	// or "emergency" (to protect life, PIPL art. 13(4)).
	LegalBasis       string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	FirstResponseDue time.Time
	ResolutionDue    time.Time
}

// TicketFilter selects tickets; nil fields do not filter.
type TicketFilter struct {
	ResidentID *int64
	Bureau     *string
	Status     *string
	Category   *string
	// Limit caps the number returned, newest first; 0 means no cap.
	Limit int
}

// Timeline event kinds.
const (
	EventCreated      = "created"
	EventRouted       = "routed"
	EventJurisdiction = "jurisdiction"
	EventPrioritized  = "prioritized"
	EventSLA          = "sla"
	EventAssigned     = "assigned"
	EventReplied      = "replied"
	EventEscalated    = "escalated"
	EventResolved     = "resolved"
	EventReopened     = "reopened"
	EventRated        = "rated"
	EventNote         = "note"
	// EventMessage is a later message of the resident about the ticket;
	// Data["inbound_id"] points at the recorded (sealed) message.
	EventMessage = "message"
)

// Event is one entry of a ticket's append-only timeline. Reason says why,
// in words an operator can check against the rules.
type Event struct {
	ID       int64
	TicketID int64
	Kind     string
	// Actor is "system", "resident" or an operator's login.
	Actor  string
	Reason string
	Data   map[string]string
	At     time.Time
}
