//! Roles × routes: every route of the application (the one table it
//! registers, so none can be forgotten) is tried by every kind of account
//! and by an anonymous visitor, against organisations inside and outside
//! each account's rights. Refused requests answer 403 (or send an anonymous
//! visitor to the login page) and change nothing; a state-changing request
//! without its CSRF token is refused on every POST route.

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

fn cases(victim: i32) -> Vec<Case> {
    let mut out = vec![
        public_get("/health", "/health".into()),
        public_get("/static/app.css", "/static/app.css".into()),
        public_get("/", "/".into()),
        public_get("/checklists/{variant}", "/checklists/municipal".into()),
        public_get("/charts", "/charts?year=2007".into()),
        public_get("/charts/{file}", "/charts/overall.png?year=2007".into()),
        public_get(
            "/stats/{scope}/{year}.xlsx",
            "/stats/national/2007.xlsx".into(),
        ),
        public_get("/stats/{scope}/{year}", "/stats/national/2007".into()),
        public_get(
            "/stats/{scope}/{year}/open-data.{ext}",
            "/stats/national/2007/open-data.csv".into(),
        ),
        public_get(
            "/api/v1/checklists/{variant}",
            "/api/v1/checklists/municipal?year=2007".into(),
        ),
        public_get(
            "/api/v1/stats/{scope}/{year}",
            "/api/v1/stats/national/2007".into(),
        ),
        public_get("/api/openapi.json", "/api/openapi.json".into()),
        // A prefecture's table: the ministry and that prefecture's staff;
        // a visitor is sent to the login page, the API answers 401.
        case(
            "get",
            "/stats/{scope}/{year}",
            "/stats/pref:010006/2007".into(),
            &[],
            |u| only(u == "mic" || u == "pref_p", 200),
        ),
        Case {
            public: true,
            ..case(
                "get",
                "/api/v1/stats/{scope}/{year}",
                "/api/v1/stats/pref:020001/2007".into(),
                &[],
                |u| match u {
                    "mic" | "pref_q" => Some(200),
                    ANON => Some(401),
                    _ => Some(403),
                },
            )
        },
        Case {
            public: true,
            ..case(
                "get",
                "/static/app.js",
                "/static/app.js".into(),
                &[],
                |_| Some(200),
            )
        },
        Case {
            public: true,
            ..case("get", "/login", "/login".into(), &[], |u| {
                Some(if signed_in(u) { 303 } else { 200 })
            })
        },
        Case {
            public: true,
            ..case(
                "post",
                "/login",
                "/login".into(),
                &[("login", "nobody"), ("password", "wrong-password-1")],
                |_| Some(401),
            )
        },
        case("get", "/password", "/password".into(), &[], |u| {
            only(signed_in(u), 200)
        }),
        case("post", "/password", "/password".into(), &[], |u| {
            only(signed_in(u), 400)
        }),
        case("get", "/home", "/home".into(), &[], |u| {
            only(signed_in(u), 200)
        }),
        case("post", "/notices/read", "/notices/read".into(), &[], |u| {
            only(signed_in(u), 303)
        }),
        case(
            "get",
            "/national/{year}",
            "/national/2007".into(),
            &[],
            |u| only(u == "mic", 200),
        ),
        case(
            "get",
            "/national/{year}/board",
            "/national/2007/board?sort=missing".into(),
            &[],
            |u| only(u == "mic", 200),
        ),
        case(
            "get",
            "/national/{year}/board.xlsx",
            "/national/2007/board.xlsx".into(),
            &[],
            |u| only(u == "mic", 200),
        ),
        case("get", "/rounds", "/rounds".into(), &[], |u| {
            only(u == "mic", 200)
        }),
        case("post", "/rounds", "/rounds".into(), &[], |u| {
            only(u == "mic", 400)
        }),
        case(
            "post",
            "/rounds/{variant}/{year}/close",
            "/rounds/municipal/2006/close".into(),
            &[("confirm", "1")],
            |u| only(u == "mic", 404),
        ),
        case("get", "/agencies", "/agencies".into(), &[], |u| {
            only(u == "mic", 200)
        }),
        case("post", "/agencies", "/agencies".into(), &[], |u| {
            only(u == "mic", 400)
        }),
        case("get", "/admin/users", "/admin/users".into(), &[], |u| {
            only(u == "admin", 200)
        }),
        case("post", "/admin/users", "/admin/users".into(), &[], |u| {
            only(u == "admin", 400)
        }),
        case(
            "post",
            "/admin/users/{id}/unlock",
            format!("/admin/users/{victim}/unlock"),
            &[],
            |u| only(u == "admin", 303),
        ),
        case(
            "post",
            "/admin/users/{id}/reset",
            format!("/admin/users/{victim}/reset"),
            &[("confirm", "1")],
            |u| only(u == "admin", 200),
        ),
        case("get", "/oplog", "/oplog".into(), &[], |u| {
            only(u == "mic" || u == "admin", 200)
        }),
        // Without a pending challenge the code's page sends everyone on:
        // the signed-in to their page, the others to the login form.
        Case {
            public: true,
            ..case("get", "/login/totp", "/login/totp".into(), &[], |_| {
                Some(303)
            })
        },
        Case {
            public: true,
            ..case(
                "post",
                "/login/totp",
                "/login/totp".into(),
                &[("code", "123456")],
                |_| Some(303),
            )
        },
        case("get", "/account/totp", "/account/totp".into(), &[], |u| {
            only(signed_in(u), 200)
        }),
        case(
            "post",
            "/account/totp",
            "/account/totp".into(),
            &[("secret", "JBSWY3DPEHPK3PXP"), ("code", "000000")],
            |u| only(signed_in(u), 400),
        ),
        case(
            "get",
            "/admin/users/review",
            "/admin/users/review".into(),
            &[],
            |u| only(u == "admin", 200),
        ),
        case(
            "get",
            "/admin/users/{id}",
            format!("/admin/users/{victim}"),
            &[],
            |u| only(u == "admin", 200),
        ),
        // No reason: refused before anything changes.
        case(
            "post",
            "/admin/users/{id}/disable",
            format!("/admin/users/{victim}/disable"),
            &[],
            |u| only(u == "admin", 400),
        ),
        // The account is in use: nothing to enable.
        case(
            "post",
            "/admin/users/{id}/enable",
            format!("/admin/users/{victim}/enable"),
            &[],
            |u| only(u == "admin", 409),
        ),
        case(
            "post",
            "/admin/users/{id}/valid-until",
            format!("/admin/users/{victim}/valid-until"),
            &[("valid_until", "2007-01-01")],
            |u| only(u == "admin", 400),
        ),
        // Not an address: refused before anything changes.
        case(
            "post",
            "/admin/users/{id}/email",
            format!("/admin/users/{victim}/email"),
            &[("email", "no-at-sign")],
            |u| only(u == "admin", 400),
        ),
        // No second factor to reset.
        case(
            "post",
            "/admin/users/{id}/totp-reset",
            format!("/admin/users/{victim}/totp-reset"),
            &[],
            |u| only(u == "admin", 409),
        ),
    ];
    for (scope, allowed) in [
        ("pref:010006", ["mic", "pref_p"]),
        ("pref:020001", ["mic", "pref_q"]),
        ("national", ["mic", "mic"]),
        ("agencies", ["mic", "mic"]),
    ] {
        out.push(case(
            "get",
            "/exports/plans/{scope}/{year}",
            format!("/exports/plans/{scope}/2007"),
            &[],
            move |u| only(allowed.contains(&u), 200),
        ));
    }
    for pref in ["010006", "020001"] {
        out.push(case(
            "get",
            "/prefectures/{pref}/{year}",
            format!("/prefectures/{pref}/2007"),
            &[],
            move |u| {
                only(
                    u == "mic"
                        || (u == "pref_p" && pref == "010006")
                        || (u == "pref_q" && pref == "020001"),
                    200,
                )
            },
        ));
    }
    for t in TARGETS {
        let submitted = t == A || t == G;
        out.push(case(
            "get",
            "/answers/{org}/{year}",
            format!("/answers/{t}/2007"),
            &[],
            move |u| only(reads(u, t), 200),
        ));
        out.push(case(
            "post",
            "/answers/{org}/{year}",
            format!("/answers/{t}/2007"),
            &[("version", "999"), ("action", "save")],
            move |u| only(answers(u, t), 409),
        ));
        out.push(case(
            "get",
            "/answers/{org}/{year}/print",
            format!("/answers/{t}/2007/print"),
            &[],
            move |u| only(reads(u, t), 200),
        ));
        out.push(case(
            "get",
            "/answers/{org}/{year}/history",
            format!("/answers/{t}/2007/history"),
            &[],
            move |u| only(reads(u, t), 200),
        ));
        out.push(case(
            "get",
            "/answers/{org}/{year}/form.xlsx",
            format!("/answers/{t}/2007/form.xlsx"),
            &[],
            move |u| only(reads(u, t), 200),
        ));
        // A form post, not multipart: refused for want of a workbook.
        out.push(case(
            "post",
            "/answers/{org}/{year}/upload",
            format!("/answers/{t}/2007/upload"),
            &[],
            move |u| only(answers(u, t), 400),
        ));
        out.push(case(
            "post",
            "/answers/{org}/{year}/carry",
            format!("/answers/{t}/2007/carry"),
            &[("version", "999")],
            move |u| only(answers(u, t), 409),
        ));
        out.push(case(
            "get",
            "/exports/plans/{scope}/{year}",
            format!("/exports/plans/org:{t}/2007"),
            &[],
            move |u| only(reads(u, t), 200),
        ));
        out.push(case(
            "get",
            "/review/{org}/{year}",
            format!("/review/{t}/2007"),
            &[],
            move |u| only(reviews(u, t), 200),
        ));
        out.push(case(
            "post",
            "/review/{org}/{year}",
            format!("/review/{t}/2007"),
            &[("version", "999")],
            move |u| only(reviews(u, t), 400),
        ));
        out.push(case(
            "get",
            "/plans/{org}/{year}",
            format!("/plans/{t}/2007"),
            &[],
            move |u| only(reads(u, t), 200),
        ));
        out.push(case(
            "post",
            "/plans/{org}/{year}",
            format!("/plans/{t}/2007"),
            &[],
            move |u| only(reviews(u, t), if submitted { 303 } else { 409 }),
        ));
    }
    out
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
