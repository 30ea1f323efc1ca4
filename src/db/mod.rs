//! The database layer: one connection type over SQLite and PostgreSQL, a
//! pool, and the embedded migrations.
//!
//! The backend is chosen from the URL scheme, never by trying one after the
//! other: `postgres://` or `postgresql://` is PostgreSQL; `sqlite://PATH` or a
//! bare path is SQLite. Every SQLite connection gets WAL, foreign keys and a
//! busy timeout.

pub mod schema;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::{AppError, AppResult};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where a URL points, decided by its scheme alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> AppResult<Self> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_string()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() {
            return Err(AppError::BadRequest(
                "データベースURLが空です（例: sqlite://tenken.db, postgres://user@host/db）".into(),
            ));
        }
        if path.contains("://") {
            return Err(AppError::BadRequest(format!(
                "データベースURL「{url}」の方式が分かりません（sqlite:// か postgres:// を使ってください）"
            )));
        }
        Ok(Self::Sqlite(path.to_string()))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }
}

// busy_timeout first: switching a new file to WAL takes a lock that
// connections opened at the same moment must wait for, not fail on.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

pub fn establish(url: &DatabaseUrl) -> AppResult<DbConnection> {
    match url {
        DatabaseUrl::Postgres(u) => Ok(DbConnection::Postgresql(diesel::PgConnection::establish(
            u,
        )?)),
        DatabaseUrl::Sqlite(path) => {
            let mut conn = diesel::SqliteConnection::establish(path)?;
            conn.batch_execute(SQLITE_PRAGMAS)?;
            Ok(DbConnection::Sqlite(conn))
        }
    }
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgresql(_) => Backend::Postgres,
        }
    }
}

/// r2d2 manager that opens the variant the URL names.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        establish(&self.url).map_err(|e| match e {
            AppError::Connection(c) => r2d2::Error::ConnectionError(c),
            AppError::Database(d) => r2d2::Error::QueryError(d),
            other => r2d2::Error::QueryError(diesel::result::Error::QueryBuilderError(
                other.to_string().into(),
            )),
        })
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

pub fn pool(url: &str, size: u32) -> AppResult<Pool> {
    let url = DatabaseUrl::parse(url)?;
    let size = if url.backend() == Backend::Sqlite {
        size.max(2)
    } else {
        size
    };
    let pool = r2d2::Pool::builder()
        .max_size(size)
        .connection_timeout(Duration::from_secs(30))
        .build(Manager { url })?;
    Ok(pool)
}

/// Runs the pending embedded migrations of the connection's backend. On
/// PostgreSQL an advisory lock keeps several instances starting at once from
/// migrating together.
pub fn run_migrations(conn: &mut DbConnection) -> AppResult<usize> {
    let mig = |e: Box<dyn std::error::Error + Send + Sync>| AppError::Migration(e.to_string());
    // Rows of the operation log written before its hash chain existed are
    // sealed, in order, right after the migration that adds the chain.
    let seal = |conn: &mut DbConnection, applied: usize| -> AppResult<usize> {
        if applied > 0 {
            crate::store::chain::seal_unhashed(conn)?;
        }
        Ok(applied)
    };
    match conn {
        DbConnection::Sqlite(c) => {
            let applied = c
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(mig)?
                .len();
            seal(conn, applied)
        }
        DbConnection::Postgresql(c) => {
            if postgres_up_to_date(c)? {
                return Ok(0);
            }
            c.batch_execute("SELECT pg_advisory_lock(7342001)")?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len())
                .map_err(mig)
                .and_then(|applied| seal(conn, applied));
            if let DbConnection::Postgresql(c) = conn {
                c.batch_execute("SELECT pg_advisory_unlock(7342001)")?;
            }
            result
        }
    }
}

