//! Login as checklist items 11-x and 12-x demand: lockout after five wrong
//! passwords, idle sessions ending, a generated password changed at first
//! login, passwords older than 180 days changed (11-1), the password
//! policy, cookie flags, session renewal at login.

use diesel::prelude::*;
use tenken::auth::{password, Role};
use tenken::db::schema::{sessions as s, users as u};
use tenken::store::users;

use crate::helpers::{spawn_app, with_conn};
use crate::wf_support::{add_user, log, pairs, Browser, PASSWORD};

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_until_the_lock_ends() {
    let app = spawn_app().await;
    let id = add_user(&app, "sapporo1", "011002", Role::Municipality);
    let mut b = Browser::new(&app);
    for n in 1..=5 {
        let r = b.login_with("sapporo1", "Wrong-password-9").await;
        assert_eq!(r.status, 401, "attempt {n}");
        assert!(r
            .body
            .contains("ログインIDまたはパスワードが違うか、アカウントがロックされています。"));
    }
    let locked_until: Option<String> = with_conn(&app, |c| {
        u::table
            .find(id)
            .select(u::locked_until)
            .first(c)
            .expect("user")
    });
    let until = locked_until.expect("locked after five failures");
    let minutes = (tenken::auth::parse_stamp(&until) - chrono::Utc::now()).num_minutes();
    assert!(
        (14..=15).contains(&minutes),
        "locked for 15 minutes, {minutes} left"
    );

    // Even the right password is refused while the lock lasts.
    let r = b.login_with("sapporo1", PASSWORD).await;
    assert_eq!(r.status, 401);
    assert_eq!(b.get("/home").await.status, 303, "no session");

    // When the lock has ended (moved into the past here), the right password works.
    with_conn(&app, |c| {
        diesel::update(u::table.find(id))
            .set(u::locked_until.eq("2000-01-01T00:00:00Z"))
            .execute(c)
            .expect("move lock")
    });
    let r = b.login_with("sapporo1", PASSWORD).await;
    assert_eq!((r.status, r.location.as_str()), (303, "/home"));
    assert_eq!(b.get("/home").await.status, 200);
    let (failed, lock): (i32, Option<String>) = with_conn(&app, |c| {
        u::table
            .find(id)
            .select((u::failed_attempts, u::locked_until))
            .first(c)
            .expect("user")
    });
    assert_eq!((failed, lock), (0, None), "a login clears the count");

    let actions: Vec<String> = log(&app)
        .into_iter()
        .filter(|(l, _, _)| l == "sapporo1")
        .map(|(_, a, _)| a)
        .collect();
    assert_eq!(
        actions,
        [
            "login_failed",
            "login_failed",
            "login_failed",
            "login_failed",
            "login_failed",
            "account_locked",
            "login_locked",
            "login"
        ]
    );
    // An unknown login is logged too, with the name typed.
    let r = Browser::new(&app).login_with("nobody", PASSWORD).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        log(&app).last().map(|(l, a, _)| (l.as_str(), a.as_str())),
        Some(("nobody", "login_failed"))
    );
}

#[tokio::test]
async fn sessions_end_after_30_idle_minutes_and_are_renewed_at_login() {
    let app = spawn_app().await;
    let id = add_user(&app, "sapporo1", "011002", Role::Municipality);
    let mut b = Browser::new(&app);
    assert_eq!(b.login_with("sapporo1", PASSWORD).await.status, 303);
    let first: String = with_conn(&app, |c| {
        s::table
            .filter(s::user_id.eq(id))
            .select(s::token_hash)
            .first(c)
            .expect("session")
    });
    assert_eq!(first.len(), 64, "only a SHA-256 is stored");

    // 29 idle minutes: still signed in.
    let ago = |m: i64| tenken::auth::stamp(chrono::Utc::now() - chrono::Duration::minutes(m));
    with_conn(&app, |c| {
        diesel::update(s::table.filter(s::user_id.eq(id)))
            .set(s::last_seen_at.eq(ago(29)))
            .execute(c)
            .expect("idle")
    });
    assert_eq!(b.get("/home").await.status, 200);
    // 31 idle minutes: the session is gone.
    with_conn(&app, |c| {
        diesel::update(s::table.filter(s::user_id.eq(id)))
            .set(s::last_seen_at.eq(ago(31)))
            .execute(c)
            .expect("idle")
    });
    let r = b.get("/home").await;
    assert_eq!((r.status, r.location.as_str()), (303, "/login?next=/home"));
    let left: i64 = with_conn(&app, |c| {
        s::table
            .filter(s::user_id.eq(id))
            .count()
            .get_result(c)
            .expect("n")
    });
    assert_eq!(left, 0);

    // Logging in again gives a new token.
    b.login("sapporo1").await;
    let hashes: Vec<String> = with_conn(&app, |c| {
        s::table
            .filter(s::user_id.eq(id))
            .select(s::token_hash)
            .load(c)
            .expect("s")
    });
    assert_eq!(hashes.len(), 1);
    assert_ne!(hashes[0], first, "a new token at login");
}

