//! The database of one test, dropped with it.
//!
//! SQLite: a file in the test's temporary directory. PostgreSQL (the server
//! of `TEST_DATABASE_URL`): a database cloned with `CREATE DATABASE … TEMPLATE`
//! from a template that holds what every start prepares (migrations, the
//! checklists, the roster), built once and reused (crates.io's
//! `TestDatabase` pattern), and dropped `WITH (FORCE)` when the guard is.
//!
//! The template's name carries a hash of the sources that decide its
//! content (`src/`, `migrations/postgres/`, `checklists/`), so every test
//! binary of a build, and later runs of the same sources, clone the same
//! one. It is built under an advisory lock (several test binaries or threads
//! at once build it once), as `<name>_build` renamed when complete (a
//! crashed build is never cloned), and templates of other sources are
//! dropped then. `TEST_KEEP_DATABASES=1` keeps the test databases for a look
//! after the run.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use sha2::{Digest, Sha256};
use tenken::db::{self, DatabaseUrl};

/// Every template's name starts so; test databases start with `tenken_test_`.
const TEMPLATE_PREFIX: &str = "tenken_template_";
/// The advisory lock held while a template is checked or built.
const LOCK_KEY: i64 = 0x7465_6e6b_656e;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// One test's database; a PostgreSQL one is dropped with the guard.
pub struct TestDatabase {
    /// The URL of the owner of the tables (`TEST_DATABASE_URL`'s user).
    pub url: String,
    /// The server's URL and the database's name, to drop it.
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// A database prepared as every start prepares it: a clone of the
    /// template on PostgreSQL, a new SQLite file in `dir` otherwise.
    pub fn new(dir: &tempfile::TempDir) -> Self {
        Self::create(dir, true)
    }

    /// An empty database (no tables), for tests that migrate step by step.
    pub fn empty(dir: &tempfile::TempDir) -> Self {
        Self::create(dir, false)
    }

    fn create(dir: &tempfile::TempDir, prepared: bool) -> Self {
        let Some(server) = server_url() else {
            return TestDatabase {
                url: format!("sqlite://{}", dir.path().join("tenken-test.db").display()),
                postgres: None,
            };
        };
        let name = format!(
            "tenken_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            chrono::Utc::now().timestamp_micros()
        );
        let mut admin = connect(&server);
        if prepared {
            clone_template(&mut admin, &server, &name);
        } else {
            admin
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create test database");
        }
        TestDatabase {
            url: database_url(&server, &name),
            postgres: Some((server, name)),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((server, name)) = &self.postgres else {
            return;
        };
        if std::env::var("TEST_KEEP_DATABASES").is_ok_and(|v| v == "1") {
            return;
        }
        // Never panic here: a failing test is unwinding through it.
        let dropped = PgConnection::establish(server)
            .map_err(|e| e.to_string())
            .and_then(|mut c| drop_database(&mut c, name));
        if let Err(e) = dropped {
            eprintln!("test database {name} not dropped: {e}");
        }
    }
}

/// `TEST_DATABASE_URL` when it names a server.
fn server_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.trim().is_empty())
}

fn connect(server: &str) -> PgConnection {
    PgConnection::establish(server).expect("connect to TEST_DATABASE_URL")
}

/// The URL of database `name` on the server of `server`.
fn database_url(server: &str, name: &str) -> String {
    let (base, _) = server
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL has a database name");
    format!("{base}/{name}")
}

/// Creates `name` from the template, building the template first when this
/// process has not checked it yet or it is gone (another run of other
/// sources dropped it).
fn clone_template(admin: &mut PgConnection, server: &str, name: &str) {
    static CHECKED: OnceLock<()> = OnceLock::new();
    let template = template_name();
    CHECKED.get_or_init(|| ensure_template(admin, server, template));
    let create = format!("CREATE DATABASE {name} TEMPLATE {template}");
    if admin.batch_execute(&create).is_err() {
        ensure_template(admin, server, template);
        admin
            .batch_execute(&create)
            .expect("create test database from the template");
    }
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

fn databases(admin: &mut PgConnection) -> Vec<String> {
    diesel::sql_query("SELECT datname::text AS name FROM pg_database")
        .load::<Name>(admin)
        .expect("list databases")
        .into_iter()
        .map(|n| n.name)
        .collect()
}

/// Makes sure template `name` exists, under the advisory lock: builds it as
/// `<name>_build` (migrated, checklists and roster loaded by the owner, as
/// `bootstrap::prepare` does at every start), renames it when complete, and
/// drops the templates of other sources.
fn ensure_template(admin: &mut PgConnection, server: &str, name: &str) {
    admin
        .batch_execute(&format!("SELECT pg_advisory_lock({LOCK_KEY})"))
        .expect("template lock");
    let existing = databases(admin);
    if !existing.iter().any(|d| d == name) {
        for stale in existing.iter().filter(|d| d.starts_with(TEMPLATE_PREFIX)) {
            // In use by a run of other sources: left for a later run.
            let _ = admin.batch_execute(&format!(
                "ALTER DATABASE {stale} WITH IS_TEMPLATE false; DROP DATABASE {stale}"
            ));
        }
        let build = format!("{name}_build");
        admin
            .batch_execute(&format!("CREATE DATABASE {build}"))
            .expect("create the template");
        {
            let url = database_url(server, &build);
            let mut conn = db::establish(&DatabaseUrl::parse(&url).expect("template url"))
                .expect("connect to the template");
            let catalog = tenken::checklists::load_catalog(None).expect("catalog");
            tenken::bootstrap::prepare(&mut conn, &catalog).expect("prepare the template");
        }
        admin
            .batch_execute(&format!(
                "ALTER DATABASE {build} RENAME TO {name};
                 ALTER DATABASE {name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"
            ))
            .expect("finish the template");
    }
    admin
        .batch_execute(&format!("SELECT pg_advisory_unlock({LOCK_KEY})"))
        .expect("template unlock");
}

/// Drops `name`, ending its sessions (`WITH (FORCE)`, PostgreSQL 13 and
/// later; before that, by terminating them first).
fn drop_database(admin: &mut PgConnection, name: &str) -> Result<(), String> {
    if admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .is_ok()
    {
        return Ok(());
    }
    admin
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';
             DROP DATABASE IF EXISTS {name}"
        ))
        .map_err(|e| e.to_string())
}

/// `tenken_template_` and the first 16 hex digits of the SHA-256 of the
/// files the template's content depends on.
fn template_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["src", "migrations/postgres", "checklists"] {
            collect(&root.join(dir), &mut files);
        }
        files.sort();
        let mut hash = Sha256::new();
        for f in &files {
            hash.update(
                f.strip_prefix(root)
                    .unwrap_or(f)
                    .to_string_lossy()
                    .as_bytes(),
            );
            hash.update(std::fs::read(f).expect("read a source file"));
        }
        let hex: String = hash
            .finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{TEMPLATE_PREFIX}{hex}")
    })
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}
