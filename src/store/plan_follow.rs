//! Plans followed across years: last year's items scored 1 or 2 with last
//! year's plan and this year's answer, and this year's plans with their
//! target dates, for many organisations at once (the status lists). The
//! answers are the `answers` table's, as the 改善計画書 workbook reads them.

use diesel::prelude::*;

use crate::db::schema::{answers as a, improvement_plans as ip, submissions as s};
use crate::db::{DbConnection, BATCH_ROWS};
use crate::domain::FiscalYear;
use crate::error::AppResult;

diesel::alias!(crate::db::schema::answers as now_answers: NowAnswers);

/// One item an organisation scored 1 or 2 in the previous fiscal year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarriedItem {
    pub org_id: i32,
    pub item_code: String,
    /// Last year's score, 1 or 2.
    pub previous: i32,
    /// This year's answer, if any (0–3).
    pub now: Option<i32>,
    /// Last year's plan's 目標期日 as typed ("" without a plan).
    pub target_date: String,
}

/// The items of `org_ids` scored 1 or 2 in the year before `fy`, with the
/// answer of `fy` and last year's target date.
pub fn carried_items(
    conn: &mut DbConnection,
    org_ids: &[i32],
    fy: FiscalYear,
) -> AppResult<Vec<CarriedItem>> {
    let Some(prev) = fy.previous() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for chunk in org_ids.chunks(BATCH_ROWS) {
        let rows: Vec<(i32, String, i32, Option<i32>)> = a::table
            .left_join(
                now_answers.on(now_answers
                    .field(a::organisation_id)
                    .eq(a::organisation_id)
                    .and(now_answers.field(a::item_code).eq(a::item_code))
                    .and(now_answers.field(a::fiscal_year).eq(fy.year()))),
            )
            .filter(a::fiscal_year.eq(prev.year()))
            .filter(a::organisation_id.eq_any(chunk))
            .filter(a::score.eq_any([1, 2]))
            .select((
                a::organisation_id,
                a::item_code,
                a::score,
                now_answers.field(a::score).nullable(),
            ))
            .load(conn)?;
        if rows.is_empty() {
            continue;
        }
        let targets: std::collections::HashMap<(i32, String), String> = ip::table
            .inner_join(s::table)
            .filter(s::fiscal_year.eq(prev.year()))
            .filter(s::organisation_id.eq_any(chunk))
            .select((s::organisation_id, ip::item_code, ip::target_date))
            .load::<(i32, String, String)>(conn)?
            .into_iter()
            .map(|(org, code, target)| ((org, code), target))
            .collect();
        out.extend(rows.into_iter().map(|(org_id, item_code, previous, now)| {
            let target_date = targets
                .get(&(org_id, item_code.clone()))
                .cloned()
                .unwrap_or_default();
            CarriedItem {
                org_id,
                item_code,
                previous,
                now,
                target_date,
            }
        }));
    }
    Ok(out)
}

/// This year's plans of submitted or accepted sheets (提出済・確認済) of
/// `org_ids`: organisation, 目標期日 as typed and progress.
pub fn submitted_plans(
    conn: &mut DbConnection,
    org_ids: &[i32],
    fy: FiscalYear,
) -> AppResult<Vec<(i32, String, String)>> {
    let mut out = Vec::new();
    for chunk in org_ids.chunks(BATCH_ROWS) {
        out.extend(
            ip::table
                .inner_join(s::table)
                .filter(s::fiscal_year.eq(fy.year()))
                .filter(s::organisation_id.eq_any(chunk))
                .filter(s::status.eq_any(["submitted", "accepted"]))
                .select((s::organisation_id, ip::target_date, ip::progress))
                .load::<(i32, String, String)>(conn)?,
        );
    }
    Ok(out)
}
