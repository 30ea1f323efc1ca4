//! Submitted results as immutable snapshots, and the history of a sheet.
//!
//! Every submission copies the sheet's answers and plans into a snapshot
//! (`submission_snapshots`, `snapshot_answers`, `snapshot_plans`) and points
//! the sheet at it (`submissions.snapshot_id`). The official tables count
//! that snapshot, never the draft in `answers`: a returned sheet keeps
//! counting with its last snapshot until it is submitted again. Each
//! submission, return and acceptance is an event (`submission_events`). The
//! database refuses UPDATE and DELETE on all four tables.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use serde::Serialize;

use crate::auth::Actor;
use crate::db::schema::{
    answers as a, improvement_plans as ip, snapshot_answers as sa, snapshot_plans as sp,
    submission_events as ev, submission_snapshots as ss, submissions as s,
};
use crate::db::{now, DbConnection};
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = ss)]
pub struct Snapshot {
    pub id: i32,
    pub submission_id: i32,
    pub organisation_id: i32,
    pub fiscal_year: i32,
    /// 1 for the first submission of the sheet, 2 for the second, …
    pub seq: i32,
    pub has_critical_room: Option<bool>,
    pub submitted_at: String,
    pub submitted_by: Option<i32>,
    pub submitted_login: String,
}

/// What happened to a sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Submit,
    Return,
    Accept,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Return => "return",
            Self::Accept => "accept",
        }
    }

    pub fn parse(s: &str) -> AppResult<Self> {
        match s {
            "submit" => Ok(Self::Submit),
            "return" => Ok(Self::Return),
            "accept" => Ok(Self::Accept),
            other => Err(AppError::internal(format!(
                "unknown submission event kind {other:?} in the database"
            ))),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Submit => "提出",
            Self::Return => "差戻し",
            Self::Accept => "確認済",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ev)]
struct EventRow {
    id: i32,
    kind: String,
    snapshot_id: Option<i32>,
    at: String,
    login: String,
    advice_count: i32,
    note: String,
}

/// One step of a sheet's history.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: i32,
    pub kind: EventKind,
    pub label: &'static str,
    /// The snapshot a submission made, with its number (1回目, 2回目).
    pub snapshot_id: Option<i32>,
    pub seq: Option<i32>,
    pub at: String,
    pub login: String,
    pub advice_count: i32,
    pub note: String,
}

/// Copies the sheet's current answers and plans into a new snapshot, makes
/// it the one the official tables count, and records the submission event.
/// Run inside the transaction that submits.
pub fn take(conn: &mut DbConnection, submission_id: i32, actor: &Actor) -> AppResult<Snapshot> {
    let (org_id, year, room): (i32, i32, Option<bool>) = s::table
        .find(submission_id)
        .select((s::organisation_id, s::fiscal_year, s::has_critical_room))
        .first(conn)?;
    let last: Option<i32> = ss::table
        .filter(ss::submission_id.eq(submission_id))
        .select(diesel::dsl::max(ss::seq))
        .first(conn)?;
    let seq = last.unwrap_or(0) + 1;
    let stamp = now();
    let snapshot_id: i32 = diesel::insert_into(ss::table)
        .values((
            ss::submission_id.eq(submission_id),
            ss::organisation_id.eq(org_id),
            ss::fiscal_year.eq(year),
            ss::seq.eq(seq),
            ss::has_critical_room.eq(room),
            ss::submitted_at.eq(&stamp),
            ss::submitted_by.eq(actor.user_id),
            ss::submitted_login.eq(&actor.login),
        ))
        .returning(ss::id)
        .get_result(conn)?;
    // One statement each: the copy is made by the database.
    diesel::insert_into(sa::table)
        .values(
            a::table
                .filter(a::organisation_id.eq(org_id))
                .filter(a::fiscal_year.eq(year))
                .select((
                    snapshot_id.into_sql::<diesel::sql_types::Integer>(),
                    a::item_code,
                    a::item_id,
                    a::score,
                    a::comment,
                )),
        )
        .into_columns((
            sa::snapshot_id,
            sa::item_code,
            sa::item_id,
            sa::score,
            sa::comment,
        ))
        .execute(conn)?;
    diesel::insert_into(sp::table)
        .values(
            ip::table
                .filter(ip::submission_id.eq(submission_id))
                .select((
                    snapshot_id.into_sql::<diesel::sql_types::Integer>(),
                    ip::item_code,
                    ip::present_state,
                    ip::measure,
                    ip::person_in_charge,
                    ip::target_date,
                )),
        )
        .into_columns((
            sp::snapshot_id,
            sp::item_code,
            sp::present_state,
            sp::measure,
            sp::person_in_charge,
            sp::target_date,
        ))
        .execute(conn)?;
    diesel::update(s::table.find(submission_id))
        .set(s::snapshot_id.eq(Some(snapshot_id)))
        .execute(conn)?;
    record_event(
        conn,
        submission_id,
        EventKind::Submit,
        Some(snapshot_id),
        actor,
        0,
        "",
    )?;
    find(conn, snapshot_id)?.ok_or_else(|| AppError::internal("snapshot vanished after insert"))
}

