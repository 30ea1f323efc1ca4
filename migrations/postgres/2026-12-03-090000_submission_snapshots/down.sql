ALTER TABLE submissions DROP COLUMN snapshot_id;
DROP TABLE submission_events;
DROP TABLE snapshot_plans;
DROP TABLE snapshot_answers;
DROP TABLE submission_snapshots;
DROP FUNCTION snapshot_immutable();
