//! The answer sheet of one organisation and fiscal year: its status, the
//! 重要機能室 answer, a version for optimistic concurrency, and what hangs on
//! its sub-items besides the answers themselves: improvement plans
//! (改善計画書) with their follow-up, the reviewer's advice, and comments typed
//! on items not yet scored.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;

use crate::auth::Actor;
use crate::db::schema::{
    draft_comments as dc, improvement_plans as ip, review_advice as ra, submissions as s,
};
use crate::db::{now, DbConnection};
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::store::{generations, snapshots};

/// The status of a sheet. No row in `submissions` is `NotStarted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotStarted,
    Draft,
    Submitted,
    Returned,
    Accepted,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::NotStarted,
        Status::Draft,
        Status::Submitted,
        Status::Returned,
        Status::Accepted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::Returned => "returned",
            Status::Accepted => "accepted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::NotStarted => "未着手",
            Status::Draft => "入力中",
            Status::Submitted => "提出済",
            Status::Returned => "差戻し",
            Status::Accepted => "確認済",
        }
    }

    /// Whether the answering organisation may still change its answers.
    pub fn is_editable(self) -> bool {
        matches!(self, Status::NotStarted | Status::Draft | Status::Returned)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = s)]
pub struct Submission {
    pub id: i32,
    pub organisation_id: i32,
    pub fiscal_year: i32,
    pub status: String,
    pub has_critical_room: Option<bool>,
    pub version: i32,
    pub review_note: String,
    pub updated_at: String,
    pub updated_by: Option<i32>,
    pub submitted_at: Option<String>,
    pub returned_at: Option<String>,
    pub accepted_at: Option<String>,
    /// The snapshot the official tables count (the last submission).
    pub snapshot_id: Option<i32>,
}

impl Submission {
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Draft)
    }

    /// The status, or an error for a value this program does not know.
    pub fn checked_status(&self) -> AppResult<Status> {
        Status::parse(&self.status).ok_or_else(|| {
            AppError::internal(format!(
                "unknown sheet status {:?} of sheet {}",
                self.status, self.id
            ))
        })
    }
}

/// Submits a sheet whose answers and plans are written: sets 提出済, takes
/// the snapshot the official tables count from now on and records the
/// event. Run inside the transaction that raised the sheet's version; the
/// only way a sheet becomes 提出済.
pub fn submit(conn: &mut DbConnection, submission_id: i32, actor: &Actor) -> AppResult<Submission> {
    let stamp = now();
    diesel::update(s::table.find(submission_id))
        .set((
            s::status.eq(Status::Submitted.as_str()),
            s::submitted_at.eq(Some(&stamp)),
        ))
        .execute(conn)?;
    let sub = find_by_id(conn, submission_id)?
        .ok_or_else(|| AppError::internal("sheet vanished while submitting"))?;
    snapshots::take(conn, submission_id, actor)?;
    generations::bump(conn, sub.fiscal_year, Some(sub.organisation_id))?;
    find_by_id(conn, submission_id)?
        .ok_or_else(|| AppError::internal("sheet vanished while submitting"))
}

/// The status of an optional sheet.
pub fn status_of(sub: Option<&Submission>) -> Status {
    sub.map_or(Status::NotStarted, Submission::status)
}

pub fn find(conn: &mut DbConnection, org_id: i32, fy: FiscalYear) -> AppResult<Option<Submission>> {
    Ok(s::table
        .filter(s::organisation_id.eq(org_id))
        .filter(s::fiscal_year.eq(fy.year()))
        .select(Submission::as_select())
        .first(conn)
        .optional()?)
}

/// The sheets of one year, by organisation id.
pub fn of_year(conn: &mut DbConnection, fy: FiscalYear) -> AppResult<HashMap<i32, Submission>> {
    Ok(s::table
        .filter(s::fiscal_year.eq(fy.year()))
        .select(Submission::as_select())
        .load(conn)?
        .into_iter()
        .map(|x| (x.organisation_id, x))
        .collect())
}

/// The sheets of some organisations in one year, by organisation id.
pub fn of_orgs(
    conn: &mut DbConnection,
    fy: FiscalYear,
    org_ids: &[i32],
) -> AppResult<HashMap<i32, Submission>> {
    Ok(s::table
        .filter(s::fiscal_year.eq(fy.year()))
        .filter(s::organisation_id.eq_any(org_ids.to_vec()))
        .select(Submission::as_select())
        .load(conn)?
        .into_iter()
        .map(|x| (x.organisation_id, x))
        .collect())
}

