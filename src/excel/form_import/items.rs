//! Step 2 for the item rows: each item of the year, whether it applies
//! under the form's conditions, its score, comment and improvement plan.
//!
//! `read_items` runs the steps in order: `applicability` (which items of the
//! year apply), `report_unknown_ids` (rows naming no item of the year), then
//! per item row `check_undecided`, `check_not_applicable` or `read_answer`
//! (with `read_plan`), and last `Blanks::report`.

use std::collections::{BTreeMap, HashMap};

use super::super::form_export::{MAX_TEXT_CHARS, NO, YES};
use super::super::{at, Column, COL_KEY, ITEM_PREFIX, SHEET};
use super::grid::{Grid, Value};
use super::parse::{short, FilledItem, Layout, PlanInput, Problems};
use crate::checklists::{Checklist, Item};
use crate::domain::score::ScoreError;
use crate::domain::{FiscalYear, Score};

/// Whether each item of the year applies; None while a condition it
/// depends on is unanswered (that problem is reported already).
type Applicability<'a> = HashMap<&'a str, Option<bool>>;

/// The columns an item row is read from.
struct ItemColumns {
    answer: u32,
    comment: Option<u32>,
    /// 現状, 改善策, 担当者, 目標時期; None for a column the sheet lacks.
    plan: [Option<u32>; 4],
}

/// Blank answers: reported one by one, or once if nothing is answered.
#[derive(Default)]
struct Blanks {
    blanks: Vec<String>,
    filled: usize,
}

/// Reads the rows of the items of `fy`: the applicable items answered,
/// in checklist order; every problem goes to `problems`.
#[allow(clippy::too_many_arguments)]
pub(super) fn read_items(
    grid: &Grid,
    list: &Checklist,
    fy: FiscalYear,
    conditions: &BTreeMap<String, bool>,
    layout: &Layout,
    answer_col: u32,
    problems: &mut Problems,
    warnings: &mut Vec<String>,
) -> Vec<FilledItem> {
    let in_year = applicability(list, fy, conditions);
    report_unknown_ids(list, fy, layout, &in_year, problems);
    let cols = ItemColumns {
        answer: answer_col,
        comment: layout.col(Column::Comment),
        plan: [
            Column::Situation,
            Column::Measure,
            Column::Person,
            Column::Target,
        ]
        .map(|c| layout.col(c)),
    };
    let mut items = Vec::new();
    let mut blanks = Blanks::default();
    for item in list.items_in(fy) {
        let applies = in_year.get(item.code.as_str()).copied().flatten();
        let Some(&row) = layout.keys.get(&format!("{ITEM_PREFIX}{}", item.code)) else {
            if applies == Some(true) {
                problems.push(format!(
                    "{SHEET}: 項目ID「{}」の行がありません（{}）",
                    item.code,
                    short(item.text_in(fy))
                ));
            }
            continue;
        };
        let cell = at(row, answer_col);
        let value = grid.get(row, answer_col);
        match applies {
            None => check_undecided(value, &cell, problems),
            Some(false) => check_not_applicable(list, item, conditions, value, &cell, problems),
            Some(true) => {
                let read = read_answer(grid, item, row, cell, &cols, &mut blanks, problems);
                if let Some((filled, plan_text)) = read {
                    let plan = read_plan(item, row, &filled, plan_text, &cols, warnings);
                    items.push(FilledItem { plan, ..filled });
                }
            }
        }
    }
    blanks.report(problems);
    items
}

/// Which items of the year apply under the answered conditions.
fn applicability<'a>(
    list: &'a Checklist,
    fy: FiscalYear,
    conditions: &BTreeMap<String, bool>,
) -> Applicability<'a> {
    list.items_in(fy)
        .map(|i| {
            let goal = list.goal(i.goal_no);
            let known =
                goal.is_some_and(|g| g.applies_when.keys().all(|k| conditions.contains_key(k)));
            let applies = goal.is_some_and(|g| g.applies_to(conditions));
            (i.code.as_str(), known.then_some(applies))
        })
        .collect()
}

