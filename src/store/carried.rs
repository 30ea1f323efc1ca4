//! Answers carried over from the previous fiscal year into a new sheet
//! (「前年度の回答から始める」): last year's score and comment per item, and
//! when the clerk confirmed or changed it (`None`: 未確認).

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::schema::carried_items as c;
use crate::db::{now, DbConnection};
use crate::error::AppResult;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = c)]
pub struct Carried {
    pub item_code: String,
    pub score: i32,
    pub comment: String,
    pub confirmed_at: Option<String>,
}

impl Carried {
    pub fn is_confirmed(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

/// Records the carried items of a new sheet, all 未確認 (one INSERT per
/// item: at most the 126 items of one sheet).
pub fn insert(
    conn: &mut DbConnection,
    submission_id: i32,
    items: &[(String, i32, String)],
) -> AppResult<()> {
    for (code, score, comment) in items {
        diesel::insert_into(c::table)
            .values((
                c::submission_id.eq(submission_id),
                c::item_code.eq(code),
                c::score.eq(score),
                c::comment.eq(comment),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The carried items of a sheet by item code (empty for a sheet started
/// empty).
pub fn of_submission(
    conn: &mut DbConnection,
    submission_id: i32,
) -> AppResult<HashMap<String, Carried>> {
    Ok(c::table
        .filter(c::submission_id.eq(submission_id))
        .select(Carried::as_select())
        .load::<Carried>(conn)?
        .into_iter()
        .map(|r| (r.item_code.clone(), r))
        .collect())
}

/// Marks these carried items confirmed (those not yet). Returns how many.
pub fn confirm(conn: &mut DbConnection, submission_id: i32, codes: &[String]) -> AppResult<usize> {
    if codes.is_empty() {
        return Ok(0);
    }
    Ok(diesel::update(
        c::table
            .filter(c::submission_id.eq(submission_id))
            .filter(c::item_code.eq_any(codes))
            .filter(c::confirmed_at.is_null()),
    )
    .set(c::confirmed_at.eq(now()))
    .execute(conn)?)
}
