//! Plans followed across years on the status lists: per organisation, last
//! year's plans (items scored 1 or 2 in FY−1) counted by their result
//! (`domain::plan_result`), and this year's plans past their target date.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::db::DbConnection;
use crate::domain::plan_result::{judge, past_target};
use crate::domain::sheet::parse_date;
use crate::domain::{FiscalYear, PlanTally};
use crate::error::AppResult;
use crate::store::plan_follow;

/// What the status pages say the past-target count is.
pub const PAST_TARGET_RULE: &str = "目標期日を過ぎた計画：今年度の提出済・確認済の回答票の改善計画のうち、目標期日が今日（日本時間）より前で、進捗が「完了」でないもの（お知らせ「目標期日を過ぎました」と同じ基準）";

/// What the status pages say the results are.
pub const RESULT_RULE: &str = "前年度の計画：前年度に評価 1・2 だった小項目。今年度の回答から、達成（3 になった）、一部改善（上がったが 3 未満）、未達（変わらない・下がった）、期限前（3 未満で前年度の目標期日がまだ来ていない）と判定します。未判定は今年度の回答がまだない（または 0）もの。";

/// The tally of each organisation of `org_ids` that has one, as of `today`.
pub fn tallies(
    conn: &mut DbConnection,
    org_ids: &[i32],
    fy: FiscalYear,
    today: NaiveDate,
) -> AppResult<HashMap<i32, PlanTally>> {
    let mut out: HashMap<i32, PlanTally> = HashMap::new();
    for item in plan_follow::carried_items(conn, org_ids, fy)? {
        let result = judge(
            u8::try_from(item.previous).ok(),
            item.now.and_then(|n| u8::try_from(n).ok()),
            parse_date(&item.target_date),
            today,
        );
        out.entry(item.org_id).or_default().add(result);
    }
    for (org, target, progress) in plan_follow::submitted_plans(conn, org_ids, fy)? {
        if past_target(parse_date(&target), &progress, today) {
            out.entry(org).or_default().past_target += 1;
        }
    }
    Ok(out)
}
