//! Login ids unique without regard to case, the last five passwords
//! refused, ministry accounts changed only by the ministry's administrators.

use super::*;

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
