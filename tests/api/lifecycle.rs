//! The account lifecycle (issue 11, item 7): disabling with a reason ends
//! the sessions at once and refuses logins; enabling again; end dates
//! (利用期限) checked at login and by the session middleware; accounts
//! unused for 90 days listed for review with a one-click disable; the CLI;
//! every change in the operation log.

use diesel::prelude::*;
use tenken::auth::Role;
use tenken::db::schema::users as u;

use crate::backup::tenken;
use crate::helpers::{spawn_app, with_conn, TestApp};
use crate::wf_support::{add_user, input_value, log, pairs, Browser, PASSWORD};

fn state_of(app: &TestApp, id: i32) -> (Option<String>, String, Option<String>) {
    with_conn(app, |c| {
        u::table
            .find(id)
            .select((u::disabled_at, u::disabled_reason, u::valid_until))
            .first(c)
            .expect("user")
    })
}

fn actions_about(app: &TestApp, login: &str) -> Vec<String> {
    log(app)
        .into_iter()
        .filter(|(l, _, _)| l == login)
        .map(|(_, a, _)| a)
        .collect()
}

fn set(app: &TestApp, id: i32, column: &str, value: &str) {
    with_conn(app, |c| {
        let q = diesel::update(u::table.find(id));
        match column {
            "valid_until" => q.set(u::valid_until.eq(value)).execute(c),
            "created_at" => q.set(u::created_at.eq(value)).execute(c),
            "last_login_at" => q.set(u::last_login_at.eq(value)).execute(c),
            other => panic!("{other}"),
        }
        .expect("update")
    });
}

fn days_ago(n: i64) -> String {
    tenken::auth::stamp(chrono::Utc::now() - chrono::Duration::days(n))
}

#[tokio::test]
async fn a_disabled_account_cannot_log_in_and_its_sessions_end_at_once() {
    let app = spawn_app().await;
    let admin_id = add_user(&app, "admin1", "MIC", Role::Admin);
    let id = add_user(&app, "sapporo1", "011002", Role::Municipality);
    let mut admin = Browser::new(&app);
    admin.login("admin1").await;
    let mut staff = Browser::new(&app);
    staff.login("sapporo1").await;
    assert_eq!(staff.get("/home").await.status, 200);

    // A reason is required; その他 needs a note.
    let r = admin.post(&format!("/admin/users/{id}/disable"), &[]).await;
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("無効にする理由を選んでください"),
        "{}",
        r.body
    );
    let r = admin
        .post(
            &format!("/admin/users/{id}/disable"),
            &pairs(&[("reason", "other")]),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("補足を書いてください"));
    assert_eq!(state_of(&app, id).0, None);
    assert_eq!(staff.get("/home").await.status, 200, "still in");

    let r = admin
        .post(
            &format!("/admin/users/{id}/disable"),
            &pairs(&[("reason", "retired"), ("note", "2026年11月末")]),
        )
        .await;
    assert_eq!(
        (r.status, r.location.clone()),
        (303, format!("/admin/users/{id}?done=disabled"))
    );
    let (at, reason, _) = state_of(&app, id);
    assert!(at.is_some());
    assert_eq!(reason, "退職：2026年11月末");
    // The open session is gone at once.
    let home = staff.get("/home").await;
    assert_eq!(
        (home.status, home.location.as_str()),
        (303, "/login?next=/home")
    );
    // And the right password no longer logs in.
    let r = staff.login_with("sapporo1", PASSWORD).await;
    assert_eq!(r.status, 401);
    assert_eq!(staff.get("/home").await.status, 303);
    let page = admin.get(&format!("/admin/users/{id}")).await;
    assert!(
        page.body.contains("無効（退職：2026年11月末）"),
        "{}",
        page.body
    );
    let list = admin.get("/admin/users").await;
    assert!(list.body.contains("無効（退職：2026年11月末）"));
    // Disabling twice is a conflict; nobody disables their own account.
    let r = admin
        .post(
            &format!("/admin/users/{id}/disable"),
            &pairs(&[("reason", "retired")]),
        )
        .await;
    assert_eq!(r.status, 409);
    let r = admin
        .post(
            &format!("/admin/users/{admin_id}/disable"),
            &pairs(&[("reason", "retired")]),
        )
        .await;
    assert_eq!(r.status, 403);

    // Enabled again, with an end date in the future.
    let r = admin
        .post(
            &format!("/admin/users/{id}/enable"),
            &pairs(&[("valid_until", "2099-03-31")]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        state_of(&app, id),
        (None, String::new(), Some("2099-03-31".into()))
    );
    staff.login("sapporo1").await;
    assert_eq!(staff.get("/home").await.status, 200);

    let admin_log: Vec<(String, String)> = log(&app)
        .into_iter()
        .filter(|(l, a, _)| l == "admin1" && a.starts_with("user_"))
        .map(|(l, a, _)| (l, a))
        .collect();
    assert_eq!(
        admin_log,
        [
            ("admin1".to_string(), "user_disable".to_string()),
            ("admin1".to_string(), "user_enable".to_string())
        ]
    );
    assert_eq!(
        actions_about(&app, "sapporo1"),
        ["login", "login_disabled", "login"]
    );
}

