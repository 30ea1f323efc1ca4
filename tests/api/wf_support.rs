//! Helpers of the workflow tests: a browser per account (its own cookie
//! jar), accounts, forms of a whole answer sheet, and a fingerprint of the
//! data that must not change when a request is refused.

use diesel::prelude::*;
use tenken::auth::{password, Role};
use tenken::checklists::Variant;
use tenken::db::schema::{
    answers as a, fiscal_rounds as r, improvement_plans as ip, operation_log as l,
    organisations as o, review_advice as ra, submissions as s, users as u,
};
use tenken::domain::FiscalYear;
use tenken::store::{organisations, rounds, users};
use tenken::workflow::fields::{self, name};

use crate::helpers::{with_conn, TestApp};

pub const PASSWORD: &str = "Correct-Horse-42";

pub fn fy(y: i32) -> FiscalYear {
    FiscalYear::new(y).expect("year")
}

/// Adds an account with `PASSWORD`.
pub fn add_user(app: &TestApp, login: &str, org: &str, role: Role) -> i32 {
    let hash = password::hash(PASSWORD).expect("hash");
    with_conn(app, |c| users::create(c, login, org, role, &hash, false))
        .expect("create user")
        .id
}

/// Signs the test app's own client in as a new account of `role` at `org`
/// (the client keeps the session cookie).
pub async fn sign_in(app: &TestApp, login: &str, org: &str, role: Role) {
    add_user(app, login, org, role);
    let page = app.get("/login").await.text().await.expect("login page");
    let csrf = input_value(&page, "csrf_token").expect("login csrf");
    let r = app
        .client
        .post(format!("{}/login", app.address))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("login", login),
            ("password", PASSWORD),
            ("next", ""),
        ])
        .send()
        .await
        .expect("POST /login");
    assert_eq!(r.status().as_u16(), 303, "login of {login}");
}

pub fn add_agency(app: &TestApp, code: &str, name: &str) {
    with_conn(app, |c| organisations::add_agency(c, code, name)).expect("agency");
}

pub fn open_round(app: &TestApp, variant: Variant, year: i32) {
    let version = app.state.catalog.checklist(variant).version_label();
    with_conn(app, |c| {
        rounds::open(c, variant, fy(year), None, &version, &[])
    })
    .expect("open");
}

/// The value of the first `name="…" value="…"` input of a page.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let at = html.find(&needle)? + needle.len();
    let end = html[at..].find('"')?;
    Some(html[at..at + end].to_string())
}

pub struct Response {
    pub status: u16,
    pub location: String,
    pub body: String,
}

/// One person's browser: its own cookies and the session's CSRF token.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
    pub csrf: String,
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_store(true)
                .build()
                .expect("client"),
            base: app.address.clone(),
            csrf: String::new(),
        }
    }

    async fn finish(r: reqwest::Response) -> Response {
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        Response {
            status,
            location,
            body: r.text().await.expect("body"),
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        let r = self
            .client
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .expect("GET");
        Self::finish(r).await
    }

    /// Posts a form with the session's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(String, String)]) -> Response {
        let mut form = vec![("csrf_token".to_string(), self.csrf.clone())];
        form.extend_from_slice(fields);
        self.post_raw(path, &form).await
    }

    /// Posts exactly these fields (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(String, String)]) -> Response {
        let r = self
            .client
            .post(format!("{}{}", self.base, path))
            .form(fields)
            .send()
            .await
            .expect("POST");
        Self::finish(r).await
    }

    /// Opens the login page (which sets the login form's CSRF cookie) and
    /// keeps its token, as an anonymous visitor would.
    pub async fn visit_login(&mut self) {
        let page = self.get("/login").await;
        self.csrf = input_value(&page.body, "csrf_token").expect("login csrf");
    }

    /// Logs in; returns the login response. On success the session's CSRF
    /// token is kept.
    pub async fn login_with(&mut self, login: &str, password: &str) -> Response {
        self.visit_login().await;
        let r = self
            .post(
                "/login",
                &pairs(&[("login", login), ("password", password), ("next", "")]),
            )
            .await;
        if r.status == 303 {
            let page = self.get("/password").await;
            self.csrf = input_value(&page.body, "csrf_token").expect("session csrf");
        }
        r
    }

    pub async fn login(&mut self, login: &str) {
        let r = self.login_with(login, PASSWORD).await;
        assert_eq!(r.status, 303, "login of {login}: {}", r.body);
    }
}

