//! Step 2: the cells mapped by the keys in column A and the column titles
//! of the header row: the form's organisation, year and version, the
//! answers to the checklist's conditions (the item rows are `items.rs`).
//! Problems are collected, capped, each naming its sheet and cell.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::super::form_export::{NO, YES};
use super::super::{
    at, cell_name, Column, COL_KEY, COND_PREFIX, FORMAT_MARK, ITEM_PREFIX, KEY_CHECKLIST,
    KEY_HEADER, KEY_ORG, KEY_YEAR, SHEET,
};
use super::grid::{Grid, Value};
use super::items::read_items;
use super::ImportRefusal;
use crate::checklists::{Catalog, Checklist, Variant};
use crate::domain::{FiscalYear, Score};

/// At most this many problems are listed; the rest are counted.
const MAX_PROBLEMS: usize = 100;

/// An improvement plan written in the workbook's plan columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanInput {
    pub item_code: String,
    /// 現状
    pub situation: String,
    /// 改善策
    pub measure: String,
    /// 担当者
    pub person: String,
    /// 目標時期
    pub target: String,
    /// Where 現状, 改善策, 担当者 and 目標時期 were read (`調査票!H37` …), in
    /// that order; "" for a column the sheet lacks.
    pub cells: [String; 4],
}

/// One answered item as read from the workbook.
#[derive(Debug, Clone)]
pub struct FilledItem {
    pub code: String,
    /// `調査票!F37`
    pub cell: String,
    pub score: Score,
    pub comment: String,
    pub plan: Option<PlanInput>,
}

/// A form read and checked against the checklist, not yet stored.
#[derive(Debug, Clone)]
pub struct FilledForm {
    pub org_code: String,
    pub org_cell: String,
    pub fiscal_year: FiscalYear,
    pub variant: Variant,
    pub variant_cell: String,
    pub conditions: BTreeMap<String, bool>,
    /// The applicable items, in checklist order.
    pub items: Vec<FilledItem>,
    pub warnings: Vec<String>,
}

pub(super) struct Layout {
    /// Row of each key in column A.
    pub(super) keys: HashMap<String, u32>,
    columns: HashMap<&'static str, u32>,
}

impl Layout {
    pub(super) fn col(&self, c: Column) -> Option<u32> {
        self.columns.get(c.title()).copied()
    }
}

/// Problems found so far, capped.
#[derive(Default)]
pub(super) struct Problems(Vec<String>, usize);