/// Creates the sheet at version 1. The database refuses a second sheet of
/// the same organisation and year (a concurrent first save).
pub fn create(
    conn: &mut DbConnection,
    org_id: i32,
    fy: FiscalYear,
    status: Status,
    has_critical_room: Option<bool>,
    user_id: Option<i32>,
) -> AppResult<Submission> {
    if status == Status::Submitted {
        return Err(AppError::internal(
            "a sheet is created as a draft and submitted with submissions::submit",
        ));
    }
    let stamp = now();
    let id: i32 = diesel::insert_into(s::table)
        .values((
            s::organisation_id.eq(org_id),
            s::fiscal_year.eq(fy.year()),
            s::status.eq(status.as_str()),
            s::has_critical_room.eq(has_critical_room),
            s::version.eq(1),
            s::updated_at.eq(&stamp),
            s::updated_by.eq(user_id),
        ))
        .returning(s::id)
        .get_result(conn)?;
    generations::bump(conn, fy.year(), Some(org_id))?;
    find_by_id(conn, id)?
        .ok_or_else(|| crate::error::AppError::internal("sheet vanished after insert"))
}

/// A change of the sheet's own fields.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// The new status; `None` keeps the current one.
    pub status: Option<Status>,
    /// The new 重要機能室 answer; `None` keeps the current one.
    pub has_critical_room: Option<Option<bool>>,
    pub review_note: Option<String>,
    pub user_id: Option<i32>,
}

/// Applies `change` to the sheet of `org_id` and `fy` and raises its version
/// by one, but only if the sheet is still at `expected_version` and in one
/// of the `from` statuses. The guard and the raise are one conditional
/// UPDATE, the first statement of the caller's transaction: of two
/// concurrent saves from the same version, exactly one matches. Returns the
/// updated sheet, or `None` when the version or the status no longer match.
pub fn advance(
    conn: &mut DbConnection,
    org_id: i32,
    fy: FiscalYear,
    expected_version: i32,
    from: &[Status],
    change: &Change,
) -> AppResult<Option<Submission>> {
    advance_matching(conn, org_id, fy, Some(expected_version), from, change)
}

/// Like [`advance`], from whatever version the sheet is at: for a change
/// that does not start from a loaded form (a workbook upload). Raising the
/// version makes a form loaded before it conflict instead of overwriting.
pub fn advance_any(
    conn: &mut DbConnection,
    org_id: i32,
    fy: FiscalYear,
    from: &[Status],
    change: &Change,
) -> AppResult<Option<Submission>> {
    advance_matching(conn, org_id, fy, None, from, change)
}

fn advance_matching(
    conn: &mut DbConnection,
    org_id: i32,
    fy: FiscalYear,
    expected_version: Option<i32>,
    from: &[Status],
    change: &Change,
) -> AppResult<Option<Submission>> {
    let stamp = now();
    let from: Vec<&str> = from.iter().map(|x| x.as_str()).collect();
    let mut update = diesel::update(
        s::table
            .filter(s::organisation_id.eq(org_id))
            .filter(s::fiscal_year.eq(fy.year()))
            .filter(s::status.eq_any(from)),
    )
    .set((
        s::version.eq(s::version + 1),
        s::updated_at.eq(&stamp),
        s::updated_by.eq(change.user_id),
    ))
    .into_boxed();
    if let Some(v) = expected_version {
        update = update.filter(s::version.eq(v));
    }
    let updated: Option<i32> = update.returning(s::id).get_result(conn).optional()?;
    let Some(id) = updated else {
        return Ok(None);
    };
    let target = s::table.find(id);
    if let Some(status) = change.status {
        if status == Status::Submitted {
            return Err(AppError::internal(
                "a sheet is submitted with submissions::submit",
            ));
        }
        // The tables say how many sheets of each status they count.
        generations::bump(conn, fy.year(), Some(org_id))?;
        diesel::update(target)
            .set(s::status.eq(status.as_str()))
            .execute(conn)?;
        let stamped = Some(stamp.clone());
        match status {
            Status::Returned => {
                diesel::update(target)
                    .set(s::returned_at.eq(stamped))
                    .execute(conn)?;
            }
            Status::Accepted => {
                diesel::update(target)
                    .set(s::accepted_at.eq(stamped))
                    .execute(conn)?;
            }
            _ => {}
        }
    }
    if let Some(room) = change.has_critical_room {
        diesel::update(target)
            .set(s::has_critical_room.eq(room))
            .execute(conn)?;
    }
    if let Some(note) = &change.review_note {
        diesel::update(target)
            .set(s::review_note.eq(note))
            .execute(conn)?;
    }
    find_by_id(conn, id)
}

