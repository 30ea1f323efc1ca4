//! Backup and restore (checklist items 30-1, 30-2: バックアップを定期的に
//! 行っている / バックアップ媒体を適切に保管している).
//!
//! - SQLite: `VACUUM INTO` writes a consistent copy while the application
//!   runs. A restore checks that the file is a tenken database this binary
//!   can migrate, keeps the current file beside it, puts the backup in its
//!   place and migrates it. Stop the application before restoring.
//! - PostgreSQL: the standard tools, `pg_dump --format=custom` and
//!   `pg_restore --clean`, called with the same URL; they must be on PATH
//!   (Debian: postgresql-client).
//!
//! Both are written to the operation log.

use std::path::{Path, PathBuf};
use std::process::Command;

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::auth::Actor;
use crate::db::{self, DatabaseUrl};
use crate::error::{AppError, AppResult};
use crate::store::oplog;

/// Writes a backup of the database at `url` to `out`, which must not exist.
pub fn backup(url: &str, out: &Path) -> AppResult<()> {
    if out.exists() {
        return Err(AppError::BadRequest(format!(
            "{} は既にあります。上書きしないので、別のファイル名を指定してください",
            out.display()
        )));
    }
    let parsed = DatabaseUrl::parse(url)?;
    let mut conn = db::establish(&parsed)?;
    // Logged first, so that the backup holds its own entry.
    oplog::record(
        &mut conn,
        &Actor::cli(),
        "backup",
        "",
        None,
        &out.display().to_string(),
    )?;
    match &parsed {
        DatabaseUrl::Sqlite(_) => {
            let target = out.to_str().ok_or_else(|| {
                AppError::BadRequest(format!("{} はUTF-8のパスではありません", out.display()))
            })?;
            diesel::sql_query("VACUUM INTO ?")
                .bind::<Text, _>(target)
                .execute(&mut conn)?;
        }
        DatabaseUrl::Postgres(u) => run_tool(
            Command::new("pg_dump")
                .args(["--format=custom", "--no-owner", "--file"])
                .arg(out)
                .arg(u),
            "pg_dump",
        )?,
    }
    Ok(())
}

/// Restores `file` into the database at `url`. SQLite: the current file is
/// kept as `PATH.before-restore-TIMESTAMP`; without `force` an existing
/// database is not replaced. Returns the state of the restored operation
/// log's hash chain (the restore's own entry included).
pub fn restore(url: &str, file: &Path, force: bool) -> AppResult<crate::store::chain::ChainState> {
    if !file.is_file() {
        return Err(AppError::BadRequest(format!(
            "バックアップファイル {} がありません",
            file.display()
        )));
    }
    let parsed = DatabaseUrl::parse(url)?;
    match &parsed {
        DatabaseUrl::Sqlite(path) => restore_sqlite(Path::new(path), file, force)?,
        DatabaseUrl::Postgres(u) => {
            if !force {
                return Err(AppError::BadRequest(
                    "PostgreSQL へのリストアは今のデータを置き換えます。よければ --force を付けてください"
                        .into(),
                ));
            }
            run_tool(
                Command::new("pg_restore")
                    .args([
                        "--clean",
                        "--if-exists",
                        "--no-owner",
                        "--single-transaction",
                        "--dbname",
                    ])
                    .arg(u)
                    .arg(file),
                "pg_restore",
            )?;
        }
    }
    let mut conn = db::establish(&parsed)?;
    db::run_migrations(&mut conn)?;
    oplog::record(
        &mut conn,
        &Actor::cli(),
        "restore",
        "",
        None,
        &file.display().to_string(),
    )?;
    crate::store::chain::verify(&mut conn)
}

fn restore_sqlite(target: &Path, file: &Path, force: bool) -> AppResult<()> {
    check_sqlite_backup(file)?;
    if target.exists() {
        if !force {
            return Err(AppError::BadRequest(format!(
                "{} には既にデータベースがあります。置き換えるときは --force を付けてください（今のファイルは残します）",
                target.display()
            )));
        }
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let kept = PathBuf::from(format!("{}.before-restore-{stamp}", target.display()));
        // Fold the write-ahead log into the file before moving it aside.
        {
            let mut conn = db::establish(&DatabaseUrl::Sqlite(target.display().to_string()))?;
            diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn)?;
        }
        std::fs::rename(target, &kept)
            .map_err(|e| AppError::io(target.display().to_string(), e))?;
        for ext in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{ext}", target.display()));
            if side.exists() {
                std::fs::remove_file(&side)
                    .map_err(|e| AppError::io(side.display().to_string(), e))?;
            }
        }
    }
    std::fs::copy(file, target).map_err(|e| AppError::io(target.display().to_string(), e))?;
    Ok(())
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Text)]
    version: String,
}

/// A SQLite backup must be a tenken database whose migrations this binary
/// knows (an older one is migrated after the restore; a newer one is refused).
fn check_sqlite_backup(file: &Path) -> AppResult<()> {
    let not_ours = || {
        AppError::BadRequest(format!(
            "{} は tenken のデータベースのバックアップではありません",
            file.display()
        ))
    };
    let mut head = [0u8; 16];
    use std::io::Read;
    std::fs::File::open(file)
        .and_then(|mut f| f.read_exact(&mut head))
        .map_err(|_| not_ours())?;
    if &head != b"SQLite format 3\0" {
        return Err(not_ours());
    }
    let mut conn = diesel::SqliteConnection::establish(&file.display().to_string())?;
    let versions: Vec<Version> =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
            .load(&mut conn)
            .map_err(|_| not_ours())?;
    let known = db::migration_versions()?;
    if let Some(v) = versions.iter().find(|v| !known.contains(&v.version)) {
        return Err(AppError::BadRequest(format!(
            "{} はこのバージョンの tenken より新しいデータベースです（移行 {}）。新しい tenken でリストアしてください",
            file.display(),
            v.version
        )));
    }
    Ok(())
}

fn run_tool(cmd: &mut Command, name: &str) -> AppResult<()> {
    let out = cmd.output().map_err(|e| {
        AppError::internal(format!(
            "{name} を実行できません（PostgreSQL のクライアントツールを入れてください: apt-get install postgresql-client）: {e}"
        ))
    })?;
    if !out.status.success() {
        return Err(AppError::internal(format!(
            "{name} が失敗しました: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}
