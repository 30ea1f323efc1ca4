-- Tamper-evident operation log: every entry carries the SHA-256 of its
-- fields chained with the previous entry's hash (canonical encoding in
-- src/store/chain.rs). Rows written before this migration get their hashes,
-- in id order, from the application right after migrating.
ALTER TABLE operation_log ADD COLUMN hash TEXT NOT NULL DEFAULT '';

-- Still append-only. The one UPDATE allowed sets the hash of a row that has
-- none yet (64 lowercase hex digits), changing nothing else: the sealing of
-- old rows and of a row just inserted in the same transaction.
DROP TRIGGER operation_log_no_update;
CREATE TRIGGER operation_log_no_update BEFORE UPDATE ON operation_log
WHEN NOT (
    OLD.hash = ''
    AND length(NEW.hash) = 64
    AND NEW.hash NOT GLOB '*[^0-9a-f]*'
    AND NEW.id IS OLD.id
    AND NEW.at IS OLD.at
    AND NEW.user_id IS OLD.user_id
    AND NEW.login IS OLD.login
    AND NEW.actor_org IS OLD.actor_org
    AND NEW.action IS OLD.action
    AND NEW.target_org IS OLD.target_org
    AND NEW.fiscal_year IS OLD.fiscal_year
    AND NEW.detail IS OLD.detail
    AND NEW.address IS OLD.address
)
BEGIN
    SELECT RAISE(ABORT, 'operation_log is append-only');
END;
