//! The submission history of a sheet: 1回目 提出 → 差戻し（助言 3 件）→
//! 2回目 提出 → 確認済, each with its time and account, and the
//! item-by-item difference between two submitted snapshots.

use serde::Serialize;

use crate::auth::{can_read_org, require, CurrentUser};
use crate::checklists::Catalog;
use crate::db::DbConnection;
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::store::oplog;
use crate::store::organisations::{self, Organisation};
use crate::store::snapshots::{self, Event, Snapshot};
use crate::store::submissions;

#[derive(Debug, Serialize)]
pub struct SnapshotLine {
    pub seq: i32,
    pub submitted_at: String,
    pub login: String,
}

/// One sub-item that differs between two submissions.
#[derive(Debug, Serialize)]
pub struct DiffRow {
    pub code: String,
    pub text: String,
    /// `3`, or `-` when not answered.
    pub before: String,
    pub after: String,
    pub comment_before: String,
    pub comment_after: String,
}

#[derive(Debug, Serialize)]
pub struct Diff {
    pub from: i32,
    pub to: i32,
    pub rows: Vec<DiffRow>,
}

#[derive(Debug, Serialize)]
pub struct History {
    pub org_code: String,
    pub org_name: String,
    pub fiscal_year: i32,
    pub status_label: &'static str,
    pub events: Vec<Event>,
    pub snapshots: Vec<SnapshotLine>,
    pub diff: Option<Diff>,
}

/// The history of `org`'s sheet of `fy`; with two submissions or more, the
/// difference between `from` and `to` (default: the last two).
pub fn build(
    conn: &mut DbConnection,
    catalog: &Catalog,
    org: &Organisation,
    fy: FiscalYear,
    from: Option<i32>,
    to: Option<i32>,
) -> AppResult<History> {
    let sub = submissions::find(conn, org.id, fy)?;
    let status = submissions::status_of(sub.as_ref());
    let (events, snaps) = match &sub {
        Some(s) => (
            snapshots::events(conn, s.id)?,
            snapshots::of_submission(conn, s.id)?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let pick = |seq: i32| -> AppResult<&Snapshot> {
        snaps.iter().find(|s| s.seq == seq).ok_or_else(|| {
            AppError::NotFound(format!(
                "{seq}回目の提出はありません（提出は{}回）",
                snaps.len()
            ))
        })
    };
    let diff = if snaps.len() >= 2 || from.is_some() || to.is_some() {
        let last = snaps.last().map_or(1, |s| s.seq);
        let to_seq = to.unwrap_or(last);
        let from_seq = from.unwrap_or(to_seq - 1);
        let (a, b) = (pick(from_seq)?, pick(to_seq)?);
        let before = snapshots::answers(conn, a.id)?;
        let after = snapshots::answers(conn, b.id)?;
        let list = catalog.checklist(crate::store::organisations::variant_of(org)?);
        let rows = list
            .items_in(fy)
            .filter_map(|item| {
                let x = before.get(&item.code);
                let y = after.get(&item.code);
                let score =
                    |v: Option<&(i32, String)>| v.map_or("-".to_string(), |(s, _)| s.to_string());
                let comment =
                    |v: Option<&(i32, String)>| v.map_or(String::new(), |(_, c)| c.clone());
                (score(x) != score(y) || comment(x) != comment(y)).then(|| DiffRow {
                    code: item.code.clone(),
                    text: item.text_in(fy).to_string(),
                    before: score(x),
                    after: score(y),
                    comment_before: comment(x),
                    comment_after: comment(y),
                })
            })
            .collect();
        Some(Diff {
            from: from_seq,
            to: to_seq,
            rows,
        })
    } else {
        None
    };
    Ok(History {
        org_code: org.code.clone(),
        org_name: org.name.clone(),
        fiscal_year: fy.year(),
        status_label: status.label(),
        events,
        snapshots: snaps
            .iter()
            .map(|s| SnapshotLine {
                seq: s.seq,
                submitted_at: s.submitted_at.clone(),
                login: s.submitted_login.clone(),
            })
            .collect(),
        diff,
    })
}

/// The history of `code`'s sheet of `fy` for `user`, who must be allowed to
/// read the organisation; the view is logged as `answers_history`.
pub fn viewed(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    code: &str,
    fy: FiscalYear,
    from: Option<i32>,
    to: Option<i32>,
) -> AppResult<History> {
    let org = organisations::get(conn, code)?;
    require(can_read_org(user, &org))?;
    let view = build(conn, catalog, &org, fy, from, to)?;
    oplog::record(
        conn,
        &user.actor(),
        "answers_history",
        &org.code,
        Some(fy.year()),
        "",
    )?;
    Ok(view)
}
