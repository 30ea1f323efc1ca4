//! The command line: `tenken serve`, `migrate`, `checklist …`, `roster …`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::checklists::{self, outline, Sources, Variant};
use crate::config::{Settings, DEFAULT_DATABASE_URL};
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::{bootstrap, db, roster, startup, store};

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
    /// Read the checklist data files from this directory instead of the copy built into the binary.
    #[arg(long, global = true, env = "TENKEN_CHECKLISTS_DIR")]
    pub checklists_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
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
    },
    /// Create or update the database tables and load the reference data.
    Migrate,
    /// Check, list or show the checklists.
    #[command(subcommand)]
    Checklist(ChecklistCommand),
    /// Manage the roster of local governments.
    #[command(subcommand)]
    Roster(RosterCommand),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Prepare demonstration data (a demo round, one account per role,
    /// sample answers in every state) and serve. Demo only.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
    },
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

pub async fn run(cli: Cli) -> AppResult<()> {
    let mut settings = Settings::new(cli.database_url.clone());
    settings.checklists_dir = cli.checklists_dir.clone();
    match cli.command {
        Command::Serve {
            bind,
            secure_cookies,
        } => {
            settings.secure_cookies = secure_cookies;
            let app = startup::Application::build(settings, &bind)?;
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
            let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
            bootstrap::prepare(&mut conn, &catalog)?;
            for (kind, n) in store::organisations::count_by_kind(&mut conn)? {
                println!("{kind}: {n}");
            }
            println!("migrated");
            Ok(())
        }
        Command::Checklist(cmd) => checklist(cmd, &settings),
        Command::User(cmd) => user(cmd, &settings),
        Command::Demo { bind } => demo(settings, &bind).await,
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
    }
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
    use std::io::{IsTerminal, Read};
    let UserCommand::Add { login, org, role } = cmd;
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
    let actor = crate::auth::Actor {
        user_id: None,
        login: "tenken-cli".into(),
        org_code: String::new(),
        address: "cli".into(),
    };
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
