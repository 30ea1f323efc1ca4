-- `REPLACE INTO operation_log (id, …)` (and `INSERT OR REPLACE`) deletes the
-- row of that id and inserts another: the delete trigger does not fire on a
-- REPLACE without `recursive_triggers`. An insert naming an id already in
-- the log is refused before anything happens.
CREATE TRIGGER operation_log_no_replace BEFORE INSERT ON operation_log
WHEN EXISTS (SELECT 1 FROM operation_log WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'operation_log is append-only');
END;
