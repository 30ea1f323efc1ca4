//! A filled 調査票 workbook uploaded on the sheet's page: the workbook's
//! answers, its 重要機能室 answer and its improvement plans become the
//! sheet's, in one transaction that also raises the sheet's version, so that
//! a form loaded before the upload conflicts instead of overwriting it.
//!
//! The checks are those of a save from the answer page: the sheet must be
//! editable (not 提出済 or 確認済) and its round open; the plans must meet the
//! page's rules (a 目標期日 that is a date, texts of at most
//! [`PLAN_MAX`](super::form::PLAN_MAX) characters), so that the sheet can be
//! saved from the page afterwards. The bulk intake of `tenken import forms`
//! goes through the same function (`import_for_intake`).

use std::collections::HashSet;

use diesel::Connection;

use super::form::PLAN_MAX;
use super::ops::require_open_round;
use crate::auth::Actor;
use crate::checklists::{Catalog, Variant};
use crate::db::DbConnection;
use crate::domain::sheet::{parse_date, CRITICAL_ROOM};
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::excel::form_import::{
    import_form, parse_form, read_grid, stale_answers_warning, ImportHooks, ImportRefusal,
    ImportReport, ImportRules, PlanInput,
};
use crate::excel::limits::Limits;
use crate::store::organisations::Organisation;
use crate::store::submissions::{self, Change, PlanFields, Status, Submission};
use crate::store::{answers, carried, oplog, organisations, plans, rounds};

/// What an upload did.
#[derive(Debug)]
pub enum Uploaded {
    Imported(Box<Imported>),
    /// The workbook was refused; nothing was stored.
    Refused(ImportRefusal),
}

#[derive(Debug)]
pub struct Imported {
    pub report: ImportReport,
    /// The sheet's version after the upload.
    pub version: i32,
    /// Plans inserted or changed.
    pub plans_changed: usize,
    /// Items whose earlier answers were removed because the workbook's
    /// 重要機能室 answer made them not applicable.
    pub removed: Vec<String>,
}

/// The hooks of the importer, answered from the workflow's tables.
struct SheetHooks {
    submission_id: i32,
}

impl ImportHooks for SheetHooks {
    fn round_open(
        &self,
        conn: &mut DbConnection,
        variant: Variant,
        fy: FiscalYear,
    ) -> Result<bool, AppError> {
        Ok(rounds::find(conn, variant, fy)?.is_some_and(|r| r.is_open()))
    }

    fn has_plan(
        &self,
        conn: &mut DbConnection,
        _organisation_id: i32,
        _fy: FiscalYear,
        item_code: &str,
    ) -> Result<bool, AppError> {
        plans::has_plan(conn, self.submission_id, item_code)
    }
}

/// Why the transaction was rolled back.
enum Abort {
    App(AppError),
    Refused(ImportRefusal),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::App(AppError::Database(e))
    }
}

impl From<AppError> for Abort {
    fn from(e: AppError) -> Self {
        Abort::App(e)
    }
}

/// The refusal of an upload to a sheet that may not change.
pub fn not_editable_message(fy: FiscalYear, status: Status) -> String {
    format!(
        "{fy} の回答は「{}」のため、調査票のブックを取り込めません",
        status.label()
    )
}

