//! Answers of organisations: one score (0–3) and a comment per organisation,
//! fiscal year and sub-item.

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::answers as a;
use crate::db::{now, DbConnection};
use crate::domain::{FiscalYear, Score};
use crate::error::AppResult;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = a)]
pub struct Answer {
    pub id: i32,
    pub organisation_id: i32,
    pub fiscal_year: i32,
    pub item_code: String,
    pub item_id: i32,
    pub score: i32,
    pub comment: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = a)]
pub struct NewAnswer {
    pub organisation_id: i32,
    pub fiscal_year: i32,
    pub item_code: String,
    pub item_id: i32,
    pub score: i32,
    pub comment: String,
    pub updated_at: String,
}

impl NewAnswer {
    pub fn new(
        organisation_id: i32,
        fy: FiscalYear,
        item_code: &str,
        item_id: i32,
        score: Score,
        comment: &str,
    ) -> Self {
        Self {
            organisation_id,
            fiscal_year: fy.year(),
            item_code: item_code.to_string(),
            item_id,
            score: i32::from(score.value()),
            comment: comment.to_string(),
            updated_at: now(),
        }
    }
}

/// Inserts one answer; the database refuses a second answer for the same
/// organisation, year and item, and a score outside 0–3.
pub fn insert(conn: &mut DbConnection, answer: &NewAnswer) -> AppResult<()> {
    diesel::insert_into(a::table).values(answer).execute(conn)?;
    Ok(())
}

pub fn of_org_year(
    conn: &mut DbConnection,
    organisation_id: i32,
    fy: FiscalYear,
) -> AppResult<Vec<Answer>> {
    Ok(a::table
        .filter(a::organisation_id.eq(organisation_id))
        .filter(a::fiscal_year.eq(fy.year()))
        .select(Answer::as_select())
        .load(conn)?)
}
