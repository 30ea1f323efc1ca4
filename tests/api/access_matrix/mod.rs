//! Roles × routes: every route of the application (the one table it
//! registers, so none can be forgotten) is tried by every kind of account
//! and by an anonymous visitor, against organisations inside and outside
//! each account's rights. Refused requests answer 403 (or send an anonymous
//! visitor to the login page) and change nothing; a state-changing request
//! without its CSRF token is refused on every POST route.
//!
//! This file holds the accounts, what each may do, and the two tests;
//! `cases.rs` lists every route with the status each account expects.

mod cases;

use cases::cases;

use std::collections::BTreeSet;

use tenken::auth::{Actor, Role};
use tenken::checklists::Variant;
use tenken::domain::Score;
use tenken::routes::ROUTES;
use tenken::store::organisations;
use tenken::workflow::{ops, Entries, Entry};

use crate::helpers::{spawn_app, with_conn, TestApp};
use crate::wf_support::{add_agency, add_user, fingerprint, fy, open_round, pairs, Browser};

const A: &str = "011002"; // 札幌市, 北海道
const B: &str = "012025"; // 函館市, 北海道
const C: &str = "022012"; // 青森市, 青森県
const G: &str = "G0001"; // a national agency
const TARGETS: [&str; 4] = [A, B, C, G];

const USERS: [(&str, &str, Role); 8] = [
    ("muni_a", A, Role::Municipality),
    ("muni_b", B, Role::Municipality),
    ("muni_c", C, Role::Municipality),
    ("pref_p", "010006", Role::Prefecture),
    ("pref_q", "020001", Role::Prefecture),
    ("mic", "MIC", Role::Ministry),
    ("agency", G, Role::Agency),
    ("admin", "JLIS", Role::Admin),
];
const ANON: &str = "anonymous";

/// Rights restated by hand, independently of `auth::policy`.
fn reads(user: &str, t: &str) -> bool {
    match user {
        "muni_a" => t == A,
        "muni_b" => t == B,
        "muni_c" => t == C,
        "pref_p" => t == A || t == B,
        "pref_q" => t == C,
        "mic" => true,
        "agency" => t == G,
        _ => false,
    }
}

fn answers(user: &str, t: &str) -> bool {
    matches!(
        (user, t),
        ("muni_a", A) | ("muni_b", B) | ("muni_c", C) | ("agency", G)
    )
}

fn reviews(user: &str, t: &str) -> bool {
    matches!(
        (user, t),
        ("pref_p", A) | ("pref_p", B) | ("pref_q", C) | ("mic", G)
    )
}

fn signed_in(user: &str) -> bool {
    user != ANON
}

/// The status expected of a route for a user; `None`: refused.
type Expect = Box<dyn Fn(&str) -> Option<u16>>;

/// One concrete request: the route pattern it stands for, and the status
/// expected for a user (`None`: refused).
struct Case {
    pattern: &'static str,
    method: &'static str,
    path: String,
    body: Vec<(String, String)>,
    expect: Expect,
    public: bool,
}

fn case(
    method: &'static str,
    pattern: &'static str,
    path: String,
    body: &[(&str, &str)],
    expect: impl Fn(&str) -> Option<u16> + 'static,
) -> Case {
    Case {
        pattern,
        method,
        path,
        body: pairs(body),
        expect: Box::new(expect),
        public: false,
    }
}

/// A page anyone may read, signed in or not.
fn public_get(pattern: &'static str, path: String) -> Case {
    Case {
        public: true,
        ..case("get", pattern, path, &[], |_| Some(200))
    }
}

fn only(allowed: bool, status: u16) -> Option<u16> {
    allowed.then_some(status)
}

/// Fills an organisation's sheet with 3 everywhere, as a draft or submitted.
fn fill(app: &TestApp, code: &str, submit: bool) {
    with_conn(app, |c| {
        let org = organisations::find(c, code).expect("q").expect("org");
        let variant = tenken::store::organisations::variant_of(&org).expect("variant");
        let list = app.state.catalog.checklist(variant);
        let mut entries = Entries {
            has_critical_room: Some(false),
            items: Default::default(),
            confirmed: Default::default(),
        };
        for item in list.applicable_items(fy(2007), &entries.conditions()) {
            entries.items.insert(
                item.code.clone(),
                Entry {
                    score: Score::new(3).ok(),
                    ..Default::default()
                },
            );
        }
        let posting = ops::Posting {
            version: 0,
            entries: &entries,
            submit,
        };
        let saved = ops::save(c, &Actor::default(), &org, fy(2007), list, posting).expect("save");
        assert!(
            matches!(
                saved,
                ops::Saved::Submitted { .. } | ops::Saved::Draft { .. }
            ),
            "{saved:?}"
        );
    });
}