/// Sets the 重要機能室 answer of a sheet (inside the transaction that raised
/// its version).
pub fn set_critical_room(
    conn: &mut DbConnection,
    submission_id: i32,
    has_critical_room: Option<bool>,
) -> AppResult<()> {
    diesel::update(s::table.find(submission_id))
        .set(s::has_critical_room.eq(has_critical_room))
        .execute(conn)?;
    Ok(())
}

pub fn find_by_id(conn: &mut DbConnection, id: i32) -> AppResult<Option<Submission>> {
    Ok(s::table
        .find(id)
        .select(Submission::as_select())
        .first(conn)
        .optional()?)
}

/// 改善計画書 of one sub-item, with the reviewer's record of its progress.
#[derive(Debug, Clone, Default, Queryable, Selectable, Serialize)]
#[diesel(table_name = ip)]
pub struct Plan {
    pub id: i32,
    pub submission_id: i32,
    pub item_code: String,
    pub present_state: String,
    pub measure: String,
    pub person_in_charge: String,
    pub target_date: String,
    pub updated_at: String,
    pub progress: String,
    pub started_on: Option<String>,
    pub completed_on: Option<String>,
    pub progress_note: String,
    pub progress_updated_at: Option<String>,
    pub progress_updated_by: Option<i32>,
}

/// What the answering organisation writes in a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlanFields {
    pub present_state: String,
    pub measure: String,
    pub person_in_charge: String,
    pub target_date: String,
}

impl PlanFields {
    pub fn is_empty(&self) -> bool {
        self.present_state.trim().is_empty()
            && self.measure.trim().is_empty()
            && self.person_in_charge.trim().is_empty()
            && self.target_date.trim().is_empty()
    }

    pub fn is_complete(&self) -> bool {
        !self.present_state.trim().is_empty()
            && !self.measure.trim().is_empty()
            && !self.person_in_charge.trim().is_empty()
            && !self.target_date.trim().is_empty()
    }
}

impl From<&Plan> for PlanFields {
    fn from(p: &Plan) -> Self {
        Self {
            present_state: p.present_state.clone(),
            measure: p.measure.clone(),
            person_in_charge: p.person_in_charge.clone(),
            target_date: p.target_date.clone(),
        }
    }
}

pub fn plans(conn: &mut DbConnection, submission_id: i32) -> AppResult<HashMap<String, Plan>> {
    Ok(ip::table
        .filter(ip::submission_id.eq(submission_id))
        .select(Plan::as_select())
        .load(conn)?
        .into_iter()
        .map(|p| (p.item_code.clone(), p))
        .collect())
}

/// Sets the plans of a sheet: an empty entry removes the plan, a changed one
/// is updated, a new one inserted. Items not named are left alone.
pub fn save_plans(
    conn: &mut DbConnection,
    submission_id: i32,
    entries: &[(String, PlanFields)],
) -> AppResult<usize> {
    let existing = plans(conn, submission_id)?;
    let stamp = now();
    let mut changed = 0;
    for (code, fields) in entries {
        match existing.get(code) {
            Some(p) if fields.is_empty() => {
                diesel::delete(ip::table.find(p.id)).execute(conn)?;
                changed += 1;
            }
            Some(p) if PlanFields::from(p) != *fields => {
                diesel::update(ip::table.find(p.id))
                    .set((
                        ip::present_state.eq(&fields.present_state),
                        ip::measure.eq(&fields.measure),
                        ip::person_in_charge.eq(&fields.person_in_charge),
                        ip::target_date.eq(&fields.target_date),
                        ip::updated_at.eq(&stamp),
                    ))
                    .execute(conn)?;
                changed += 1;
            }
            Some(_) => {}
            None if fields.is_empty() => {}
            None => {
                diesel::insert_into(ip::table)
                    .values((
                        ip::submission_id.eq(submission_id),
                        ip::item_code.eq(code),
                        ip::present_state.eq(&fields.present_state),
                        ip::measure.eq(&fields.measure),
                        ip::person_in_charge.eq(&fields.person_in_charge),
                        ip::target_date.eq(&fields.target_date),
                        ip::updated_at.eq(&stamp),
                    ))
                    .execute(conn)?;
                changed += 1;
            }
        }
    }
    Ok(changed)
}