#[tokio::test]
async fn cookies_and_headers() {
    let app = spawn_app().await;
    add_user(&app, "mic1", "MIC", Role::Ministry);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = client
        .get(format!("{}/login", app.address))
        .send()
        .await
        .expect("get");
    let pre = page
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        pre.starts_with("tenken_login_csrf=")
            && pre.contains("HttpOnly")
            && pre.contains("SameSite=Strict"),
        "{pre}"
    );
    let token = pre
        .trim_start_matches("tenken_login_csrf=")
        .split(';')
        .next()
        .unwrap_or("")
        .to_string();
    let body = page.text().await.expect("body");
    assert!(body.contains(&format!("name=\"csrf_token\" value=\"{token}\"")));
    let r = client
        .post(format!("{}/login", app.address))
        // A session token chosen by someone else is never taken over.
        .header(
            "cookie",
            format!(
                "tenken_login_csrf={token}; tenken_session={}",
                "a".repeat(64)
            ),
        )
        .form(&pairs(&[
            ("csrf_token", &token),
            ("login", "mic1"),
            ("password", PASSWORD),
        ]))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status().as_u16(), 303);
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("tenken_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Strict")
            && session.contains("Path=/")
    );
    assert!(
        !session.contains("Secure"),
        "plain HTTP in tests; --secure-cookies adds it"
    );
    assert!(
        !session.contains("Max-Age") && !session.contains("Expires"),
        "the server ends idle sessions"
    );
    let value = session
        .trim_start_matches("tenken_session=")
        .split(';')
        .next()
        .unwrap_or("");
    assert_eq!(value.len(), 64, "256 random bits");
    assert_ne!(value, "a".repeat(64), "renewed at login");
    assert!(cookies
        .iter()
        .any(|c| c.starts_with("tenken_login_csrf=;") && c.contains("Max-Age=0")));

    let home = client
        .get(format!("{}/home", app.address))
        .header("cookie", format!("tenken_session={value}"))
        .send()
        .await
        .expect("home");
    let h = home.headers();
    let get = |n: &str| {
        h.get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(get("cache-control"), "no-store");
    assert_eq!(get("x-frame-options"), "DENY");
    assert_eq!(get("x-content-type-options"), "nosniff");
    assert!(get("content-security-policy").contains("script-src 'self'"));
    let html = home.text().await.expect("body");
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "no inline script or style"
    );
    assert!(html.contains("<script src=\"/static/app.js\" defer></script>"));

    let secure = tenken::auth::session::session_cookie("x", true).to_string();
    assert!(
        secure.contains("Secure")
            && secure.contains("HttpOnly")
            && secure.contains("SameSite=Strict"),
        "{secure}"
    );
}

