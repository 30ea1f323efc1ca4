//! Changes to a sheet. Each is one transaction whose first statement is the
//! version guard (`submissions::advance`, or the creation of the sheet), so
//! that of two people saving from the same version the later one gets a
//! conflict instead of silently overwriting, and the operation log entry is
//! written in the same transaction as the change.

use std::collections::HashSet;

use diesel::Connection;

use super::form::{self, Problem};
use super::Entries;
use crate::auth::Actor;
use crate::checklists::Checklist;
use crate::db::DbConnection;
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::store::answers::{self, AnswerInput};
use crate::store::organisations::{variant_of, Organisation};
use crate::store::snapshots::{self, EventKind};
use crate::store::submissions::{self, Change, PlanFields, Progress, Status};
use crate::store::{carried, checklists, notices, oplog, rounds};

/// Why a sheet's transaction rolled back: the version it started from no
/// longer matches (an outcome, not a fault), or an error.
enum Rollback {
    Stale,
    App(AppError),
}

impl From<AppError> for Rollback {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl From<diesel::result::Error> for Rollback {
    fn from(e: diesel::result::Error) -> Self {
        Self::App(e.into())
    }
}

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

fn closed_message(fy: FiscalYear) -> String {
    format!("{fy} の点検は受付を締め切ったため、変更できません")
}

/// Refuses a submission after the deadline of a round that does not accept
/// late ones (inside the transaction).
fn require_in_time(conn: &mut DbConnection, org: &Organisation, fy: FiscalYear) -> AppResult<()> {
    let variant = variant_of(org)?;
    match rounds::find(conn, variant, fy)? {
        Some(r) if !r.accept_late && r.deadline_passed(crate::domain::sheet::today_jst()) => {
            Err(AppError::Conflict(format!(
                "締切（{}）を過ぎています。{fy} の点検では締切後の提出を受け付けていません。提出については総務省にお問い合わせください",
                r.deadline.as_deref().unwrap_or("")
            )))
        }
        _ => Ok(()),
    }
}

/// Checks that the round of the sheet is open (inside the transaction).
pub fn require_open_round(
    conn: &mut DbConnection,
    org: &Organisation,
    fy: FiscalYear,
) -> AppResult<()> {
    let variant = variant_of(org)?;
    match rounds::find(conn, variant, fy)? {
        Some(r) if r.is_open() => Ok(()),
        Some(_) => Err(AppError::Conflict(closed_message(fy))),
        None => Err(AppError::NotFound(format!(
            "{fy} の点検は開始されていません"
        ))),
    }
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
        for item in list.applicable_items(fy, &super::conditions(room)) {
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

/// A reviewer's decision on a submitted sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewAction {
    /// Keep the advice typed so far; the sheet stays 提出済.
    SaveAdvice,
    /// 差戻し: back to the organisation, with the advice.
    Return,
    /// 確認済.
    Accept,
}

impl ReviewAction {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "save" => Some(Self::SaveAdvice),
            "return" => Some(Self::Return),
            "accept" => Some(Self::Accept),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Reviewed {
    Done { version: i32 },
    Conflict,
}

/// A reviewer's posted form.
#[derive(Debug, Clone)]
pub struct ReviewInput {
    /// The version the form was loaded at.
    pub version: i32,
    pub action: ReviewAction,
    /// Advice per sub-item (an empty text removes it).
    pub advice: Vec<(String, String)>,
    /// The overall remark.
    pub note: String,
}

/// What a return without a word of advice is refused with.
pub const RETURN_NEEDS_ADVICE: &str =
    "差し戻すときは、全体への所見か小項目への助言を1つ以上書いてください";

impl ReviewInput {
    /// The advice actually written, by sub-item.
    pub fn written_advice(&self) -> std::collections::HashMap<String, String> {
        self.advice
            .iter()
            .filter(|(_, a)| !a.trim().is_empty())
            .cloned()
            .collect()
    }

    /// What stops this input: advice longer than `form::COMMENT_MAX` (one
    /// problem per sub-item), else a return without a word of advice (the
    /// organisation must learn what to change).
    pub fn problems(&self) -> Vec<Problem> {
        let too_long: Vec<Problem> = self
            .advice
            .iter()
            .filter(|(_, a)| a.chars().count() > form::COMMENT_MAX)
            .map(|(c, _)| Problem::item(c, format!("小項目 {c} の助言は2000字以内にしてください")))
            .collect();
        if !too_long.is_empty() {
            return too_long;
        }
        let unadvised =
            self.note.trim().is_empty() && self.advice.iter().all(|(_, a)| a.trim().is_empty());
        if self.action == ReviewAction::Return && unadvised {
            return vec![Problem::general(RETURN_NEEDS_ADVICE)];
        }
        Vec::new()
    }
}

/// Advice, return or acceptance of a submitted sheet. The caller has checked
/// the right (`policy::can_review`). The input must pass
/// [`ReviewInput::problems`]; a return needs the round open (the
/// organisation must be able to change its answers).
pub fn review(
    conn: &mut DbConnection,
    actor: &Actor,
    org: &Organisation,
    fy: FiscalYear,
    input: &ReviewInput,
) -> AppResult<Reviewed> {
    let ReviewInput {
        version,
        action,
        advice,
        note,
    } = input;
    let (version, action) = (*version, *action);
    let problems = input.problems();
    if !problems.is_empty() {
        let messages: Vec<String> = problems.into_iter().map(|p| p.message).collect();
        return Err(AppError::BadRequest(messages.join("\n")));
    }
    let result = conn.transaction(|conn| -> Result<Reviewed, Rollback> {
        let change = Change {
            status: match action {
                ReviewAction::SaveAdvice => None,
                ReviewAction::Return => Some(Status::Returned),
                ReviewAction::Accept => Some(Status::Accepted),
            },
            has_critical_room: None,
            review_note: Some(note.trim().to_string()),
            user_id: actor.user_id,
        };
        let sub = submissions::advance(conn, org.id, fy, version, &[Status::Submitted], &change)?
            .ok_or(Rollback::Stale)?;
        if action == ReviewAction::Return {
            require_open_round(conn, org, fy)?;
        }
        let changed = submissions::save_advice(conn, sub.id, actor.user_id, advice)?;
        let event = match action {
            ReviewAction::SaveAdvice => None,
            ReviewAction::Return => Some(EventKind::Return),
            ReviewAction::Accept => Some(EventKind::Accept),
        };
        if let Some(kind) = event {
            let advised = submissions::advice(conn, sub.id)?
                .values()
                .filter(|a| !a.trim().is_empty())
                .count();
            snapshots::record_event(
                conn,
                sub.id,
                kind,
                sub.snapshot_id,
                actor,
                advised,
                note.trim(),
            )?;
            notices::on_review(
                conn,
                org.id,
                &org.code,
                fy,
                kind == EventKind::Return,
                advised,
                sub.version,
            )?;
        }
        let (what, detail) = match action {
            ReviewAction::SaveAdvice => ("review_advice", format!("助言 {changed} 件を変更")),
            ReviewAction::Return => (
                "review_return",
                format!("助言 {changed} 件を変更して差戻し"),
            ),
            ReviewAction::Accept => ("review_accept", format!("助言 {changed} 件を変更して確認")),
        };
        oplog::record(conn, actor, what, &org.code, Some(fy.year()), &detail)?;
        Ok(Reviewed::Done {
            version: sub.version,
        })
    });
    match result {
        Ok(done) => Ok(done),
        Err(Rollback::Stale) => Ok(Reviewed::Conflict),
        Err(Rollback::App(e)) => Err(e),
    }
}

/// Records the progress of the plans of a submitted or accepted sheet
/// (follow-up by the reviewer; allowed after the round closed).
pub fn record_progress(
    conn: &mut DbConnection,
    actor: &Actor,
    org: &Organisation,
    fy: FiscalYear,
    entries: &[Progress],
) -> AppResult<usize> {
    conn.transaction(|conn| {
        // The log entry first: on SQLite a transaction that starts by
        // writing takes the write lock at once instead of failing later.
        let codes: Vec<&str> = entries.iter().map(|e| e.item_code.as_str()).collect();
        oplog::record(
            conn,
            actor,
            "plan_progress",
            &org.code,
            Some(fy.year()),
            &format!("進捗を記録: {}", codes.join(" ")),
        )?;
        let sub = submissions::find(conn, org.id, fy)?
            .ok_or_else(|| AppError::NotFound(format!("{fy} の回答はまだありません")))?;
        if !matches!(sub.status(), Status::Submitted | Status::Accepted) {
            return Err(AppError::Conflict(format!(
                "改善計画の進捗は提出された回答にだけ記録できます（今は{}）",
                sub.status().label()
            )));
        }
        submissions::save_progress(conn, sub.id, actor.user_id, entries)
    })
}
