use std::sync::atomic::{AtomicU32, Ordering};

use diesel::connection::SimpleConnection;
use tenken::config::Settings;
use tenken::db::{self, DatabaseUrl, DbConnection};
use tenken::startup::Application;
use tenken::state::AppState;

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub client: reqwest::Client,
    pub state: AppState,
    _dir: tempfile::TempDir,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A database URL of its own for one test: a new SQLite file in `dir`, or a
/// new database on the PostgreSQL server of `TEST_DATABASE_URL`.
pub fn fresh_database_url(dir: &tempfile::TempDir) -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(server) if !server.trim().is_empty() => {
            let name = format!(
                "tenken_test_{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst),
                chrono::Utc::now().timestamp_micros()
            );
            let mut admin = db::establish(&DatabaseUrl::parse(&server).expect("TEST_DATABASE_URL"))
                .expect("connect to TEST_DATABASE_URL");
            admin
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create test database");
            let (base, _) = server
                .rsplit_once('/')
                .expect("TEST_DATABASE_URL has a database name");
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}", dir.path().join("tenken-test.db").display()),
    }
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
    let database_url = fresh_database_url(&dir);
    let mut settings = Settings::new(database_url.clone());
    settings.pool_size = 4;
    adjust(&mut settings);
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
        client,
        state,
        _dir: dir,
    }
}

/// A second instance of the application on the database of `first` (as
/// several instances behind one PostgreSQL run in production).
pub async fn spawn_instance_of(first: &TestApp) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = Settings::new(first.database_url.clone());
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
        client,
        state,
        _dir: dir,
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
