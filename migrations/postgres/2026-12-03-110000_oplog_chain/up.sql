-- Tamper-evident operation log: every entry carries the SHA-256 of its
-- fields chained with the previous entry's hash (canonical encoding in
-- src/store/chain.rs). Rows written before this migration get their hashes,
-- in id order, from the application right after migrating.
ALTER TABLE operation_log ADD COLUMN hash TEXT NOT NULL DEFAULT '';

-- Still append-only. The one UPDATE allowed sets the hash of a row that has
-- none yet (64 lowercase hex digits), changing nothing else: the sealing of
-- rows written before this migration.
CREATE OR REPLACE FUNCTION operation_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND OLD.hash = ''
        AND NEW.hash ~ '^[0-9a-f]{64}$'
        AND (NEW.id, NEW.at, NEW.user_id, NEW.login, NEW.actor_org, NEW.action,
             NEW.target_org, NEW.fiscal_year, NEW.detail, NEW.address)
            IS NOT DISTINCT FROM
            (OLD.id, OLD.at, OLD.user_id, OLD.login, OLD.actor_org, OLD.action,
             OLD.target_org, OLD.fiscal_year, OLD.detail, OLD.address)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'operation_log is append-only';
END;
$$;