pub fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// A whole sheet for FY2007 without 重要機能室 (121 sub-items): every item 3
/// except those in `scores`; `plans` get a complete improvement plan.
pub fn sheet_form(
    app: &TestApp,
    version: &str,
    action: &str,
    scores: &[(&str, &str)],
    plans: &[&str],
    skip: &[&str],
) -> Vec<(String, String)> {
    let list = app.state.catalog.checklist(Variant::Municipal);
    let mut form = pairs(&[
        ("version", version),
        ("action", action),
        (fields::HAS_CRITICAL_ROOM, "no"),
    ]);
    let conds = std::collections::BTreeMap::from([("has_critical_room".to_string(), false)]);
    for item in list.applicable_items(fy(2007), &conds) {
        let code = item.code.as_str();
        if skip.contains(&code) {
            continue;
        }
        let score = scores
            .iter()
            .find(|(c, _)| *c == code)
            .map_or("3", |(_, s)| *s);
        form.push((name(fields::SCORE, code), score.to_string()));
        if score == "0" {
            form.push((
                name(fields::COMMENT, code),
                "該当する業務がない".to_string(),
            ));
        }
        if plans.contains(&code) {
            for (f, v) in [
                (fields::PLAN_PRESENT, "規程がない"),
                (fields::PLAN_MEASURE, "規程を作り周知する"),
                (fields::PLAN_PERSON, "情報政策課長"),
                (fields::PLAN_TARGET, "2008-03-31"),
            ] {
                form.push((name(f, code), v.to_string()));
            }
        }
    }
    if action == "submit" {
        // Confirmed, as by the confirmation page (tests/api/confirmations.rs
        // covers the step itself).
        form.push(("confirm".to_string(), "1".to_string()));
    }
    form
}

/// Everything a refused request must leave as it was (the operation log
/// aside, which records the refused attempt's views).
pub fn fingerprint(app: &TestApp) -> String {
    with_conn(app, |c| {
        let answers: Vec<(i32, i32, String, i32, String)> = a::table
            .order(a::id)
            .select((
                a::organisation_id,
                a::fiscal_year,
                a::item_code,
                a::score,
                a::comment,
            ))
            .load(c)
            .expect("answers");
        let subs: Vec<(i32, String, i32, String, Option<bool>)> = s::table
            .order(s::id)
            .select((
                s::organisation_id,
                s::status,
                s::version,
                s::review_note,
                s::has_critical_room,
            ))
            .load(c)
            .expect("subs");
        type Account = (
            String,
            String,
            i32,
            Option<String>,
            bool,
            Option<String>,
            String,
            Option<String>,
        );
        let accounts: Vec<Account> = u::table
            .order(u::id)
            .select((
                u::login,
                u::password_hash,
                u::failed_attempts,
                u::locked_until,
                u::must_change_password,
                u::disabled_at,
                u::disabled_reason,
                u::valid_until,
            ))
            .load(c)
            .expect("users");
        let rounds: Vec<(String, i32, String, Option<String>)> = r::table
            .order(r::id)
            .select((r::variant, r::fiscal_year, r::status, r::deadline))
            .load(c)
            .expect("rounds");
        let orgs: i64 = o::table.count().get_result(c).expect("orgs");
        let factors: Vec<i32> = tenken::db::schema::second_factors::table
            .select(tenken::db::schema::second_factors::user_id)
            .load(c)
            .expect("second factors");
        let advice: Vec<(i32, String, String)> = ra::table
            .order(ra::id)
            .select((ra::submission_id, ra::item_code, ra::advice))
            .load(c)
            .expect("advice");
        let plans: Vec<(String, String, String, Option<String>)> = ip::table
            .order(ip::id)
            .select((ip::item_code, ip::measure, ip::progress, ip::started_on))
            .load(c)
            .expect("plans");
        format!("{answers:?}\n{subs:?}\n{accounts:?}\n{rounds:?}\n{orgs}\n{advice:?}\n{plans:?}\n{factors:?}")
    })
}

