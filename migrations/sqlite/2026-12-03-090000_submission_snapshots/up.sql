-- Submitted results are kept as immutable snapshots: the official tables
-- count an organisation's last submitted snapshot, never its draft. A
-- returned sheet keeps counting with its last snapshot until it is
-- submitted again. The history of a sheet (提出, 差戻し, 確認済) is kept as
-- events. Rows here are only ever inserted: the triggers refuse UPDATE and
-- DELETE, and an INSERT naming an existing id (REPLACE) is refused too.
CREATE TABLE submission_snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    fiscal_year INTEGER NOT NULL,
    seq INTEGER NOT NULL CHECK (seq > 0),
    has_critical_room BOOLEAN,
    submitted_at TEXT NOT NULL,
    submitted_by INTEGER REFERENCES users (id),
    submitted_login TEXT NOT NULL DEFAULT '',
    UNIQUE (submission_id, seq)
);
CREATE INDEX submission_snapshots_year ON submission_snapshots (fiscal_year);

CREATE TABLE snapshot_answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    snapshot_id INTEGER NOT NULL REFERENCES submission_snapshots (id),
    item_code TEXT NOT NULL,
    item_id INTEGER NOT NULL REFERENCES checklist_items (id),
    score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 3),
    comment TEXT NOT NULL DEFAULT '',
    UNIQUE (snapshot_id, item_code)
);

CREATE TABLE snapshot_plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    snapshot_id INTEGER NOT NULL REFERENCES submission_snapshots (id),
    item_code TEXT NOT NULL,
    present_state TEXT NOT NULL DEFAULT '',
    measure TEXT NOT NULL DEFAULT '',
    person_in_charge TEXT NOT NULL DEFAULT '',
    target_date TEXT NOT NULL DEFAULT '',
    UNIQUE (snapshot_id, item_code)
);

CREATE TABLE submission_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    kind TEXT NOT NULL CHECK (kind IN ('submit', 'return', 'accept')),
    snapshot_id INTEGER REFERENCES submission_snapshots (id),
    at TEXT NOT NULL,
    user_id INTEGER REFERENCES users (id),
    login TEXT NOT NULL DEFAULT '',
    advice_count INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX submission_events_submission ON submission_events (submission_id);

-- The snapshot the official tables count for this sheet (its last).
ALTER TABLE submissions ADD COLUMN snapshot_id INTEGER REFERENCES submission_snapshots (id);

CREATE TRIGGER submission_snapshots_no_update BEFORE UPDATE ON submission_snapshots
BEGIN SELECT RAISE(ABORT, 'submission_snapshots are immutable'); END;
CREATE TRIGGER submission_snapshots_no_delete BEFORE DELETE ON submission_snapshots
BEGIN SELECT RAISE(ABORT, 'submission_snapshots are immutable'); END;
CREATE TRIGGER submission_snapshots_no_replace BEFORE INSERT ON submission_snapshots
WHEN EXISTS (SELECT 1 FROM submission_snapshots WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'submission_snapshots are immutable'); END;
CREATE TRIGGER snapshot_answers_no_update BEFORE UPDATE ON snapshot_answers
BEGIN SELECT RAISE(ABORT, 'snapshot_answers are immutable'); END;
CREATE TRIGGER snapshot_answers_no_delete BEFORE DELETE ON snapshot_answers
BEGIN SELECT RAISE(ABORT, 'snapshot_answers are immutable'); END;
CREATE TRIGGER snapshot_answers_no_replace BEFORE INSERT ON snapshot_answers
WHEN EXISTS (SELECT 1 FROM snapshot_answers WHERE id = NEW.id OR (snapshot_id = NEW.snapshot_id AND item_code = NEW.item_code))
BEGIN SELECT RAISE(ABORT, 'snapshot_answers are immutable'); END;
CREATE TRIGGER snapshot_plans_no_update BEFORE UPDATE ON snapshot_plans
BEGIN SELECT RAISE(ABORT, 'snapshot_plans are immutable'); END;
CREATE TRIGGER snapshot_plans_no_delete BEFORE DELETE ON snapshot_plans
BEGIN SELECT RAISE(ABORT, 'snapshot_plans are immutable'); END;
CREATE TRIGGER snapshot_plans_no_replace BEFORE INSERT ON snapshot_plans
WHEN EXISTS (SELECT 1 FROM snapshot_plans WHERE id = NEW.id OR (snapshot_id = NEW.snapshot_id AND item_code = NEW.item_code))
BEGIN SELECT RAISE(ABORT, 'snapshot_plans are immutable'); END;
CREATE TRIGGER submission_events_no_update BEFORE UPDATE ON submission_events
BEGIN SELECT RAISE(ABORT, 'submission_events are append-only'); END;
CREATE TRIGGER submission_events_no_delete BEFORE DELETE ON submission_events
BEGIN SELECT RAISE(ABORT, 'submission_events are append-only'); END;
CREATE TRIGGER submission_events_no_replace BEFORE INSERT ON submission_events
WHEN EXISTS (SELECT 1 FROM submission_events WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'submission_events are append-only'); END;
