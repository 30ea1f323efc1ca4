//! What tells every instance that its cached statistics are out of date.
//!
//! Each write of answers or sheets appends a row to `stats_changes` inside
//! the writer's transaction ([`bump`]): the fiscal year and, when the write
//! concerns one, the organisation (none: the whole year, as a bulk load;
//! year [`ROSTER`]: organisations added or renamed). Readers ask for the
//! highest id — one small SELECT — and read the rows after the last one
//! they applied (`stats::data`). No row is updated by every write, so
//! writers of different organisations never wait on each other.
//!
//! `stats_generations` keeps one row per fiscal year ever written (inserted
//! once, never updated): the list of years with answers.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::schema::{stats_changes as ch, stats_generations as g};
use crate::db::{now, DbConnection};
use crate::error::AppResult;

/// The year of a roster change (organisations added or renamed).
pub const ROSTER: i32 = 0;

/// Records that `fiscal_year` (or [`ROSTER`]) changed, for `organisation`
/// or (with `None`) as a whole. Run it inside the transaction of the write
/// it accompanies.
pub fn bump(conn: &mut DbConnection, fiscal_year: i32, organisation: Option<i32>) -> AppResult<()> {
    diesel::insert_into(ch::table)
        .values((
            ch::fiscal_year.eq(fiscal_year),
            ch::organisation_id.eq(organisation),
            ch::at.eq(now()),
        ))
        .execute(conn)?;
    if fiscal_year != ROSTER {
        register_year(conn, fiscal_year)?;
    }
    Ok(())
}

/// Adds the year to the years written, once.
fn register_year(conn: &mut DbConnection, fiscal_year: i32) -> AppResult<()> {
    let known: Option<i32> = g::table
        .find(fiscal_year)
        .select(g::fiscal_year)
        .first(conn)
        .optional()?;
    if known.is_some() {
        return Ok(());
    }
    // Another transaction may add it at the same moment: the savepoint keeps
    // a unique violation from spoiling the caller's transaction.
    let created = conn.transaction(|c| {
        diesel::insert_into(g::table)
            .values((g::fiscal_year.eq(fiscal_year), g::generation.eq(1_i64)))
            .execute(c)
    });
    match created {
        Ok(_) | Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The highest change id committed so far (0 before any).
pub fn last_id(conn: &mut DbConnection) -> AppResult<i64> {
    let max: Option<i64> = ch::table.select(diesel::dsl::max(ch::id)).first(conn)?;
    Ok(max.unwrap_or(0))
}

/// One recorded change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub id: i64,
    pub fiscal_year: i32,
    pub organisation: Option<i32>,
}

/// The changes with an id above `after`, in id order.
pub fn since(conn: &mut DbConnection, after: i64) -> AppResult<Vec<Change>> {
    Ok(ch::table
        .filter(ch::id.gt(after))
        .order(ch::id)
        .select((ch::id, ch::fiscal_year, ch::organisation_id))
        .load::<(i64, i32, Option<i32>)>(conn)?
        .into_iter()
        .map(|(id, fiscal_year, organisation)| Change {
            id,
            fiscal_year,
            organisation,
        })
        .collect())
}

/// The fiscal years ever written.
pub fn years(conn: &mut DbConnection) -> AppResult<Vec<i32>> {
    Ok(g::table
        .filter(g::fiscal_year.gt(ROSTER))
        .order(g::fiscal_year)
        .select(g::fiscal_year)
        .load(conn)?)
}
