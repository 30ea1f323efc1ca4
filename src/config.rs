//! Run-time settings, read once from the command line and environment and
//! passed down explicitly (no global singleton).

use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://tenken.db";

#[derive(Debug, Clone)]
pub struct Settings {
    /// `sqlite://PATH` (or a bare path) for the embedded default,
    /// `postgres://…` / `postgresql://…` for PostgreSQL.
    pub database_url: String,
    /// PostgreSQL with two roles: the URL of the role that owns the tables,
    /// used only to migrate (and to grant the application role of
    /// `database_url` its rights). `None`: one role does both.
    pub migrate_database_url: Option<String>,
    /// Where the checklist data files are read from; `None` uses the copy
    /// compiled into the binary from `checklists/`.
    pub checklists_dir: Option<PathBuf>,
    /// Set when the app is served behind TLS: cookies get `Secure`.
    pub secure_cookies: bool,
    /// Largest number of pooled connections per instance.
    pub pool_size: u32,
    /// A session ends after this long without a request (checklist: 30 minutes).
    pub session_idle: Duration,
    /// A session ends this long after login, however busy.
    pub session_lifetime: Duration,
    /// Failed logins in a row that lock an account (checklist item 12-2: 5).
    pub lockout_threshold: i32,
    /// How long a locked account stays locked (15 minutes).
    pub lockout_duration: Duration,
    /// A password older than this must be changed at the next request
    /// (checklist item 11-1: パスワードを定期的に変更している; 180 days).
    pub password_max_age: Duration,
    /// The address of a reverse proxy (TLS terminator) whose
    /// `X-Forwarded-For` names the client in the operation log. `None`:
    /// the TCP peer is the client.
    pub trusted_proxy: Option<std::net::IpAddr>,
    /// Accounts unused this long are listed for the administrators'
    /// periodic review (`/admin/users/review`; 90 days).
    pub account_review_after: Duration,
    /// When set, ministry, prefecture and administrator accounts must use a
    /// second factor (TOTP); an account not yet enrolled is sent to
    /// enrolment after its password. Off by default.
    pub require_totp: bool,
    /// An item whose 該当なし率 in a prefecture is at least this many times
    /// the nation's is flagged to that prefecture (default 3).
    pub na_flag_ratio: u32,
    /// Password hashes (argon2id, ~19 MiB each) that may run at once;
    /// default: the number of cores.
    pub hash_pool_size: usize,
    /// How long a login waits for a free hashing turn before it is answered
    /// 503.
    pub hash_wait: Duration,
    /// E-mail of the notices through SMTP; `None` (the default): no mail.
    pub mail: Option<MailSettings>,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MailTls {
    /// Plain SMTP (a relay on the same host or network only).
    None,
    /// Plain connection upgraded with STARTTLS (required).
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

/// The SMTP server notices are sent through.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub tls: MailTls,
    /// The sender (`From:`), e.g. `tenken <tenken@example.lg.jp>`.
    pub from: String,
    /// Login and password at the server, when it asks for them.
    pub user: Option<String>,
    pub password: Option<String>,
    /// Prefixed to a notice's link in the mail body, e.g.
    /// `https://tenken.example.lg.jp`.
    pub base_url: String,
}

impl Settings {
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            migrate_database_url: None,
            checklists_dir: None,
            secure_cookies: false,
            pool_size: 8,
            session_idle: Duration::from_secs(30 * 60),
            session_lifetime: Duration::from_secs(12 * 60 * 60),
            lockout_threshold: 5,
            lockout_duration: Duration::from_secs(15 * 60),
            password_max_age: Duration::from_secs(180 * 24 * 60 * 60),
            trusted_proxy: None,
            account_review_after: Duration::from_secs(90 * 24 * 60 * 60),
            require_totp: false,
            na_flag_ratio: 3,
            hash_pool_size: crate::auth::hashing::HashPool::default_size(),
            hash_wait: Duration::from_secs(10),
            mail: None,
        }
    }
}
