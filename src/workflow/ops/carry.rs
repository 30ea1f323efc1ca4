//! Starting a sheet from last year's answers (未確認 until confirmed).

use diesel::Connection;

use super::require_open_round;
use crate::auth::Actor;
use crate::checklists::Checklist;
use crate::db::DbConnection;
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::store::answers::{self, AnswerInput};
use crate::store::organisations::{variant_of, Organisation};
use crate::store::submissions::{self, Status};
use crate::store::{carried, checklists, oplog};

/// Starts a new sheet from the organisation's answers of the previous
/// fiscal year: every applicable item answered last year whose text is the
/// same in both years is prefilled and marked 未確認 (an item whose text
/// changed is never prefilled); the 重要機能室 answer is taken over too.
/// Only for a sheet not yet started (`version` 0) in an open round.
/// Returns the number of items prefilled.
pub fn start_from_last_year(
    conn: &mut DbConnection,
    actor: &Actor,
    org: &Organisation,
    fy: FiscalYear,
    list: &Checklist,
    version: i32,
) -> AppResult<usize> {
    let Some(prev) = fy.previous() else {
        return Err(AppError::BadRequest(format!(
            "{fy} の前年度の回答はありません"
        )));
    };
    conn.transaction(|conn| {
        if version != 0 || submissions::find(conn, org.id, fy)?.is_some() {
            return Err(AppError::Conflict(format!(
                "{fy} の回答はすでに始まっているため、前年度の回答から始めることはできません"
            )));
        }
        let last = answers::of_org_year(conn, org.id, prev)?;
        if last.is_empty() {
            return Err(AppError::BadRequest(format!(
                "{prev} の回答がないため、前年度の回答から始めることはできません"
            )));
        }
        let room = submissions::find(conn, org.id, prev)?.and_then(|s| s.has_critical_room);
        let sub = match submissions::create(conn, org.id, fy, Status::Draft, room, actor.user_id) {
            Ok(s) => s,
            Err(e) if e.is_constraint_violation() => {
                return Err(AppError::Conflict(format!(
                    "{fy} の回答はすでに始まっています"
                )))
            }
            Err(e) => return Err(e),
        };
        require_open_round(conn, org, fy)?;
        let variant = variant_of(org)?;
        let ids = checklists::item_ids(conn, variant, fy)?;
        let by_code: std::collections::HashMap<&str, &answers::Answer> =
            last.iter().map(|a| (a.item_code.as_str(), a)).collect();
        let mut inputs = Vec::new();
        let mut rows = Vec::new();
        for item in list.applicable_items(fy, &super::super::conditions(room)) {
            let Some(a) = by_code.get(item.code.as_str()) else {
                continue;
            };
            if !item.applies_in(prev) || item.text_in(prev) != item.text_in(fy) {
                continue;
            }
            let (Some(item_id), Ok(score)) = (
                ids.get(&item.code).copied(),
                crate::domain::Score::new(i64::from(a.score)),
            ) else {
                continue;
            };
            inputs.push(AnswerInput {
                item_code: item.code.clone(),
                item_id,
                score,
                comment: a.comment.clone(),
            });
            rows.push((item.code.clone(), a.score, a.comment.clone()));
        }
        answers::upsert(conn, org.id, fy, &inputs)?;
        carried::insert(conn, sub.id, &rows)?;
        oplog::record(
            conn,
            actor,
            "answers_carry",
            &org.code,
            Some(fy.year()),
            &format!("{prev} の回答 {} 件を引き継ぎ（未確認）", rows.len()),
        )?;
        Ok(rows.len())
    })
}
