//! The reviewer's decision on a submitted sheet (accept, or return with
//! advice), and the progress of its plans.

use diesel::Connection;

use super::super::form::{self, Problem};
use super::{require_open_round, Rollback};
use crate::auth::Actor;
use crate::db::DbConnection;
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::store::organisations::Organisation;
use crate::store::snapshots::{self, EventKind};
use crate::store::submissions::{self, Change, Progress, Status};
use crate::store::{notices, oplog};

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
