//! Where every organisation stands in a fiscal year: the list of one
//! prefecture's municipalities (status, progress, overall average) and the
//! national counts by prefecture; the pages' views, logged.

use std::collections::HashMap;

use serde::Serialize;

use super::{conditions, Progress};
use crate::auth::Actor;
use crate::checklists::{Catalog, Variant};
use crate::db::DbConnection;
use crate::domain::{FiscalYear, PlanTally};
use crate::error::{AppError, AppResult};
use crate::store::organisations::{self, Organisation};
use crate::store::rounds::{self, Round};
use crate::store::submissions::{self, Status, Submission};
use crate::store::{answers, oplog};

#[derive(Debug, Clone, Serialize)]
pub struct OrgRow {
    pub code: String,
    pub name: String,
    pub status: Status,
    pub status_label: &'static str,
    pub answered: usize,
    pub applicable: usize,
    /// The overall average (総平均点) of its 1–3 answers, two decimals.
    pub average: Option<String>,
    pub submitted_at: Option<String>,
    /// Last year's plans by result and this year's plans past their target.
    pub plans: PlanTally,
}

/// One row per organisation of `orgs`, in their order.
pub fn rows(
    conn: &mut DbConnection,
    catalog: &Catalog,
    variant: Variant,
    fy: FiscalYear,
    orgs: &[Organisation],
) -> AppResult<Vec<OrgRow>> {
    let subs = submissions::of_year(conn, fy)?;
    let ids: Vec<i32> = orgs.iter().map(|x| x.id).collect();
    let mut scores: HashMap<i32, Vec<(String, i32)>> = HashMap::new();
    for (org, code, score) in answers::scores_of_orgs(conn, fy, &ids, false)? {
        scores.entry(org).or_default().push((code, score));
    }
    let tallies = super::plan_follow::tallies(conn, &ids, fy, crate::domain::sheet::today_jst())?;
    let list = catalog.checklist(variant);
    Ok(orgs
        .iter()
        .map(|org| {
            let sub: Option<&Submission> = subs.get(&org.id);
            let status = submissions::status_of(sub);
            let conds = conditions(sub.and_then(|s| s.has_critical_room));
            let applicable: std::collections::HashSet<&str> = list
                .applicable_items(fy, &conds)
                .into_iter()
                .map(|i| i.code.as_str())
                .collect();
            let own: Vec<i32> = scores
                .get(&org.id)
                .map(|v| {
                    v.iter()
                        .filter(|(c, _)| applicable.contains(c.as_str()))
                        .map(|(_, s)| *s)
                        .collect()
                })
                .unwrap_or_default();
            let p = Progress {
                answered: own.len(),
                applicable: applicable.len(),
                average: super::mean_of_scores(own.iter().map(|s| i64::from(*s))),
            };
            OrgRow {
                code: org.code.clone(),
                name: org.name.clone(),
                status,
                status_label: status.label(),
                answered: p.answered,
                applicable: p.applicable,
                average: p.printed_average(),
                submitted_at: sub.and_then(|s| s.submitted_at.clone()),
                plans: tallies.get(&org.id).copied().unwrap_or_default(),
            }
        })
        .collect())
}

/// The count of each status among some rows, in `Status::ALL` order.
pub fn counts(rows: &[OrgRow]) -> Vec<StatusCount> {
    count_statuses(&rows.iter().map(|r| r.status).collect::<Vec<_>>())
}