#[tokio::test]
async fn an_account_past_its_end_date_is_disabled_at_login_and_in_its_session() {
    let app = spawn_app().await;
    add_user(&app, "admin1", "MIC", Role::Admin);
    let a = add_user(&app, "sapporo1", "011002", Role::Municipality);
    let b = add_user(&app, "hakodate1", "012025", Role::Municipality);
    let mut admin = Browser::new(&app);
    admin.login("admin1").await;

    // An end date already past is refused; a later one is stored.
    let r = admin
        .post(
            &format!("/admin/users/{a}/valid-until"),
            &pairs(&[("valid_until", "2020-03-31")]),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("既に過ぎています"), "{}", r.body);
    let r = admin
        .post(
            &format!("/admin/users/{a}/valid-until"),
            &pairs(&[("valid_until", "3月31日")]),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("利用期限「3月31日」は日付として読めません"));
    let r = admin
        .post(
            &format!("/admin/users/{a}/valid-until"),
            &pairs(&[("valid_until", "2099-12-31")]),
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(state_of(&app, a).2.as_deref(), Some("2099-12-31"));

    // A signed-in account whose end date passes is out at its next request.
    let mut staff = Browser::new(&app);
    staff.login("sapporo1").await;
    assert_eq!(staff.get("/home").await.status, 200);
    set(&app, a, "valid_until", "2026-01-31");
    assert_eq!(staff.get("/home").await.status, 303);
    let (at, reason, _) = state_of(&app, a);
    assert!(at.is_some(), "marked disabled");
    assert_eq!(reason, "利用期限（2026-01-31）の経過");
    assert_eq!(actions_about(&app, "sapporo1"), ["login", "user_expired"]);

    // One past its end date is refused at login (and marked disabled).
    set(&app, b, "valid_until", "2026-01-31");
    let r = Browser::new(&app).login_with("hakodate1", PASSWORD).await;
    assert_eq!(r.status, 401);
    assert!(state_of(&app, b).0.is_some());
    assert_eq!(
        actions_about(&app, "hakodate1"),
        ["user_expired", "login_disabled"]
    );
    // Today's end date still lets in (it lasts to the end of the day, Japan time).
    let c = add_user(&app, "aomori1", "022012", Role::Municipality);
    let today = (chrono::Utc::now() + chrono::Duration::hours(9))
        .format("%Y-%m-%d")
        .to_string();
    set(&app, c, "valid_until", &today);
    Browser::new(&app).login("aomori1").await;
}

#[tokio::test]
async fn unused_accounts_are_listed_for_review_and_disabled_with_one_click() {
    let app = spawn_app().await;
    add_user(&app, "admin1", "MIC", Role::Admin);
    let old1 = add_user(&app, "never-used", "011002", Role::Municipality);
    let old2 = add_user(&app, "long-ago", "012025", Role::Municipality);
    let fresh = add_user(&app, "recent", "022012", Role::Municipality);
    let gone = add_user(&app, "already-off", "010006", Role::Prefecture);
    set(&app, old1, "created_at", &days_ago(100));
    set(&app, old2, "created_at", &days_ago(400));
    set(&app, old2, "last_login_at", &days_ago(91));
    set(&app, fresh, "created_at", &days_ago(400));
    set(&app, fresh, "last_login_at", &days_ago(89));
    set(&app, gone, "created_at", &days_ago(400));
    let (ok, out) = tenken(
        &app.database_url,
        &[
            "user",
            "disable",
            "--login",
            "already-off",
            "--reason",
            "異動",
        ],
    );
    assert!(ok, "{out}");

    let mut admin = Browser::new(&app);
    admin.login("admin1").await;
    let page = admin.get("/admin/users/review").await;
    assert_eq!(page.status, 200);
    let listed: Vec<&str> = page
        .body
        .split("data-login=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    assert_eq!(listed, ["long-ago", "never-used"], "{}", page.body);
    assert!(page.body.contains("91日") && page.body.contains("100日"));

    // The one-click form of the row: its fields as the page gives them.
    let row = page
        .body
        .split("data-login=\"never-used\"")
        .nth(1)
        .expect("row");
    let action = format!("/admin/users/{old1}/disable");
    assert!(row.contains(&format!("action=\"{action}\"")));
    let reason = input_value(row, "reason").expect("reason field");
    let from = input_value(row, "from").expect("from field");
    let r = admin
        .post(&action, &pairs(&[("reason", &reason), ("from", &from)]))
        .await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/admin/users/review?done=disabled")
    );
    assert_eq!(state_of(&app, old1).1, "長期間未使用");
    let page = admin.get("/admin/users/review?done=disabled").await;
    assert!(!page.body.contains("data-login=\"never-used\""));
    assert!(page.body.contains("data-login=\"long-ago\""));
    assert!(page.body.contains("アカウントを無効にしました"));
}

#[tokio::test]
async fn the_command_line_disables_and_enables_an_account() {
    let app = spawn_app().await;
    let id = add_user(&app, "sapporo1", "011002", Role::Municipality);
    let mut staff = Browser::new(&app);
    staff.login("sapporo1").await;
    let (ok, out) = tenken(
        &app.database_url,
        &["user", "disable", "--login", "sapporo1", "--reason", "退職"],
    );
    assert!(ok, "{out}");
    assert_eq!(state_of(&app, id).1, "退職");
    assert_eq!(staff.get("/home").await.status, 303, "session ended");
    assert_eq!(
        Browser::new(&app)
            .login_with("sapporo1", PASSWORD)
            .await
            .status,
        401
    );
    let (ok, out) = tenken(
        &app.database_url,
        &[
            "user",
            "enable",
            "--login",
            "sapporo1",
            "--valid-until",
            "2001-01-01",
        ],
    );
    assert!(!ok && out.contains("既に過ぎています"), "{out}");
    let (ok, out) = tenken(
        &app.database_url,
        &["user", "enable", "--login", "sapporo1"],
    );
    assert!(ok, "{out}");
    staff.login("sapporo1").await;
    let (ok, out) = tenken(
        &app.database_url,
        &["user", "disable", "--login", "nobody", "--reason", "退職"],
    );
    assert!(
        !ok && out.contains("ログインID「nobody」のアカウントはありません"),
        "{out}"
    );
    let cli: Vec<String> = log(&app)
        .into_iter()
        .filter(|(l, _, _)| l == "tenken-cli")
        .map(|(_, a, _)| a)
        .collect();
    assert_eq!(cli, ["user_disable", "user_enable"]);
}
