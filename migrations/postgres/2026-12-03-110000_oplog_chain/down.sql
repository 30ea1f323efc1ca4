CREATE OR REPLACE FUNCTION operation_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'operation_log is append-only';
END;
$$;
ALTER TABLE operation_log DROP COLUMN hash;
