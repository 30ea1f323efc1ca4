//! `tenken demo`: demonstration data so that a newcomer can click through
//! every role at once. Loads nothing it would duplicate: accounts are
//! created or reset, rounds opened only if missing, sample sheets filled only
//! where an organisation has none yet.
//!
//! The demo accounts share one fixed password, printed at start: they are
//! for a local demonstration only, never for a real installation.

use diesel::Connection;

use crate::auth::{password, Actor, Role};
use crate::checklists::{Catalog, Variant};
use crate::db::DbConnection;
use crate::domain::sheet::CRITICAL_ROOM;
use crate::domain::{FiscalYear, Score};
use crate::error::{AppError, AppResult};
use crate::store::answers::{self, AnswerInput};
use crate::store::snapshots::{self, EventKind};
use crate::store::submissions::{self, Change, PlanFields, Progress, Status};
use crate::store::{checklists, oplog, organisations, rounds, users};

/// The fiscal year of the demo round, and the year before it for last year's answers.
pub const DEMO_YEAR: i32 = 2007;
/// The demo accounts' password (satisfies the policy; demo only).
pub const DEMO_PASSWORD: &str = "Tenken-Demo-2007";
pub const DEMO_AGENCY: (&str, &str) = ("G0001", "デモ行政機関");

#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub login: &'static str,
    pub role: Role,
    pub org_code: &'static str,
}

pub const ACCOUNTS: [DemoAccount; 5] = [
    DemoAccount {
        login: "demo-sapporo",
        role: Role::Municipality,
        org_code: "011002",
    },
    DemoAccount {
        login: "demo-hokkaido",
        role: Role::Prefecture,
        org_code: "010006",
    },
    DemoAccount {
        login: "demo-mic",
        role: Role::Ministry,
        org_code: "MIC",
    },
    DemoAccount {
        login: "demo-agency",
        role: Role::Agency,
        org_code: DEMO_AGENCY.0,
    },
    DemoAccount {
        login: "demo-admin",
        role: Role::Admin,
        org_code: "MIC",
    },
];

/// What `prepare` did, for the console.
#[derive(Debug, Default)]
pub struct DemoSummary {
    pub sheets_filled: usize,
    pub accounts: Vec<(String, String, String)>,
}

fn fy(y: i32) -> AppResult<FiscalYear> {
    Ok(FiscalYear::new(y)?)
}

