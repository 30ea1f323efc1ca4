//! The answer sheet as the load benchmark's clients type it: random scores
//! that change a few items per save, the full form a browser posts (every
//! field of every sub-item, as `templates/sheet.html` has them and
//! `workflow::form::parse_sheet` reads them), and the check that the
//! database holds exactly each sheet's last save.

use rand::{Rng, RngCore};

use crate::checklists::Checklist;
use crate::db::DbConnection;
use crate::domain::{FiscalYear, Score};
use crate::error::{AppError, AppResult};
use crate::store::organisations;
use crate::store::submissions::PlanFields;
use crate::workflow::{Entries, Entry, Sheet};

/// The reason typed for an item answered 0 (a 0 needs one).
const NA_REASON: &str = "該当する設備がないため";

/// A score drawn as the national figures look: mostly 3.
fn draw_score(rng: &mut dyn RngCore) -> u8 {
    match rng.random_range(0..100) {
        0..70 => 3,
        70..85 => 2,
        85..90 => 1,
        _ => 0,
    }
}

/// The entry a clerk types for `score`: a reason for 0, a complete
/// improvement plan for 1 and 2, nothing else.
fn entry_for(score: u8, serial: u64) -> AppResult<Entry> {
    let plan = if score == 1 || score == 2 {
        PlanFields {
            present_state: format!("規程はあるが周知が不十分（{serial}）"),
            measure: "研修を年2回実施する".into(),
            person_in_charge: "情報政策課".into(),
            target_date: "2008-03-31".into(),
        }
    } else {
        PlanFields::default()
    };
    Ok(Entry {
        score: Some(Score::new(i64::from(score))?),
        comment: if score == 0 {
            NA_REASON.into()
        } else {
            String::new()
        },
        plan,
    })
}

/// A whole sheet answered at random (every applicable item scored).
pub fn random_sheet(list: &Checklist, fy: FiscalYear, rng: &mut dyn RngCore) -> AppResult<Entries> {
    let mut entries = Entries {
        has_critical_room: Some(rng.random_bool(0.6)),
        ..Default::default()
    };
    for item in list.applicable_items(fy, &entries.conditions()) {
        entries
            .items
            .insert(item.code.clone(), entry_for(draw_score(rng), 0)?);
    }
    Ok(entries)
}

/// `entries` with `changed` applicable items given another score (as a
/// clerk revising part of the sheet between two saves).
pub fn revise(
    list: &Checklist,
    fy: FiscalYear,
    entries: &Entries,
    changed: usize,
    serial: u64,
    rng: &mut dyn RngCore,
) -> AppResult<Entries> {
    let mut next = entries.clone();
    let applicable = list.applicable_items(fy, &entries.conditions());
    if applicable.is_empty() {
        return Ok(next);
    }
    for _ in 0..changed {
        let at = rng.random_range(0..applicable.len());
        let Some(item) = applicable.get(at) else {
            continue;
        };
        let now = entries.get(&item.code).score.map(|s| s.value());
        let mut score = draw_score(rng);
        if Some(score) == now {
            score = if score == 3 { 2 } else { 3 };
        }
        next.items
            .insert(item.code.clone(), entry_for(score, serial)?);
    }
    Ok(next)
}

/// The fields a browser posts for `entries` with 「下書き保存」: the token,
/// the version, the 重要機能室 radio, and for every sub-item of the year
/// (the goal not applicable is only hidden, its fields are still sent) the
/// checked score radio, the comment and the four plan fields.
pub fn form(
    list: &Checklist,
    fy: FiscalYear,
    entries: &Entries,
    version: i32,
    csrf: &str,
) -> Vec<(String, String)> {
    let mut out = vec![
        ("csrf_token".to_string(), csrf.to_string()),
        ("version".to_string(), version.to_string()),
    ];
    match entries.has_critical_room {
        Some(true) => out.push(("has_critical_room".into(), "yes".into())),
        Some(false) => out.push(("has_critical_room".into(), "no".into())),
        None => {}
    }
    for item in list.items_in(fy) {
        let code = &item.code;
        let e = entries.get(code);
        if let Some(s) = e.score {
            out.push((format!("score_{code}"), s.value().to_string()));
        }
        out.push((format!("comment_{code}"), e.comment));
        out.push((format!("plan_present_{code}"), e.plan.present_state));
        out.push((format!("plan_measure_{code}"), e.plan.measure));
        out.push((format!("plan_person_{code}"), e.plan.person_in_charge));
        out.push((format!("plan_target_{code}"), e.plan.target_date));
    }
    out.push(("action".into(), "save".into()));
    out
}