fn count_statuses(statuses: &[Status]) -> Vec<StatusCount> {
    Status::ALL
        .iter()
        .map(|s| StatusCount {
            status: *s,
            label: s.label(),
            count: statuses.iter().filter(|x| *x == s).count(),
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusCount {
    pub status: Status,
    pub label: &'static str,
    pub count: usize,
}

/// One prefecture's line of the national table.
#[derive(Debug, Clone, Serialize)]
pub struct PrefectureLine {
    pub code: String,
    pub name: String,
    pub total: usize,
    pub counts: Vec<StatusCount>,
    /// The sum of its municipalities' plan tallies.
    pub plans: PlanTally,
}

/// The status counts of every prefecture's municipalities, and the total.
pub fn national(
    conn: &mut DbConnection,
    fy: FiscalYear,
) -> AppResult<(Vec<PrefectureLine>, PrefectureLine)> {
    let prefectures = organisations::prefectures(conn)?;
    let municipalities = organisations::municipality_prefectures(conn)?;
    let subs = submissions::of_year(conn, fy)?;
    let ids: Vec<i32> = municipalities.iter().map(|(id, _)| *id).collect();
    let tallies = super::plan_follow::tallies(conn, &ids, fy, crate::domain::sheet::today_jst())?;
    let mut by_pref: HashMap<String, (Vec<Status>, PlanTally)> = HashMap::new();
    for (id, pref) in municipalities {
        let status = submissions::status_of(subs.get(&id));
        let entry = by_pref.entry(pref.unwrap_or_default()).or_default();
        entry.0.push(status);
        if let Some(t) = tallies.get(&id) {
            entry.1.absorb(t);
        }
    }
    let line = |code: String, name: String, statuses: &[Status], plans: PlanTally| PrefectureLine {
        code,
        name,
        total: statuses.len(),
        counts: count_statuses(statuses),
        plans,
    };
    let mut all = Vec::new();
    let mut all_plans = PlanTally::default();
    let lines = prefectures
        .into_iter()
        .map(|p| {
            let (statuses, plans) = by_pref.remove(&p.code).unwrap_or_default();
            all.extend(statuses.iter().copied());
            all_plans.absorb(&plans);
            line(p.code, p.name, &statuses, plans)
        })
        .collect();
    Ok((lines, line(String::new(), "全国".into(), &all, all_plans)))
}

/// What the ministry's national status page shows.
pub struct NationalStatus {
    pub prefectures: Vec<PrefectureLine>,
    pub total: PrefectureLine,
    /// The national agencies, each with its status.
    pub agencies: Vec<OrgRow>,
    pub round: Option<Round>,
    pub agency_round: Option<Round>,
}

/// The national status of `fy` for the ministry (`actor`); the view is
/// logged as `status_view` (全国).
pub fn national_viewed(
    conn: &mut DbConnection,
    catalog: &Catalog,
    actor: &Actor,
    fy: FiscalYear,
) -> AppResult<NationalStatus> {
    let (prefectures, total) = national(conn, fy)?;
    let agencies = organisations::of_kind(conn, "agency")?;
    let agencies = rows(conn, catalog, Variant::NationalAgency, fy, &agencies)?;
    let round = rounds::find(conn, Variant::Municipal, fy)?;
    let agency_round = rounds::find(conn, Variant::NationalAgency, fy)?;
    oplog::record(conn, actor, "status_view", "", Some(fy.year()), "全国")?;
    Ok(NationalStatus {
        prefectures,
        total,
        agencies,
        round,
        agency_round,
    })
}

/// What a prefecture's status page shows.
pub struct PrefectureStatus {
    pub prefecture: Organisation,
    pub round: Option<Round>,
    /// Its municipalities, each with its status.
    pub rows: Vec<OrgRow>,
}

/// The status of prefecture `pref`'s municipalities in `fy` for `actor`
/// (already allowed to view it); the view is logged as `status_view`.
pub fn prefecture_viewed(
    conn: &mut DbConnection,
    catalog: &Catalog,
    actor: &Actor,
    pref: &str,
    fy: FiscalYear,
) -> AppResult<PrefectureStatus> {
    let prefecture = organisations::find(conn, pref)?
        .filter(|o| o.kind == "prefecture")
        .ok_or_else(|| AppError::NotFound(format!("都道府県コード {pref} はありません")))?;
    let munis = organisations::municipalities_of(conn, pref)?;
    let round = rounds::find(conn, Variant::Municipal, fy)?;
    let rows = rows(conn, catalog, Variant::Municipal, fy, &munis)?;
    oplog::record(
        conn,
        actor,
        "status_view",
        &prefecture.code,
        Some(fy.year()),
        "",
    )?;
    Ok(PrefectureStatus {
        prefecture,
        round,
        rows,
    })
}
