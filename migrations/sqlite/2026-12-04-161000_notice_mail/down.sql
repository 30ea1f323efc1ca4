ALTER TABLE notices DROP COLUMN emailed_at;
ALTER TABLE users DROP COLUMN email;
