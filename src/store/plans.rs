//! Reads of improvement plans (改善計画書) across organisations: what the
//! plans workbook of a scope needs, and whether a sheet has a plan for an
//! item.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::schema::{
    answers as a, improvement_plans as ip, review_advice as ra, submissions as s,
};
use crate::db::DbConnection;
use crate::domain::FiscalYear;
use crate::error::AppResult;
use crate::store::answers;
use crate::store::submissions::Plan;

/// A key of the maps below: (organisation id, item code).
pub type OrgItem = (i32, String);

/// What the plans workbook needs of some organisations for one year.
#[derive(Debug, Default)]
pub struct PlanSources {
    /// The year's scores 1–3 by organisation and item.
    pub scores: HashMap<i32, HashMap<String, i32>>,
    /// Last year's scores (0–3).
    pub previous: HashMap<OrgItem, i32>,
    /// The target dates of last year's plans.
    pub previous_targets: HashMap<OrgItem, String>,
    /// The year's plans.
    pub plans: HashMap<OrgItem, Plan>,
    /// The reviewer's advice of the year.
    pub advice: HashMap<OrgItem, String>,
}

/// Reads [`PlanSources`] of the organisations `ids` (one batch: at most
/// `BATCH_ROWS` ids) for `fy`.
pub fn sources(conn: &mut DbConnection, fy: FiscalYear, ids: &[i32]) -> AppResult<PlanSources> {
    let mut scores: HashMap<i32, HashMap<String, i32>> = HashMap::new();
    for (org, code, score) in answers::scores_of_orgs(conn, fy, ids, true)? {
        scores.entry(org).or_default().insert(code, score);
    }
    let prev_year = fy.previous().map_or(fy.year() - 1, |p| p.year());
    let previous = a::table
        .filter(a::fiscal_year.eq(prev_year))
        .filter(a::organisation_id.eq_any(ids))
        .select((a::organisation_id, a::item_code, a::score))
        .load::<(i32, String, i32)>(conn)?
        .into_iter()
        .map(|(org, code, score)| ((org, code), score))
        .collect();
    let plans_of = |conn: &mut DbConnection, year: i32| -> AppResult<Vec<(i32, Plan)>> {
        Ok(ip::table
            .inner_join(s::table)
            .filter(s::fiscal_year.eq(year))
            .filter(s::organisation_id.eq_any(ids))
            .select((s::organisation_id, Plan::as_select()))
            .load::<(i32, Plan)>(conn)?)
    };
    let previous_targets = plans_of(conn, prev_year)?
        .into_iter()
        .map(|(org, p)| ((org, p.item_code.clone()), p.target_date))
        .collect();
    let plans = plans_of(conn, fy.year())?
        .into_iter()
        .map(|(org, p)| ((org, p.item_code.clone()), p))
        .collect();
    let advice = ra::table
        .inner_join(s::table)
        .filter(s::fiscal_year.eq(fy.year()))
        .filter(s::organisation_id.eq_any(ids))
        .select((s::organisation_id, ra::item_code, ra::advice))
        .load::<(i32, String, String)>(conn)?
        .into_iter()
        .map(|(org, code, text)| ((org, code), text))
        .collect();
    Ok(PlanSources {
        scores,
        previous,
        previous_targets,
        plans,
        advice,
    })
}

/// Whether the sheet `submission_id` has a plan for `item_code`.
pub fn has_plan(conn: &mut DbConnection, submission_id: i32, item_code: &str) -> AppResult<bool> {
    let n: i64 = ip::table
        .filter(ip::submission_id.eq(submission_id))
        .filter(ip::item_code.eq(item_code))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}
