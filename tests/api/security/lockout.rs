//! The login lockout under parallel attempts, its end, its message; the
//! login page's headers.

use super::*;

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