#[derive(diesel::QueryableByName)]
struct RoleName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// PostgreSQL with two roles: run by the owner after migrating, gives the
/// role of `app_url` exactly what the application needs: SELECT, INSERT,
/// UPDATE and DELETE on its tables, but on `operation_log` only SELECT and
/// INSERT, and on diesel's migration table only SELECT (so it sees that
/// nothing is pending). Not being the owner, it cannot ALTER, DROP or
/// TRUNCATE anything, nor switch the log's triggers off. Run at every
/// migration, so tables added later are granted too. Returns the role
/// granted; `None` on SQLite or when both URLs are the same role.
pub fn grant_application_role(
    owner: &mut DbConnection,
    app_url: &str,
) -> AppResult<Option<String>> {
    let DbConnection::Postgresql(owner) = owner else {
        return Ok(None);
    };
    let DbConnection::Postgresql(mut app) = establish(&DatabaseUrl::parse(app_url)?)? else {
        return Err(AppError::Migration(
            "--migrate-database-url は PostgreSQL の URL です。--database-url も同じ PostgreSQL のデータベースにしてください".into(),
        ));
    };
    let who = "SELECT current_user::text AS name";
    let app_role = diesel::sql_query(who)
        .get_result::<RoleName>(&mut app)?
        .name;
    let owner_role = diesel::sql_query(who).get_result::<RoleName>(owner)?.name;
    if app_role == owner_role {
        return Ok(None);
    }
    let r = format!("\"{}\"", app_role.replace('"', "\"\""));
    owner.batch_execute(&format!(
        "GRANT USAGE ON SCHEMA public TO {r};
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r};
         GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r};
         REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON __diesel_schema_migrations FROM {r};
         REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON operation_log FROM {r};"
    ))?;
    Ok(Some(app_role))
}

/// Whether every embedded PostgreSQL migration is recorded already: then
/// the application role (which may not create tables, not even diesel's
/// bookkeeping table `IF NOT EXISTS`) has nothing to run.
fn postgres_up_to_date(c: &mut diesel::PgConnection) -> AppResult<bool> {
    use diesel::migration::MigrationSource;
    #[derive(diesel::QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    let exists = diesel::sql_query(
        "SELECT 'x'::text AS name WHERE to_regclass('__diesel_schema_migrations') IS NOT NULL",
    )
    .load::<RoleName>(c)?;
    if exists.is_empty() {
        return Ok(false);
    }
    let applied: std::collections::HashSet<String> =
        diesel::sql_query("SELECT version::text AS version FROM __diesel_schema_migrations")
            .load::<Version>(c)?
            .into_iter()
            .map(|v| v.version)
            .collect();
    let embedded = MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES_MIGRATIONS)
        .map_err(|e| AppError::Migration(e.to_string()))?;
    Ok(embedded
        .iter()
        .all(|m| applied.contains(&m.name().version().to_string())))
}

/// Multi-row INSERT on the concrete connection (MultiConnection has none):
/// `batch_insert!(conn, table, &rows)` with at most a few hundred rows per
/// call, well under both backends' bound-parameter limits.
#[macro_export]
macro_rules! batch_insert {
    ($conn:expr, $table:expr, $rows:expr) => {{
        use diesel::RunQueryDsl as _;
        match $conn {
            $crate::db::DbConnection::Sqlite(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
            $crate::db::DbConnection::Postgresql(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
        }
    }};
}

/// Rows per multi-row INSERT.
pub const BATCH_ROWS: usize = 500;

/// The versions of the embedded migrations, as diesel records them.
pub fn migration_versions() -> AppResult<Vec<String>> {
    use diesel::migration::MigrationSource;
    let list = MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
        .map_err(|e| AppError::Migration(e.to_string()))?;
    Ok(list
        .iter()
        .map(|m| m.name().version().to_string())
        .collect())
}

/// Current time as stored in the database.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_scheme_picks_backend() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db")
                .map(|u| u.backend())
                .ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://u@h/db")
                .map(|u| u.backend())
                .ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://tenken.db").ok(),
            Some(DatabaseUrl::Sqlite("tenken.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("/tmp/x.db").ok(),
            Some(DatabaseUrl::Sqlite("/tmp/x.db".into()))
        );
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }
}
