package bot

// StepKind says what a form step asks for and how an answer is read.
type StepKind string

// Step kinds.
const (
	StepChoose   StepKind = "choose"   // one of Options
	StepText     StepKind = "text"     // free text, up to MaxLen characters
	StepName     StepKind = "name"     // a person's name
	StepPhone    StepKind = "phone"    // a phone number, typed or shared
	StepIDNumber StepKind = "id"       // a mainland resident ID number
	StepPlace    StepKind = "place"    // a jurisdiction node at Level, or typed
	StepLocation StepKind = "location" // a shared location
	StepConsent  StepKind = "consent"  // yes or no to Purpose
	StepConfirm  StepKind = "confirm"  // the summary, then submit
)

// Flow is a request form: the steps that collect what the responsible
// bureau needs, ending in a ticket of Category.
type Flow struct {
	ID       string
	Category string
	// Steps run in order; a step whose consent is missing, or that does
	// not apply, is skipped.
	Steps []Step
	// Emergency marks the short urgent form: no confirmation, and personal
	// data may be processed to protect life (PIPL art. 13(4)).
	Emergency bool
}

// Step is one question of a form.
type Step struct {
	ID   string
	Kind StepKind
	// Prompt is the message ID of the question.
	Prompt string
	// Options are the codes of a StepChoose; each label is the message
	// "opt.<Field>.<code>".
	Options []string
	// Level is the jurisdiction level of a StepPlace.
	Level string
	// Purpose is what a StepConsent asks consent for; its text is the
	// message "consent.<Purpose>".
	Purpose string
	// Needs names the consent purpose this step's answer is collected
	// under; without that consent the step is skipped.
	Needs string
	// Sensitive answers are personal information and are sealed at rest.
	Sensitive bool
	// Optional steps offer Skip.
	Optional bool
	// SkipIfKnown skips a StepPhone when the resident's phone is known.
	SkipIfKnown bool
	MaxLen      int
}

// Field returns the answer key of a step: its ID.
func (s Step) Field() string { return s.ID }

// Consent purposes: each is a category of sensitive personal information,
// asked for separately, in the resident's language, before it is collected.
const (
	PurposeLegal    = "legal_details"  // legal matters
	PurposeHealth   = "health_details" // health matters
	PurposeChild    = "child_details"  // a child's schooling
	PurposeIDNumber = "id_number"      // the resident ID number
)

// Purposes lists every consent purpose.
var Purposes = []string{PurposeLegal, PurposeHealth, PurposeChild, PurposeIDNumber}

// Steps shared by most forms.
var (
	stepName    = Step{ID: "name", Kind: StepName, Prompt: "form.ask_name", Sensitive: true, MaxLen: 40}
	stepPhone   = Step{ID: "phone", Kind: StepPhone, Prompt: "form.ask_phone", Sensitive: true, SkipIfKnown: true}
	stepConfirm = Step{ID: "confirm", Kind: StepConfirm, Prompt: "form.confirm"}
	placeSteps  = []Step{
		{ID: "district", Kind: StepPlace, Prompt: "form.ask_district", Level: "district"},
		{ID: "street", Kind: StepPlace, Prompt: "form.ask_street", Level: "street", Optional: true},
		{ID: "community", Kind: StepPlace, Prompt: "form.ask_community", Level: "community", Optional: true},
	}
)

func details(needs string) Step {
	return Step{ID: "details", Kind: StepText, Prompt: "form.ask_details", Needs: needs, Sensitive: true, Optional: true, MaxLen: 1000}
}

func consent(purpose string) Step {
	return Step{ID: "consent_" + purpose, Kind: StepConsent, Prompt: "consent." + purpose, Purpose: purpose}
}

func need(options ...string) Step {
	return Step{ID: "need", Kind: StepChoose, Prompt: "form.ask_need", Options: options}
}

// form builds a flow from its own first steps, then name, phone and place,
// then its own last steps and the confirmation.
func form(id, category string, first []Step, last ...Step) *Flow {
	steps := append([]Step{}, first...)
	steps = append(steps, stepName, stepPhone)
	steps = append(steps, placeSteps...)
	steps = append(steps, last...)
	steps = append(steps, stepConfirm)
	return &Flow{ID: id, Category: category, Steps: steps}
}

