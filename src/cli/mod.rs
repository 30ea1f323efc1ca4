//! The command line: `tenken serve`, `migrate`, `checklist …`, `roster …`,
//! `export form`, `export summary`, `export plans`, `import forms`; one file per
//! command group, the clap types and the dispatch here.

mod admin;
mod bench;
mod checklist;
mod export;
mod import;
mod report;
mod serve;
mod user;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::checklists;
use crate::config::{Settings, DEFAULT_DATABASE_URL};
use crate::error::{AppError, AppResult};
use crate::{bootstrap, db};

#[derive(Debug, Parser)]
#[command(
    name = "tenken",
    version,
    about = "住基ネット セキュリティ自己点検 (tenken)"
)]
pub struct Cli {
    /// sqlite://PATH (default) or postgres://USER@HOST/DB
    #[arg(long, global = true, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// PostgreSQL with two roles: the owner's URL, used to migrate and to
    /// grant the application role of --database-url its rights.
    #[arg(long, global = true, env = "MIGRATE_DATABASE_URL")]
    pub migrate_database_url: Option<String>,
    /// Read the checklist data files from this directory instead of the copy built into the binary.
    #[arg(long, global = true, env = "TENKEN_CHECKLISTS_DIR")]
    pub checklists_dir: Option<PathBuf>,
    /// Address of the reverse proxy (TLS terminator) in front of `serve` or
    /// `demo`: its X-Forwarded-For then names the client in the operation log.
    #[arg(long, global = true, env = "TENKEN_TRUSTED_PROXY")]
    pub trusted_proxy: Option<std::net::IpAddr>,
    /// An item whose 該当なし率 in a prefecture is at least this many times
    /// the nation's is flagged on that prefecture's tables.
    #[arg(long, global = true, env = "TENKEN_NA_FLAG_RATIO", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub na_flag_ratio: u32,
    /// E-mail the notices through this SMTP server (off when not set).
    #[arg(long, global = true, env = "TENKEN_SMTP_HOST")]
    pub smtp_host: Option<String>,
    #[arg(long, global = true, env = "TENKEN_SMTP_PORT", default_value_t = 587)]
    pub smtp_port: u16,
    /// none (plain, a local relay only), starttls or tls (SMTPS).
    #[arg(
        long,
        global = true,
        env = "TENKEN_SMTP_TLS",
        value_enum,
        default_value = "starttls"
    )]
    pub smtp_tls: crate::config::MailTls,
    /// The sender of the notice mails, e.g. `tenken <tenken@example.lg.jp>`.
    #[arg(long, global = true, env = "TENKEN_SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// Login at the SMTP server (with TENKEN_SMTP_PASSWORD, from the environment only).
    #[arg(long, global = true, env = "TENKEN_SMTP_USER")]
    pub smtp_user: Option<String>,
    /// The address the app is reached at, put before a notice's link in a mail.
    #[arg(long, global = true, env = "TENKEN_PUBLIC_URL", default_value = "")]
    pub public_url: String,
    /// Log lines on stderr: `text` (colours only on a terminal) or `json`.
    #[arg(
        long,
        global = true,
        env = "TENKEN_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web application.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
        /// Mark cookies Secure (set when served behind TLS).
        #[arg(long, env = "TENKEN_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Require a second factor (TOTP) of ministry, prefecture and
        /// administrator accounts.
        #[arg(long, env = "TENKEN_REQUIRE_TOTP")]
        require_totp: bool,
        /// Password hashes (argon2id, ~19 MiB each) run at once; default:
        /// the number of cores. Logins beyond wait up to 10 s, then get 503.
        #[arg(long, env = "TENKEN_HASH_WORKERS")]
        hash_workers: Option<usize>,
    },
    /// Create or update the database tables and load the reference data.
    Migrate,
    /// The daily notices (deadline reminders, missing sheets after the
    /// deadline); safe to run any number of times a day (cron, systemd timer).
    Notify {
        /// The day to run for (YYYY-MM-DD); default today.
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
    },
    /// Check, list or show the checklists.
    #[command(subcommand)]
    Checklist(ChecklistCommand),
    /// Manage the roster of local governments.
    #[command(subcommand)]
    Roster(RosterCommand),
    /// Draw a chart as PNG or SVG (overall, item, shares, ranking, goals, standing).
    Chart(ChartArgs),
    /// Write workbooks (the 調査票 of an organisation).
    #[command(subcommand)]
    Export(ExportCommand),
    /// Bulk loads: answers in long format, filled 調査票 workbooks.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Reports from the national tables.
    #[command(subcommand)]
    Report(ReportCommand),
    /// A national data set and the timings of the national table.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Write a backup of the database (SQLite: a consistent copy taken while
    /// running; PostgreSQL: pg_dump custom format).
    Backup {
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup (stop the application first). The current SQLite
    /// file is kept beside it.
    Restore {
        file: PathBuf,
        /// Replace an existing database.
        #[arg(long)]
        force: bool,
    },
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// The operation log's hash chain.
    #[command(subcommand)]
    Oplog(OplogCommand),
    /// Prepare demonstration data (a demo round, one account per role,
    /// sample answers in every state) and serve. Demo only.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum OplogCommand {
    /// Walk the hash chain of the operation log and report the first entry
    /// that does not match (exit status 1 when one does not).
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an account. The password is read from stdin (first line); when
    /// stdin is a terminal or empty, one is generated, printed once, and must
    /// be changed at first login.
    Add {
        #[arg(long)]
        login: String,
        /// The organisation's code: 6-digit local government code, G0001, MIC, JLIS.
        #[arg(long)]
        org: String,
        /// municipality, prefecture, ministry, agency or admin
        #[arg(long)]
        role: String,
    },
    /// Disable an account (退職, 異動 …): it can no longer log in and its
    /// sessions end at once.
    Disable {
        #[arg(long)]
        login: String,
        /// Why, e.g. 退職 or "異動（総務課へ）"
        #[arg(long)]
        reason: String,
    },
    /// Enable a disabled account again.
    Enable {
        #[arg(long)]
        login: String,
        /// The new end date (利用期限, last day of use, e.g. 2027-03-31); none when left out.
        #[arg(long)]
        valid_until: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
pub struct ChartArgs {
    /// overall (総平均点の推移), item (小項目の推移), shares (大分類別の回答割合),
    /// ranking (都道府県の順位), goals (団体と全国の管理目標別比較),
    /// standing (大分類別の平均点と偏差値)
    pub kind: String,
    /// 2007, H19, 平成19年度, R7 … (trends run up to this year); default: the latest year with answers or published figures
    #[arg(long)]
    pub year: Option<String>,
    /// national (default), agencies, a prefecture (130001 or pref:130001) or an organisation (131016 or org:131016)
    #[arg(long)]
    pub scope: Option<String>,
    /// The sub-item of `item`, e.g. 18-1
    #[arg(long)]
    pub item: Option<String>,
    /// Output file; its extension (.png or .svg) picks the format
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Answers in long format: CSV (UTF-8) or xlsx with the header org_code,fiscal_year,item,score[,comment].
    Answers {
        file: PathBuf,
        /// Replace the stored answers of the organisations and years in the file.
        #[arg(long)]
        replace: bool,
        /// The xlsx sheet to read (default: the first).
        #[arg(long)]
        sheet: Option<String>,
    },
    /// Filled 調査票 workbooks: files, or folders searched for *.xlsx.
    Forms {
        /// The fiscal year every workbook must be for.
        #[arg(long)]
        year: String,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The 点検結果集計表 of a scope and fiscal year on stdout.
    Summary {
        /// 2007, H19, 平成19年度 …
        #[arg(long)]
        year: String,
        /// national, pref:130001, agencies or org:131016
        #[arg(long, default_value = "national")]
        scope: String,
        /// json, csv or text
        #[arg(long, default_value = "text")]
        format: String,
        /// Lower bounds of the buckets of organisations not at 3 (default 0,1,3,6).
        #[arg(long)]
        buckets: Option<String>,
        /// The 速報: drafts included (never the official table).
        #[arg(long)]
        provisional: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Time the national table (cold, warm, after a write) against a bare GROUP BY;
    /// imports a generated national data set first when the database has none.
    Run {
        #[arg(long, default_value = "2007")]
        year: String,
        #[arg(long, default_value_t = 200)]
        iterations: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Write the national data set (every municipality, every item, FY2003 to --to) as an answers CSV.
    Generate {
        out: PathBuf,
        #[arg(long, default_value = "2003")]
        from: String,
        #[arg(long, default_value = "2007")]
        to: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Saving clients and table readers against a started server (see README "Load benchmark").
    Load(crate::bench::load::LoadArgs),
}

#[derive(Debug, Subcommand)]
pub enum ChecklistCommand {
    /// Check every data file; each problem names its file, line and id.
    Validate {
        /// Directory to check (default: ./checklists if present, else the built-in copy).
        dir: Option<PathBuf>,
    },
    /// The variants with their counts of goals and sub-items per year.
    List,
    /// One variant's hierarchy for a fiscal year.
    Show {
        /// municipal or national_agency
        variant: String,
        /// 2007, H19, 平成19年度, R7 …
        #[arg(long)]
        year: Option<String>,
        #[arg(long, default_value = "text")]
        format: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RosterCommand {
    /// Add or rename local governments from a CSV (code,prefecture,city,prefecture_kana,city_kana).
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// The 調査票 workbook of one organisation and fiscal year.
    Form {
        /// Organisation code (011002, G0001 …)
        #[arg(long)]
        org: String,
        /// 2007, H19, 平成19年度, R7 …
        #[arg(long)]
        year: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// The 点検結果集計表 workbook (集計表, 重要点検項目, グラフ) of a scope and fiscal year.
    Summary {
        /// 2007, H19, 平成19年度 …
        #[arg(long)]
        year: String,
        /// national, pref:130001, agencies or org:131016
        #[arg(long, default_value = "national")]
        scope: String,
        #[arg(long)]
        out: PathBuf,
        /// The 速報: drafts included (never the official table).
        #[arg(long)]
        provisional: bool,
    },
    /// Open data: the table's figures in long format (CSV UTF-8 with BOM and
    /// xlsx, with a code table) written into DIR.
    OpenData {
        /// 2007, H19, 平成19年度 …
        #[arg(long)]
        year: String,
        /// national, pref:130001, agencies or org:131016
        #[arg(long, default_value = "national")]
        scope: String,
        /// The directory the files are written into (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// The 改善計画書 workbook: every sub-item scored 1 or 2 with its plan,
    /// progress and advice.
    Plans {
        /// 2007, H19, 平成19年度, R7 …
        #[arg(long)]
        year: String,
        /// national (every municipality), pref:CODE, agencies or org:CODE
        #[arg(long, default_value = "national")]
        scope: String,
        #[arg(long)]
        out: PathBuf,
    },
}

/// The SMTP settings: on when a host is given, which then needs a sender.
fn mail_settings(cli: &Cli) -> AppResult<Option<crate::config::MailSettings>> {
    let Some(host) = cli.smtp_host.clone().filter(|h| !h.trim().is_empty()) else {
        return Ok(None);
    };
    let Some(from) = cli.smtp_from.clone().filter(|f| !f.trim().is_empty()) else {
        return Err(AppError::BadRequest(
            "--smtp-host（TENKEN_SMTP_HOST）を指定したときは送信者 --smtp-from（TENKEN_SMTP_FROM）も指定してください".into(),
        ));
    };
    Ok(Some(crate::config::MailSettings {
        host,
        port: cli.smtp_port,
        tls: cli.smtp_tls,
        from,
        user: cli.smtp_user.clone().filter(|u| !u.is_empty()),
        password: std::env::var("TENKEN_SMTP_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty()),
        base_url: cli.public_url.clone(),
    }))
}

pub async fn run(cli: Cli) -> AppResult<()> {
    let mut settings = Settings::new(cli.database_url.clone());
    settings.migrate_database_url = cli
        .migrate_database_url
        .clone()
        .filter(|u| !u.trim().is_empty());
    settings.checklists_dir = cli.checklists_dir.clone();
    settings.trusted_proxy = cli.trusted_proxy;
    settings.na_flag_ratio = cli.na_flag_ratio;
    settings.mail = mail_settings(&cli)?;
    match cli.command {
        Command::Serve {
            bind,
            secure_cookies,
            require_totp,
            hash_workers,
        } => serve::serve(settings, &bind, secure_cookies, require_totp, hash_workers).await,
        Command::Migrate => admin::migrate(&settings),
        Command::Notify { date } => admin::notify(&settings, date),
        Command::Checklist(cmd) => checklist::checklist(cmd, &settings),
        Command::User(cmd) => user::user(cmd, &settings),
        Command::Backup { out } => admin::backup(&settings, &out),
        Command::Restore { file, force } => admin::restore(&settings, &file, force),
        Command::Oplog(OplogCommand::Verify) => admin::oplog_verify(&settings),
        Command::Demo { bind } => serve::demo(settings, &bind).await,
        Command::Chart(args) => report::chart(args, &settings),
        Command::Roster(RosterCommand::Import { file }) => admin::roster_import(&settings, &file),
        Command::Export(cmd) => export::export(cmd, &settings),
        Command::Import(ImportCommand::Answers {
            file,
            replace,
            sheet,
        }) => import::import_answers(file, replace, sheet, &settings),
        Command::Import(ImportCommand::Forms { year, paths }) => {
            import::import_forms(year, paths, &settings)
        }
        Command::Report(cmd) => report::report(cmd, &settings),
        Command::Bench(cmd) => bench::bench(cmd, &settings).await,
    }
}

/// Opens the database, migrated and with the reference data loaded.
fn open(settings: &Settings) -> AppResult<(checklists::Catalog, db::DbConnection)> {
    let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
    let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
    bootstrap::prepare(&mut conn, &catalog)?;
    Ok((catalog, conn))
}

fn host_of(bind: &str) -> &str {
    bind.rsplit_once(':').map_or(bind, |(h, _)| h)
}
