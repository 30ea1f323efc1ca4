//! The second factor (issue 11, item 9): enrolment with a code computed
//! here from the secret the page shows, the code's page after the password
//! (no session before the code), wrong codes counted toward the lockout, a
//! code and a recovery code accepted once, required roles forced to enrol,
//! an administrator's reset; all logged.

use diesel::prelude::*;
use tenken::auth::Role;
use tenken::db::schema::users as u;
use totp_rs::{Algorithm, Builder, Secret};

use crate::helpers::{spawn_app, spawn_app_with, with_conn, TestApp};
use crate::wf_support::{add_user, input_value, log, pairs, Browser, Response, PASSWORD};

/// The RFC 6238 code of a base32 secret at `now + offset` seconds, computed
/// independently of the application's own wiring.
fn code(secret: &str, offset: i64) -> String {
    let bytes = Secret::try_from_base32(secret)
        .expect("base32 secret")
        .as_bytes()
        .to_vec();
    let t = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(bytes)
        .build()
        .expect("totp");
    let at = u64::try_from(chrono::Utc::now().timestamp() + offset).expect("time");
    t.generate(at).to_string()
}

/// A 6-digit code that is none of the secret's codes around now.
fn wrong_code(secret: &str) -> String {
    let near: Vec<String> = (-2..=3).map(|k| code(secret, 30 * k)).collect();
    (0..10u32)
        .map(|d| d.to_string().repeat(6))
        .find(|c| !near.contains(c))
        .expect("a wrong code")
}

