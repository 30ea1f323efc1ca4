//! The scope of a table resolved to its organisations, who is counted
//! (submitted or all answers) and how that is labelled, and one
//! organisation's standing.

use super::super::model::{Basis, Counting, ScopeInfo, StatusTally};
use super::super::scope::Scope;
use super::super::standing;
use super::rows::{OrgInfo, Roster, YearData};
use crate::checklists::{Catalog, Variant};
use crate::domain::OrgCode;
use crate::error::{AppError, AppResult};
use crate::store::submissions::Status;

/// The peer standing of an organisation or a prefecture among the
/// answering organisations of the year.
pub(super) fn standing_of(
    catalog: &Catalog,
    roster: &Roster,
    data: &YearData,
    view: &View,
    scope: &Scope,
) -> Option<standing::Standing> {
    let variant = view.info.variant;
    let matrix = data.matrix(variant);
    let members: Vec<standing::Member> = matrix
        .orgs
        .iter()
        .filter_map(|(id, scores)| {
            let info = roster.orgs.get(id)?;
            (info.variant == Some(variant) && standing::has_answers(scores)).then(|| {
                standing::Member {
                    code: &info.code,
                    prefecture: info.prefecture_code.as_deref(),
                    kind: catalog
                        .municipality_types
                        .get(&info.code)
                        .map(|t| t.kind.as_str()),
                    scores,
                }
            })
        })
        .collect();
    let list = catalog.checklist(variant);
    match scope {
        Scope::Organisation(code) => {
            standing::of_organisation(list, &matrix.items, &members, code.as_str())
        }
        Scope::Prefecture(code) => {
            standing::of_prefecture(list, &matrix.items, &members, code.as_str())
        }
        _ => None,
    }
}

/// What the table of `view` counts this year, by the status of each sheet.
pub(super) fn counting(roster: &Roster, view: &View, data: &YearData, basis: Basis) -> Counting {
    let matrix = data.matrix(view.info.variant);
    let answered: std::collections::HashSet<i32> = matrix
        .orgs
        .iter()
        .filter(|(_, scores)| scores.iter().any(|s| *s <= 3))
        .map(|(id, _)| *id)
        .collect();
    let mut counted = StatusTally::default();
    let mut excluded = StatusTally::default();
    let tally = |t: &mut StatusTally, status: Option<Status>| {
        t.total += 1;
        match status {
            None => t.imported += 1,
            Some(Status::Submitted) => t.submitted += 1,
            Some(Status::Accepted) => t.accepted += 1,
            Some(Status::Returned) => t.returned += 1,
            Some(Status::Draft | Status::NotStarted) => t.draft += 1,
        }
    };
    for (id, info) in &roster.orgs {
        if !view.includes(*id, info) {
            continue;
        }
        let sheet = data.sheets.get(id);
        let status = sheet.map(|s| s.status);
        if answered.contains(id) {
            tally(&mut counted, status);
        } else if let Some(sheet) = sheet {
            // A sheet the table leaves out: a draft never submitted, or
            // (official) anything not yet submitted once.
            if basis == Basis::Official && !sheet.submitted_once || basis == Basis::Provisional {
                tally(&mut excluded, status);
            }
        }
    }
    let label = counting_label(&counted, &excluded, basis);
    Counting {
        counted,
        excluded,
        label,
    }
}

/// 「集計対象：提出済・確認済 N 団体（入力中 M 団体は含まない）」 and its 速報 form.
pub(super) fn counting_label(
    counted: &StatusTally,
    excluded: &StatusTally,
    basis: Basis,
) -> String {
    match basis {
        Basis::Official => {
            let sheets = counted.total - counted.imported;
            let head = match (sheets, counted.imported) {
                (_, 0) => format!("集計対象：提出済・確認済 {} 団体", counted.total),
                (0, n) => format!("集計対象：一括登録の確定値 {n} 団体"),
                (s, n) => format!("集計対象：提出済・確認済 {s} 団体と一括登録の確定値 {n} 団体"),
            };
            let mut notes = Vec::new();
            if counted.returned > 0 {
                notes.push(format!(
                    "差戻し中 {} 団体は前回提出の回答で集計",
                    counted.returned
                ));
            }
            if excluded.total > 0 {
                notes.push(format!("入力中 {} 団体は含まない", excluded.total));
            }
            if notes.is_empty() {
                head
            } else {
                format!("{head}（{}）", notes.join("。"))
            }
        }
        Basis::Provisional => format!(
            "速報（公式の集計ではありません）：入力中を含む {} 団体（提出済 {}・確認済 {}・差戻し中 {}・入力中 {}・一括登録 {}）",
            counted.total,
            counted.submitted,
            counted.accepted,
            counted.returned,
            counted.draft,
            counted.imported
        ),
    }
}

/// Which organisations a scope takes, checked against the roster.
pub(super) struct View {
    pub(super) info: ScopeInfo,
    pub(super) filter: Filter,
}

pub(super) enum Filter {
    Kind(&'static str),
    Prefecture(String),
    One(i32),
}

impl View {
    pub(super) fn includes(&self, id: i32, info: &OrgInfo) -> bool {
        match &self.filter {
            Filter::Kind(kind) => info.kind == *kind,
            Filter::Prefecture(p) => {
                info.kind == "municipality" && info.prefecture_code.as_deref() == Some(p)
            }
            Filter::One(one) => id == *one,
        }
    }
}

pub(super) fn resolve(roster: &Roster, scope: &Scope) -> AppResult<View> {
    let info = |code: Option<String>, name: String, variant| ScopeInfo {
        key: scope.key(),
        kind: scope.kind(),
        code,
        name,
        variant,
    };
    Ok(match scope {
        Scope::National => View {
            info: info(None, "全国（市区町村）".into(), Variant::Municipal),
            filter: Filter::Kind("municipality"),
        },
        Scope::Agencies => View {
            info: info(None, "国の行政機関等".into(), Variant::NationalAgency),
            filter: Filter::Kind("agency"),
        },
        Scope::Prefecture(code) => {
            let name = roster.prefecture_names.get(code.as_str()).ok_or_else(|| {
                AppError::NotFound(format!("都道府県コード {code} は登録されていません"))
            })?;
            View {
                info: info(Some(code.to_string()), name.clone(), Variant::Municipal),
                filter: Filter::Prefecture(code.to_string()),
            }
        }
        Scope::Organisation(code) => {
            let id = roster.by_code.get(code.as_str()).ok_or_else(|| {
                AppError::NotFound(format!("組織コード {code} は登録されていません"))
            })?;
            let org = roster
                .orgs
                .get(id)
                .ok_or_else(|| AppError::internal("roster index out of step"))?;
            let variant = org.variant.ok_or_else(|| {
                AppError::BadRequest(format!(
                    "{}（{}）は調査票に回答しない組織です（集計できるのは市区町村と国の行政機関等）",
                    org.name,
                    OrgCode::parse(&org.code).map_or(org.code.clone(), |c| c.to_string())
                ))
            })?;
            View {
                info: info(Some(org.code.clone()), org.name.clone(), variant),
                filter: Filter::One(*id),
            }
        }
    })
}
