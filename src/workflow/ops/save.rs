//! Saving a sheet, as a draft or submitted: the version guard, the entries
//! written (answers, plans, comments), the carried items settled, the
//! reasons a submission is refused.

use std::collections::HashSet;

use diesel::Connection;

use super::super::form::{self, Problem};
use super::super::Entries;
use super::{require_in_time, require_open_round, Rollback};
use crate::auth::Actor;
use crate::checklists::Checklist;
use crate::db::DbConnection;
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::store::answers::{self, AnswerInput};
use crate::store::organisations::{variant_of, Organisation};
use crate::store::submissions::{self, Change, PlanFields, Status};
use crate::store::{carried, checklists, notices, oplog};

/// How a save ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Saved {
    /// Saved as a draft; `changed` answers inserted or updated.
    Draft { version: i32, changed: usize },
    /// Saved and submitted.
    Submitted { version: i32 },
    /// Saved as a draft, but not submitted for these reasons.
    Incomplete {
        version: i32,
        problems: Vec<Problem>,
    },
    /// Someone else changed the sheet since `version`: nothing was written.
    Conflict,
}

/// A posted sheet to save.
#[derive(Debug, Clone, Copy)]
pub struct Posting<'a> {
    /// The version the form was loaded at (0 before the first save).
    pub version: i32,
    pub entries: &'a Entries,
    /// Submit as well, if complete.
    pub submit: bool,
}

/// Saves a sheet from `posting.version`, and submits it when asked and
/// complete. The caller has checked the right (`policy::can_answer`).
pub fn save(
    conn: &mut DbConnection,
    actor: &Actor,
    org: &Organisation,
    fy: FiscalYear,
    list: &Checklist,
    posting: Posting<'_>,
) -> AppResult<Saved> {
    let Posting {
        version,
        entries,
        submit,
    } = posting;
    let problems = if submit {
        form::submission_problems(list, fy, entries)
    } else {
        Vec::new()
    };
    let submitting = submit && problems.is_empty();
    let result = conn.transaction(|conn| -> Result<Saved, Rollback> {
        let sub = if version == 0 {
            match submissions::create(
                conn,
                org.id,
                fy,
                Status::Draft,
                entries.has_critical_room,
                actor.user_id,
            ) {
                Ok(s) => s,
                Err(e) if e.is_constraint_violation() => return Err(Rollback::Stale),
                Err(e) => return Err(e.into()),
            }
        } else {
            let change = Change {
                status: None,
                has_critical_room: Some(entries.has_critical_room),
                review_note: None,
                user_id: actor.user_id,
            };
            submissions::advance(
                conn,
                org.id,
                fy,
                version,
                &[Status::Draft, Status::Returned],
                &change,
            )?
            .ok_or(Rollback::Stale)?
        };
        require_open_round(conn, org, fy)?;
        if submitting {
            require_in_time(conn, org, fy)?;
        }
        let changed = write_entries(conn, org, fy, list, sub.id, entries)?;
        let unconfirmed = settle_carried(conn, sub.id, list, fy, entries)?;
        let y = Some(fy.year());
        oplog::record(
            conn,
            actor,
            "answers_save",
            &org.code,
            y,
            &format!("版 {} → {}、回答 {changed} 件を変更", version, sub.version),
        )?;
        if submit && !unconfirmed.is_empty() {
            let mut problems = problems.clone();
            problems.extend(unconfirmed_problems(&unconfirmed));
            return Ok(Saved::Incomplete {
                version: sub.version,
                problems,
            });
        }
        if submitting {
            // Answers and plans are written: the snapshot takes them.
            submissions::submit(conn, sub.id, actor)?;
            oplog::record(
                conn,
                actor,
                "answers_submit",
                &org.code,
                y,
                &format!("版 {}", sub.version),
            )?;
            notices::on_submit(
                conn,
                &org.code,
                &org.name,
                org.prefecture_code.as_deref(),
                fy,
                sub.version,
            )?;
            Ok(Saved::Submitted {
                version: sub.version,
            })
        } else if submit {
            Ok(Saved::Incomplete {
                version: sub.version,
                problems: problems.clone(),
            })
        } else {
            Ok(Saved::Draft {
                version: sub.version,
                changed,
            })
        }
    });
    match result {
        Ok(saved) => Ok(saved),
        Err(Rollback::Stale) => Ok(Saved::Conflict),
        Err(Rollback::App(e)) => Err(e),
    }
}

