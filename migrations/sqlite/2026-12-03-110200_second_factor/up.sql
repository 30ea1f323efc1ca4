-- Second factor: TOTP (RFC 6238). The secret (base32) of an enrolled
-- account, when it was enrolled, and the last time step accepted (a code is
-- taken once). A table of its own: `users` stays within 16 columns.
CREATE TABLE second_factors (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    secret TEXT NOT NULL,
    enabled_at TEXT NOT NULL,
    last_step INTEGER NOT NULL
);

-- Single-use recovery codes: only their SHA-256 is stored.
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- A password accepted, the second factor still to come: no session yet.
-- Only the SHA-256 of the browser's token is stored.
CREATE TABLE login_challenges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT ''
);
