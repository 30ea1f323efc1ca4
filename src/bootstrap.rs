//! What every start does before serving: migrate, bring the checklist tables
//! in step with the data files, and make sure the roster is loaded.

use crate::checklists::{Catalog, Sources, ROSTER};
use crate::config::Settings;
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::roster;
use crate::store;

/// With `Settings::migrate_database_url` (PostgreSQL, two roles): migrates
/// and loads the reference data as the owner, then grants the application
/// role its rights (`db::grant_application_role`). Without it: nothing (the
/// application's own connection is prepared by `prepare`).
pub fn prepare_as_owner(settings: &Settings, catalog: &Catalog) -> AppResult<bool> {
    let Some(owner_url) = settings.migrate_database_url.as_deref() else {
        return Ok(false);
    };
    let mut owner = db::establish(&db::DatabaseUrl::parse(owner_url)?)?;
    prepare(&mut owner, catalog)?;
    db::grant_application_role(&mut owner, &settings.database_url)?;
    Ok(true)
}

pub fn prepare(conn: &mut DbConnection, catalog: &Catalog) -> AppResult<()> {
    db::run_migrations(conn)?;
    store::checklists::sync(conn, catalog)?;
    store::organisations::ensure_fixed(conn)?;
    // The shipped roster seeds an empty database; later changes come from
    // `tenken roster import`, which a restart must not undo.
    let has_roster = store::organisations::count_by_kind(conn)?
        .iter()
        .any(|(kind, n)| kind == "municipality" && *n > 0);
    if has_roster {
        return Ok(());
    }
    let sources = Sources::embedded();
    let entries = roster::parse(&sources.display_path(ROSTER), sources.get(ROSTER))
        .map_err(AppError::Invalid)?;
    store::organisations::import_roster(conn, &entries)?;
    Ok(())
}
