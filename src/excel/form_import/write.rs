//! Step 3: the form checked against the organisation, its variant and the
//! round, the answers written in the caller's transaction, and the
//! `ImportReport` of what changed.

use std::collections::BTreeMap;

use serde::Serialize;

use super::parse::{short, FilledForm, PlanInput};
use super::{stale_answers_warning, ImportHooks, ImportRefusal};
use crate::checklists::{Catalog, Variant};
use crate::db::DbConnection;
use crate::domain::{FiscalYear, Score};
use crate::error::AppError;
use crate::store;
use crate::store::answers::AnswerInput;

/// One item whose stored answer the import changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerChange {
    pub item_code: String,
    /// The answer on file before, if any.
    pub before: Option<(Score, String)>,
    pub after: (Score, String),
}

/// One item whose score differs from last year's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearChange {
    pub item_code: String,
    pub last_year: Score,
    pub this_year: Score,
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub org_code: String,
    pub org_name: String,
    pub fiscal_year: FiscalYear,
    pub variant: Variant,
    /// The answers to the checklist's conditions (e.g. has_critical_room).
    pub conditions: BTreeMap<String, bool>,
    /// Answers in the workbook.
    pub answers: usize,
    /// Answers that were new or differ from those on file, in checklist order.
    pub changes: Vec<AnswerChange>,
    /// Scores that differ from the organisation's answers of the year before.
    pub against_last_year: Vec<YearChange>,
    /// Improvement plans written in the workbook (items scored 1 or 2), for
    /// the caller to store.
    pub plans: Vec<PlanInput>,
    pub warnings: Vec<String>,
}

impl ImportReport {
    /// Answers added (none on file before).
    pub fn added(&self) -> usize {
        self.changes.iter().filter(|c| c.before.is_none()).count()
    }

    /// Answers that replaced a different one.
    pub fn changed(&self) -> usize {
        self.changes.len() - self.added()
    }

    pub fn unchanged(&self) -> usize {
        self.answers - self.changes.len()
    }

    /// `札幌市 (011002) 平成19年度（2007年度）: 回答 126 件（新規 0、変更 2、変更なし 124）`
    pub fn summary(&self) -> String {
        format!(
            "{} ({}) {}: 回答 {} 件（新規 {}、変更 {}、変更なし {}）",
            self.org_name,
            self.org_code,
            self.fiscal_year,
            self.answers,
            self.added(),
            self.changed(),
            self.unchanged()
        )
    }

    /// One line per changed answer: `18-1: 2 → 3`, `18-1: コメントを変更`.
    pub fn change_lines(&self) -> Vec<String> {
        self.changes
            .iter()
            .filter_map(|c| {
                let (before, before_comment) = c.before.as_ref()?;
                let (after, after_comment) = &c.after;
                Some(if before != after {
                    let also = if before_comment != after_comment {
                        "（コメントも変更）"
                    } else {
                        ""
                    };
                    format!("{}: {before} → {after}{also}", c.item_code)
                } else {
                    format!("{}: コメントを変更", c.item_code)
                })
            })
            .collect()
    }

    /// `前年度と比べて: 上がった 5 項目、下がった 2 項目`
    pub fn last_year_line(&self) -> Option<String> {
        if self.against_last_year.is_empty() {
            return None;
        }
        let up = self
            .against_last_year
            .iter()
            .filter(|c| c.this_year > c.last_year)
            .count();
        Some(format!(
            "前年度と比べて: 上がった {up} 項目、下がった {} 項目",
            self.against_last_year.len() - up
        ))
    }
}

pub(super) fn store_form(
    conn: &mut DbConnection,
    catalog: &Catalog,
    form: FilledForm,
    hooks: &dyn ImportHooks,
) -> Result<ImportReport, ImportRefusal> {
    let fy = form.fiscal_year;
    let list = catalog.checklist(form.variant);
    let org = store::organisations::find(conn, &form.org_code)?.ok_or_else(|| {
        ImportRefusal::Form(vec![format!(
            "{}: 団体コード「{}」は登録されていません",
            form.org_cell,
            short(&form.org_code)
        )])
    })?;
    let org_variant = org.variant.as_deref().and_then(Variant::parse);
    if org_variant != Some(form.variant) {
        let answers = org_variant.map_or_else(
            || "調査票に回答しません".to_string(),
            |v| format!("{}に回答します", catalog.checklist(v).name),
        );
        return Err(ImportRefusal::Form(vec![format!(
            "{}: この調査票は{}ですが、{} {} は{answers}",
            form.variant_cell, list.name, org.code, org.name
        )]));
    }
    if !hooks.round_open(conn, form.variant, fy)? {
        return Err(ImportRefusal::Closed(format!(
            "{fy} の調査（{}）は受付期間外のため、取り込めません",
            list.name
        )));
    }
    let ids = store::checklists::item_ids(conn, form.variant, fy)?;
    let before = super::super::answers_by_code(conn, org.id, fy)?;
    let last_year = super::super::last_years_scores(conn, org.id, fy)?;

    let mut warnings = form.warnings;
    let mut inputs = Vec::with_capacity(form.items.len());
    let mut changes = Vec::new();
    let mut against_last_year = Vec::new();
    let mut plans = Vec::new();
    for item in form.items {
        let item_id = *ids.get(&item.code).ok_or_else(|| {
            AppError::internal(format!(
                "checklist_items has no row for {} {} in {}",
                form.variant,
                item.code,
                fy.year()
            ))
        })?;
        if matches!(item.score.value(), 1 | 2)
            && item.plan.is_none()
            && !hooks.has_plan(conn, org.id, fy, &item.code)?
        {
            warnings.push(format!(
                "{}: {} は「{}」ですが、改善計画書が未登録です",
                item.cell, item.code, item.score
            ));
        }
        let after = (item.score, item.comment.clone());
        let prior = before.get(&item.code);
        if prior != Some(&after) {
            changes.push(AnswerChange {
                item_code: item.code.clone(),
                before: prior.cloned(),
                after,
            });
        }
        if let Some(&last) = last_year.get(&item.code) {
            if last != item.score {
                against_last_year.push(YearChange {
                    item_code: item.code.clone(),
                    last_year: last,
                    this_year: item.score,
                });
            }
        }
        plans.extend(item.plan);
        inputs.push(AnswerInput {
            item_code: item.code,
            item_id,
            score: item.score,
            comment: item.comment,
        });
    }
    // Answers on file for items this workbook says do not apply (the
    // condition changed) are not removed by an import: say so.
    let mut stale: Vec<&str> = before
        .keys()
        .map(String::as_str)
        .filter(|code| {
            list.item(code)
                .and_then(|i| list.goal(i.goal_no))
                .is_some_and(|g| !g.applies_to(&form.conditions))
        })
        .collect();
    stale.sort();
    if !stale.is_empty() {
        warnings.push(stale_answers_warning(&stale));
    }
    store::answers::upsert(conn, org.id, fy, &inputs)?;
    Ok(ImportReport {
        org_code: org.code,
        org_name: org.name,
        fiscal_year: fy,
        variant: form.variant,
        conditions: form.conditions,
        answers: inputs.len(),
        changes,
        against_last_year,
        plans,
        warnings,
    })
}
