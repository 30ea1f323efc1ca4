-- Login ids are unique without regard to case (`DEMO-MIC` is `demo-mic`).
-- Accounts that already differ only by case keep the oldest as it is; the
-- later ones get `-ID` appended (an administrator tells their owners).
UPDATE users SET login = login || '-' || id
 WHERE EXISTS (
    SELECT 1 FROM users AS o WHERE lower(o.login) = lower(users.login) AND o.id < users.id
 );
CREATE UNIQUE INDEX users_login_lower ON users (lower(login));

-- The hashes of an account's earlier passwords: the last 5 (with the
-- current one) may not be chosen again.
CREATE TABLE password_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    password_hash TEXT NOT NULL,
    replaced_at TEXT NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, id);
