//! Generation counters that tell every instance when its cached statistics
//! are out of date (table `stats_generations`).
//!
//! Each write of answers bumps the counter of its fiscal year inside the
//! writer's transaction (`store::answers` does it; nothing else writes
//! answers), and roster changes bump row [`ROSTER`]. A reader compares the
//! counters it computed a table at with the current ones: one small SELECT.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::schema::stats_generations as g;
use crate::db::DbConnection;
use crate::error::AppResult;

/// The row bumped when organisations are added or renamed.
pub const ROSTER: i32 = 0;

/// Adds one to the counter of `fiscal_year` (or [`ROSTER`]), creating it at 1.
/// Run it inside the transaction of the write it accompanies.
pub fn bump(conn: &mut DbConnection, fiscal_year: i32) -> AppResult<()> {
    if increment(conn, fiscal_year)? > 0 {
        return Ok(());
    }
    // First write of the year. Another transaction may create the row at the
    // same moment: the savepoint keeps a unique violation from spoiling the
    // caller's transaction, and the row then exists to be incremented.
    let created = conn.transaction(|c| {
        diesel::insert_into(g::table)
            .values((g::fiscal_year.eq(fiscal_year), g::generation.eq(1_i64)))
            .execute(c)
    });
    match created {
        Ok(_) => Ok(()),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            increment(conn, fiscal_year)?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

fn increment(conn: &mut DbConnection, fiscal_year: i32) -> AppResult<usize> {
    Ok(diesel::update(g::table.find(fiscal_year))
        .set(g::generation.eq(g::generation + 1_i64))
        .execute(conn)?)
}

/// The counters of [`ROSTER`] and of every fiscal year up to `fiscal_year`,
/// in order; a year never written has no row (generation 0).
pub fn up_to(conn: &mut DbConnection, fiscal_year: i32) -> AppResult<Vec<(i32, i64)>> {
    Ok(g::table
        .filter(g::fiscal_year.le(fiscal_year))
        .order(g::fiscal_year)
        .select((g::fiscal_year, g::generation))
        .load(conn)?)
}