/// Records a step of a sheet's history (the submission's own event is
/// written by [`take`]).
pub fn record_event(
    conn: &mut DbConnection,
    submission_id: i32,
    kind: EventKind,
    snapshot_id: Option<i32>,
    actor: &Actor,
    advice_count: usize,
    note: &str,
) -> AppResult<()> {
    diesel::insert_into(ev::table)
        .values((
            ev::submission_id.eq(submission_id),
            ev::kind.eq(kind.as_str()),
            ev::snapshot_id.eq(snapshot_id),
            ev::at.eq(now()),
            ev::user_id.eq(actor.user_id),
            ev::login.eq(&actor.login),
            ev::advice_count.eq(i32::try_from(advice_count).unwrap_or(i32::MAX)),
            ev::note.eq(note),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: i32) -> AppResult<Option<Snapshot>> {
    Ok(ss::table
        .find(id)
        .select(Snapshot::as_select())
        .first(conn)
        .optional()?)
}

/// The snapshots of a sheet, first submission first.
pub fn of_submission(conn: &mut DbConnection, submission_id: i32) -> AppResult<Vec<Snapshot>> {
    Ok(ss::table
        .filter(ss::submission_id.eq(submission_id))
        .order(ss::seq)
        .select(Snapshot::as_select())
        .load(conn)?)
}

/// The history of a sheet, oldest first.
pub fn events(conn: &mut DbConnection, submission_id: i32) -> AppResult<Vec<Event>> {
    let seqs: HashMap<i32, i32> = of_submission(conn, submission_id)?
        .into_iter()
        .map(|x| (x.id, x.seq))
        .collect();
    ev::table
        .filter(ev::submission_id.eq(submission_id))
        .order(ev::id)
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|r| {
            let kind = EventKind::parse(&r.kind)?;
            Ok(Event {
                id: r.id,
                kind,
                label: kind.label(),
                snapshot_id: r.snapshot_id,
                seq: r.snapshot_id.and_then(|id| seqs.get(&id).copied()),
                at: r.at,
                login: r.login,
                advice_count: r.advice_count,
                note: r.note,
            })
        })
        .collect()
}

/// A snapshot's answers: item code → (score, comment).
pub fn answers(
    conn: &mut DbConnection,
    snapshot_id: i32,
) -> AppResult<BTreeMap<String, (i32, String)>> {
    Ok(sa::table
        .filter(sa::snapshot_id.eq(snapshot_id))
        .select((sa::item_code, sa::score, sa::comment))
        .load::<(String, i32, String)>(conn)?
        .into_iter()
        .map(|(c, s, m)| (c, (s, m)))
        .collect())
}

/// The answers the official tables count for `fy` from the workflow: the
/// scores of every sheet's counted snapshot, as (organisation, item, score).
/// `orgs` limits it to some organisations.
pub fn counted_scores(
    conn: &mut DbConnection,
    fy: FiscalYear,
    orgs: Option<&[i32]>,
) -> AppResult<Vec<(i32, String, i32)>> {
    let mut q = sa::table
        .inner_join(ss::table)
        .inner_join(s::table.on(s::snapshot_id.eq(ss::id.nullable())))
        .filter(ss::fiscal_year.eq(fy.year()))
        .select((ss::organisation_id, sa::item_code, sa::score))
        .into_boxed();
    if let Some(ids) = orgs {
        q = q.filter(ss::organisation_id.eq_any(ids.to_vec()));
    }
    Ok(q.load(conn)?)
}

/// The 重要機能室 answer of every counted snapshot of `fy`, by organisation.
pub fn counted_conditions(
    conn: &mut DbConnection,
    fy: FiscalYear,
    orgs: Option<&[i32]>,
) -> AppResult<HashMap<i32, Option<bool>>> {
    let mut q = ss::table
        .inner_join(s::table.on(s::snapshot_id.eq(ss::id.nullable())))
        .filter(ss::fiscal_year.eq(fy.year()))
        .select((ss::organisation_id, ss::has_critical_room))
        .into_boxed();
    if let Some(ids) = orgs {
        q = q.filter(ss::organisation_id.eq_any(ids.to_vec()));
    }
    Ok(q.load::<(i32, Option<bool>)>(conn)?.into_iter().collect())
}