// Flows are the request forms by ID. Each collects only what its bureau
// needs; sensitive answers come after a consent step of their own.
var Flows = map[string]*Flow{
	"registration": form("registration", "registration",
		[]Step{need("residence_registration", "residence_permit", "permit_renewal", "id_card", "other")},
		consent(PurposeIDNumber),
		Step{ID: "id_number", Kind: StepIDNumber, Prompt: "form.ask_id_number", Needs: PurposeIDNumber, Sensitive: true, Optional: true},
		details(""),
	),
	"schooling": form("schooling", "schooling",
		[]Step{
			need("enrolment", "transfer", "fees", "hardship_aid", "korean_school", "other"),
			consent(PurposeChild),
			{ID: "child_stage", Kind: StepChoose, Prompt: "form.ask_child_stage", Options: []string{"kindergarten", "primary", "junior", "senior"}, Needs: PurposeChild},
		},
		details(PurposeChild),
	),
	"jobs": form("jobs", "jobs",
		[]Step{need("find_job", "training", "language_class", "start_business", "social_insurance", "other")},
		details(""),
	),
	"medical": form("medical", "medical",
		[]Step{need("insurance_enrol", "insurance_transfer", "find_clinic", "child_vaccination", "medical_dispute", "other")},
		consent(PurposeHealth),
		details(PurposeHealth),
	),
	"legal_aid": form("legal_aid", "legal_aid",
		[]Step{need("unpaid_wages", "labour_contract", "work_injury", "family", "housing", "other")},
		consent(PurposeLegal),
		details(PurposeLegal),
	),
	"business_licence": form("business_licence", "business_licence",
		[]Step{need("new_licence", "change_licence", "food_permit", "other")},
		details(""),
	),
	"urban_management": form("urban_management", "urban_management",
		[]Step{need("vending_place", "goods_taken", "fine", "other")},
		details(""),
	),
	"dispute": form("dispute", "dispute",
		[]Step{need("neighbour", "employer", "landlord", "business", "other")},
		consent(PurposeLegal),
		details(PurposeLegal),
	),
	// The emergency form takes at most three answers and opens an urgent
	// ticket without a confirmation step. Its first prompt shows 110, 119
	// and 120 before anything else.
	"emergency": {
		ID: "emergency", Category: "emergency", Emergency: true,
		Steps: []Step{
			{ID: "need", Kind: StepChoose, Prompt: "emergency.start", Options: []string{"danger", "injured", "hardship", "other"}},
			{ID: "location", Kind: StepLocation, Prompt: "emergency.ask_location", Optional: true, Sensitive: true},
			{ID: "phone", Kind: StepPhone, Prompt: "emergency.ask_phone", Optional: true, Sensitive: true, SkipIfKnown: true},
		},
	},
	// Talking to a person opens a general ticket for the commission.
	"general": {
		ID: "general", Category: "general",
		Steps: []Step{
			{ID: "details", Kind: StepText, Prompt: "operator.ask", Optional: true, Sensitive: true, MaxLen: 1000},
			{ID: "phone", Kind: StepPhone, Prompt: "operator.ask_phone", Optional: true, Sensitive: true, SkipIfKnown: true},
		},
	},
}

// Services are the handbook's chapters and the request forms, in menu order.
var Services = []string{
	"registration", "schooling", "jobs", "medical", "legal_aid",
	"emergency", "business_licence", "urban_management", "dispute",
}

// Bureaus of the handbook's "where to go" for each service.
var serviceBureau = map[string]string{
	"registration":     "public_security",
	"schooling":        "education",
	"jobs":             "hrss",
	"medical":          "hrss",
	"legal_aid":        "justice",
	"emergency":        "ethnic_affairs",
	"business_licence": "market_regulation",
	"urban_management": "urban_management",
	"dispute":          "ethnic_affairs",
}

// HandbookSections are the parts of every handbook chapter; each is the
// message "handbook.<service>.<section>".
var HandbookSections = []string{"what", "who", "bring", "where", "call"}

// On a metered channel a chapter comes in two parts: first what the
// service is, where to go and whom to call; then, when asked, who may use
// it and what to bring.
var (
	briefSections = []string{"what", "where", "call"}
	moreSections  = []string{"who", "bring"}
)

// Commands are the commands a resident can send, and where each leads.
var Commands = map[string]string{
	"start":     "start",
	"menu":      "menu",
	"lang":      "lang",
	"handbook":  "hb",
	"register":  "form:registration",
	"school":    "form:schooling",
	"jobs":      "form:jobs",
	"medical":   "form:medical",
	"legal":     "form:legal_aid",
	"emergency": "form:emergency",
	"status":    "status",
	"operator":  "form:general",
	"help":      "help",
	// Sent by channels with opt-out keywords (SMS STOP and START), not
	// offered in menus.
	"unsubscribe": "unsubscribe",
	"resubscribe": "resubscribe",
}

// CommandOrder is the order commands are listed in a channel's menu.
var CommandOrder = []string{
	"start", "menu", "emergency", "handbook", "register", "school", "jobs",
	"medical", "legal", "status", "operator", "lang", "help",
}
