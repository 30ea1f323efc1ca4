use std::sync::Arc;

use tenken::config::Settings;
use tenken::db::{self, DatabaseUrl, DbConnection};
use tenken::startup::Application;
use tenken::state::AppState;

pub use crate::test_database::TestDatabase;

pub struct TestApp {
    pub address: String,
    /// The application's URL (the application role's under `TEST_APP_ROLE`).
    pub database_url: String,
    /// The URL of the role that owns the tables (the same as
    /// `database_url` but under `TEST_APP_ROLE`).
    pub owner_url: String,
    pub client: reqwest::Client,
    pub state: AppState,
    _dir: tempfile::TempDir,
    /// Last: dropped after the app's own pool (shared by the instances of
    /// one database).
    _db: Arc<TestDatabase>,
}

/// A database of its own for one test, dropped with the guard: a new SQLite
/// file in `dir`, or on the PostgreSQL server of `TEST_DATABASE_URL` a clone
/// of the template database (see `test_database`).
pub fn fresh_database(dir: &tempfile::TempDir) -> TestDatabase {
    TestDatabase::new(dir)
}

/// `url` with its user replaced by `role` (no password: the test cluster
/// trusts local connections).
pub fn url_as(url: &str, role: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    format!("{scheme}://{role}@{host}")
}

/// The application role the PostgreSQL suite runs as when
/// `TEST_APP_ROLE` names one (`.ci/run` does): each test's database is
/// migrated by the owner of `TEST_DATABASE_URL` and served by that role.
pub fn app_role() -> Option<String> {
    std::env::var("TEST_APP_ROLE")
        .ok()
        .filter(|r| is_postgres() && !r.trim().is_empty())
}

/// For a URL of the application role, the owner's URL of the same
/// database (for commands that migrate or restore); `None` otherwise.
pub fn owner_url_of(url: &str) -> Option<String> {
    let role = app_role()?;
    let server = std::env::var("TEST_DATABASE_URL").ok()?;
    let (_, rest) = server.split_once("://")?;
    let owner = rest.rsplit_once('@').map(|(u, _)| u.to_string())?;
    url.contains(&format!("://{role}@"))
        .then(|| url.replacen(&format!("://{role}@"), &format!("://{owner}@"), 1))
}

/// The environment a `tenken` command needs for `url`: the owner's URL as
/// `MIGRATE_DATABASE_URL` when `url` is the application role's.
pub fn owner_env(url: &str) -> Vec<(String, String)> {
    owner_url_of(url)
        .map(|o| vec![("MIGRATE_DATABASE_URL".to_string(), o)])
        .unwrap_or_default()
}

pub fn is_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|s| !s.trim().is_empty())
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// `spawn_app` with settings changed by `adjust`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fresh_database(&dir);
    let owner_url = db.url.clone();
    let database_url = match app_role() {
        Some(role) => url_as(&owner_url, &role),
        None => owner_url.clone(),
    };
    let mut settings = Settings::new(database_url.clone());
    settings.migrate_database_url = (database_url != owner_url).then(|| owner_url.clone());
    settings.pool_size = 4;
    adjust(&mut settings);
    let owner_url = settings
        .migrate_database_url
        .clone()
        .unwrap_or_else(|| settings.database_url.clone());
    let database_url = settings.database_url.clone();
    let app = Application::build(settings, "127.0.0.1:0").expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    TestApp {
        address,
        database_url,
        owner_url,
        client,
        state,
        _dir: dir,
        _db: Arc::new(db),
    }
}

/// A second instance of the application on the database of `first` (as
/// several instances behind one PostgreSQL run in production).
pub async fn spawn_instance_of(first: &TestApp) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = Settings::new(first.database_url.clone());
    settings.migrate_database_url =
        (first.owner_url != first.database_url).then(|| first.owner_url.clone());
    settings.pool_size = 4;
    let app = Application::build(settings, "127.0.0.1:0").expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    TestApp {
        address,
        database_url: first.database_url.clone(),
        owner_url: first.owner_url.clone(),
        client,
        state,
        _dir: dir,
        _db: first._db.clone(),
    }
}

impl TestApp {
    pub fn conn(&self) -> db::PooledConn {
        self.state.pool.get().expect("pooled connection")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }
}

/// Runs `f` as the owner of the tables (what someone with the database's
/// rights could do behind the application's back).
pub fn with_owner_conn<T>(app: &TestApp, f: impl FnOnce(&mut DbConnection) -> T) -> T {
    let mut conn =
        db::establish(&DatabaseUrl::parse(&app.owner_url).expect("owner url")).expect("owner");
    f(&mut conn)
}

/// Runs `f` on a connection of its own outside the app, for direct checks.
pub fn with_conn<T>(app: &TestApp, f: impl FnOnce(&mut DbConnection) -> T) -> T {
    let mut conn = app.conn();
    f(&mut conn)
}

/// What an error answer says: the `<p class="what">` of an error page
/// (unescaped), the `detail` of a problem document, else the body itself.
pub fn error_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        if let Some(e) = v["detail"].as_str().or(v["error"].as_str()) {
            return e.to_string();
        }
    }
    let Some(start) = body.find("<p class=\"what\">") else {
        return body.to_string();
    };
    let rest = &body[start + "<p class=\"what\">".len()..];
    let text = rest.split("</p>").next().unwrap_or("");
    text.replace("&#x2F;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
