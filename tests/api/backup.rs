//! Backup and restore through the real binary, on SQLite and (with
//! TEST_DATABASE_URL) PostgreSQL: an answer changed after the backup comes
//! back as it was, and both steps are in the operation log.

use std::process::Command;

use diesel::prelude::*;
use tenken::db::schema::{answers as a, operation_log as l};
use tenken::db::{self, DatabaseUrl};

use crate::helpers::{spawn_app, with_conn};

pub fn tenken(url: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tenken"))
        .arg("--database-url")
        .arg(url)
        .envs(crate::helpers::owner_env(url))
        .args(args)
        .output()
        .expect("run tenken");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn score_of_18_1(url: &str) -> Vec<i32> {
    let mut conn = db::establish(&DatabaseUrl::parse(url).expect("url")).expect("connect");
    a::table
        .filter(a::item_code.eq("18-1"))
        .select(a::score)
        .load(&mut conn)
        .expect("scores")
}

#[tokio::test]
async fn a_backup_brings_back_what_was_changed_after_it() {
    let app = spawn_app().await;
    crate::database::insert_first_answer(&app);
    assert_eq!(score_of_18_1(&app.database_url), vec![3]);
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("tenken.backup");
    let file_s = file.to_str().expect("utf8");

    let (ok, out) = tenken(&app.database_url, &["backup", "--out", file_s]);
    assert!(ok, "{out}");
    assert!(std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) > 10_000);
    // A second backup to the same file is refused: nothing is overwritten.
    let (ok, out) = tenken(&app.database_url, &["backup", "--out", file_s]);
    assert!(!ok && out.contains("既にあります"), "{out}");

    with_conn(&app, |c| {
        diesel::update(a::table.filter(a::item_code.eq("18-1")))
            .set(a::score.eq(1))
            .execute(c)
    })
    .expect("change");
    assert_eq!(score_of_18_1(&app.database_url), vec![1]);

    let (ok, out) = tenken(&app.database_url, &["restore", file_s]);
    assert!(!ok && out.contains("--force"), "without --force: {out}");
    assert_eq!(score_of_18_1(&app.database_url), vec![1]);

    let (ok, out) = tenken(&app.database_url, &["restore", file_s, "--force"]);
    assert!(ok, "{out}");
    assert_eq!(score_of_18_1(&app.database_url), vec![3]);
    // The chain came back with the table and is checked after the restore.
    assert!(
        out.contains("操作履歴の連鎖は全") && out.contains("件一致しています"),
        "{out}"
    );

    let mut conn =
        db::establish(&DatabaseUrl::parse(&app.database_url).expect("url")).expect("connect");
    let actions: Vec<String> = l::table
        .filter(l::action.eq_any(["backup", "restore"]))
        .order(l::id)
        .select(l::action)
        .load(&mut conn)
        .expect("log");
    // The backup's own entry is inside the backup (it is written first); the
    // refused second attempt wrote nothing; the restore is logged after it.
    assert_eq!(actions, vec!["backup", "restore"]);
}

#[tokio::test]
async fn a_file_that_is_no_tenken_backup_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all, just text").expect("write");
    let url = format!("sqlite://{}", dir.path().join("target.db").display());
    let (ok, out) = tenken(&url, &["restore", junk.to_str().expect("utf8"), "--force"]);
    assert!(!ok);
    assert!(
        out.contains("tenken のデータベースのバックアップではありません"),
        "{out}"
    );
    let (ok, out) = tenken(&url, &["restore", "/nonexistent/backup", "--force"]);
    assert!(!ok && out.contains("がありません"), "{out}");
}
