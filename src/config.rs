//! Run-time settings, read once from the command line and environment and
//! passed down explicitly (no global singleton).

use std::path::PathBuf;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://tenken.db";

#[derive(Debug, Clone)]
pub struct Settings {
    /// `sqlite://PATH` (or a bare path) for the embedded default,
    /// `postgres://…` / `postgresql://…` for PostgreSQL.
    pub database_url: String,
    /// Where the checklist data files are read from; `None` uses the copy
    /// compiled into the binary from `checklists/`.
    pub checklists_dir: Option<PathBuf>,
    /// Set when the app is served behind TLS: cookies get `Secure`.
    pub secure_cookies: bool,
    /// Largest number of pooled connections per instance.
    pub pool_size: u32,
}

impl Settings {
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            checklists_dir: None,
            secure_cookies: false,
            pool_size: 8,
        }
    }
}