#[tokio::test]
async fn no_account_reaches_beyond_its_rights_on_any_route() {
    let app = spawn_app().await;
    add_agency(&app, G, "テスト機関");
    open_round(&app, Variant::Municipal, 2007);
    open_round(&app, Variant::NationalAgency, 2007);
    fill(&app, A, true);
    fill(&app, B, false);
    fill(&app, C, false);
    fill(&app, G, true);
    let victim = add_user(&app, "victim", A, Role::Municipality);
    let mut browsers = Vec::new();
    for (login, org, role) in USERS {
        add_user(&app, login, org, role);
        let mut b = Browser::new(&app);
        b.login(login).await;
        browsers.push((login, b));
    }
    let mut anon = Browser::new(&app);
    anon.visit_login().await;
    browsers.push((ANON, anon));

    let cases = cases(victim);
    let registered: BTreeSet<(&str, &str)> = ROUTES
        .iter()
        .copied()
        .filter(|(_, p)| *p != "/logout")
        .collect();
    let covered: BTreeSet<(&str, &str)> = cases.iter().map(|c| (c.method, c.pattern)).collect();
    assert_eq!(
        covered, registered,
        "every registered route has cases (logout is tried last)"
    );

    let mut tried = 0;
    for c in &cases {
        for (user, browser) in &browsers {
            let before = fingerprint(&app);
            let r = if c.method == "post" {
                browser.post(&c.path, &c.body).await
            } else {
                browser.get(&c.path).await
            };
            tried += 1;
            let expected = (c.expect)(user);
            match expected {
                Some(status) => assert_eq!(
                    r.status, status,
                    "{user} {} {}: expected {status}, got {}: {}",
                    c.method, c.path, r.status, r.body
                ),
                None if !signed_in(user) && !c.public => {
                    assert_eq!(r.status, 303, "anonymous {} {}", c.method, c.path);
                    assert!(
                        r.location.starts_with("/login"),
                        "anonymous {}: {}",
                        c.path,
                        r.location
                    );
                }
                None => {
                    assert_eq!(
                        r.status, 403,
                        "{user} {} {} must be refused: {}",
                        c.method, c.path, r.body
                    );
                    assert_eq!(
                        crate::helpers::error_message(&r.body),
                        "この操作の権限がありません"
                    );
                }
            }
            let changes_data = c.pattern == "/admin/users/{id}/reset" && expected.is_some();
            if !changes_data {
                assert_eq!(
                    fingerprint(&app),
                    before,
                    "{user} {} {} changed data",
                    c.method,
                    c.path
                );
            }
        }
    }
    assert!(tried > 400, "{tried} requests");

    // Logout, last: every account can end its own session.
    for (user, browser) in &browsers {
        let r = browser.post("/logout", &[]).await;
        assert_eq!(r.status, 303, "{user} logout");
        let expected = if signed_in(user) { "/" } else { "/login" };
        assert_eq!(r.location, expected, "{user}");
        let home = browser.get("/home").await;
        assert_eq!(
            (home.status, home.location.as_str()),
            (303, "/login?next=/home"),
            "{user} is out"
        );
    }
}

#[tokio::test]
async fn every_post_route_refuses_a_form_without_its_csrf_token() {
    let app = spawn_app().await;
    add_agency(&app, G, "テスト機関");
    open_round(&app, Variant::Municipal, 2007);
    fill(&app, A, true);
    let victim = add_user(&app, "victim", A, Role::Municipality);
    let mut allowed = Vec::new();
    for (login, org, role) in USERS {
        add_user(&app, login, org, role);
        let mut b = Browser::new(&app);
        b.login(login).await;
        allowed.push((login, b));
    }
    let posts: Vec<Case> = cases(victim)
        .into_iter()
        .filter(|c| c.method == "post")
        .collect();
    let mut patterns: BTreeSet<&str> = posts.iter().map(|c| c.pattern).collect();
    patterns.insert("/logout");
    let registered: BTreeSet<&str> = ROUTES
        .iter()
        .filter(|(m, _)| *m == "post")
        .map(|(_, p)| *p)
        .collect();
    assert_eq!(patterns, registered);
    let mut logout = posts
        .iter()
        .map(|c| (c.pattern, c.path.clone(), c.body.clone()))
        .collect::<Vec<_>>();
    logout.push(("/logout", "/logout".into(), Vec::new()));
    for (pattern, path, body) in &logout {
        // The account that may do it, so that only the token is missing.
        let (user, browser) = allowed
            .iter()
            .find(|(u, _)| {
                posts
                    .iter()
                    .find(|c| c.path == *path)
                    .is_none_or(|c| (c.expect)(u).is_some())
            })
            .expect("someone may post");
        let before = fingerprint(&app);
        let r = browser.post_raw(path, body).await;
        assert_eq!(r.status, 403, "{user} {pattern} without token");
        assert!(
            r.body.contains("確認用の符号が無いか古くなっています"),
            "{}",
            r.body
        );
        let mut wrong = vec![("csrf_token".to_string(), "0".repeat(64))];
        wrong.extend_from_slice(body);
        let r = browser.post_raw(path, &wrong).await;
        assert_eq!(r.status, 403, "{user} {pattern} with a wrong token");
        assert_eq!(fingerprint(&app), before, "{pattern}");
    }
    // The sessions are still there: a refused form logs nobody out.
    for (user, b) in &allowed {
        assert_eq!(b.get("/home").await.status, 200, "{user}");
    }
    // The login form itself needs the token of its page.
    let fresh = Browser::new(&app);
    let r = fresh
        .post_raw(
            "/login",
            &pairs(&[("login", "mic"), ("password", crate::wf_support::PASSWORD)]),
        )
        .await;
    assert_eq!(r.status, 403);
}