impl Problems {
    pub(super) fn push(&mut self, p: String) {
        if self.0.len() < MAX_PROBLEMS {
            self.0.push(p);
        } else {
            self.1 += 1;
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn refusal(mut self) -> ImportRefusal {
        if self.1 > 0 {
            self.0.push(format!("ほかに {} 件の問題があります", self.1));
        }
        ImportRefusal::Form(self.0)
    }
}

/// Step 2: maps the cells to the checklist of the form's variant and year.
pub fn parse_form(
    grid: &Grid,
    catalog: &Catalog,
    expected_org: Option<&str>,
    expected_year: Option<FiscalYear>,
) -> Result<FilledForm, ImportRefusal> {
    if grid.text(0, u32::from(COL_KEY)) != FORMAT_MARK {
        return Err(ImportRefusal::File(format!(
            "{}: tenken の調査票ではありません（印「{FORMAT_MARK}」がありません）。tenken で出力した調査票を使ってください",
            at(0, 0)
        )));
    }
    let mut problems = Problems::default();
    let layout = layout(grid, &mut problems);
    let (Some(layout), true) = (layout, problems.is_empty()) else {
        return Err(problems.refusal());
    };
    let Some(answer_col) = layout.col(Column::Answer) else {
        return Err(ImportRefusal::Form(vec![format!(
            "{SHEET}: 見出し行に「{}」の列がありません",
            Column::Answer.title()
        )]));
    };
    let meta = |key: &str, problems: &mut Problems| -> Option<(u32, String)> {
        match layout.keys.get(key) {
            Some(&row) => Some((row, grid.text(row, answer_col))),
            None => {
                problems.push(format!(
                    "{SHEET}: 見出しの「{key}」の行がありません（壊れた調査票です）"
                ));
                None
            }
        }
    };
    let org = meta(KEY_ORG, &mut problems);
    let year = meta(KEY_YEAR, &mut problems);
    let version = meta(KEY_CHECKLIST, &mut problems);
    let (Some((org_row, org_code)), Some((year_row, year_text)), Some((version_row, version))) =
        (org, year, version)
    else {
        return Err(problems.refusal());
    };
    let org_cell = at(org_row, answer_col);
    if org_code.is_empty() {
        problems.push(format!("{org_cell}: 団体コードが空です"));
    }
    if let Some(want) = expected_org {
        if !org_code.is_empty() && org_code != want.trim() {
            problems.push(format!(
                "{org_cell}: この調査票は団体コード {org_code} のものです。団体コード {} の調査票を使ってください",
                want.trim()
            ));
        }
    }
    let year_cell = at(year_row, answer_col);
    let fiscal_year = match grid.get(year_row, answer_col) {
        Some(Value::Number(n)) if n.fract() == 0.0 && n.abs() < 1e6 => {
            FiscalYear::new(*n as i32).ok()
        }
        Some(Value::Text(s)) => FiscalYear::parse(s).ok(),
        _ => None,
    };
    let Some(fiscal_year) = fiscal_year else {
        problems.push(format!("{year_cell}: 年度「{year_text}」が読めません"));
        return Err(problems.refusal());
    };
    if let Some(want) = expected_year {
        if want != fiscal_year {
            problems.push(format!(
                "{year_cell}: この調査票は {fiscal_year} のものです。{want} の調査票を使ってください"
            ));
        }
    }
    let variant_cell = at(version_row, answer_col);
    let Some(variant) = version.split('@').next().and_then(Variant::parse) else {
        problems.push(format!(
            "{variant_cell}: 調査票の版「{version}」が読めません"
        ));
        return Err(problems.refusal());
    };
    let list = catalog.checklist(variant);
    let mut warnings = Vec::new();
    if version != list.version_label() {
        warnings.push(format!(
            "{variant_cell}: この調査票は版 {version} で作られました（現在の版は {}）。項目IDで照合して取り込みます",
            list.version_label()
        ));
    }

    let conditions = read_conditions(grid, list, &layout, answer_col, &mut problems);
    let items = read_items(
        grid,
        list,
        fiscal_year,
        &conditions,
        &layout,
        answer_col,
        &mut problems,
        &mut warnings,
    );
    if !problems.is_empty() {
        return Err(problems.refusal());
    }
    Ok(FilledForm {
        org_code,
        org_cell,
        fiscal_year,
        variant,
        variant_cell,
        conditions,
        items,
        warnings,
    })
}

/// Keys of column A and the column titles of the `header` row.
fn layout(grid: &Grid, problems: &mut Problems) -> Option<Layout> {
    let mut keys: HashMap<String, u32> = HashMap::new();
    for (&(row, col), v) in &grid.cells {
        if col != u32::from(COL_KEY) || row == 0 {
            continue;
        }
        let key = v.shown();
        if key.is_empty() {
            continue;
        }
        if let Some(first) = keys.get(&key) {
            let what = key.strip_prefix(ITEM_PREFIX).map_or_else(
                || format!("「{key}」の行"),
                |code| format!("項目ID「{code}」"),
            );
            problems.push(format!(
                "{}: {what}が {} と重複しています",
                at(row, col),
                cell_name(*first, col)
            ));
            continue;
        }
        keys.insert(key, row);
    }
    let Some(&header) = keys.get(KEY_HEADER) else {
        problems.push(format!(
            "{SHEET}: 見出し行（「{}」「{}」…）が見つかりません。tenken で出力した調査票を使ってください",
            Column::Answer.title(),
            Column::Comment.title()
        ));
        return None;
    };
    let mut columns = HashMap::new();
    for (&(_, col), v) in grid.cells.range((header, 1)..(header + 1, 0)) {
        if let Value::Text(t) = v {
            if let Some(c) = Column::from_title(t) {
                columns.entry(c.title()).or_insert(col);
            }
        }
    }
    for required in [Column::Answer, Column::Comment] {
        if !columns.contains_key(required.title()) {
            problems.push(format!(
                "{SHEET}: 見出し行（{} 行目）に「{}」の列がありません",
                header + 1,
                required.title()
            ));
        }
    }
    Some(Layout { keys, columns })
}

fn read_conditions(
    grid: &Grid,
    list: &Checklist,
    layout: &Layout,
    answer_col: u32,
    problems: &mut Problems,
) -> BTreeMap<String, bool> {
    let mut out = BTreeMap::new();
    for cond in &list.conditions {
        let Some(&row) = layout.keys.get(&format!("{COND_PREFIX}{}", cond.key)) else {
            problems.push(format!("{SHEET}: 「{}」の行がありません", cond.question));
            continue;
        };
        let cell = at(row, answer_col);
        match grid.get(row, answer_col) {
            None => problems.push(format!(
                "{cell}: 「{}」に「{YES}」か「{NO}」を選んでください",
                cond.question
            )),
            Some(v) => match v {
                Value::Bool(b) => {
                    out.insert(cond.key.clone(), *b);
                }
                Value::Text(t) if t.trim() == YES => {
                    out.insert(cond.key.clone(), true);
                }
                Value::Text(t) if t.trim() == NO => {
                    out.insert(cond.key.clone(), false);
                }
                other => problems.push(format!(
                    "{cell}: 「{}」は「{YES}」「{NO}」のいずれでもありません",
                    short(&other.shown())
                )),
            },
        }
    }
    out
}

/// A value quoted in a message, cut to a readable length.
pub(super) fn short(s: &str) -> String {
    const MAX: usize = 30;
    if s.chars().count() > MAX {
        s.chars().take(MAX).collect::<String>() + "…"
    } else {
        s.to_string()
    }
}