/// A stable pseudo-random number from text (FNV-1a): the same demo every run.
fn mix(s: &str) -> u64 {
    let h = s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    // Spread the last byte over every bit (murmur3's finaliser): without it
    // the scores of 2006 and 2007 differ by a constant modulo 20, and every
    // plan carried from 2006 would be 達成.
    let h = (h ^ (h >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// A plausible score: mostly 3, some 2, a few 1, rarely 0 (N/A).
fn score_for(org: &str, item: &str, year: i32) -> u8 {
    match mix(&format!("{org}/{item}/{year}")) % 20 {
        0 => 0,
        1 | 2 => 1,
        3..=6 => 2,
        _ => 3,
    }
}

/// Prepares the demo data; returns what to print.
pub fn prepare(conn: &mut DbConnection, catalog: &Catalog) -> AppResult<DemoSummary> {
    let mut summary = DemoSummary::default();
    if organisations::find(conn, DEMO_AGENCY.0)?.is_none() {
        organisations::add_agency(conn, DEMO_AGENCY.0, DEMO_AGENCY.1)?;
    }
    let this_year = fy(DEMO_YEAR)?;
    let last_year = fy(DEMO_YEAR - 1)?;
    for variant in Variant::ALL {
        let list = catalog.checklist(variant);
        let prio = catalog.priorities.of_year(variant, this_year).to_vec();
        if variant == Variant::Municipal && rounds::find(conn, variant, last_year)?.is_none() {
            let prev = catalog.priorities.of_year(variant, last_year).to_vec();
            rounds::open(
                conn,
                variant,
                last_year,
                Some("2006-10-31"),
                &list.version_label(),
                &prev,
            )?;
            rounds::close(conn, variant, last_year)?;
        }
        if rounds::find(conn, variant, this_year)?.is_none() {
            rounds::open(
                conn,
                variant,
                this_year,
                Some("2007-10-31"),
                &list.version_label(),
                &prio,
            )?;
        }
    }
    let hash = password::hash(DEMO_PASSWORD)?;
    for a in &ACCOUNTS {
        match users::find_by_login(conn, a.login)? {
            Some(u) => {
                users::set_password(conn, u.id, &hash, false)?;
                users::unlock(conn, u.id)?;
            }
            None => {
                users::create(conn, a.login, a.org_code, a.role, &hash, false)?;
            }
        }
        let org = organisations::find(conn, a.org_code)?
            .map(|o| o.name)
            .unwrap_or_default();
        summary
            .accounts
            .push((a.login.to_string(), a.role.label().to_string(), org));
    }

    // Sample sheets: Hokkaido's first municipalities in every state, a few
    // municipalities of the next prefectures, and the demo agency.
    let hokkaido = organisations::municipalities_of(conn, "010006")?;
    let plan: [(usize, Status, usize); 8] = [
        // (index in Hokkaido, status of this year, items left unanswered)
        (0, Status::Draft, 3),
        (1, Status::Submitted, 0),
        (2, Status::Submitted, 0),
        (3, Status::Returned, 0),
        (4, Status::Accepted, 0),
        (5, Status::Accepted, 0),
        (6, Status::Draft, 60),
        (7, Status::Draft, 100),
    ];
    let actor = Actor {
        user_id: None,
        login: "tenken-demo".into(),
        org_code: String::new(),
        address: "127.0.0.1".into(),
    };
    for (i, status, missing) in plan {
        if let Some(org) = hokkaido.get(i) {
            summary.sheets_filled +=
                fill(conn, catalog, &actor, org, last_year, Status::Accepted, 0)?;
            summary.sheets_filled += fill(conn, catalog, &actor, org, this_year, status, missing)?;
        }
    }
    for pref in ["020001", "030007", "040002"] {
        let munis = organisations::municipalities_of(conn, pref)?;
        for (org, status) in munis
            .iter()
            .zip([Status::Accepted, Status::Submitted, Status::Draft])
        {
            summary.sheets_filled += fill(conn, catalog, &actor, org, this_year, status, 0)?;
        }
    }
    if let Some(agency) = organisations::find(conn, DEMO_AGENCY.0)? {
        summary.sheets_filled +=
            fill(conn, catalog, &actor, &agency, this_year, Status::Draft, 30)?;
    }
    Ok(summary)
}

/// Fills one sheet, unless the organisation already has one for the year.
/// Returns 1 when filled.
fn fill(
    conn: &mut DbConnection,
    catalog: &Catalog,
    actor: &Actor,
    org: &organisations::Organisation,
    year: FiscalYear,
    status: Status,
    missing: usize,
) -> AppResult<usize> {
    if submissions::find(conn, org.id, year)?.is_some() {
        return Ok(0);
    }
    let variant = crate::store::organisations::variant_of(org)?;
    let list = catalog.checklist(variant);
    let has_room = !mix(&org.code).is_multiple_of(3);
    let conds = std::collections::BTreeMap::from([(CRITICAL_ROOM.to_string(), has_room)]);
    let items = list.applicable_items(year, &conds);
    let ids = checklists::item_ids(conn, variant, year)?;
    let keep = items.len().saturating_sub(missing);
    conn.transaction(|conn| {
        let mut inputs = Vec::new();
        let mut plans = Vec::new();
        for item in items.iter().take(keep) {
            let v = score_for(&org.code, &item.code, year.year());
            let item_id = *ids
                .get(&item.code)
                .ok_or_else(|| AppError::internal(format!("item {} missing", item.code)))?;
            inputs.push(AnswerInput {
                item_code: item.code.clone(),
                item_id,
                score: Score::new(i64::from(v))?,
                comment: if v == 0 {
                    "該当するシステムがないため".into()
                } else {
                    String::new()
                },
            });
            if matches!(v, 1 | 2) {
                plans.push((
                    item.code.clone(),
                    PlanFields {
                        present_state: "手続きが文書で定められていない".into(),
                        measure: "規程を整備し、職員に周知する".into(),
                        person_in_charge: "情報政策課 係長".into(),
                        target_date: format!("{}-03-31", year.year() + 1),
                    },
                ));
            }
        }
        // The draft of the demo municipality keeps one item scored 1 without
        // a plan, so that the check before submission can be seen.
        if status == Status::Draft && missing > 0 && missing < 10 {
            if let Some((code, _)) = plans.pop() {
                if let Some(input) = inputs.iter_mut().find(|i| i.item_code == code) {
                    input.score = Score::new(1)?;
                }
            }
        }
        answers::replace(conn, org.id, year, &inputs)?;
        let sub = submissions::create(conn, org.id, year, Status::Draft, Some(has_room), None)?;
        submissions::save_plans(conn, sub.id, &plans)?;
        let sub = if status == Status::Draft {
            sub
        } else {
            submissions::submit(conn, sub.id, actor)?
        };
        if matches!(status, Status::Returned | Status::Accepted) {
            let advice: Vec<(String, String)> = plans
                .iter()
                .take(2)
                .map(|(c, _)| {
                    (
                        c.clone(),
                        "改善計画の目標期日を早められないか検討してください".to_string(),
                    )
                })
                .collect();
            submissions::save_advice(conn, sub.id, None, &advice)?;
            submissions::advance(
                conn,
                org.id,
                year,
                sub.version,
                &[Status::Submitted],
                &Change {
                    status: Some(status),
                    review_note: Some(if status == Status::Returned {
                        "改善計画書の担当者を具体的に書いてください".into()
                    } else {
                        String::new()
                    }),
                    ..Default::default()
                },
            )?;
            let kind = if status == Status::Returned {
                EventKind::Return
            } else {
                EventKind::Accept
            };
            snapshots::record_event(conn, sub.id, kind, sub.snapshot_id, actor, advice.len(), "")?;
        }
        if status == Status::Accepted {
            let progress: Vec<Progress> = plans
                .iter()
                .enumerate()
                .map(|(n, (c, _))| Progress {
                    item_code: c.clone(),
                    progress: match n % 3 {
                        0 => "not_started",
                        1 => "in_progress",
                        _ => "done",
                    }
                    .into(),
                    started_on: (n % 3 > 0).then(|| format!("{}-11-01", year.year())),
                    completed_on: (n % 3 == 2).then(|| format!("{}-02-15", year.year() + 1)),
                    note: String::new(),
                })
                .collect();
            submissions::save_progress(conn, sub.id, None, &progress)?;
        }
        oplog::record(
            conn,
            actor,
            "answers_save",
            &org.code,
            Some(year.year()),
            &format!("デモデータ（{}）", status.label()),
        )?;
        Ok::<_, AppError>(())
    })?;
    Ok(1)
}
