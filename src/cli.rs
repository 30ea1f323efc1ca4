//! The command line: `tenken serve`, `migrate`, `checklist …`, `roster …`,
//! `export form`, `export summary`, `export plans`, `import forms`.

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::checklists::{self, outline, Sources, Variant};
use crate::config::{Settings, DEFAULT_DATABASE_URL};
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::{bootstrap, db, excel, roster, startup, stats, store};

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
        } => {
            settings.secure_cookies = secure_cookies;
            settings.require_totp = require_totp;
            if let Some(n) = hash_workers {
                settings.hash_pool_size = n;
            }
            let app = startup::Application::build(settings, &bind)?;
            tracing::info!(bind = %bind, port = app.port(), "serving");
            println!(
                "tenken: http://{}:{}/ を開いてください",
                host_of(&bind),
                app.port()
            );
            app.run_until_stopped()
                .await
                .map_err(|e| AppError::io("server", e))
        }
        Command::Migrate => {
            let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
            bootstrap::prepare_as_owner(&settings, &catalog)?;
            let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
            for (kind, n) in store::organisations::count_by_kind(&mut conn)? {
                println!("{kind}: {n}");
            }
            println!("migrated");
            Ok(())
        }
        Command::Notify { date } => {
            let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
            db::run_migrations(&mut conn)?;
            let today = date.unwrap_or_else(|| chrono::Local::now().date_naive());
            let made = store::notices::daily(&mut conn, today)?;
            println!("お知らせ {made} 件を作成しました（{today}）");
            if let Some(mail) = &settings.mail {
                let sent = crate::mail::send_pending(&mut conn, mail)?;
                println!("お知らせのメール {sent} 通を送信しました");
            }
            Ok(())
        }
        Command::Checklist(cmd) => checklist(cmd, &settings),
        Command::User(cmd) => user(cmd, &settings),
        Command::Backup { out } => {
            crate::backup::backup(&settings.database_url, &out)?;
            println!("backup: {}", out.display());
            Ok(())
        }
        Command::Restore { file, force } => {
            // A restore recreates the tables: the owner's work.
            let owner = settings
                .migrate_database_url
                .as_deref()
                .unwrap_or(&settings.database_url);
            let chain = crate::backup::restore(owner, &file, force)?;
            println!("restored from {}", file.display());
            if chain.is_intact() {
                println!("{}", chain.describe());
                Ok(())
            } else {
                Err(AppError::Conflict(format!(
                    "リストアしましたが、{}",
                    chain.describe()
                )))
            }
        }
        Command::Oplog(OplogCommand::Verify) => {
            let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
            db::run_migrations(&mut conn)?;
            let chain = store::chain::verify(&mut conn)?;
            if chain.is_intact() {
                println!("{}", chain.describe());
                Ok(())
            } else {
                Err(AppError::Conflict(chain.describe()))
            }
        }
        Command::Demo { bind } => demo(settings, &bind).await,
        Command::Chart(args) => chart(args, &settings),
        Command::Roster(RosterCommand::Import { file }) => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| AppError::io(file.display().to_string(), e))?;
            let entries =
                roster::parse(&file.display().to_string(), &text).map_err(AppError::Invalid)?;
            let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
            let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
            bootstrap::prepare(&mut conn, &catalog)?;
            let s = store::organisations::import_roster(&mut conn, &entries)?;
            println!(
                "roster: {} added, {} renamed, {} unchanged",
                s.added, s.renamed, s.unchanged
            );
            Ok(())
        }
        Command::Export(cmd) => export(cmd, &settings),
        Command::Import(ImportCommand::Answers {
            file,
            replace,
            sheet,
        }) => import_answers(file, replace, sheet, &settings),
        Command::Import(ImportCommand::Forms { year, paths }) => {
            import_forms(year, paths, &settings)
        }
        Command::Report(cmd) => report(cmd, &settings),
        Command::Bench(cmd) => bench(cmd, &settings),
    }
}

/// Opens the database, migrated and with the reference data loaded.
fn open(settings: &Settings) -> AppResult<(checklists::Catalog, db::DbConnection)> {
    let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
    let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
    bootstrap::prepare(&mut conn, &catalog)?;
    Ok((catalog, conn))
}

