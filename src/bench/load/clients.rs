//! The clients of the load: writers (log in, open their sheets, save them
//! as a browser does) and readers (the national table and its JSON), and
//! `drive`, which runs them together for the set time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::SeedableRng;

use super::super::http::{input_value, Browser, Failure};
use super::super::report::{Latencies, Report};
use super::super::server;
use super::super::sheet;
use super::accounts::Accounts;
use super::LoadOptions;
use crate::checklists::{Catalog, Variant};
use crate::domain::FiscalYear;
use crate::workflow::Entries;

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
pub(super) async fn drive(
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
