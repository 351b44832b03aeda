-- Conversation sessions: where each resident is in a form. Kept here so a
-- restart does not lose a half-filled form. The data holds answers given
-- so far (names, phone numbers) and is sealed.
CREATE TABLE sessions (
    key        TEXT PRIMARY KEY,
    data       BLOB NOT NULL,
    expires_at INTEGER NOT NULL -- unix microseconds
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
