DROP TRIGGER operation_log_no_update;
CREATE TRIGGER operation_log_no_update BEFORE UPDATE ON operation_log
BEGIN
    SELECT RAISE(ABORT, 'operation_log is append-only');
END;
ALTER TABLE operation_log DROP COLUMN hash;
