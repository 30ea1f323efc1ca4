-- In-app notices to an organisation (every account of it sees them).
-- event_key is unique per event, so the same notice is never created twice
-- (the server's daily run and `tenken notify` may both run).
CREATE TABLE notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    link TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    read_at TEXT,
    event_key TEXT NOT NULL UNIQUE
);
CREATE INDEX notices_organisation ON notices (organisation_id, read_at);
