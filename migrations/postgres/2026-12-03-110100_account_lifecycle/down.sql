ALTER TABLE users DROP COLUMN enabled_at;
ALTER TABLE users DROP COLUMN valid_until;
ALTER TABLE users DROP COLUMN disabled_reason;
ALTER TABLE users DROP COLUMN disabled_at;
