//! `tenken bench load`: the answering season on one machine. N municipal
//! accounts are made (or reset) with a fresh password, the round of the year
//! is opened if need be, `tenken serve` is started as a child process, and
//! then for a while C clients each log in, open their sheets and save them
//! again and again as a browser does (the whole form, then the redirect
//! GET), while R readers (ministry accounts) fetch the national table page
//! and its JSON in turn. Afterwards: a few one-sheet saves each followed at
//! once by the table, the server's peak RSS, and a check that the database
//! holds exactly each sheet's last save. The accounts are disabled at the end.
//!
//! Files: this one the options, the command and `run` (prepare, drive,
//! check, clean up); `accounts.rs` the database and the load accounts;
//! `clients.rs` the writing clients and the readers, and `drive`, which runs
//! them for the set time.

mod accounts;
mod clients;

use accounts::{open_database, prepare_accounts};
use clients::drive;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::report::Report;
use super::server::{self, ServerProcess};
use super::sheet;
use crate::checklists::{self, Variant};
use crate::config::Settings;
use crate::db::{self, Backend, DatabaseUrl};
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::store::{load_bench, users};

/// `tenken bench load` on the command line.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// The fiscal year the clients answer and the readers read.
    #[arg(long, default_value = "2007")]
    pub year: String,
    /// Municipal accounts made (default: as many as clients); each client
    /// saves the sheets of its share of them in turn.
    #[arg(long)]
    pub accounts: Option<usize>,
    /// Clients saving at once.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// Readers of the national table (page and JSON in turn).
    #[arg(long, default_value_t = 4)]
    pub readers: usize,
    /// How long the clients save, in seconds.
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    /// Sub-items whose score changes between two saves of a sheet.
    #[arg(long, default_value_t = 5)]
    pub changed: usize,
    /// The readers read the official (公表) table instead of the 速報,
    /// which every draft save changes.
    #[arg(long)]
    pub official: bool,
    /// An answers CSV (e.g. from `tenken bench generate`) imported first
    /// when the year has no answers yet.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// One-sheet saves each followed by the table, after the load.
    #[arg(long, default_value_t = 20)]
    pub probes: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// More arguments for `serve` (e.g. `--serve-arg=--hash-workers=2`).
    #[arg(long = "serve-arg", allow_hyphen_values = true)]
    pub serve_args: Vec<String>,
}

/// Where the server under load runs.
#[derive(Debug, Clone)]
pub enum Server {
    /// `exe serve` started on the run's database (its peak RSS is read).
    Spawn { exe: PathBuf, args: Vec<String> },
    /// A server already serving the run's database at this base URL.
    At(String),
}

/// One run's parameters.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub year: FiscalYear,
    pub accounts: usize,
    pub clients: usize,
    pub readers: usize,
    pub duration: Duration,
    pub changed: usize,
    pub official: bool,
    pub data: Option<PathBuf>,
    pub probes: usize,
    pub seed: u64,
    pub server: Server,
}

impl LoadOptions {
    pub fn from_args(args: LoadArgs, exe: PathBuf) -> AppResult<Self> {
        Ok(Self {
            year: FiscalYear::parse(&args.year)?,
            accounts: args.accounts.unwrap_or(args.clients),
            clients: args.clients,
            readers: args.readers,
            duration: Duration::from_secs(args.seconds),
            changed: args.changed,
            official: args.official,
            data: args.data,
            probes: args.probes,
            seed: args.seed,
            server: Server::Spawn {
                exe,
                args: args.serve_args,
            },
        })
    }
}

/// Runs the command: prints the report; a failed final check or a failed
/// request is an error (exit status 1).
pub async fn command(args: LoadArgs, settings: &Settings) -> AppResult<()> {
    let exe = std::env::current_exe().map_err(|e| AppError::io("current_exe", e))?;
    let report = run(settings, &LoadOptions::from_args(args, exe)?).await?;
    print!("{}", report.to_text());
    if report.passed() {
        Ok(())
    } else {
        Err(AppError::Conflict(format!(
            "負荷試験の結果が正しくありません: 最後の保存と違う項目 {} 件、失敗した要求 {} 種類",
            report.check.mismatch_count,
            report.errors.len()
        )))
    }
}

/// One run of the load benchmark on the database of `settings`.
pub async fn run(settings: &Settings, opts: &LoadOptions) -> AppResult<Report> {
    if opts.clients == 0 || opts.accounts < opts.clients {
        return Err(AppError::BadRequest(format!(
            "--clients は 1 以上、--accounts は --clients 以上にしてください（--clients {}、--accounts {}）",
            opts.clients, opts.accounts
        )));
    }
    let catalog = Arc::new(checklists::load_catalog(
        settings.checklists_dir.as_deref(),
    )?);
    let mut conn = open_database(settings, &catalog)?;
    let fy = opts.year;
    if let Some(data) = &opts.data {
        if !load_bench::year_has_answers(&mut conn, fy)? {
            let exe = match &opts.server {
                Server::Spawn { exe, .. } => exe.clone(),
                Server::At(_) => {
                    std::env::current_exe().map_err(|e| AppError::io("current_exe", e))?
                }
            };
            let status = server::command(&exe, settings)
                .args(["import", "answers"])
                .arg(data)
                .status()
                .map_err(|e| AppError::io(exe.display().to_string(), e))?;
            if !status.success() {
                return Err(AppError::internal(format!(
                    "{} の取り込みに失敗しました（{status}）",
                    data.display()
                )));
            }
        }
    }
    let accounts = prepare_accounts(&mut conn, &catalog, opts)?;
    let mut report = Report {
        backend: match conn.backend() {
            Backend::Sqlite => "SQLite".into(),
            Backend::Postgres => "PostgreSQL".into(),
        },
        year: fy.year(),
        accounts: opts.accounts,
        clients: opts.clients,
        readers: opts.readers,
        basis: if opts.official { "公表" } else { "速報" }.into(),
        ..Default::default()
    };
    drop(conn);
    let (process, base) = match &opts.server {
        Server::Spawn { exe, args } => {
            let p = ServerProcess::start(exe, args, settings).await?;
            let base = p.base.clone();
            (Some(p), base)
        }
        Server::At(base) => (None, base.clone()),
    };
    let driven = drive(
        &base,
        &accounts,
        catalog.clone(),
        Arc::new(opts.clone()),
        &mut report,
    )
    .await;
    report.peak_rss_kb = process.as_ref().and_then(ServerProcess::peak_rss_kb);
    let tail = process
        .as_ref()
        .map(ServerProcess::log_tail)
        .unwrap_or_default();
    if let Some(p) = process {
        p.stop();
    }
    let mut conn = db::establish(&DatabaseUrl::parse(&settings.database_url)?)?;
    for id in &accounts.ids {
        users::disable(&mut conn, *id, "負荷試験の終了")?;
    }
    if let Err(f) = driven {
        return Err(AppError::internal(format!(
            "負荷試験を続けられませんでした: {}（{}）{}",
            f.detail, f.key, tail
        )));
    }
    report.check = sheet::verify(
        &mut conn,
        catalog.checklist(Variant::Municipal),
        fy,
        &report.expected,
    )?;
    Ok(report)
}
