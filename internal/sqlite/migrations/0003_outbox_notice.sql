-- A notice is delivered even to an address that opted out: the one
-- confirmation that the opt-out took effect.
ALTER TABLE outbox ADD COLUMN notice INTEGER NOT NULL DEFAULT 0;