/// Item ids in column A that are not items of the year, in sheet order.
fn report_unknown_ids(
    list: &Checklist,
    fy: FiscalYear,
    layout: &Layout,
    in_year: &Applicability<'_>,
    problems: &mut Problems,
) {
    let mut unknown: Vec<(u32, &str)> = layout
        .keys
        .iter()
        .filter_map(|(k, row)| k.strip_prefix(ITEM_PREFIX).map(|code| (*row, code)))
        .filter(|(_, code)| !in_year.contains_key(code))
        .collect();
    unknown.sort();
    for (row, code) in unknown {
        problems.push(format!(
            "{}: 項目ID「{}」はこの調査票（{} {}）にありません",
            at(row, u32::from(COL_KEY)),
            short(code),
            list.name,
            fy
        ));
    }
}

/// An item whose condition is unanswered: only a malformed score is reported.
fn check_undecided(value: Option<&Value>, cell: &str, problems: &mut Problems) {
    if let Some(Err(e)) = value.map(score_of) {
        problems.push(format!("{cell}: {e}"));
    }
}

/// An item that does not apply: it must be blank (or 該当しない).
fn check_not_applicable(
    list: &Checklist,
    item: &Item,
    conditions: &BTreeMap<String, bool>,
    value: Option<&Value>,
    cell: &str,
    problems: &mut Problems,
) {
    let why = not_applicable_reason(list, item.goal_no, conditions);
    match value.map(score_of) {
        None | Some(Ok(Score::NOT_APPLICABLE)) => {}
        Some(Ok(_)) => problems.push(format!(
            "{cell}: {why}ので {} には回答しません（空欄にしてください）",
            item.code
        )),
        Some(Err(e)) => problems.push(format!("{cell}: {e}")),
    }
}

/// An applicable item's score and comment (the plan is not read yet), and
/// the texts of its plan columns (現状, 改善策, 担当者, 目標時期); None when
/// the answer is blank or wrong.
fn read_answer(
    grid: &Grid,
    item: &Item,
    row: u32,
    cell: String,
    cols: &ItemColumns,
    blanks: &mut Blanks,
    problems: &mut Problems,
) -> Option<(FilledItem, [String; 4])> {
    let value = grid.get(row, cols.answer);
    blanks.filled += usize::from(value.is_some());
    let score = match value.map(score_of) {
        None => {
            blanks.blanks.push(format!(
                "{cell}: {} の回答が空です（3・2・1・0 のいずれかを選んでください）",
                item.code
            ));
            return None;
        }
        Some(Err(e)) => {
            problems.push(format!("{cell}: {e}"));
            return None;
        }
        Some(Ok(s)) => s,
    };
    let comment = text_at(grid, row, cols.comment, "コメント", problems);
    if score == Score::NOT_APPLICABLE && comment.trim().is_empty() {
        let where_ = cols.comment.map_or_else(|| cell.clone(), |c| at(row, c));
        problems.push(format!(
            "{where_}: {}",
            crate::domain::sheet::na_reason_message(&item.code)
        ));
    }
    let plan_text = [
        (cols.plan[0], Column::Situation),
        (cols.plan[1], Column::Measure),
        (cols.plan[2], Column::Person),
        (cols.plan[3], Column::Target),
    ]
    .map(|(col, c)| text_at(grid, row, col, c.title(), problems));
    let filled = FilledItem {
        code: item.code.clone(),
        cell,
        score,
        comment,
        plan: None,
    };
    Some((filled, plan_text))
}

