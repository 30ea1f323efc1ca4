//! The operation log cannot be changed: not by REPLACE INTO, not by the
//! application role on PostgreSQL.

use super::*;

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