/// What the final check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Check {
    pub sheets: usize,
    /// Applicable sub-items compared (score, comment and plan each).
    pub items: usize,
    /// Each difference between a sheet's last save and the database, in
    /// Japanese; the first 20.
    pub mismatches: Vec<String>,
    /// How many differences there were in all.
    pub mismatch_count: usize,
}

impl Check {
    pub fn passed(&self) -> bool {
        self.mismatch_count == 0
    }

    fn differ(&mut self, what: String) {
        self.mismatch_count += 1;
        if self.mismatches.len() < 20 {
            self.mismatches.push(what);
        }
    }
}

fn shown(score: Option<Score>) -> String {
    score.map_or("未回答".into(), |s| s.value().to_string())
}

/// Compares each organisation's last posted sheet (`expected`: code and
/// entries) with what the database holds, read as the sheet page reads it.
pub fn verify(
    conn: &mut DbConnection,
    list: &Checklist,
    fy: FiscalYear,
    expected: &[(String, Entries)],
) -> AppResult<Check> {
    let mut check = Check::default();
    for (code, posted) in expected {
        let org = organisations::find(conn, code)?
            .ok_or_else(|| AppError::NotFound(format!("組織コード {code} の組織はありません")))?;
        let stored = Sheet::load(conn, org, fy)?.entries(list);
        check.sheets += 1;
        if stored.has_critical_room != posted.has_critical_room {
            check.differ(format!(
                "{code}: 重要機能室の回答が最後の保存（{:?}）と違います（データベース: {:?}）",
                posted.has_critical_room, stored.has_critical_room
            ));
        }
        let applicable = list.applicable_items(fy, &posted.conditions());
        for item in list.items_in(fy) {
            let c = &item.code;
            let (want, got) = (posted.get(c), stored.get(c));
            if !applicable.iter().any(|a| a.code == *c) {
                if got.score.is_some() {
                    check.differ(format!(
                        "{code} 小項目 {c}: 該当しない管理目標の小項目に評価 {} が残っています",
                        shown(got.score)
                    ));
                }
                continue;
            }
            check.items += 1;
            if want.score != got.score {
                check.differ(format!(
                    "{code} 小項目 {c}: 最後の保存は評価 {}、データベースは {}",
                    shown(want.score),
                    shown(got.score)
                ));
            }
            if want.comment.trim_end() != got.comment {
                check.differ(format!(
                    "{code} 小項目 {c}: コメントが最後の保存「{}」と違います（データベース「{}」）",
                    want.comment, got.comment
                ));
            }
            if want.plan != got.plan {
                check.differ(format!(
                    "{code} 小項目 {c}: 改善計画書が最後の保存と違います"
                ));
            }
        }
    }
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklists::{load, Sources, Variant};
    use rand::SeedableRng;

    #[test]
    fn the_form_is_what_the_parser_reads_back() {
        let catalog = load(&Sources::embedded()).unwrap();
        let list = catalog.checklist(Variant::Municipal);
        let fy = FiscalYear::new(2007).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let first = random_sheet(list, fy, &mut rng).unwrap();
        let next = revise(list, fy, &first, 5, 1, &mut rng).unwrap();
        let differing = first
            .items
            .iter()
            .filter(|(c, e)| next.get(c) != **e)
            .count();
        assert!((1..=5).contains(&differing), "{differing} items changed");
        let pairs = form(list, fy, &next, 4, "tok");
        let parsed = crate::workflow::form::parse_sheet(list, fy, &pairs);
        assert_eq!(parsed.version, Some(4));
        assert_eq!(parsed.action, "save");
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(parsed.entries.has_critical_room, next.has_critical_room);
        for item in list.applicable_items(fy, &next.conditions()) {
            assert_eq!(parsed.entries.get(&item.code), next.get(&item.code));
        }
        // Every sub-item of the year has its six fields, as the page sends them.
        assert_eq!(
            pairs
                .iter()
                .filter(|(k, _)| k.starts_with("comment_"))
                .count(),
            list.items_in(fy).count()
        );
    }
}
