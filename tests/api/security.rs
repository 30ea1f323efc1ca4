//! Security round 2 (issue 11): the holes found under attack, each pinned by
//! a test that failed before its fix.

use tenken::auth::Role;

use crate::helpers::{spawn_app, with_conn};
use crate::wf_support::{add_user, input_value, pairs, Browser, PASSWORD};

/// Every byte but letters and digits percent-encoded, so the server gets the
/// value exactly as written.
fn encode_all(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `next` values (as the handler receives them, decoded once) that must never
/// leave the site, nor give a 500.
const HOSTILE_NEXT: &[&str] = &[
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\0/evil.example",
    "/\u{b}/evil.example",
    "/\u{c}/evil.example",
    "/\u{1f}/evil.example",
    "/\u{7f}/evil.example",
    "/a\r\nSet-Cookie: x=1",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/%09/evil.example",
    "/%2509/evil.example",
    "/%5Cevil.example",
    "/%0a/evil.example",
    " /evil.example",
    "/ /evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/\u{3000}evil.example",
    "/\u{2028}evil.example",
];

const LOCAL_NEXT: &[&str] = &[
    "/answers/011002/2007",
    "/oplog?login=demo&page=2",
    "/oplog?q=%E3%81%82",
    "/",
];

#[tokio::test]
async fn next_never_leaves_the_site_on_get_or_post() {
    let app = spawn_app().await;
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    assert!(HOSTILE_NEXT.len() >= 20);

    // Anonymous: the login page carries only a safe `next` in its form.
    let anon = Browser::new(&app);
    for next in HOSTILE_NEXT {
        let r = anon.get(&format!("/login?next={}", encode_all(next))).await;
        assert_eq!(r.status, 200, "GET /login?next={next:?}");
        assert_eq!(
            input_value(&r.body, "next").map(|v| v.replace("&#x2F;", "/")),
            Some("/home".to_string()),
            "{next:?}"
        );
    }

    // Signed in: GET /login?next= redirects at once.
    let mut b = Browser::new(&app);
    b.login("sapporo1").await;
    for next in HOSTILE_NEXT {
        let r = b.get(&format!("/login?next={}", encode_all(next))).await;
        assert_eq!(
            (r.status, r.location.as_str()),
            (303, "/home"),
            "GET signed in, next={next:?}"
        );
    }
    for next in LOCAL_NEXT {
        let r = b.get(&format!("/login?next={}", encode_all(next))).await;
        assert_eq!((r.status, r.location.as_str()), (303, *next), "{next:?}");
    }

    // POST /login with the right password: never a 500, never elsewhere.
    for next in HOSTILE_NEXT.iter().chain(LOCAL_NEXT) {
        let mut b = Browser::new(&app);
        b.visit_login().await;
        let r = b
            .post(
                "/login",
                &pairs(&[
                    ("login", "sapporo1"),
                    ("password", PASSWORD),
                    ("next", next),
                ]),
            )
            .await;
        let expected = if LOCAL_NEXT.contains(next) {
            next
        } else {
            "/home"
        };
        assert_eq!(
            (r.status, r.location.as_str()),
            (303, expected),
            "POST next={next:?}"
        );
    }
}

/// The failure numbers (`連続N回目`) of an account's log, in log order, and
/// its actions.
fn failures_and_actions(app: &crate::helpers::TestApp, login: &str) -> (Vec<i32>, Vec<String>) {
    use diesel::prelude::*;
    use tenken::db::schema::operation_log as l;
    let rows: Vec<(String, String)> = with_conn(app, |c| {
        l::table
            .filter(l::login.eq(login))
            .order(l::id)
            .select((l::action, l::detail))
            .load(c)
            .expect("log")
    });
    let numbers = rows
        .iter()
        .filter(|(a, _)| a == "login_failed")
        .filter_map(|(_, d)| {
            let at = d.find("連続")? + "連続".len();
            let end = d[at..].find('回')?;
            d[at..at + end].parse().ok()
        })
        .collect();
    (numbers, rows.into_iter().map(|(a, _)| a).collect())
}

#[tokio::test]
async fn thirty_parallel_wrong_passwords_lock_even_against_the_right_one_sent_meanwhile() {
    use diesel::prelude::*;
    use tenken::db::schema::users as u;
    let app = spawn_app().await;
    let id = add_user(&app, "sapporo1", "011002", Role::Municipality);
    // Each attacker has its own login-page CSRF token.
    let mut attackers = Vec::new();
    for _ in 0..30 {
        let mut b = Browser::new(&app);
        b.visit_login().await;
        attackers.push(b);
    }
    let mut owner = Browser::new(&app);
    owner.visit_login().await;
    let started = std::time::Instant::now();
    let wrong: Vec<_> = attackers
        .into_iter()
        .map(|b| {
            tokio::spawn(async move {
                b.post(
                    "/login",
                    &pairs(&[
                        ("login", "sapporo1"),
                        ("password", "Wrong-password-9"),
                        ("next", ""),
                    ]),
                )
                .await
                .status
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let right = owner
        .post(
            "/login",
            &pairs(&[("login", "sapporo1"), ("password", PASSWORD), ("next", "")]),
        )
        .await;
    let mut statuses = Vec::new();
    for h in wrong {
        statuses.push(h.await.expect("attempt"));
    }
    eprintln!("31 attempts in {:?}", started.elapsed());
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(
        right.status, 401,
        "the right password is refused once locked"
    );
    assert_eq!(owner.get("/home").await.status, 303, "no session");

    let (failed, locked_until): (i32, Option<String>) = with_conn(&app, |c| {
        u::table
            .find(id)
            .select((u::failed_attempts, u::locked_until))
            .first(c)
            .expect("user")
    });
    let until = locked_until.expect("the account ends locked");
    assert!(tenken::auth::parse_stamp(&until) > chrono::Utc::now());
    assert_eq!(failed, 0, "counting starts afresh after the lock");

    let (numbers, actions) = failures_and_actions(&app, "sapporo1");
    assert_eq!(numbers, [1, 2, 3, 4, 5], "consecutive, in log order");
    assert_eq!(
        actions.len(),
        31 + 1,
        "31 attempts and one lock: {actions:?}"
    );
    assert_eq!(
        &actions[..6],
        ["login_failed"; 5]
            .iter()
            .chain(&["account_locked"])
            .copied()
            .collect::<Vec<_>>()
    );
    assert!(
        actions[6..].iter().all(|a| a == "login_locked"),
        "{actions:?}"
    );
    assert!(!actions.iter().any(|a| a == "login"));
}

#[tokio::test]
async fn a_success_never_clears_a_lock_and_an_ended_lock_is_cleared() {
    use diesel::prelude::*;
    use tenken::db::schema::users as u;
    use tenken::store::users;
    let app = spawn_app().await;
    let id = add_user(&app, "sapporo1", "011002", Role::Municipality);
    let until = tenken::auth::stamp(chrono::Utc::now() + chrono::Duration::minutes(10));
    let now = tenken::auth::stamp(chrono::Utc::now());
    with_conn(&app, |c| {
        users::lock(c, id, &until).expect("lock");
        assert!(
            !users::record_login(c, id).expect("record"),
            "locked: refused"
        );
        assert!(!users::claim_unlocked(c, id, &now).expect("claim"));
    });
    let lock: Option<String> = with_conn(&app, |c| {
        u::table
            .find(id)
            .select(u::locked_until)
            .first(c)
            .expect("u")
    });
    assert_eq!(lock.as_deref(), Some(until.as_str()), "the lock stands");
    let past = "2000-01-01T00:00:00Z";
    with_conn(&app, |c| {
        users::lock(c, id, past).expect("lock");
        assert!(users::claim_unlocked(c, id, &now).expect("claim"), "ended");
        assert!(users::record_login(c, id).expect("record"));
    });
    let lock: Option<String> = with_conn(&app, |c| {
        u::table
            .find(id)
            .select(u::locked_until)
            .first(c)
            .expect("u")
    });
    assert_eq!(lock, None);
}

#[tokio::test]
async fn the_refusal_states_the_lockout_rule_and_is_the_same_for_every_login() {
    let app = spawn_app().await;
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    let message = |body: &str| {
        let at = body.find("<p class=\"error\"").expect("error paragraph");
        let end = body[at..].find("</p>").expect("end") + at;
        body[at..end].to_string()
    };
    let unknown = Browser::new(&app).login_with("nobody", PASSWORD).await;
    let mut b = Browser::new(&app);
    let wrong = b.login_with("sapporo1", "Wrong-password-9").await;
    for _ in 0..4 {
        b.login_with("sapporo1", "Wrong-password-9").await;
    }
    let locked = b.login_with("sapporo1", PASSWORD).await;
    for r in [&unknown, &wrong, &locked] {
        assert_eq!(r.status, 401);
    }
    let text = message(&unknown.body);
    assert!(
        text.contains("5回続けて") && text.contains("15分間ロック"),
        "{text}"
    );
    assert!(
        text.contains("正しいパスワードでもログインできません"),
        "{text}"
    );
    assert_eq!(message(&wrong.body), text, "unknown and wrong alike");
    assert_eq!(message(&locked.body), text, "locked alike");
}

#[tokio::test]
async fn the_login_page_is_not_stored_and_hsts_comes_with_secure_cookies() {
    let header = |r: &reqwest::Response, n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let app = spawn_app().await;
    let r = app.get("/login").await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(header(&r, "cache-control"), "no-store", "anonymous /login");
    assert_eq!(header(&r, "strict-transport-security"), "", "plain HTTP");
    let r = app.get("/static/app.js").await;
    assert_ne!(
        header(&r, "cache-control"),
        "no-store",
        "static files may be kept"
    );

    let tls = crate::helpers::spawn_app_with(|s| s.secure_cookies = true).await;
    for path in ["/login", "/home", "/static/app.js"] {
        let r = tls.get(path).await;
        assert_eq!(
            header(&r, "strict-transport-security"),
            "max-age=31536000",
            "{path}"
        );
    }
}

#[tokio::test]
async fn login_ids_are_unique_without_regard_to_case() {
    use diesel::connection::SimpleConnection;
    use tenken::auth::password;
    use tenken::error::AppError;
    use tenken::store::users;
    let app = spawn_app().await;
    add_user(&app, "demo-mic", "MIC", Role::Ministry);
    let hash = password::hash(PASSWORD).expect("hash");
    let again = with_conn(&app, |c| {
        users::create(c, "DEMO-MIC", "MIC", Role::Ministry, &hash, false)
    });
    match again {
        Err(AppError::Conflict(m)) => assert!(m.contains("demo-mic"), "{m}"),
        other => panic!("DEMO-MIC beside demo-mic: {other:?}"),
    }
    // The database refuses it too, on both backends.
    let raw = with_conn(&app, |c| {
        c.batch_execute(
            "INSERT INTO users (login, organisation_id, role, password_hash, \
             must_change_password, failed_attempts, created_at, password_changed_at) \
             SELECT 'Demo-Mic', organisation_id, role, password_hash, \
             must_change_password, 0, created_at, password_changed_at \
             FROM users WHERE login = 'demo-mic'",
        )
    });
    assert!(raw.is_err(), "unique index on lower(login)");
    // Typed in another case, the id finds its account.
    let mut b = Browser::new(&app);
    let r = b.login_with("DEMO-MIC", PASSWORD).await;
    assert_eq!(r.status, 303);
}

#[tokio::test]
async fn the_last_five_passwords_are_refused() {
    let app = spawn_app().await;
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    let mut b = Browser::new(&app);
    b.login("sapporo1").await;
    let change =
        |current: &str, new: &str| pairs(&[("current", current), ("new", new), ("confirm", new)]);
    let reuse = "最近使った5個のパスワード";
    // The current one is refused.
    let r = b.post("/password", &change(PASSWORD, PASSWORD)).await;
    assert_eq!(r.status, 400);
    let mut current = PASSWORD.to_string();
    for n in 2..=5 {
        let next = format!("Second-Pass-{n}x");
        let r = b.post("/password", &change(&current, &next)).await;
        assert_eq!(
            (r.status, r.location.as_str()),
            (303, "/home?done=password")
        );
        current = next;
    }
    // Now the last five are PASSWORD and Second-Pass-2x … 5x.
    for old in [PASSWORD, "Second-Pass-2x", "Second-Pass-4x"] {
        let r = b.post("/password", &change(&current, old)).await;
        assert_eq!(r.status, 400, "{old}");
        assert!(r.body.contains(reuse), "{old}");
    }
    let r = b
        .post("/password", &change(&current, "Second-Pass-6x"))
        .await;
    assert_eq!(r.status, 303);
    // PASSWORD is the sixth from now: allowed again.
    let r = b
        .post("/password", &change("Second-Pass-6x", PASSWORD))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
}

#[tokio::test]
async fn ministry_accounts_are_changed_only_by_the_ministrys_administrators() {
    let app = spawn_app().await;
    let mic = add_user(&app, "mic1", "MIC", Role::Ministry);
    let pref = add_user(&app, "hokkaido1", "010006", Role::Prefecture);
    add_user(&app, "padmin", "010006", Role::Admin);
    add_user(&app, "micadmin", "MIC", Role::Admin);
    let mut p = Browser::new(&app);
    p.login("padmin").await;
    for action in ["unlock", "reset", "totp-reset"] {
        let r = p.post(&format!("/admin/users/{mic}/{action}"), &[]).await;
        assert_eq!(r.status, 403, "{action} of a ministry account");
    }
    let r = p
        .post(
            &format!("/admin/users/{mic}/disable"),
            &pairs(&[("reason", "retired")]),
        )
        .await;
    assert_eq!(r.status, 403, "disable");
    let r = p
        .post(
            "/admin/users",
            &pairs(&[("login", "mic2"), ("org", "MIC"), ("role", "ministry")]),
        )
        .await;
    assert_eq!(r.status, 403, "add to the ministry");
    // Other accounts stay in reach.
    let r = p.post(&format!("/admin/users/{pref}/unlock"), &[]).await;
    assert_eq!(r.status, 303);
    // The ministry's administrator may.
    let mut m = Browser::new(&app);
    m.login("micadmin").await;
    let r = m.post(&format!("/admin/users/{mic}/unlock"), &[]).await;
    assert_eq!(r.status, 303);
    let r = m
        .post(
            &format!("/admin/users/{mic}/reset"),
            &pairs(&[("confirm", "1")]),
        )
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn replace_into_the_operation_log_is_refused() {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use tenken::db::schema::operation_log as l;
    let app = spawn_app().await;
    for _ in 0..2 {
        let r = Browser::new(&app).login_with("nobody", PASSWORD).await;
        assert_eq!(r.status, 401);
    }
    let rows = |app: &crate::helpers::TestApp| -> Vec<(i32, String, String)> {
        with_conn(app, |c| {
            l::table
                .order(l::id)
                .select((l::id, l::action, l::hash))
                .load(c)
                .expect("log")
        })
    };
    let before = rows(&app);
    assert_eq!(before.len(), 2);
    let first = before[0].0;
    let mut statements = vec![
        format!(
            "REPLACE INTO operation_log (id, at, action, detail) \
             VALUES ({first}, '2000-01-01T00:00:00Z', 'forged', 'x')"
        ),
        format!(
            "INSERT OR REPLACE INTO operation_log (id, at, action, detail) \
             VALUES ({first}, '2000-01-01T00:00:00Z', 'forged', 'x')"
        ),
    ];
    if crate::helpers::is_postgres() {
        statements.push(format!(
            "INSERT INTO operation_log (id, at, action, detail) \
             VALUES ({first}, '2000-01-01T00:00:00Z', 'forged', 'x') \
             ON CONFLICT (id) DO UPDATE SET action = excluded.action"
        ));
    }
    for sql in &statements {
        let result = with_conn(&app, |c| c.batch_execute(sql));
        assert!(result.is_err(), "refused: {sql}");
        assert_eq!(rows(&app), before, "unchanged after: {sql}");
    }
}

#[test]
fn shared_strings_are_counted_as_they_are_not_as_declared() {
    use tenken::excel::limits::{self, Limits};
    let limits = Limits {
        max_shared_strings: 1_000,
        ..Limits::DEFAULT
    };
    let workbook = |n: usize| {
        let mut sst = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">",
        );
        for i in 0..n {
            sst.push_str(&format!("<si><t>s{i}</t></si>"));
        }
        sst.push_str("</sst>");
        crate::xlsx::zip_of(&[("xl/sharedStrings.xml".to_string(), sst.into_bytes())])
    };
    assert_eq!(limits::check(&workbook(1_000), &limits), Ok(()));
    assert_eq!(
        limits::check(&workbook(1_001), &limits),
        Err(
            "ブックの中の xl/sharedStrings.xml が壊れています（文字列（<si>）が 1000 個を超えています）"
                .to_string()
        ),
        "no uniqueCount, 1,001 real entries"
    );
}

/// PostgreSQL with two roles: the owner migrates, the application role
/// serves and may only INSERT and SELECT the log. On SQLite there are no
/// roles: the test says so and passes.
#[tokio::test]
async fn the_application_role_cannot_change_the_log() {
    use diesel::connection::SimpleConnection;
    use tenken::db::{self, DatabaseUrl};
    if !crate::helpers::is_postgres() {
        eprintln!("SQLite: no database roles (set TEST_DATABASE_URL)");
        return;
    }
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let role = format!(
        "tenken_app_{}_{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    let dir = tempfile::tempdir().expect("tmp");
    // Dropped after the database (declared before it): a role with rights
    // in a database cannot be dropped.
    let _role = DropRole(role.clone());
    let database = crate::helpers::fresh_database(&dir);
    let owner_url = database.url.clone();
    let mut owner = db::establish(&DatabaseUrl::parse(&owner_url).expect("url")).expect("owner");
    owner
        .batch_execute(&format!("CREATE ROLE {role} LOGIN"))
        .expect("create role");
    let app_url = crate::helpers::url_as(&owner_url, &role);
    let app = crate::helpers::spawn_app_with(|s| {
        s.database_url = app_url.clone();
        s.migrate_database_url = Some(owner_url.clone());
    })
    .await;
    assert_eq!(app.database_url, app_url);
    // The application works as that role: accounts, logins, the log.
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    let mut b = Browser::new(&app);
    b.login("sapporo1").await;
    assert_eq!(b.get("/home").await.status, 200);
    let who: Vec<(String, String, String)> = crate::wf_support::log(&app);
    assert!(who.iter().any(|(l, a, _)| l == "sapporo1" && a == "login"));

    let mut as_app = db::establish(&DatabaseUrl::parse(&app_url).expect("url")).expect("app");
    for sql in [
        "UPDATE operation_log SET detail = 'x'",
        "DELETE FROM operation_log",
        "TRUNCATE operation_log",
        "ALTER TABLE operation_log DISABLE TRIGGER USER",
        "DROP TRIGGER operation_log_no_update_delete ON operation_log",
        "DROP TABLE operation_log",
        "CREATE TABLE intruder (id INTEGER)",
    ] {
        let err = as_app.batch_execute(sql).expect_err(sql).to_string();
        assert!(
            err.contains("permission denied") || err.contains("must be owner"),
            "{sql}: {err}"
        );
    }
    // It may insert and read.
    as_app
        .batch_execute("SELECT count(*) FROM operation_log")
        .expect("select");
    // A second start as the same roles finds nothing to migrate.
    let again = crate::helpers::spawn_instance_of(&app).await;
    assert_eq!(again.get("/login").await.status().as_u16(), 200);
}

/// Drops a role the test created, on the server of `TEST_DATABASE_URL`.
struct DropRole(String);

impl Drop for DropRole {
    fn drop(&mut self) {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let Ok(server) = std::env::var("TEST_DATABASE_URL") else {
            return;
        };
        let dropped = diesel::PgConnection::establish(&server)
            .map_err(|e| e.to_string())
            .and_then(|mut c| {
                c.batch_execute(&format!("DROP ROLE IF EXISTS {}", self.0))
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = dropped {
            eprintln!("test role {} not dropped: {e}", self.0);
        }
    }
}
