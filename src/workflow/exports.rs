//! Downloads below the handlers: each file is built (or, for the tables,
//! handed in built) and its download written to the operation log as
//! `export`.

use crate::auth::{can_read_org, require, Actor, CurrentUser};
use crate::checklists::Catalog;
use crate::db::DbConnection;
use crate::domain::FiscalYear;
use crate::error::AppResult;
use crate::excel::form_export::{file_name, write_form};
use crate::excel::plans_export::{build_plans, fetch, file_names, scope_orgs};
use crate::stats::scope::Scope;
use crate::store::oplog;
use crate::store::organisations::{self, Organisation};

/// The 調査票 workbook of `code` for `fy`, with its answers, 重要機能室
/// answer and plans on file, for `user` (who must be allowed to read the
/// organisation); with the organisation.
pub fn form_workbook(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    code: &str,
    fy: FiscalYear,
) -> AppResult<(Vec<u8>, Organisation)> {
    let org = organisations::get(conn, code)?;
    require(can_read_org(user, &org))?;
    let bytes = write_form(conn, catalog, &org.code, fy)?;
    oplog::record(
        conn,
        &user.actor(),
        "export",
        &org.code,
        Some(fy.year()),
        &format!("調査票のブック {}", file_name(&org.code, fy)),
    )?;
    Ok((bytes, org))
}

/// The 改善計画書 workbook of `scope` for `fy`, and its file names (UTF-8,
/// ASCII). For `org:CODE` the user must be allowed to read the organisation;
/// the other scopes are checked by the caller.
pub fn plans_workbook(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    scope: &Scope,
    fy: FiscalYear,
) -> AppResult<(Vec<u8>, (String, String))> {
    if let Scope::Organisation(code) = scope {
        let org = organisations::get(conn, code.as_str())?;
        require(can_read_org(user, &org))?;
    }
    let orgs = scope_orgs(conn, scope)?;
    let names = file_names(scope, &orgs.short_name, fy);
    let target = orgs.target_org.clone();
    let doc = fetch(conn, catalog, orgs, fy)?;
    let bytes = build_plans(&doc)?;
    oplog::record(
        conn,
        &user.actor(),
        "export",
        &target,
        Some(fy.year()),
        &format!("改善計画書 {scope} {} 行", doc.rows.len()),
    )?;
    Ok((bytes, names))
}

/// Logs `actor`'s download of a file made from the table of `scope` and
/// `fy`: `what` (集計表, オープンデータ) and the file's name.
pub fn table_downloaded(
    conn: &mut DbConnection,
    actor: &Actor,
    scope: &Scope,
    fy: i32,
    what: &str,
    file: &str,
) -> AppResult<()> {
    let detail = format!("{what} {} ({file})", scope.key());
    oplog::record(
        conn,
        actor,
        "export",
        &scope.log_target(),
        Some(fy),
        &detail,
    )
}
