//! One headless Chromium for the whole walk, driven over WebDriver
//! (chromedriver, fantoccini), and the checks run on every page it visits:
//! axe-core finds no violation, the page does not overflow horizontally at
//! desktop and 390 px widths, and the browser logged no console error.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

/// axe-core 4.14.1 (MPL-2.0), vendored with its licence next to it.
const AXE: &str = include_str!("vendor/axe.min.js");

/// The outermost elements that stick out of the window on the right.
const WIDEST: &str = "const w = window.innerWidth; const out = [];
  document.querySelectorAll('body *').forEach(el => {
    const r = el.getBoundingClientRect();
    const p = el.parentElement.getBoundingClientRect();
    const inBox = el.parentElement.closest('.table-scroll');
    const spills = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible'
      && el.getBoundingClientRect().right > 0 && el.children.length === 0;
    if (!inBox && ((r.right > w + 0.5 && p.right <= w + 0.5) || spills) && out.length < 4) {
      out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') +
        ' right=' + Math.round(r.right));
    }
  });
  return out.join(', ');";

pub const DESKTOP: (u32, u32) = (1280, 900);
pub const PHONE: (u32, u32) = (390, 844);

/// Where Chromium and chromedriver are: `TENKEN_CHROMIUM` /
/// `TENKEN_CHROMEDRIVER`, else Debian's paths.
fn binaries() -> Option<(PathBuf, PathBuf)> {
    let pick = |var: &str, default: &str| {
        let p = std::env::var(var)
            .ok()
            .filter(|s| !s.trim().is_empty())
            .map_or_else(|| PathBuf::from(default), PathBuf::from);
        p.exists().then_some(p)
    };
    Some((
        pick("TENKEN_CHROMIUM", "/usr/bin/chromium")?,
        pick("TENKEN_CHROMEDRIVER", "/usr/bin/chromedriver")?,
    ))
}

/// `None` only when the browser is missing and `TENKEN_SKIP_BROWSER=1` says
/// to skip; a missing browser otherwise fails the test.
pub fn binaries_or_skip() -> Option<(PathBuf, PathBuf)> {
    match binaries() {
        Some(b) => Some(b),
        None if std::env::var("TENKEN_SKIP_BROWSER").as_deref() == Ok("1") => {
            eprintln!("browser suite SKIPPED: TENKEN_SKIP_BROWSER=1 and no chromium/chromedriver");
            None
        }
        None => panic!(
            "chromium or chromedriver not found (/usr/bin/chromium, /usr/bin/chromedriver, or \
             TENKEN_CHROMIUM / TENKEN_CHROMEDRIVER): install them (apt-get install chromium \
             chromium-driver) or set TENKEN_SKIP_BROWSER=1 to skip the browser suite explicitly"
        ),
    }
}