#[tokio::test]
async fn a_generated_password_must_be_changed_at_first_login() {
    let app = spawn_app().await;
    let generated = password::generate("newcomer");
    let hash = password::hash(&generated).expect("hash");
    with_conn(&app, |c| {
        users::create(c, "newcomer", "011002", Role::Municipality, &hash, true)
    })
    .expect("user");
    let mut b = Browser::new(&app);
    let r = b.login_with("newcomer", &generated).await;
    assert_eq!((r.status, r.location.as_str()), (303, "/password"));
    let r = b.get("/home").await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/password"),
        "nothing else until changed"
    );
    let page = b.get("/password").await.body;
    assert!(page.contains("ご自身で決めた新しいパスワードに変更してください"));

    let change = |new: &str, confirm: &str| {
        pairs(&[
            ("current", generated.as_str()),
            ("new", new),
            ("confirm", confirm),
        ])
    };
    let r = b.post("/password", &change("short1", "short1")).await;
    assert_eq!(r.status, 400);
    assert!(r
        .body
        .contains("パスワードは12文字以上にしてください（今は6文字）"));
    let r = b
        .post("/password", &change("onlyletterslong", "onlyletterslong"))
        .await;
    assert!(r
        .body
        .contains("パスワードには英字と、数字または記号を組み合わせてください"));
    let r = b
        .post("/password", &change("newcomer-2007x", "newcomer-2007x"))
        .await;
    assert!(r
        .body
        .contains("パスワードにログインIDを含めないでください"));
    let r = b
        .post(
            "/password",
            &change("Sapporo-Snow-2007", "Sapporo-Snow-2008"),
        )
        .await;
    assert!(r
        .body
        .contains("確認のために入力した新しいパスワードが一致しません"));
    let r = b
        .post(
            "/password",
            &pairs(&[
                ("current", "wrong"),
                ("new", "Sapporo-Snow-2007"),
                ("confirm", "Sapporo-Snow-2007"),
            ]),
        )
        .await;
    assert!(r.body.contains("今のパスワードが違います"));

    let r = b
        .post(
            "/password",
            &change("Sapporo-Snow-2007", "Sapporo-Snow-2007"),
        )
        .await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/home?done=password")
    );
    assert!(b
        .get("/home?done=password")
        .await
        .body
        .contains("パスワードを変更しました。"));
    let stored = with_conn(&app, |c| users::find_by_login(c, "newcomer"))
        .expect("q")
        .expect("user");
    assert!(!stored.must_change_password);
    assert!(stored.password_hash.starts_with("$argon2id$"));
    let mut again = Browser::new(&app);
    assert_eq!(again.login_with("newcomer", &generated).await.status, 401);
    assert_eq!(
        again
            .login_with("newcomer", "Sapporo-Snow-2007")
            .await
            .location,
        "/home"
    );
    assert!(log(&app)
        .iter()
        .any(|(l, a, _)| l == "newcomer" && a == "password_change"));
}

#[tokio::test]
async fn a_password_older_than_180_days_must_be_changed() {
    let app = spawn_app().await;
    add_user(&app, "veteran", "011002", Role::Municipality);
    let age = |days: i64| {
        let at = chrono::Utc::now() - chrono::Duration::days(days);
        at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    };
    let set_changed_at = |stamp: String| {
        with_conn(&app, |c| {
            diesel::update(u::table.filter(u::login.eq("veteran")))
                .set(u::password_changed_at.eq(stamp))
                .execute(c)
        })
        .expect("age the password");
    };
    set_changed_at(age(179));
    let mut b = Browser::new(&app);
    let r = b.login_with("veteran", PASSWORD).await;
    assert_eq!((r.status, r.location.as_str()), (303, "/home"));
    assert_eq!(b.get("/home").await.status, 200);

    // The password ages past 180 days while the session lives: the next
    // request goes to the change page, as does the next login.
    set_changed_at(age(181));
    let r = b.get("/home").await;
    assert_eq!((r.status, r.location.as_str()), (303, "/password"));
    let mut b = Browser::new(&app);
    let r = b.login_with("veteran", PASSWORD).await;
    assert_eq!((r.status, r.location.as_str()), (303, "/password"));
    let r = b
        .post(
            "/password",
            &pairs(&[
                ("current", PASSWORD),
                ("new", "Fresh-Autumn-2026"),
                ("confirm", "Fresh-Autumn-2026"),
            ]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(b.get("/home").await.status, 200);
}

/// Logs in with the app's own client, sending `X-Forwarded-For`, and
/// returns the address the operation log wrote for the login.
async fn login_address(app: &crate::helpers::TestApp) -> String {
    use tenken::db::schema::operation_log as l;
    add_user(app, "proxied", "011002", Role::Municipality);
    let page = app.get("/login").await.text().await.expect("page");
    let csrf = crate::wf_support::input_value(&page, "csrf_token").expect("csrf");
    let r = app
        .client
        .post(format!("{}/login", app.address))
        .header("X-Forwarded-For", "198.51.100.7, 203.0.113.9")
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("login", "proxied"),
            ("password", PASSWORD),
            ("next", ""),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status().as_u16(), 303);
    with_conn(app, |c| {
        l::table
            .filter(l::action.eq("login"))
            .select(l::address)
            .first::<String>(c)
    })
    .expect("login entry")
}

#[tokio::test]
async fn the_log_takes_the_client_address_only_from_the_trusted_proxy() {
    let app = spawn_app().await;
    assert_eq!(login_address(&app).await, "127.0.0.1", "header ignored");
    let app = crate::helpers::spawn_app_with(|s| s.trusted_proxy = "127.0.0.1".parse().ok()).await;
    assert_eq!(login_address(&app).await, "203.0.113.9");
}
