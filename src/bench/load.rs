//! `tenken bench load`: the answering season on one machine. N municipal
//! accounts are made (or reset) with a fresh password, the round of the year
//! is opened if need be, `tenken serve` is started as a child process, and
//! then for a while C clients each log in, open their sheets and save them
//! again and again as a browser does (the whole form, then the redirect
//! GET), while R readers (ministry accounts) fetch the national table page
//! and its JSON in turn. Afterwards: a few one-sheet saves each followed at
//! once by the table, the server's peak RSS, and a check that the database
//! holds exactly each sheet's last save. The accounts are disabled at the end.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use super::http::{input_value, Browser, Failure};
use super::report::{Latencies, Report};
use super::server::{self, ServerProcess};
use super::sheet;
use crate::auth::{password, Role};
use crate::checklists::{self, Catalog, Variant};
use crate::config::Settings;
use crate::db::{self, Backend, DatabaseUrl, DbConnection};
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::store::{load_bench, organisations, rounds, submissions, users};
use crate::workflow::Entries;

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

/// The accounts of a run.
struct Accounts {
    password: String,
    /// Login and organisation code of each municipal account.
    writers: Vec<(String, String)>,
    readers: Vec<String>,
    ids: Vec<i32>,
}

fn open_database(settings: &Settings, catalog: &Catalog) -> AppResult<DbConnection> {
    let migrated = crate::bootstrap::prepare_as_owner(settings, catalog)?;
    let mut conn = db::establish(&DatabaseUrl::parse(&settings.database_url)?)?;
    if !migrated {
        crate::bootstrap::prepare(&mut conn, catalog)?;
    }
    Ok(conn)
}

/// Makes `login` an enabled, unlocked account of `org` with `hash`.
fn account(
    conn: &mut DbConnection,
    login: &str,
    org: &str,
    role: Role,
    hash: &str,
) -> AppResult<i32> {
    match users::find_by_login(conn, login)? {
        Some(u) => {
            users::set_password(conn, u.id, hash, false)?;
            users::enable(conn, u.id, None)?;
            Ok(u.id)
        }
        None => Ok(users::create(conn, login, org, role, hash, false)?.id),
    }
}

/// N municipal accounts on the first municipalities whose sheet of `fy`
/// can still be edited, R ministry accounts, one fresh random password;
/// the round of `fy` opened when it is not.
fn prepare_accounts(
    conn: &mut DbConnection,
    catalog: &Catalog,
    opts: &LoadOptions,
) -> AppResult<Accounts> {
    let fy = opts.year;
    let mut rng = rand::rng();
    let word: String = (0..20)
        .map(|_| char::from(rng.sample(rand::distr::Alphanumeric)))
        .collect();
    let password = format!("{word}-7a");
    let hash = password::hash(&password)?;
    let all = load_bench::municipalities(conn)?;
    let ids: Vec<i32> = all.iter().map(|o| o.id).collect();
    let sheets = submissions::of_orgs(conn, fy, &ids)?;
    let editable: Vec<_> = all
        .iter()
        .filter(|o| submissions::status_of(sheets.get(&o.id)).is_editable())
        .take(opts.accounts)
        .collect();
    if editable.len() < opts.accounts {
        return Err(AppError::BadRequest(format!(
            "{fy} の回答票を編集できる市区町村が {} 団体しかありません（--accounts {}）",
            editable.len(),
            opts.accounts
        )));
    }
    let mut out = Accounts {
        password,
        writers: Vec::new(),
        readers: Vec::new(),
        ids: Vec::new(),
    };
    for org in editable {
        let login = format!("bench-load-{}", org.code);
        out.ids
            .push(account(conn, &login, &org.code, Role::Municipality, &hash)?);
        out.writers.push((login, org.code.clone()));
    }
    let ministry = organisations::find(conn, "MIC")?
        .ok_or_else(|| AppError::NotFound("総務省（MIC）の組織がありません".into()))?;
    for i in 0..opts.readers {
        let login = format!("bench-load-reader-{:02}", i + 1);
        out.ids.push(account(
            conn,
            &login,
            &ministry.code,
            Role::Ministry,
            &hash,
        )?);
        out.readers.push(login);
    }
    let open = rounds::find(conn, Variant::Municipal, fy)?.is_some_and(|r| r.is_open());
    if !open {
        let version = catalog.checklist(Variant::Municipal).version_label();
        rounds::open(conn, Variant::Municipal, fy, None, &version, &[])?;
    }
    Ok(out)
}

