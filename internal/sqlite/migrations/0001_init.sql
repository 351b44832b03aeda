-- 0001: Tongxin's first schema.
--
-- Times are INTEGER unix microseconds in UTC; NULL where a time is unset.
-- Columns holding sealed values (BLOB) are never readable without the key.
-- Tables are STRICT so that a value of the wrong type is an error, not a
-- silent conversion.

CREATE TABLE residents (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	lang       TEXT    NOT NULL DEFAULT '',
	phone      BLOB,             -- sealed "residents.phone"; NULL when not given
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE addresses (
	channel      TEXT    NOT NULL,
	address      TEXT    NOT NULL,
	resident_id  INTEGER NOT NULL REFERENCES residents (id),
	blocked_at   INTEGER,
	opted_out_at INTEGER,
	PRIMARY KEY (channel, address)
) STRICT;

CREATE INDEX addresses_resident ON addresses (resident_id);

CREATE TABLE inbound (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	channel      TEXT    NOT NULL,
	ext_id       TEXT    NOT NULL,
	address      TEXT    NOT NULL,
	payload      BLOB    NOT NULL, -- sealed "inbound.payload"
	received_at  INTEGER NOT NULL,
	processed_at INTEGER,
	error        TEXT    NOT NULL DEFAULT '',
	UNIQUE (channel, ext_id)
) STRICT;

-- PendingInbound: the unprocessed events of some channels, oldest first.
CREATE INDEX inbound_pending ON inbound (channel, id) WHERE processed_at IS NULL;

CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	channel         TEXT    NOT NULL,
	address         TEXT    NOT NULL,
	resident_id     INTEGER REFERENCES residents (id), -- NULL when not known
	payload         BLOB    NOT NULL, -- sealed "outbox.payload"
	status          TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'parked', 'blocked')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	last_error      TEXT    NOT NULL DEFAULT '',
	provider_id     TEXT    NOT NULL DEFAULT '',
	segments        INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL,
	sent_at         INTEGER
) STRICT;

-- DueOutbox: the lowest pending id of every address of some channels.
CREATE INDEX outbox_pending ON outbox (channel, address, id) WHERE status = 'pending';
-- FindOutbox by status, newest first.
CREATE INDEX outbox_status ON outbox (status, id);

CREATE TABLE ticket_counters (
	prefix TEXT    NOT NULL,
	year   INTEGER NOT NULL,
	last   INTEGER NOT NULL,
	PRIMARY KEY (prefix, year)
) STRICT;

CREATE TABLE tickets (
	id                 INTEGER PRIMARY KEY AUTOINCREMENT,
	number             TEXT    NOT NULL UNIQUE,
	category           TEXT    NOT NULL,
	priority           TEXT    NOT NULL,
	status             TEXT    NOT NULL,
	bureau             TEXT    NOT NULL DEFAULT '',
	co_bureau          TEXT    NOT NULL DEFAULT '',
	district           TEXT    NOT NULL DEFAULT '',
	street             TEXT    NOT NULL DEFAULT '',
	community          TEXT    NOT NULL DEFAULT '',
	resident_id        INTEGER REFERENCES residents (id), -- NULL when none
	language           TEXT    NOT NULL DEFAULT '',
	channel            TEXT    NOT NULL DEFAULT '',
	assignee           TEXT    NOT NULL DEFAULT '',
	fields             TEXT    NOT NULL DEFAULT 'null', -- JSON object
	sensitive          BLOB,             -- sealed JSON "tickets.sensitive"; NULL when none
	legal_basis        TEXT    NOT NULL DEFAULT '',
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL,
	first_response_due INTEGER,
	resolution_due     INTEGER
) STRICT;

-- FindTickets filters, newest first.
CREATE INDEX tickets_resident ON tickets (resident_id, id);
CREATE INDEX tickets_bureau ON tickets (bureau, status, id);
CREATE INDEX tickets_status ON tickets (status, id);
CREATE INDEX tickets_category ON tickets (category, id);

CREATE TABLE events (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	ticket_id INTEGER NOT NULL REFERENCES tickets (id),
	kind      TEXT    NOT NULL,
	actor     TEXT    NOT NULL DEFAULT '',
	reason    TEXT    NOT NULL DEFAULT '',
	data      TEXT    NOT NULL DEFAULT 'null', -- JSON object
	at        INTEGER NOT NULL
) STRICT;

CREATE INDEX events_ticket ON events (ticket_id, id);

-- A ticket's timeline is evidence of how a request was handled: it is only
-- ever appended to.
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN
	SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN
	SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TABLE consents (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	resident_id INTEGER NOT NULL REFERENCES residents (id),
	purpose     TEXT    NOT NULL,
	version     TEXT    NOT NULL,
	lang        TEXT    NOT NULL DEFAULT '',
	channel     TEXT    NOT NULL DEFAULT '',
	granted     INTEGER NOT NULL,
	created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX consents_resident ON consents (resident_id, id);

CREATE TABLE bureaus (
	code    TEXT PRIMARY KEY,
	name_zh TEXT NOT NULL,
	address TEXT NOT NULL DEFAULT '',
	hours   TEXT NOT NULL DEFAULT '',
	phone   TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE jurisdictions (
	code    TEXT PRIMARY KEY,
	parent  TEXT REFERENCES jurisdictions (code), -- NULL at the top
	level   TEXT NOT NULL CHECK (level IN ('city', 'district', 'street', 'community')),
	name_zh TEXT NOT NULL,
	pinyin  TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX jurisdictions_parent ON jurisdictions (parent, code);

CREATE TABLE routes (
	category  TEXT    PRIMARY KEY,
	bureau    TEXT    NOT NULL,
	co_bureau TEXT    NOT NULL DEFAULT '',
	priority  TEXT    NOT NULL,
	local     INTEGER NOT NULL DEFAULT 0,
	note      TEXT    NOT NULL DEFAULT ''
) STRICT;

-- Durations in microseconds, the precision of every time here.
CREATE TABLE slas (
	category          TEXT    NOT NULL,
	priority          TEXT    NOT NULL,
	first_response_us INTEGER NOT NULL,
	resolution_us     INTEGER NOT NULL,
	PRIMARY KEY (category, priority)
) STRICT;

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;
