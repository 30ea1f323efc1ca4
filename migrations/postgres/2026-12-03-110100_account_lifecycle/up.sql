-- Account lifecycle (checklist 11-x): an account is disabled with a reason
-- (退職, 異動, …) and a time, enabled again, and may carry an end date
-- (利用期限, the last day it may be used, Japan time).
ALTER TABLE users ADD COLUMN disabled_at TEXT;
ALTER TABLE users ADD COLUMN disabled_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN valid_until TEXT;
ALTER TABLE users ADD COLUMN enabled_at TEXT;
