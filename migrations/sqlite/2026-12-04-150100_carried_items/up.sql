-- Answers carried over from the previous fiscal year into a new sheet
-- ("start from last year"): last year's score and comment per item, and when
-- the clerk confirmed or changed it (NULL: 未確認). A sheet with an
-- unconfirmed carried item cannot be submitted.
CREATE TABLE carried_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    item_code TEXT NOT NULL,
    score INTEGER NOT NULL,
    comment TEXT NOT NULL,
    confirmed_at TEXT,
    UNIQUE (submission_id, item_code)
);