/// Enrols the signed-in browser; returns the secret and the recovery codes.
async fn enrol(b: &Browser) -> (String, Vec<String>) {
    let page = b.get("/account/totp").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("<img src=\"data:image/svg+xml;base64,"),
        "the QR code is an inline SVG image"
    );
    assert!(
        page.body
            .split("<script")
            .skip(1)
            .all(|s| s.starts_with(" src=\"/static/")),
        "no inline script"
    );
    let secret = input_value(&page.body, "secret").expect("secret field");
    // The secret is shown as text too, in groups of four.
    let grouped: String = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(page.body.contains(&grouped));
    // A wrong code is refused and the same secret offered again.
    let wrong = b
        .post(
            "/account/totp",
            &pairs(&[("secret", &secret), ("code", &wrong_code(&secret))]),
        )
        .await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("確認コードが違います"));
    assert_eq!(
        input_value(&wrong.body, "secret").as_deref(),
        Some(secret.as_str())
    );
    let r = b
        .post(
            "/account/totp",
            &pairs(&[("secret", &secret), ("code", &code(&secret, 0))]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let list = r
        .body
        .split("id=\"recovery-codes\"")
        .nth(1)
        .expect("recovery codes shown");
    let codes: Vec<String> = list
        .split("<code>")
        .skip(1)
        .filter_map(|s| s.split("</code>").next())
        .map(str::to_string)
        .collect();
    assert_eq!(codes.len(), 10);
    // Shown once: the page afterwards says how many are left, not which.
    let again = b.get("/account/totp").await;
    assert!(again.body.contains("未使用の回復コードは 10 個"));
    assert!(!again.body.contains(&codes[0]));
    (secret, codes)
}

/// The password step: for an enrolled account, on to the code's page
/// without a session.
async fn password_step(b: &mut Browser, login: &str) -> Response {
    b.visit_login().await;
    let r = b
        .post(
            "/login",
            &pairs(&[("login", login), ("password", PASSWORD), ("next", "")]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    r
}

/// Posts a code on the code's page (the login form's CSRF token).
async fn code_step(b: &mut Browser, typed: &str) -> Response {
    let r = b
        .post("/login/totp", &pairs(&[("code", typed), ("next", "")]))
        .await;
    if r.status == 303 && r.location == "/home" {
        let page = b.get("/password").await;
        b.csrf = input_value(&page.body, "csrf_token").expect("session csrf");
    }
    r
}

fn failed_attempts(app: &TestApp, id: i32) -> (i32, Option<String>) {
    with_conn(app, |c| {
        u::table
            .find(id)
            .select((u::failed_attempts, u::locked_until))
            .first(c)
            .expect("user")
    })
}

fn actions(app: &TestApp, login: &str) -> Vec<String> {
    log(app)
        .into_iter()
        .filter(|(l, _, _)| l == login)
        .map(|(_, a, _)| a)
        .collect()
}

#[tokio::test]
async fn enrol_then_log_in_with_a_code_and_no_session_before_it() {
    let app = spawn_app().await;
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    let mut b = Browser::new(&app);
    b.login("sapporo1").await;
    let (secret, _) = enrol(&b).await;
    b.post("/logout", &[]).await;

    let r = password_step(&mut b, "sapporo1").await;
    assert_eq!(r.location, "/login/totp?next=%2Fhome");
    // No session yet.
    let home = b.get("/home").await;
    assert_eq!(
        (home.status, home.location.as_str()),
        (303, "/login?next=/home")
    );
    let page = b.get("/login/totp").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("確認コード"));
    // The code of the next time step (the enrolment took this one).
    let next_code = code(&secret, 30);
    let r = code_step(&mut b, &next_code).await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/home"),
        "{}",
        r.body
    );
    assert_eq!(b.get("/home").await.status, 200);

    // The same code is not taken twice.
    b.post("/logout", &[]).await;
    password_step(&mut b, "sapporo1").await;
    let r = code_step(&mut b, &next_code).await;
    assert_eq!(r.status, 401, "a code is accepted once");
    assert!(r.body.contains("確認コードが違います"));
    assert_eq!(b.get("/home").await.status, 303);

    let seen = actions(&app, "sapporo1");
    assert_eq!(
        seen,
        [
            "login",
            "totp_enrol",
            "logout",
            "login_second_step",
            "login",
            "logout",
            "login_second_step",
            "totp_failed"
        ]
    );
    let details: Vec<String> = with_conn(&app, |c| {
        use tenken::db::schema::operation_log as l;
        l::table
            .filter(l::login.eq("sapporo1"))
            .filter(l::action.eq("login"))
            .order(l::id)
            .select(l::detail)
            .load(c)
            .expect("log")
    });
    assert_eq!(details, ["", "二要素認証（確認コード）"]);
}

#[tokio::test]
async fn wrong_codes_count_toward_the_lockout_with_wrong_passwords() {
    let app = spawn_app().await;
    let id = add_user(&app, "sapporo1", "011002", Role::Municipality);
    let mut b = Browser::new(&app);
    b.login("sapporo1").await;
    let (secret, _) = enrol(&b).await;
    b.post("/logout", &[]).await;

    // Two wrong passwords, then the right one: the count goes on.
    for _ in 0..2 {
        assert_eq!(
            b.login_with("sapporo1", "Wrong-password-9").await.status,
            401
        );
    }
    password_step(&mut b, "sapporo1").await;
    assert_eq!(
        failed_attempts(&app, id).0,
        2,
        "a right password alone clears nothing"
    );
    for n in 3..=4 {
        let r = code_step(&mut b, "12345x").await;
        assert_eq!(r.status, 401, "{}", r.body);
        assert_eq!(failed_attempts(&app, id).0, n);
    }
    // The fifth failure locks the account and ends the challenge.
    let r = code_step(&mut b, &wrong_code(&secret)).await;
    assert_eq!(r.status, 401);
    assert!(
        r.body.contains("アカウントがロックされました"),
        "{}",
        r.body
    );
    let (_, locked) = failed_attempts(&app, id);
    assert!(locked.is_some(), "locked");
    // The challenge is gone: even the right code does nothing now.
    let r = code_step(&mut b, &code(&secret, 30)).await;
    assert_eq!((r.status, r.location.as_str()), (303, "/login"));
    // And while locked the password step refuses too.
    assert_eq!(b.login_with("sapporo1", PASSWORD).await.status, 401);
    let seen = actions(&app, "sapporo1");
    assert!(
        seen.ends_with(&[
            "totp_failed".to_string(),
            "totp_failed".to_string(),
            "totp_failed".to_string(),
            "account_locked".to_string(),
            "login_locked".to_string()
        ]),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let app = spawn_app().await;
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    let mut b = Browser::new(&app);
    b.login("sapporo1").await;
    let (_, codes) = enrol(&b).await;
    b.post("/logout", &[]).await;

    password_step(&mut b, "sapporo1").await;
    // Typed loosely: lower case, spaces for hyphens.
    let typed = codes[3].to_lowercase().replace('-', " ");
    let r = code_step(&mut b, &typed).await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/home"),
        "{}",
        r.body
    );
    assert!(b
        .get("/account/totp")
        .await
        .body
        .contains("未使用の回復コードは 9 個"));
    b.post("/logout", &[]).await;

    password_step(&mut b, "sapporo1").await;
    let r = code_step(&mut b, &codes[3]).await;
    assert_eq!(r.status, 401, "used once already");
    let r = code_step(&mut b, &codes[4]).await;
    assert_eq!(r.status, 303);
    let seen = actions(&app, "sapporo1");
    assert_eq!(seen.iter().filter(|a| *a == "totp_recovery").count(), 2);
    assert_eq!(seen.iter().filter(|a| *a == "totp_failed").count(), 1);
}

#[tokio::test]
async fn required_roles_are_forced_to_enrol_and_an_admin_can_reset() {
    let app = spawn_app_with(|s| s.require_totp = true).await;
    add_user(&app, "admin1", "MIC", Role::Admin);
    add_user(&app, "admin2", "MIC", Role::Admin);
    add_user(&app, "hokkaido1", "010006", Role::Prefecture);
    add_user(&app, "mic1", "MIC", Role::Ministry);
    add_user(&app, "sapporo1", "011002", Role::Municipality);

    for login in ["admin1", "hokkaido1", "mic1"] {
        let mut b = Browser::new(&app);
        b.login(login).await;
        // Only enrolment, the password page and logout are open.
        assert_eq!(b.get("/password").await.status, 200);
        for path in ["/home", "/admin/users", "/oplog", "/national/2007"] {
            let r = b.get(path).await;
            assert_eq!(
                (r.status, r.location.as_str()),
                (303, "/account/totp"),
                "{login} {path}"
            );
        }
        let page = b.get("/account/totp").await;
        assert!(page.body.contains("このアカウントには二要素認証が必要です"));
        enrol(&b).await;
        assert_eq!(b.get("/home").await.status, 200, "{login} enrolled");
    }
    // Municipalities are not forced.
    let mut m = Browser::new(&app);
    m.login("sapporo1").await;
    assert_eq!(m.get("/home").await.status, 200);

    // An administrator resets another's second factor (a lost phone); the
    // account is forced to enrol again at its next request.
    let hokkaido: i32 = with_conn(&app, |c| {
        u::table
            .filter(u::login.eq("hokkaido1"))
            .select(u::id)
            .first(c)
            .expect("id")
    });
    let mut admin = Browser::new(&app);
    // admin2 is not enrolled: a session, sent to enrolment.
    admin.login("admin2").await;
    let home = admin.get("/home").await;
    assert_eq!(home.location, "/account/totp");
    enrol(&admin).await;
    let r = admin
        .post(&format!("/admin/users/{hokkaido}/totp-reset"), &[])
        .await;
    assert_eq!(
        (r.status, r.location.clone()),
        (303, format!("/admin/users/{hokkaido}?done=totp_reset"))
    );
    let r = admin
        .post(&format!("/admin/users/{hokkaido}/totp-reset"), &[])
        .await;
    assert_eq!(r.status, 409, "nothing left to reset");
    let mut p = Browser::new(&app);
    p.login("hokkaido1").await;
    assert_eq!(p.get("/home").await.location, "/account/totp");
    assert!(actions(&app, "admin2").contains(&"totp_reset".to_string()));
}