/// One account's sheet as its client holds it.
struct Writer {
    browser: Browser,
    code: String,
    csrf: String,
    version: i32,
    entries: Entries,
    serial: u64,
    /// Whether a save of this sheet went through (else nothing is expected of it).
    saved: bool,
    rng: rand::rngs::StdRng,
}

fn snippet(body: &str) -> String {
    let what = body
        .split_once("<p class=\"what\">")
        .and_then(|(_, rest)| rest.split_once("</p>"))
        .map(|(w, _)| w);
    what.unwrap_or(body).chars().take(200).collect()
}

impl Writer {
    fn path(&self, fy: FiscalYear) -> String {
        format!("/answers/{}/{}", self.code, fy.year())
    }

    /// Opens the sheet page: its CSRF token and version.
    async fn open(&mut self, fy: FiscalYear) -> Result<(), Failure> {
        let page = self.browser.get("回答票 GET", &self.path(fy)).await?;
        if page.status.as_u16() != 200 || !page.body.contains("name=\"score_") {
            return Err(Failure::new(
                format!("回答票 GET {}", page.status.as_u16()),
                format!(
                    "{} の回答票を編集できません: {}",
                    self.code,
                    snippet(&page.body)
                ),
            ));
        }
        self.read_form(&page.body)
    }

    fn read_form(&mut self, body: &str) -> Result<(), Failure> {
        let version = input_value(body, "version").and_then(|v| v.trim().parse().ok());
        let csrf = input_value(body, "csrf_token");
        match (version, csrf) {
            (Some(v), Some(t)) => {
                self.version = v;
                self.csrf = t;
                Ok(())
            }
            _ => Err(Failure::new(
                "回答票の版",
                format!(
                    "{} の回答票に version か csrf_token がありません",
                    self.code
                ),
            )),
        }
    }

    /// One save: the whole form with a few items changed, then the page
    /// the server redirects to. Returns the time of both.
    async fn save(
        &mut self,
        catalog: &Catalog,
        fy: FiscalYear,
        changed: usize,
    ) -> Result<Duration, Failure> {
        let list = catalog.checklist(Variant::Municipal);
        self.serial += 1;
        let next = sheet::revise(list, fy, &self.entries, changed, self.serial, &mut self.rng)
            .map_err(|e| Failure::new("回答の作成", e.to_string()))?;
        let fields = sheet::form(list, fy, &next, self.version, &self.csrf);
        let path = self.path(fy);
        let started = Instant::now();
        let r = self.browser.post("保存 POST", &path, &fields).await?;
        if r.status.as_u16() != 303 {
            let failure = Failure::new(
                format!("保存 POST {}", r.status.as_u16()),
                format!("{}: {}", self.code, snippet(&r.body)),
            );
            // Whatever happened, go on from the sheet as it is now.
            self.open(fy).await?;
            return Err(failure);
        }
        let to = r.location.unwrap_or(path);
        let page = self.browser.get("保存後の GET", &to).await?;
        let took = started.elapsed();
        if page.status.as_u16() != 200 {
            return Err(Failure::new(
                format!("保存後の GET {}", page.status.as_u16()),
                format!("{}: {}", self.code, snippet(&page.body)),
            ));
        }
        self.entries = next;
        self.saved = true;
        self.read_form(&page.body)?;
        Ok(took)
    }
}

/// What one client or reader task brings back.
#[derive(Default)]
struct Tally {
    saves: Latencies,
    page: Latencies,
    json: Latencies,
    failures: Vec<Failure>,
}

async fn client(
    mut writers: Vec<Writer>,
    catalog: Arc<Catalog>,
    opts: Arc<LoadOptions>,
    stop: Arc<AtomicBool>,
) -> (Vec<Writer>, Tally) {
    let mut tally = Tally::default();
    'run: loop {
        for w in writers.iter_mut() {
            if stop.load(Ordering::Relaxed) {
                break 'run;
            }
            match w.save(&catalog, opts.year, opts.changed).await {
                Ok(d) => tally.saves.push(d),
                Err(f) => tally.failures.push(f),
            }
        }
    }
    (writers, tally)
}

fn table_paths(opts: &LoadOptions) -> (String, String) {
    let q = if opts.official { "" } else { "?provisional=1" };
    let y = opts.year.year();
    (
        format!("/stats/national/{y}{q}"),
        format!("/api/v1/stats/national/{y}{q}"),
    )
}

async fn get_timed(b: &Browser, what: &str, path: &str) -> Result<Duration, Failure> {
    let started = Instant::now();
    let page = b.get(what, path).await?;
    let took = started.elapsed();
    if page.status.as_u16() == 200 {
        Ok(took)
    } else {
        Err(Failure::new(
            format!("{what} {}", page.status.as_u16()),
            snippet(&page.body),
        ))
    }
}