fn import_answers(
    file: PathBuf,
    replace: bool,
    sheet: Option<String>,
    settings: &Settings,
) -> AppResult<()> {
    let (catalog, mut conn) = open(settings)?;
    let started = std::time::Instant::now();
    let source = stats::import::FileSource::new(&file, sheet.as_deref());
    let bar = stats::import::progress_bar(0, "回答を読み込み中");
    let r = stats::import::import(&mut conn, &catalog, &source, replace, &mut |read, _| {
        bar.set_position(read as u64)
    });
    bar.finish_and_clear();
    let r = r?;
    println!(
        "answers: {} rows imported ({} organisations, years {:?}; {} replaced) in {:.1} s",
        r.inserted,
        r.organisations,
        r.years,
        r.replaced,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn report(cmd: ReportCommand, settings: &Settings) -> AppResult<()> {
    let ReportCommand::Summary {
        year,
        scope,
        format,
        buckets,
        provisional,
    } = cmd;
    let fy = FiscalYear::parse(&year)?;
    let scope = stats::Scope::parse(&scope)?;
    if !["json", "csv", "text"].contains(&format.as_str()) {
        return Err(AppError::BadRequest(format!(
            "--format は json, csv, text のいずれかです（{format}）"
        )));
    }
    let bounds = buckets
        .as_deref()
        .map(stats::engine::parse_buckets)
        .transpose()?;
    let (catalog, mut conn) = open(settings)?;
    let basis = if provisional {
        stats::Basis::Provisional
    } else {
        stats::Basis::Official
    };
    let mut s = stats::data::summary_of(&mut conn, &catalog, &scope, fy, basis)?;
    if let (Some(b), Some(_)) = (&bounds, &s.non_compliance) {
        s.non_compliance = Some(stats::engine::non_compliance(&s, b));
    }
    let text = match format.as_str() {
        "json" => {
            serde_json::to_string_pretty(&s).map_err(|e| AppError::Internal(e.to_string()))?
        }
        "csv" => stats::report::to_csv(&s)?,
        _ => stats::report::to_text(&s),
    };
    print!("{text}");
    if format == "json" {
        println!();
    }
    Ok(())
}

fn bench(cmd: BenchCommand, settings: &Settings) -> AppResult<()> {
    let (catalog, mut conn) = open(settings)?;
    match cmd {
        BenchCommand::Run {
            year,
            iterations,
            seed,
        } => {
            let fy = FiscalYear::parse(&year)?;
            stats::bench::run(
                &mut conn,
                &catalog,
                fy,
                iterations,
                seed,
                &mut std::io::stdout(),
            )
        }
        BenchCommand::Generate {
            out,
            from,
            to,
            seed,
        } => {
            let rows = stats::bench::generate(
                &mut conn,
                &catalog,
                FiscalYear::parse(&from)?,
                FiscalYear::parse(&to)?,
                seed,
                &out,
            )?;
            println!("{rows} rows -> {}", out.display());
            Ok(())
        }
    }
}

fn export(cmd: ExportCommand, settings: &Settings) -> AppResult<()> {
    let (org, year, out) = match cmd {
        ExportCommand::Form { org, year, out } => (org, year, out),
        ExportCommand::Summary {
            year,
            scope,
            out,
            provisional,
        } => return export_summary(&year, &scope, &out, provisional, settings),
        ExportCommand::OpenData { year, scope, out } => {
            return export_open_data(&year, &scope, &out, settings)
        }
        ExportCommand::Plans { year, scope, out } => {
            return export_plans(&year, &scope, &out, settings)
        }
    };
    let fy = FiscalYear::parse(&year)?;
    let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
    let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
    bootstrap::prepare(&mut conn, &catalog)?;
    let data = excel::form_export::form_data(&mut conn, &catalog, &org, fy)?;
    let bytes = excel::form_export::build_form(&data)?;
    std::fs::write(&out, &bytes).map_err(|e| AppError::io(out.display().to_string(), e))?;
    println!(
        "{}: {} {} {} 小項目 {}",
        out.display(),
        data.org_code,
        data.org_name,
        fy,
        catalog.checklist(data.variant).items_in(fy).count()
    );
    Ok(())
}

fn export_summary(
    year: &str,
    scope: &str,
    out: &std::path::Path,
    provisional: bool,
    settings: &Settings,
) -> AppResult<()> {
    let fy = FiscalYear::parse(year)?;
    let scope = stats::Scope::parse(scope)?;
    let (catalog, mut conn) = open(settings)?;
    let basis = if provisional {
        stats::Basis::Provisional
    } else {
        stats::Basis::Official
    };
    let (s, bytes) = excel::summary_export::export_summary(&mut conn, &catalog, &scope, fy, basis)?;
    write_export(&mut conn, out, &bytes, "集計表", &scope, fy)?;
    let count = s
        .organisations
        .map_or_else(|| "-".to_string(), |n| n.to_string());
    let overall = s
        .overall
        .average
        .as_ref()
        .map_or("-", |f| f.printed.as_str());
    println!(
        "{}: 点検結果集計表 {} {} 集計団体数 {count} 総平均点 {overall} 小項目 {} ({} bytes)",
        out.display(),
        s.scope.name,
        s.fiscal_year_label,
        s.items().count(),
        bytes.len()
    );
    Ok(())
}

fn export_open_data(
    year: &str,
    scope: &str,
    out: &std::path::Path,
    settings: &Settings,
) -> AppResult<()> {
    use excel::open_data;
    let fy = FiscalYear::parse(year)?;
    let scope = stats::Scope::parse(scope)?;
    let (catalog, mut conn) = open(settings)?;
    let s = stats::summary(&mut conn, &catalog, &scope, fy)?;
    let rows = open_data::rows(&s);
    let codes = open_data::codes(&catalog, &[&s]);
    std::fs::create_dir_all(out).map_err(|e| AppError::io(out.display().to_string(), e))?;
    let base = open_data::base_name(&s);
    let files = [
        (format!("{base}.csv"), open_data::data_csv(&rows)?),
        (format!("{base}_codes.csv"), open_data::codes_csv(&codes)?),
        (format!("{base}.xlsx"), open_data::workbook(&rows, &codes)?),
    ];
    for (name, bytes) in &files {
        let path = out.join(name);
        write_export(&mut conn, &path, bytes, "オープンデータ", &scope, fy)?;
        println!("{}: {} bytes", path.display(), bytes.len());
    }
    println!(
        "オープンデータ {} {}: {} 行",
        s.scope.name,
        s.fiscal_year_label,
        rows.len()
    );
    Ok(())
}

/// Writes an exported workbook and records the export in the operation log.
fn write_export(
    conn: &mut db::DbConnection,
    out: &Path,
    bytes: &[u8],
    what: &str,
    scope: &stats::Scope,
    fy: FiscalYear,
) -> AppResult<()> {
    std::fs::write(out, bytes).map_err(|e| AppError::io(out.display().to_string(), e))?;
    store::oplog::record(
        conn,
        &crate::auth::Actor::cli(),
        "export",
        &scope.log_target(),
        Some(fy.year()),
        &format!("{what} {} ({})", scope.key(), out.display()),
    )
}

fn export_plans(year: &str, scope: &str, out: &Path, settings: &Settings) -> AppResult<()> {
    use excel::plans_export;
    let fy = FiscalYear::parse(year)?;
    let scope = stats::scope::Scope::parse(scope)?;
    let (catalog, mut conn) = open(settings)?;
    let orgs = plans_export::scope_orgs(&mut conn, &scope)?;
    let doc = plans_export::fetch(&mut conn, &catalog, orgs, fy)?;
    let bytes = plans_export::build_plans(&doc)?;
    write_export(&mut conn, out, &bytes, "改善計画書", &scope, fy)?;
    println!(
        "{}: {} {} 行（{} 団体）",
        out.display(),
        doc.title(),
        doc.rows.len(),
        doc.organisations()
    );
    Ok(())
}

fn import_forms(year: String, paths: Vec<PathBuf>, settings: &Settings) -> AppResult<()> {
    let fy = FiscalYear::parse(&year)?;
    let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
    let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
    bootstrap::prepare(&mut conn, &catalog)?;
    let actor = crate::auth::Actor::cli();
    let summary = excel::bulk::run(
        &mut conn,
        &paths,
        &excel::limits::Limits::DEFAULT,
        &mut |conn, bytes| {
            crate::workflow::upload::import_for_intake(conn, &catalog, &actor, fy, bytes)
        },
        &mut std::io::stdout().lock(),
    )?;
    if summary.refused.is_empty() {
        Ok(())
    } else {
        Err(AppError::BadRequest(format!(
            "{} 件のファイルを取り込めませんでした",
            summary.refused.len()
        )))
    }
}

fn chart(args: ChartArgs, settings: &Settings) -> AppResult<()> {
    use crate::charts::{self, ChartKind, ChartRequest, Format};
    let format = Format::from_extension(
        args.out
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default(),
    )?;
    let kind = ChartKind::parse(&args.kind)?;
    let scope = charts::source::parse_scope(args.scope.as_deref())?;
    let year = args.year.as_deref().map(FiscalYear::parse).transpose()?;
    let (catalog, mut conn) = open(settings)?;
    let year = match year {
        Some(y) => y,
        None => stats::data::latest_year(&mut conn, &catalog)?,
    };
    let request = ChartRequest {
        kind,
        year,
        scope,
        item: args.item,
    };
    let cache = stats::Cache::new();
    let spec = charts::source::spec_for(&mut conn, &catalog, &cache, &request)?;
    let bytes = charts::render(&spec, format)?;
    std::fs::write(&args.out, &bytes)
        .map_err(|e| AppError::io(args.out.display().to_string(), e))?;
    println!(
        "{}: {} ({} bytes)",
        args.out.display(),
        spec.title(),
        bytes.len()
    );
    Ok(())
}

fn host_of(bind: &str) -> &str {
    bind.rsplit_once(':').map_or(bind, |(h, _)| h)
}

fn checklist(cmd: ChecklistCommand, settings: &Settings) -> AppResult<()> {
    match cmd {
        ChecklistCommand::Validate { dir } => {
            let dir = dir.or_else(|| settings.checklists_dir.clone()).or_else(|| {
                let d = PathBuf::from("checklists");
                d.is_dir().then_some(d)
            });
            let sources = match &dir {
                Some(d) => Sources::from_dir(d)?,
                None => Sources::embedded(),
            };
            let mut problems: Vec<String> = match checklists::load(&sources) {
                Ok(_) => Vec::new(),
                Err(p) => p.iter().map(|p| p.to_string()).collect(),
            };
            let roster_path = sources.display_path(checklists::ROSTER);
            let roster_count = match roster::parse(&roster_path, sources.get(checklists::ROSTER)) {
                Ok(entries) => entries.len(),
                Err(errors) => {
                    problems.extend(errors);
                    0
                }
            };
            if problems.is_empty() {
                let catalog = checklists::load(&sources)
                    .map_err(|_| AppError::Internal("reload failed".into()))?;
                for c in catalog.checklists() {
                    println!(
                        "{}: {} goals, {} sub-items — ok",
                        c.variant,
                        c.goals.len(),
                        c.items.len()
                    );
                }
                println!("roster: {roster_count} local governments — ok");
                println!("{}: all files valid", sources.origin);
                Ok(())
            } else {
                Err(AppError::Invalid(problems))
            }
        }
        ChecklistCommand::List => {
            let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
            for c in catalog.checklists() {
                println!("{} {} ({})", c.variant, c.name, c.version_label());
                let last = catalog
                    .priorities
                    .years
                    .keys()
                    .map(|(_, fy)| fy.year())
                    .max()
                    .unwrap_or(c.first_year.year())
                    .max(c.first_year.year());
                for y in c.first_year.year()..=last {
                    let fy = FiscalYear::new(y)?;
                    let prio = catalog.priorities.of_year(c.variant, fy).len();
                    println!(
                        "  {}: 管理目標 {}, 小項目 {}, 重要点検項目 {}",
                        fy,
                        c.goals_in(fy).count(),
                        c.items_in(fy).count(),
                        prio
                    );
                }
            }
            Ok(())
        }
        ChecklistCommand::Show {
            variant,
            year,
            format,
        } => {
            let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
            let v = Variant::parse(&variant).ok_or_else(|| {
                AppError::BadRequest(format!(
                    "調査票「{variant}」はありません（municipal / national_agency）"
                ))
            })?;
            let fy = match year {
                Some(y) => {
                    FiscalYear::parse(&y).map_err(|e| AppError::BadRequest(e.to_string()))?
                }
                None => catalog.checklist(v).first_year,
            };
            let o = outline::build(&catalog, v, fy);
            match format.as_str() {
                "json" => println!(
                    "{}",
                    serde_json::to_string_pretty(&o)
                        .map_err(|e| AppError::Internal(e.to_string()))?
                ),
                "text" => print!("{}", o.to_text()),
                other => {
                    return Err(AppError::BadRequest(format!(
                        "--format は text か json です（{other}）"
                    )))
                }
            }
            Ok(())
        }
    }
}

fn user(cmd: UserCommand, settings: &Settings) -> AppResult<()> {
    let (login, org, role) = match cmd {
        UserCommand::Add { login, org, role } => (login, org, role),
        UserCommand::Disable { login, reason } => return user_disable(settings, &login, &reason),
        UserCommand::Enable { login, valid_until } => {
            return user_enable(settings, &login, valid_until.as_deref())
        }
    };
    user_add(settings, login, org, role)
}

/// The account of `login` on a migrated database.
fn cli_account(
    settings: &Settings,
    login: &str,
) -> AppResult<(db::DbConnection, store::users::User)> {
    let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
    let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
    bootstrap::prepare(&mut conn, &catalog)?;
    let user = store::users::find_by_login(&mut conn, login.trim())?.ok_or_else(|| {
        AppError::NotFound(format!(
            "ログインID「{}」のアカウントはありません",
            login.trim()
        ))
    })?;
    Ok((conn, user))
}

fn user_disable(settings: &Settings, login: &str, reason: &str) -> AppResult<()> {
    use diesel::Connection;
    let reason = reason.trim();
    if reason.chars().count() > crate::auth::lifecycle::MAX_NOTE {
        return Err(AppError::BadRequest(format!(
            "--reason は{}文字までです",
            crate::auth::lifecycle::MAX_NOTE
        )));
    }
    let (mut conn, user) = cli_account(settings, login)?;
    conn.transaction(|conn| {
        crate::auth::lifecycle::disable(conn, &crate::auth::Actor::cli(), &user, reason)
    })?;
    println!("user {} disabled: {reason}", user.login);
    Ok(())
}

fn user_enable(settings: &Settings, login: &str, valid_until: Option<&str>) -> AppResult<()> {
    use diesel::Connection;
    let until = valid_until
        .map(crate::auth::lifecycle::parse_end_date)
        .transpose()?;
    let (mut conn, user) = cli_account(settings, login)?;
    conn.transaction(|conn| {
        crate::auth::lifecycle::enable(
            conn,
            &crate::auth::Actor::cli(),
            &user,
            until,
            chrono::Utc::now(),
        )
    })?;
    println!("user {} enabled", user.login);
    Ok(())
}

fn user_add(settings: &Settings, login: String, org: String, role: String) -> AppResult<()> {
    use std::io::{IsTerminal, Read};
    let role = crate::auth::Role::parse(&role).ok_or_else(|| {
        AppError::BadRequest(format!(
            "役割「{role}」はありません（municipality, prefecture, ministry, agency, admin）"
        ))
    })?;
    let mut given = String::new();
    if !std::io::stdin().is_terminal() {
        std::io::stdin()
            .read_to_string(&mut given)
            .map_err(|e| AppError::io("stdin", e))?;
    }
    let given = given.lines().next().unwrap_or("").to_string();
    let generated = given.is_empty();
    let password = if generated {
        crate::auth::password::generate(&login)
    } else {
        crate::auth::password::check_policy(&login, &given)?;
        given
    };
    let hash = crate::auth::password::hash(&password)?;
    let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
    let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
    bootstrap::prepare(&mut conn, &catalog)?;
    let created = store::users::create(&mut conn, &login, &org, role, &hash, generated)?;
    let actor = crate::auth::Actor::cli();
    store::oplog::record(
        &mut conn,
        &actor,
        "user_add",
        &org,
        None,
        &format!("{}（{}）", created.login, role.label()),
    )?;
    println!("user {} ({}, {}) added", created.login, role, org);
    if generated {
        println!("password (shown once; must be changed at first login): {password}");
    }
    Ok(())
}

async fn demo(settings: Settings, bind: &str) -> AppResult<()> {
    let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
    let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
    bootstrap::prepare(&mut conn, &catalog)?;
    let summary = crate::demo::prepare(&mut conn, &catalog)?;
    drop(conn);
    let app = startup::Application::build(settings, bind)?;
    println!(
        "tenken demo: {} の点検を開始し、見本の回答を {} 件用意しました。",
        FiscalYear::new(crate::demo::DEMO_YEAR)?,
        summary.sheets_filled
    );
    println!("デモ用アカウント（デモ専用。本番で使わないでください）:");
    for (login, role, org) in &summary.accounts {
        println!("  {login:<14} {role:<10} {org}");
    }
    println!(
        "  パスワード（全アカウント共通）: {}",
        crate::demo::DEMO_PASSWORD
    );
    println!(
        "tenken: http://{}:{}/login を開いてください",
        host_of(bind),
        app.port()
    );
    app.run_until_stopped()
        .await
        .map_err(|e| AppError::io("server", e))
}
