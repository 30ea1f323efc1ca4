//! The few reads `tenken bench load` needs beyond the other store modules:
//! the municipalities in code order and whether a year holds answers.

use diesel::prelude::*;

use crate::db::schema::{answers as a, organisations as o};
use crate::db::DbConnection;
use crate::domain::FiscalYear;
use crate::error::AppResult;
use crate::store::organisations::Organisation;

/// Every municipality, in code order.
pub fn municipalities(conn: &mut DbConnection) -> AppResult<Vec<Organisation>> {
    Ok(o::table
        .filter(o::kind.eq("municipality"))
        .order(o::code)
        .select(Organisation::as_select())
        .load(conn)?)
}

/// Whether any answer of `fy` is stored.
pub fn year_has_answers(conn: &mut DbConnection, fy: FiscalYear) -> AppResult<bool> {
    let first: Option<i32> = a::table
        .filter(a::fiscal_year.eq(fy.year()))
        .select(a::id)
        .first(conn)
        .optional()?;
    Ok(first.is_some())
}
