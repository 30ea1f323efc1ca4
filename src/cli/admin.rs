//! The operator's commands: `migrate`, `notify`, `backup`, `restore`,
//! `oplog verify`, `roster import`.

use std::path::Path;

use crate::checklists;
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::{bootstrap, db, roster, store};

/// Creates or updates the tables and loads the reference data.
pub(super) fn migrate(settings: &Settings) -> AppResult<()> {
    let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
    bootstrap::prepare_as_owner(settings, &catalog)?;
    let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
    for (kind, n) in store::organisations::count_by_kind(&mut conn)? {
        println!("{kind}: {n}");
    }
    println!("migrated");
    Ok(())
}

/// The daily notices of `date` (default today), mailed when mail is set up.
pub(super) fn notify(settings: &Settings, date: Option<chrono::NaiveDate>) -> AppResult<()> {
    let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
    db::run_migrations(&mut conn)?;
    let today = date.unwrap_or_else(|| chrono::Local::now().date_naive());
    let made = store::notices::daily(&mut conn, today)?;
    println!("お知らせ {made} 件を作成しました（{today}）");
    if let Some(mail) = &settings.mail {
        let sent = crate::mail::send_pending(&mut conn, mail)?;
        println!("お知らせのメール {sent} 通を送信しました");
    }
    Ok(())
}

pub(super) fn backup(settings: &Settings, out: &Path) -> AppResult<()> {
    crate::backup::backup(&settings.database_url, out)?;
    println!("backup: {}", out.display());
    Ok(())
}

pub(super) fn restore(settings: &Settings, file: &Path, force: bool) -> AppResult<()> {
    // A restore recreates the tables: the owner's work.
    let owner = settings
        .migrate_database_url
        .as_deref()
        .unwrap_or(&settings.database_url);
    let chain = crate::backup::restore(owner, file, force)?;
    println!("restored from {}", file.display());
    if chain.is_intact() {
        println!("{}", chain.describe());
        Ok(())
    } else {
        Err(AppError::Conflict(format!(
            "リストアしましたが、{}",
            chain.describe()
        )))
    }
}

/// Walks the operation log's hash chain; an error when it is broken.
pub(super) fn oplog_verify(settings: &Settings) -> AppResult<()> {
    let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
    db::run_migrations(&mut conn)?;
    let chain = store::chain::verify(&mut conn)?;
    if chain.is_intact() {
        println!("{}", chain.describe());
        Ok(())
    } else {
        Err(AppError::Conflict(chain.describe()))
    }
}

pub(super) fn roster_import(settings: &Settings, file: &Path) -> AppResult<()> {
    let text =
        std::fs::read_to_string(file).map_err(|e| AppError::io(file.display().to_string(), e))?;
    let entries = roster::parse(&file.display().to_string(), &text).map_err(AppError::Invalid)?;
    let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
    let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
    bootstrap::prepare(&mut conn, &catalog)?;
    let s = store::organisations::import_roster(&mut conn, &entries)?;
    println!(
        "roster: {} added, {} renamed, {} unchanged",
        s.added, s.renamed, s.unchanged
    );
    Ok(())
}