/// The improvement plan of an answered item: taken for a score of 1 or 2,
/// left with a warning otherwise.
fn read_plan(
    item: &Item,
    row: u32,
    filled: &FilledItem,
    [situation, measure, person, target]: [String; 4],
    cols: &ItemColumns,
    warnings: &mut Vec<String>,
) -> Option<PlanInput> {
    let has_plan_text = [&situation, &measure, &person, &target]
        .iter()
        .any(|t| !t.is_empty());
    if !has_plan_text {
        None
    } else if matches!(filled.score.value(), 1 | 2) {
        if measure.is_empty() {
            if let Some(col) = cols.plan[1] {
                warnings.push(format!("{}: {} の改善策が空です", at(row, col), item.code));
            }
        }
        Some(PlanInput {
            item_code: item.code.clone(),
            situation,
            measure,
            person,
            target,
            cells: cols.plan.map(|c| c.map(|c| at(row, c)).unwrap_or_default()),
        })
    } else {
        warnings.push(format!(
            "{}: {} は「{}」なので改善計画は取り込みません",
            filled.cell, item.code, filled.score
        ));
        None
    }
}

/// The text of a cell of column `col` (none: ""), checked for length.
fn text_at(grid: &Grid, row: u32, col: Option<u32>, what: &str, problems: &mut Problems) -> String {
    let Some(col) = col else {
        return String::new();
    };
    let t = grid.text(row, col);
    let n = t.chars().count();
    if n > MAX_TEXT_CHARS as usize {
        problems.push(format!(
            "{}: {what}が長すぎます（{n} 字、上限 {MAX_TEXT_CHARS} 字）",
            at(row, col)
        ));
    }
    t
}

impl Blanks {
    /// The blank answers, or one problem if no item is answered at all.
    fn report(self, problems: &mut Problems) {
        if self.filled == 0 && self.blanks.len() > 1 {
            problems.push(format!(
                "{SHEET}: 回答がひとつもありません（「{}」欄に 3・2・1・0 を選んでください）",
                Column::Answer.title()
            ));
        } else {
            for b in self.blanks {
                problems.push(b);
            }
        }
    }
}

/// Why an item does not apply, to be followed by 「ので」: `「重要機能室がありますか」が「いいえ」な`.
fn not_applicable_reason(
    list: &Checklist,
    goal_no: u32,
    conditions: &BTreeMap<String, bool>,
) -> String {
    let reasons: Vec<String> = list
        .goal(goal_no)
        .map(|g| {
            g.applies_when
                .iter()
                .filter(|(k, want)| conditions.get(*k).is_some_and(|have| have != *want))
                .map(|(k, _)| {
                    let q = list
                        .conditions
                        .iter()
                        .find(|c| &c.key == k)
                        .map_or(k.as_str(), |c| c.question.as_str());
                    let have = conditions.get(k).copied().unwrap_or(false);
                    format!("「{q}」が「{}」", if have { YES } else { NO })
                })
                .collect()
        })
        .unwrap_or_default();
    format!("{}な", reasons.join("、"))
}

/// A score from a cell: 0–3 as a number, or any text `Score::parse`
/// accepts (full-width digits, the scale's words).
fn score_of(v: &Value) -> Result<Score, ScoreError> {
    match v {
        Value::Number(n) if n.fract() == 0.0 && (0.0..=3.0).contains(n) => Score::new(*n as i64),
        Value::Text(s) => Score::parse(s).map_err(|e| ScoreError(short(&e.0))),
        other => Err(ScoreError(short(&other.shown()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_from_cells() {
        let ok = |v: Value| score_of(&v).map(Score::value);
        assert_eq!(ok(Value::Number(3.0)), Ok(3));
        assert_eq!(ok(Value::Text("２".into())), Ok(2));
        assert_eq!(ok(Value::Text("整備していない".into())), Ok(1));
        let err = |v: Value| score_of(&v).map_err(|e| e.to_string());
        assert_eq!(
            err(Value::Number(4.0)),
            Err("「4」は 0〜3 のいずれでもありません".into())
        );
        assert_eq!(
            err(Value::Number(2.5)),
            Err("「2.5」は 0〜3 のいずれでもありません".into())
        );
        assert_eq!(
            err(Value::Bool(true)),
            Err("「TRUE」は 0〜3 のいずれでもありません".into())
        );
        assert_eq!(
            err(Value::Text("あ".repeat(40))),
            Err(format!(
                "「{}…」は 0〜3 のいずれでもありません",
                "あ".repeat(30)
            ))
        );
    }
}