/// The chromedriver process; killed when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct Browser {
    pub client: Client,
    pub base: String,
    driver_url: String,
    http: reqwest::Client,
    /// Problems found on the pages so far (axe, overflow, console), reported
    /// all at once at the end of the walk.
    pub findings: Vec<String>,
    pub pages_checked: usize,
    _driver: Driver,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Browser {
    pub async fn start(base: &str, chromium: PathBuf, chromedriver: PathBuf) -> Self {
        let port = free_port();
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver(child);
        let driver_url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(r) = http.get(format!("{driver_url}/status")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not answer on {driver_url}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.to_string_lossy(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                    "--disable-gpu", "--lang=ja-JP",
                    format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
                ],
            },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&driver_url)
            .await
            .expect("start a Chromium session");
        Self {
            client,
            base: base.to_string(),
            driver_url,
            http,
            findings: Vec::new(),
            pages_checked: 0,
            _driver: driver,
        }
    }

    pub async fn goto(&mut self, path: &str) {
        self.client
            .goto(&format!("{}{}", self.base, path))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        let mut p = url.path().to_string();
        if let Some(q) = url.query() {
            p.push('?');
            p.push_str(q);
        }
        p
    }

    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script {script}: {e}"))
    }

    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find_all")
            .is_empty()
    }

    /// Clicks an element after scrolling it to the middle of the window
    /// (as a person would: the sticky save bar covers the window's bottom).
    pub async fn click(&self, css: &str) {
        let el = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"));
        let arg = serde_json::to_value(&el).expect("element");
        self.client
            .execute("arguments[0].scrollIntoView({block: 'center'});", vec![arg])
            .await
            .expect("scroll");
        el.click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Clicks something that loads a new page and waits until it has.
    pub async fn submit(&self, css: &str) {
        self.js("window.__tenkenOld = true; return null;").await;
        self.click(css).await;
        let started = Instant::now();
        loop {
            let v = self
                .client
                .execute(
                    "return window.__tenkenOld !== true && document.readyState === 'complete';",
                    vec![],
                )
                .await;
            if matches!(v, Ok(Value::Bool(true))) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no new page after clicking {css}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let el = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"));
        el.clear().await.expect("clear");
        el.send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Signs in through the login form, starting with no cookies.
    pub async fn login(&mut self, login: &str, password: &str) {
        self.goto("/login").await;
        self.client.delete_all_cookies().await.expect("cookies");
        self.goto("/login").await;
        self.fill("#login", login).await;
        self.fill("#password", password).await;
        self.submit("form[action='/login'] button[type=submit]")
            .await;
        let now = self.path().await;
        if now.starts_with("/login") {
            let body = self.text("main").await;
            panic!("login of {login} stayed on {now}: {body}");
        }
    }

    pub async fn resize(&self, (w, h): (u32, u32)) {
        self.client
            .set_window_size(w, h)
            .await
            .expect("window size");
    }

    /// The browser's console since the last call: errors (SEVERE) only.
    async fn console_errors(&self) -> Vec<String> {
        let Some(id) = self.client.session_id().await.expect("session id") else {
            return vec!["no WebDriver session".into()];
        };
        let r = self
            .http
            .post(format!("{}/session/{id}/se/log", self.driver_url))
            .json(&json!({ "type": "browser" }))
            .send()
            .await
            .expect("browser log");
        let body: Value = r.json().await.expect("browser log json");
        body["value"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .map(|e| e["message"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `(document.documentElement.scrollWidth, innerWidth)`.
    pub async fn widths(&self) -> (u64, u64) {
        let v = self
            .js("return [document.documentElement.scrollWidth, window.innerWidth];")
            .await;
        (v[0].as_u64().unwrap_or(0), v[1].as_u64().unwrap_or(0))
    }

    async fn axe(&self) -> Vec<String> {
        let loaded = self.js("return typeof window.axe === 'object';").await;
        if loaded != Value::Bool(true) {
            self.client
                .execute(AXE, vec![])
                .await
                .expect("inject axe-core");
        }
        let v = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done(r.violations.map(v =>
                     v.id + ' (' + v.impact + '): ' + v.help + ' — ' +
                     v.nodes.slice(0, 5).map(n => n.target.join(' ')).join(', '))))
                   .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .expect("axe.run");
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|s| s.as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every page of the walk: axe-core, no console error, no horizontal
    /// overflow at the desktop width and at 390 px. Leaves the window at the
    /// desktop width.
    pub async fn check(&mut self, label: &str) {
        self.pages_checked += 1;
        let here = self.path().await;
        let at = format!("{label} ({here})");
        let own = format!(
            "{}{here} - Failed to load resource: the server responded with a status of 4",
            self.base
        );
        for e in self.console_errors().await {
            // The page's own status (422 for a refused submit, 409 for a
            // conflict) is the application's deliberate answer.
            if e.starts_with(&own) {
                continue;
            }
            self.findings.push(format!("{at}: console error: {e}"));
        }
        for v in self.axe().await {
            self.findings.push(format!("{at}: axe: {v}"));
        }
        let uncaptioned = self
            .js("return [...document.querySelectorAll('main table')]
                   .filter(t => !t.querySelector(':scope > caption')).length;")
            .await;
        if uncaptioned != 0 {
            self.findings.push(format!(
                "{at}: {uncaptioned} data table(s) without a caption"
            ));
        }
        let (scroll, inner) = self.widths().await;
        if scroll > inner {
            self.findings.push(format!(
                "{at}: overflows at desktop width: scrollWidth {scroll} > innerWidth {inner}"
            ));
        }
        self.resize(PHONE).await;
        let (scroll, inner) = self.widths().await;
        if inner > u64::from(PHONE.0) {
            self.findings.push(format!(
                "{at}: window did not narrow to 390 px (innerWidth {inner})"
            ));
        }
        if scroll > inner {
            let culprits = self.js(WIDEST).await;
            self.findings.push(format!(
                "{at}: overflows at 390 px: scrollWidth {scroll} > innerWidth {inner}: {culprits}"
            ));
        }
        self.resize(DESKTOP).await;
    }

    /// Ends the session; the chromedriver process goes with `self`.
    pub async fn close(self) -> Vec<String> {
        let findings = self.findings.clone();
        let _ = self.client.clone().close().await;
        findings
    }
}