/// Confirms the carried items the clerk ticked or changed (score or
/// comment differs from last year's); returns the applicable ones still
/// 未確認, in checklist order.
fn settle_carried(
    conn: &mut DbConnection,
    submission_id: i32,
    list: &Checklist,
    fy: FiscalYear,
    entries: &Entries,
) -> AppResult<Vec<String>> {
    let carried = carried::of_submission(conn, submission_id)?;
    if carried.is_empty() {
        return Ok(Vec::new());
    }
    let mut confirm = Vec::new();
    let mut open = Vec::new();
    for item in list.applicable_items(fy, &entries.conditions()) {
        let Some(c) = carried.get(&item.code) else {
            continue;
        };
        if c.is_confirmed() {
            continue;
        }
        let e = entries.get(&item.code);
        let changed = e.score.map(|s| i32::from(s.value())) != Some(c.score)
            || e.comment.trim_end() != c.comment;
        if changed || entries.confirmed.contains(&item.code) {
            confirm.push(item.code.clone());
        } else {
            open.push(item.code.clone());
        }
    }
    carried::confirm(conn, submission_id, &confirm)?;
    Ok(open)
}

/// Why a sheet with carried items still 未確認 cannot be submitted.
pub fn unconfirmed_problems(codes: &[String]) -> Vec<Problem> {
    let mut out = vec![Problem::general(format!(
        "前年度から引き継いだ回答のうち未確認の小項目が {} 件あります。確認するか回答を変更してください: {}",
        codes.len(),
        codes.join("、")
    ))];
    out.extend(codes.iter().map(|c| {
        Problem::item(
            c,
            "前年度の回答のままです。「前年度のとおり確認」にチェックするか、回答を変更してください",
        )
    }));
    out
}

/// Writes answers (only through `store::answers`), plans and comments of
/// unscored items. Items that no longer apply (the 重要機能室 answer changed)
/// lose their answers and plans.
fn write_entries(
    conn: &mut DbConnection,
    org: &Organisation,
    fy: FiscalYear,
    list: &Checklist,
    submission_id: i32,
    entries: &Entries,
) -> AppResult<usize> {
    let variant = variant_of(org)?;
    let ids = checklists::item_ids(conn, variant, fy)?;
    let applicable: HashSet<String> = list
        .applicable_items(fy, &entries.conditions())
        .into_iter()
        .map(|i| i.code.clone())
        .collect();
    let mut inputs = Vec::new();
    let mut plans = Vec::new();
    let mut drafts = Vec::new();
    for item in list.items_in(fy) {
        let code = &item.code;
        let e = entries.get(code);
        if !applicable.contains(code) {
            plans.push((code.clone(), PlanFields::default()));
            continue;
        }
        plans.push((code.clone(), e.plan.clone()));
        match e.score {
            Some(score) => {
                let item_id = *ids.get(code).ok_or_else(|| {
                    AppError::internal(format!("item {code} of {fy} missing from checklist_items"))
                })?;
                inputs.push(AnswerInput {
                    item_code: code.clone(),
                    item_id,
                    score,
                    comment: e.comment.trim_end().to_string(),
                });
            }
            None if !e.comment.trim().is_empty() => drafts.push((code.clone(), e.comment.clone())),
            None => {}
        }
    }
    // One read of what is stored; answers of items no longer answered or
    // applicable go.
    let changed = answers::replace(conn, org.id, fy, &inputs)?;
    submissions::save_plans(conn, submission_id, &plans)?;
    submissions::set_draft_comments(conn, submission_id, &drafts)?;
    Ok(changed)
}