/// The operation log as (login, action, target organisation), oldest first.
pub fn log(app: &TestApp) -> Vec<(String, String, String)> {
    with_conn(app, |c| {
        l::table
            .order(l::id)
            .select((l::login, l::action, l::target_org))
            .load(c)
            .expect("log")
    })
}

/// The status and version of an organisation's sheet.
pub fn sheet_state(app: &TestApp, code: &str, year: i32) -> Option<(String, i32)> {
    with_conn(app, |c| {
        s::table
            .inner_join(o::table)
            .filter(o::code.eq(code))
            .filter(s::fiscal_year.eq(year))
            .select((s::status, s::version))
            .first(c)
            .optional()
            .expect("sheet")
    })
}

/// An organisation's answers of a year as (item, score), by item.
pub fn answers_of(app: &TestApp, code: &str, year: i32) -> Vec<(String, i32)> {
    with_conn(app, |c| {
        a::table
            .inner_join(o::table)
            .filter(o::code.eq(code))
            .filter(a::fiscal_year.eq(year))
            .order(a::item_code)
            .select((a::item_code, a::score))
            .load(c)
            .expect("answers")
    })
}

/// [`save_sheet_in`], submitted.
pub fn save_submitted(
    app: &TestApp,
    code: &str,
    year: i32,
    scores: &[(&str, u8)],
    plans: &[(&str, tenken::store::submissions::PlanFields)],
) {
    save_sheet_in(app, code, year, scores, plans, true);
}

/// Saves (and with `submit` submits) a whole sheet without 重要機能室 through the workflow:
/// every item 3 except `scores`, with the `plans` given (the round open).
pub fn save_sheet_in(
    app: &TestApp,
    code: &str,
    year: i32,
    scores: &[(&str, u8)],
    plans: &[(&str, tenken::store::submissions::PlanFields)],
    submit: bool,
) {
    with_conn(app, |c| {
        let org = organisations::find(c, code).expect("q").expect("org");
        let list = app.state.catalog.checklist(Variant::Municipal);
        let mut entries = tenken::workflow::Entries {
            has_critical_room: Some(false),
            items: Default::default(),
            confirmed: Default::default(),
        };
        for item in list.applicable_items(fy(year), &entries.conditions()) {
            let score = scores
                .iter()
                .find(|(c, _)| *c == item.code)
                .map_or(3, |(_, s)| *s);
            let plan = plans
                .iter()
                .find(|(c, _)| *c == item.code)
                .map(|(_, p)| p.clone())
                .unwrap_or_default();
            entries.items.insert(
                item.code.clone(),
                tenken::workflow::Entry {
                    score: tenken::domain::Score::new(score.into()).ok(),
                    comment: String::new(),
                    plan,
                },
            );
        }
        let posting = tenken::workflow::ops::Posting {
            version: 0,
            entries: &entries,
            submit,
        };
        let saved = tenken::workflow::ops::save(
            c,
            &tenken::auth::Actor::default(),
            &org,
            fy(year),
            list,
            posting,
        )
        .expect("save");
        let expected = if submit { "Submitted" } else { "Draft" };
        assert!(format!("{saved:?}").starts_with(expected), "{saved:?}");
    });
}
