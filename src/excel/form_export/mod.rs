//! The 調査票 workbook of one organisation and fiscal year.
//!
//! `write_form` gathers what the form shows from the database (the
//! organisation, this year's answers already on file, last year's answers)
//! and `build_form` lays it out; see the module `excel` for the layout. The
//! sheet is protected without a password: only the answer, comment and plan
//! cells and the condition answers are unlocked.

use std::collections::{BTreeMap, HashMap};

mod layout;

use rust_xlsxwriter::XlsxError;

use self::layout::build;
use crate::checklists::{Catalog, Checklist, Variant};
use crate::db::DbConnection;
use crate::domain::sheet::CRITICAL_ROOM;
use crate::domain::{FiscalYear, Score};
use crate::error::{AppError, AppResult};
use crate::store;
use crate::store::submissions::PlanFields;

/// Longest comment or plan text accepted (characters).
pub const MAX_TEXT_CHARS: u32 = 2000;

/// Words accepted for a condition: はい / いいえ.
pub const YES: &str = "はい";
pub const NO: &str = "いいえ";

/// What one form shows.
#[derive(Debug, Clone)]
pub struct FormData<'a> {
    pub catalog: &'a Catalog,
    pub variant: Variant,
    pub org_code: String,
    pub org_name: String,
    pub fiscal_year: FiscalYear,
    /// This year's answers already on file, prefilled: score and comment by item code.
    pub current: HashMap<String, (Score, String)>,
    /// Last year's scores, shown beside the answer column.
    pub previous: HashMap<String, Score>,
    /// Known answers to the checklist's conditions, prefilled.
    pub conditions: BTreeMap<String, bool>,
    /// Improvement plans on file for the year, prefilled, by item code.
    pub plans: HashMap<String, PlanFields>,
}

/// The form of organisation `org_code` for `fy`, as xlsx bytes.
pub fn write_form(
    conn: &mut DbConnection,
    catalog: &Catalog,
    org_code: &str,
    fy: FiscalYear,
) -> AppResult<Vec<u8>> {
    let data = form_data(conn, catalog, org_code, fy)?;
    build_form(&data)
}

/// Reads what the form of `org_code` for `fy` shows.
pub fn form_data<'a>(
    conn: &mut DbConnection,
    catalog: &'a Catalog,
    org_code: &str,
    fy: FiscalYear,
) -> AppResult<FormData<'a>> {
    let org = store::organisations::find(conn, org_code.trim())?.ok_or_else(|| {
        AppError::NotFound(format!(
            "団体コード「{}」は登録されていません",
            org_code.trim()
        ))
    })?;
    let variant = org
        .variant
        .as_deref()
        .and_then(Variant::parse)
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "{} {} は調査票に回答する団体ではありません",
                org.code, org.name
            ))
        })?;
    let list = catalog.checklist(variant);
    if list.items_in(fy).next().is_none() {
        return Err(AppError::BadRequest(format!(
            "{}は {} からです（{fy} の調査票はありません）",
            list.name, list.first_year
        )));
    }
    let current = super::answers_by_code(conn, org.id, fy)?;
    let previous = super::last_years_scores(conn, org.id, fy)?;
    let mut conditions = infer_conditions(list, current.keys().map(String::as_str));
    if conditions.is_empty() {
        conditions = infer_conditions(list, previous.keys().map(String::as_str));
    }
    // The sheet of the workflow, when there is one, knows better than the
    // answers: its 重要機能室 answer and its improvement plans.
    let mut plans = HashMap::new();
    if let Some(sub) = store::submissions::find(conn, org.id, fy)? {
        if let Some(room) = sub.has_critical_room {
            if list.conditions.iter().any(|c| c.key == CRITICAL_ROOM) {
                conditions.insert(CRITICAL_ROOM.to_string(), room);
            }
        }
        plans = store::submissions::plans(conn, sub.id)?
            .into_iter()
            .map(|(code, p)| (code, PlanFields::from(&p)))
            .collect();
    }
    Ok(FormData {
        catalog,
        variant,
        org_code: org.code,
        org_name: org.name,
        fiscal_year: fy,
        current,
        previous,
        conditions,
        plans,
    })
}

/// A file name for the download: `tenken-form-011002-2007.xlsx`.
pub fn file_name(org_code: &str, fy: FiscalYear) -> String {
    let code: String = org_code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("tenken-form-{code}-{}.xlsx", fy.year())
}

/// The conditions that answered items reveal: an organisation that answered
/// 7-x (goals for a 重要機能室) has one. A condition stays unknown when no
/// answered item depends on it, or when answers point both ways.
pub fn infer_conditions<'a>(
    list: &Checklist,
    answered: impl Iterator<Item = &'a str>,
) -> BTreeMap<String, bool> {
    let mut seen: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    for code in answered {
        let Some(goal) = list.item(code).and_then(|i| list.goal(i.goal_no)) else {
            continue;
        };
        for (key, want) in &goal.applies_when {
            let e = seen.entry(key.clone()).or_default();
            if *want {
                e.0 = true;
            } else {
                e.1 = true;
            }
        }
    }
    seen.into_iter()
        .filter_map(|(k, (yes, no))| (yes != no).then_some((k, yes)))
        .collect()
}

fn xlsx_error(e: XlsxError) -> AppError {
    AppError::internal_from("writing the form workbook", e)
}

/// Lays the form out; see the module `excel` for the layout.
pub fn build_form(data: &FormData<'_>) -> AppResult<Vec<u8>> {
    build(data).map_err(xlsx_error)
}

/// A row height (points) that shows `text` wrapped in a column `width`
/// characters wide; a full-width character takes nearly two.
pub(super) fn row_height(text: &str, width: f64) -> f64 {
    let units: f64 = text
        .chars()
        .map(|c| if c.is_ascii() { 1.0 } else { 1.8 })
        .sum();
    let lines = (units / width).ceil().max(1.0);
    (lines * 15.0 + 4.0).max(18.0)
}

/// `&` starts a code in Excel headers and footers.
pub(super) fn escape_header(s: &str) -> String {
    s.replace('&', "&&")
}

#[cfg(test)]
mod tests {
    use super::layout::runs;
    use super::*;

    #[test]
    fn file_names_are_plain_ascii() {
        let fy = FiscalYear::new(2007).expect("year");
        assert_eq!(file_name("011002", fy), "tenken-form-011002-2007.xlsx");
        assert_eq!(file_name("../G0001\"", fy), "tenken-form-G0001-2007.xlsx");
    }

    #[test]
    fn runs_of_rows() {
        assert_eq!(
            runs(&[8, 9, 10, 12, 14, 15]),
            vec![(8, 10), (12, 12), (14, 15)]
        );
        assert_eq!(runs(&[]), vec![]);
    }

    #[test]
    fn heights_grow_with_text() {
        assert_eq!(row_height("", 50.0), 19.0);
        // 60 full-width characters = 108 units in a 50-wide column: 3 lines.
        assert_eq!(row_height(&"あ".repeat(60), 50.0), 49.0);
        assert_eq!(row_height(&"あ".repeat(27), 50.0), 19.0);
    }
}
