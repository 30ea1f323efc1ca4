DROP TABLE password_history;
DROP INDEX users_login_lower;
