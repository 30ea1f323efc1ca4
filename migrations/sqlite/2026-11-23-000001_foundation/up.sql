-- Foundation: checklists, organisations, fiscal rounds and answers.
-- Timestamps are UTC RFC 3339 text ("2026-11-23T10:00:00Z") on both backends.

CREATE TABLE checklist_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    variant TEXT NOT NULL CHECK (variant IN ('municipal', 'national_agency')),
    digest TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    UNIQUE (variant, digest)
);

-- One row per text of a sub-item: a later revision of a text is a new row, so
-- an answer keeps pointing at the exact text that was answered.
CREATE TABLE checklist_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    variant TEXT NOT NULL CHECK (variant IN ('municipal', 'national_agency')),
    code TEXT NOT NULL,
    goal_no INTEGER NOT NULL CHECK (goal_no > 0),
    item_no INTEGER NOT NULL CHECK (item_no > 0),
    text TEXT NOT NULL CHECK (text <> ''),
    valid_from INTEGER NOT NULL,
    valid_to INTEGER,
    UNIQUE (variant, code, valid_from)
);

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('prefecture', 'municipality', 'agency', 'ministry', 'designated_body')),
    name TEXT NOT NULL CHECK (name <> ''),
    name_kana TEXT NOT NULL DEFAULT '',
    prefecture_code TEXT,
    variant TEXT CHECK (variant IN ('municipal', 'national_agency')),
    created_at TEXT NOT NULL
);
CREATE INDEX organisations_prefecture ON organisations (prefecture_code);

CREATE TABLE fiscal_rounds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    variant TEXT NOT NULL CHECK (variant IN ('municipal', 'national_agency')),
    fiscal_year INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    deadline TEXT,
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    UNIQUE (variant, fiscal_year)
);

CREATE TABLE answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    fiscal_year INTEGER NOT NULL,
    item_code TEXT NOT NULL,
    item_id INTEGER NOT NULL REFERENCES checklist_items (id),
    score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 3),
    comment TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    UNIQUE (organisation_id, fiscal_year, item_code)
);
CREATE INDEX answers_year_item ON answers (fiscal_year, item_code);