/// The reviewer's record of one plan's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub item_code: String,
    /// `not_started`, `in_progress` or `done`.
    pub progress: String,
    pub started_on: Option<String>,
    pub completed_on: Option<String>,
    pub note: String,
}

pub fn progress_label(progress: &str) -> &'static str {
    match progress {
        "in_progress" => "実施中",
        "done" => "完了",
        _ => "未着手",
    }
}

/// Records progress on existing plans; returns how many changed.
pub fn save_progress(
    conn: &mut DbConnection,
    submission_id: i32,
    user_id: Option<i32>,
    entries: &[Progress],
) -> AppResult<usize> {
    let existing = plans(conn, submission_id)?;
    let stamp = now();
    let mut changed = 0;
    for e in entries {
        let Some(p) = existing.get(&e.item_code) else {
            continue;
        };
        if p.progress == e.progress
            && p.started_on == e.started_on
            && p.completed_on == e.completed_on
            && p.progress_note == e.note
        {
            continue;
        }
        diesel::update(ip::table.find(p.id))
            .set((
                ip::progress.eq(&e.progress),
                ip::started_on.eq(&e.started_on),
                ip::completed_on.eq(&e.completed_on),
                ip::progress_note.eq(&e.note),
                ip::progress_updated_at.eq(Some(stamp.clone())),
                ip::progress_updated_by.eq(user_id),
            ))
            .execute(conn)?;
        changed += 1;
    }
    Ok(changed)
}

pub fn advice(conn: &mut DbConnection, submission_id: i32) -> AppResult<HashMap<String, String>> {
    Ok(ra::table
        .filter(ra::submission_id.eq(submission_id))
        .select((ra::item_code, ra::advice))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// Sets the advice on the named items (an empty text removes it).
pub fn save_advice(
    conn: &mut DbConnection,
    submission_id: i32,
    user_id: Option<i32>,
    entries: &[(String, String)],
) -> AppResult<usize> {
    let existing = advice(conn, submission_id)?;
    let stamp = now();
    let mut changed = 0;
    for (code, text) in entries {
        let text = text.trim();
        match existing.get(code) {
            Some(old) if old == text => {}
            Some(_) if text.is_empty() => {
                diesel::delete(
                    ra::table
                        .filter(ra::submission_id.eq(submission_id))
                        .filter(ra::item_code.eq(code)),
                )
                .execute(conn)?;
                changed += 1;
            }
            Some(_) => {
                diesel::update(
                    ra::table
                        .filter(ra::submission_id.eq(submission_id))
                        .filter(ra::item_code.eq(code)),
                )
                .set((
                    ra::advice.eq(text),
                    ra::updated_at.eq(&stamp),
                    ra::updated_by.eq(user_id),
                ))
                .execute(conn)?;
                changed += 1;
            }
            None if text.is_empty() => {}
            None => {
                diesel::insert_into(ra::table)
                    .values((
                        ra::submission_id.eq(submission_id),
                        ra::item_code.eq(code),
                        ra::advice.eq(text),
                        ra::updated_at.eq(&stamp),
                        ra::updated_by.eq(user_id),
                    ))
                    .execute(conn)?;
                changed += 1;
            }
        }
    }
    Ok(changed)
}

pub fn draft_comments(
    conn: &mut DbConnection,
    submission_id: i32,
) -> AppResult<HashMap<String, String>> {
    Ok(dc::table
        .filter(dc::submission_id.eq(submission_id))
        .select((dc::item_code, dc::comment))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// Replaces the comments kept for unscored items.
pub fn set_draft_comments(
    conn: &mut DbConnection,
    submission_id: i32,
    entries: &[(String, String)],
) -> AppResult<()> {
    diesel::delete(dc::table.filter(dc::submission_id.eq(submission_id))).execute(conn)?;
    for (code, comment) in entries {
        diesel::insert_into(dc::table)
            .values((
                dc::submission_id.eq(submission_id),
                dc::item_code.eq(code),
                dc::comment.eq(comment),
            ))
            .execute(conn)?;
    }
    Ok(())
}
