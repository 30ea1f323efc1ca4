-- Accounts, sessions, the per-organisation workflow of a fiscal year, and the
-- operation log. Timestamps are UTC RFC 3339 text, as everywhere.

-- An account belongs to one organisation and has one role.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    login TEXT NOT NULL UNIQUE CHECK (login <> ''),
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    role TEXT NOT NULL CHECK (role IN ('municipality', 'prefecture', 'ministry', 'agency', 'admin')),
    password_hash TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until TEXT,
    created_at TEXT NOT NULL,
    password_changed_at TEXT NOT NULL,
    last_login_at TEXT
);
CREATE INDEX users_organisation ON users (organisation_id);

-- Only the SHA-256 of the session token is stored; the token lives in the
-- browser's cookie alone.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

-- What the ministry fixed when opening a round: the checklist version and
-- the round's priority items (space-separated sub-item codes).
CREATE TABLE round_settings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id INTEGER NOT NULL UNIQUE REFERENCES fiscal_rounds (id),
    checklist_version TEXT NOT NULL,
    priority_items TEXT NOT NULL DEFAULT ''
);

-- One organisation's answer sheet of one fiscal year. `version` grows with
-- every change: a save names the version it started from (optimistic
-- concurrency). No row means 未着手.
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    fiscal_year INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'returned', 'accepted')),
    has_critical_room BOOLEAN,
    version INTEGER NOT NULL CHECK (version > 0),
    review_note TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users (id),
    submitted_at TEXT,
    returned_at TEXT,
    accepted_at TEXT,
    UNIQUE (organisation_id, fiscal_year)
);

-- 改善計画書: one entry per sub-item scored 1 or 2, and the prefecture's
-- follow-up of its progress.
CREATE TABLE improvement_plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    item_code TEXT NOT NULL,
    present_state TEXT NOT NULL DEFAULT '',
    measure TEXT NOT NULL DEFAULT '',
    person_in_charge TEXT NOT NULL DEFAULT '',
    target_date TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    progress TEXT NOT NULL DEFAULT 'not_started' CHECK (progress IN ('not_started', 'in_progress', 'done')),
    started_on TEXT,
    completed_on TEXT,
    progress_note TEXT NOT NULL DEFAULT '',
    progress_updated_at TEXT,
    progress_updated_by INTEGER REFERENCES users (id),
    UNIQUE (submission_id, item_code)
);

-- The reviewer's advice on one sub-item.
CREATE TABLE review_advice (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    item_code TEXT NOT NULL,
    advice TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users (id),
    UNIQUE (submission_id, item_code)
);

-- A comment typed on a sub-item not yet scored: kept so that nothing typed
-- is lost; it moves into `answers` once the item is scored.
CREATE TABLE draft_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    item_code TEXT NOT NULL,
    comment TEXT NOT NULL,
    UNIQUE (submission_id, item_code)
);

-- Operation log (checklist item 18): append-only. No foreign keys, so that it
-- outlives whatever it mentions; the triggers below refuse UPDATE and DELETE.
CREATE TABLE operation_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    user_id INTEGER,
    login TEXT NOT NULL DEFAULT '',
    actor_org TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    target_org TEXT NOT NULL DEFAULT '',
    fiscal_year INTEGER,
    detail TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT ''
);
CREATE INDEX operation_log_at ON operation_log (at);
CREATE INDEX operation_log_target ON operation_log (target_org);
CREATE INDEX operation_log_login ON operation_log (login);

CREATE TRIGGER operation_log_no_update BEFORE UPDATE ON operation_log
BEGIN
    SELECT RAISE(ABORT, 'operation_log is append-only');
END;
CREATE TRIGGER operation_log_no_delete BEFORE DELETE ON operation_log
BEGIN
    SELECT RAISE(ABORT, 'operation_log is append-only');
END;