/// Imports `bytes` as the sheet of `org` for `fy`. The caller has checked
/// the right (`policy::can_answer`). A closed round or a sheet that may not
/// change is `AppError::Conflict`; a round never opened `AppError::NotFound`.
pub fn import_workbook(
    conn: &mut DbConnection,
    catalog: &Catalog,
    actor: &Actor,
    org: &Organisation,
    fy: FiscalYear,
    bytes: &[u8],
) -> AppResult<Uploaded> {
    let result = conn.transaction(|conn| {
        let sub = raise_version(conn, actor, org, fy)?;
        require_open_round(conn, org, fy)?;
        let rules = ImportRules {
            expected_org: Some(&org.code),
            expected_year: Some(fy),
            limits: Limits::DEFAULT,
        };
        let hooks = SheetHooks {
            submission_id: sub.id,
        };
        let mut report =
            import_form(conn, catalog, bytes, &rules, &hooks).map_err(Abort::Refused)?;
        let plans = sheet_plans(&report.plans).map_err(Abort::Refused)?;
        let room = report.conditions.get(CRITICAL_ROOM).copied();
        submissions::set_critical_room(conn, sub.id, room)?;

        // As a save from the page does: items that no longer apply lose
        // their answers and plans; comments kept for unscored items go (every
        // applicable item is answered now).
        let list = catalog.checklist(organisations::variant_of(org)?);
        let applicable: HashSet<&str> = list
            .applicable_items(fy, &report.conditions)
            .into_iter()
            .map(|i| i.code.as_str())
            .collect();
        let mut removed: Vec<String> = answers::of_org_year(conn, org.id, fy)?
            .into_iter()
            .map(|a| a.item_code)
            .filter(|code| !applicable.contains(code.as_str()))
            .collect();
        removed.sort_by_key(|c| list.items_in(fy).position(|i| &i.code == c));
        if !removed.is_empty() {
            let codes: Vec<&str> = removed.iter().map(String::as_str).collect();
            let warning = stale_answers_warning(&codes);
            report.warnings.retain(|w| *w != warning);
            answers::remove_items(conn, org.id, fy, &removed)?;
        }
        let mut entries: Vec<(String, PlanFields)> = list
            .items_in(fy)
            .filter(|i| !applicable.contains(i.code.as_str()))
            .map(|i| (i.code.clone(), PlanFields::default()))
            .collect();
        entries.extend(plans);
        let plans_changed = submissions::save_plans(conn, sub.id, &entries)?;
        submissions::set_draft_comments(conn, sub.id, &[])?;
        // A workbook states every applicable answer: items carried over
        // from last year are confirmed by it, as by a tick on the page.
        let stated: Vec<String> = applicable.iter().map(|c| c.to_string()).collect();
        carried::confirm(conn, sub.id, &stated)?;

        let mut detail = format!(
            "版 {} → {}、回答 {} 件（新規 {}、変更 {}、変更なし {}）、改善計画 {} 件",
            sub.version - 1,
            sub.version,
            report.answers,
            report.added(),
            report.changed(),
            report.unchanged(),
            report.plans.len()
        );
        if !removed.is_empty() {
            detail.push_str(&format!("、対象外の回答 {} 件を削除", removed.len()));
        }
        oplog::record(
            conn,
            actor,
            "form_import",
            &org.code,
            Some(fy.year()),
            &detail,
        )?;
        Ok(Imported {
            report,
            version: sub.version,
            plans_changed,
            removed,
        })
    });
    match result {
        Ok(imported) => Ok(Uploaded::Imported(Box::new(imported))),
        Err(Abort::Refused(ImportRefusal::Internal(e))) | Err(Abort::App(e)) => Err(e),
        Err(Abort::Refused(ImportRefusal::Closed(m))) => Err(AppError::Conflict(m)),
        Err(Abort::Refused(r)) => Ok(Uploaded::Refused(r)),
    }
}

/// Bulk intake (`tenken import forms`): the workbook names its organisation;
/// it is then imported exactly as an upload to that organisation's sheet
/// would be (open round, editable sheet, plans, 重要機能室, operation log).
pub fn import_for_intake(
    conn: &mut DbConnection,
    catalog: &Catalog,
    actor: &Actor,
    fy: FiscalYear,
    bytes: &[u8],
) -> Result<ImportReport, ImportRefusal> {
    let grid = read_grid(bytes, &Limits::DEFAULT)?;
    let form = parse_form(&grid, catalog, None, Some(fy))?;
    let org = organisations::find(conn, &form.org_code)?.ok_or_else(|| {
        ImportRefusal::Form(vec![format!(
            "{}: 団体コード「{}」は登録されていません",
            form.org_cell, form.org_code
        )])
    })?;
    match import_workbook(conn, catalog, actor, &org, fy, bytes) {
        Ok(Uploaded::Imported(imported)) => Ok(imported.report),
        Ok(Uploaded::Refused(refusal)) => Err(refusal),
        Err(AppError::Conflict(m)) | Err(AppError::NotFound(m)) => Err(ImportRefusal::Closed(m)),
        Err(e) => Err(ImportRefusal::Internal(e)),
    }
}