async fn reader(b: Browser, opts: Arc<LoadOptions>, stop: Arc<AtomicBool>) -> Tally {
    let (page, json) = table_paths(&opts);
    let mut tally = Tally::default();
    let mut turn = 0_u64;
    while !stop.load(Ordering::Relaxed) {
        turn += 1;
        let (what, path, into) = if turn % 2 == 1 {
            ("集計表ページ", &page, &mut tally.page)
        } else {
            ("集計表 JSON", &json, &mut tally.json)
        };
        match get_timed(&b, what, path).await {
            Ok(d) => into.push(d),
            Err(f) => tally.failures.push(f),
        }
    }
    tally
}

fn add_failures(report: &mut Report, failures: Vec<Failure>) {
    for f in failures {
        report
            .errors
            .entry(f.key)
            .and_modify(|(n, _)| *n += 1)
            .or_insert((1, f.detail));
    }
}

/// Logs everybody in, runs the load, then the one-sheet probes.
async fn drive(
    base: &str,
    accounts: &Accounts,
    catalog: Arc<Catalog>,
    opts: Arc<LoadOptions>,
    report: &mut Report,
) -> Result<(), Failure> {
    let fy = opts.year;
    let list = catalog.checklist(Variant::Municipal);
    let mut logins = Vec::new();
    for (i, (login, code)) in accounts.writers.iter().enumerate() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(opts.seed.wrapping_add(i as u64));
        let entries = sheet::random_sheet(list, fy, &mut rng)
            .map_err(|e| Failure::new("回答の作成", e.to_string()))?;
        let mut w = Writer {
            browser: Browser::new(base)?,
            code: code.clone(),
            csrf: String::new(),
            version: 0,
            entries,
            serial: 0,
            saved: false,
            rng,
        };
        let (login, password) = (login.clone(), accounts.password.clone());
        logins.push(tokio::spawn(async move {
            w.browser.login(&login, &password).await?;
            w.open(fy).await?;
            Ok::<_, Failure>(w)
        }));
    }
    let mut shares: Vec<Vec<Writer>> = (0..opts.clients).map(|_| Vec::new()).collect();
    for (i, handle) in logins.into_iter().enumerate() {
        let w = handle
            .await
            .map_err(|e| Failure::new("ログイン", e.to_string()))??;
        if let Some(share) = shares.get_mut(i % opts.clients.max(1)) {
            share.push(w);
        }
    }
    let mut readers = Vec::new();
    for login in &accounts.readers {
        let b = Browser::new(base)?;
        b.login(login, &accounts.password).await?;
        readers.push(b);
    }
    let stop = Arc::new(AtomicBool::new(false));
    report.load_before = server::load_average();
    let started = Instant::now();
    let clients: Vec<_> = shares
        .into_iter()
        .map(|share| tokio::spawn(client(share, catalog.clone(), opts.clone(), stop.clone())))
        .collect();
    let reading: Vec<_> = readers
        .iter()
        .map(|b| tokio::spawn(reader(b.clone(), opts.clone(), stop.clone())))
        .collect();
    tokio::time::sleep(opts.duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut writers = Vec::new();
    let mut failures = Vec::new();
    for c in clients {
        let (ws, t) = c
            .await
            .map_err(|e| Failure::new("保存するクライアント", e.to_string()))?;
        writers.extend(ws);
        report.saves.extend(t.saves);
        failures.extend(t.failures);
    }
    for r in reading {
        let t = r
            .await
            .map_err(|e| Failure::new("集計表を読むクライアント", e.to_string()))?;
        report.page.extend(t.page);
        report.json.extend(t.json);
        failures.extend(t.failures);
    }
    report.elapsed = started.elapsed();
    report.load_after = server::load_average();
    // One sheet saved, then the table at once, with nothing else running.
    let (page, json) = table_paths(&opts);
    if let (Some(w), Some(b)) = (writers.first_mut(), readers.first()) {
        for i in 0..opts.probes {
            if let Err(f) = w.save(&catalog, fy, opts.changed).await {
                failures.push(f);
                continue;
            }
            let (what, path, into) = if i % 2 == 0 {
                ("保存直後の集計表 JSON", &json, &mut report.after_save_json)
            } else {
                ("保存直後の集計表ページ", &page, &mut report.after_save_page)
            };
            match get_timed(b, what, path).await {
                Ok(d) => into.push(d),
                Err(f) => failures.push(f),
            }
        }
    }
    add_failures(report, failures);
    report.expected = writers
        .into_iter()
        .filter(|w| w.saved)
        .map(|w| (w.code, w.entries))
        .collect();
    Ok(())
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