/// The first write of the transaction: raises the version of an editable
/// sheet, or creates the sheet (入力中) when there is none yet.
fn raise_version(
    conn: &mut DbConnection,
    actor: &Actor,
    org: &Organisation,
    fy: FiscalYear,
) -> Result<Submission, Abort> {
    let change = Change {
        user_id: actor.user_id,
        ..Change::default()
    };
    let editable = [Status::Draft, Status::Returned];
    if let Some(sub) = submissions::advance_any(conn, org.id, fy, &editable, &change)? {
        return Ok(sub);
    }
    if let Some(sub) = submissions::find(conn, org.id, fy)? {
        return Err(Abort::App(AppError::Conflict(not_editable_message(
            fy,
            sub.status(),
        ))));
    }
    match submissions::create(conn, org.id, fy, Status::Draft, None, actor.user_id) {
        Ok(sub) => Ok(sub),
        Err(e) if e.is_constraint_violation() => Err(Abort::App(AppError::Conflict(
            "同時に他の職員がこの回答を保存しました。もう一度取り込んでください".into(),
        ))),
        Err(e) => Err(Abort::App(e)),
    }
}

/// The workbook's plans as the sheet keeps them, checked against the answer
/// page's rules; every problem names its cell.
fn sheet_plans(plans: &[PlanInput]) -> Result<Vec<(String, PlanFields)>, ImportRefusal> {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for p in plans {
        let code = &p.item_code;
        let [situation_cell, measure_cell, person_cell, target_cell] = &p.cells;
        for (cell, label, text) in [
            (situation_cell, "現状", &p.situation),
            (measure_cell, "改善策", &p.measure),
            (person_cell, "担当者", &p.person),
        ] {
            let n = text.chars().count();
            if n > PLAN_MAX {
                problems.push(format!(
                    "{cell}: {code} の改善計画の{label}が長すぎます（{n} 字、上限 {PLAN_MAX} 字）"
                ));
            }
        }
        let target = if p.target.is_empty() {
            String::new()
        } else {
            match parse_date(&p.target) {
                Some(d) => d.format("%Y-%m-%d").to_string(),
                None => {
                    problems.push(format!(
                        "{target_cell}: {code} の改善計画の目標時期「{}」は日付として読めません（例: 2008-03-31）",
                        p.target
                    ));
                    continue;
                }
            }
        };
        out.push((
            code.clone(),
            PlanFields {
                present_state: p.situation.clone(),
                measure: p.measure.clone(),
                person_in_charge: p.person.clone(),
                target_date: target,
            },
        ));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ImportRefusal::Form(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(target: &str, measure: &str) -> PlanInput {
        PlanInput {
            item_code: "1-2".into(),
            situation: "規程が古い".into(),
            measure: measure.into(),
            person: "情報政策課".into(),
            target: target.into(),
            cells: ["調査票!H37", "調査票!I37", "調査票!J37", "調査票!K37"].map(String::from),
        }
    }

    #[test]
    fn plans_follow_the_answer_pages_rules() {
        let ok = sheet_plans(&[plan("2008/3/31", "改訂する")]).expect("plan");
        assert_eq!(ok[0].1.target_date, "2008-03-31");
        assert_eq!(ok[0].1.person_in_charge, "情報政策課");
        let err = sheet_plans(&[plan("令和8年3月", &"あ".repeat(1001))]).expect_err("bad");
        assert_eq!(
            err.lines(),
            vec![
                "調査票!I37: 1-2 の改善計画の改善策が長すぎます（1001 字、上限 1000 字）",
                "調査票!K37: 1-2 の改善計画の目標時期「令和8年3月」は日付として読めません（例: 2008-03-31）",
            ]
        );
    }
}
