//! Reading a filled 調査票 workbook back.
//!
//! Three steps, each of which may refuse the workbook as a whole:
//! 1. `read_grid`: the bytes pass `limits::check` (size, format, zip bomb,
//!    encryption), then calamine reads the cells of sheet `調査票`.
//! 2. `parse_form`: the cells are mapped by the keys in the hidden column A
//!    and the column titles; every problem is collected, each naming its
//!    sheet and cell in Japanese (`調査票!F37: 「4」は 0〜3 のいずれでもありません`).
//! 3. `import_form`: in one transaction, the organisation, its variant and
//!    the round are checked, and the answers are written through
//!    `store::answers::upsert`. Any problem rolls everything back.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use calamine::{DataRef, Reader, SheetType, Xlsx};
use diesel::Connection;
use serde::Serialize;

use super::form_export::{MAX_TEXT_CHARS, NO, YES};
use super::limits::{self, Limits};
use super::{
    at, cell_name, Column, COL_KEY, COND_PREFIX, FORMAT_MARK, ITEM_PREFIX, KEY_CHECKLIST,
    KEY_HEADER, KEY_ORG, KEY_YEAR, SHEET,
};
use crate::checklists::{Catalog, Checklist, Variant};
use crate::db::DbConnection;
use crate::domain::score::ScoreError;
use crate::domain::{FiscalYear, Score};
use crate::error::AppError;
use crate::store;
use crate::store::answers::AnswerInput;

/// At most this many problems are listed; the rest are counted.
const MAX_PROBLEMS: usize = 100;

/// Why a workbook was not imported. Nothing of it was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportRefusal {
    /// Not a workbook that can be read safely: empty, not xlsx, encrypted,
    /// too large, a zip bomb, broken, or not a tenken form.
    #[error("{0}")]
    File(String),
    /// Read, but wrong: each problem names its sheet and cell.
    #[error("{}", .0.join("\n"))]
    Form(Vec<String>),
    /// The round of this variant and fiscal year is not open.
    #[error("{0}")]
    Closed(String),
    /// Storage failed.
    #[error(transparent)]
    Internal(#[from] AppError),
}

impl From<diesel::result::Error> for ImportRefusal {
    fn from(e: diesel::result::Error) -> Self {
        ImportRefusal::Internal(AppError::Database(e))
    }
}

impl From<ImportRefusal> for AppError {
    fn from(r: ImportRefusal) -> Self {
        match r {
            ImportRefusal::File(m) | ImportRefusal::Closed(m) => AppError::BadRequest(m),
            ImportRefusal::Form(problems) => AppError::Invalid(problems),
            ImportRefusal::Internal(e) => e,
        }
    }
}

impl ImportRefusal {
    /// The problems, one per line.
    pub fn lines(&self) -> Vec<String> {
        match self {
            ImportRefusal::Form(p) => p.clone(),
            other => vec![other.to_string()],
        }
    }
}

/// What the caller knows about the upload.
#[derive(Debug, Clone, Copy)]
pub struct ImportRules<'a> {
    /// The organisation the workbook must be for (web upload: the user's own).
    pub expected_org: Option<&'a str>,
    /// The fiscal year the workbook must be for.
    pub expected_year: Option<FiscalYear>,
    pub limits: Limits,
}

impl Default for ImportRules<'_> {
    fn default() -> Self {
        Self {
            expected_org: None,
            expected_year: None,
            limits: Limits::DEFAULT,
        }
    }
}

/// Questions the import asks of tables that live elsewhere (rounds,
/// improvement plans). Both run inside the import's transaction.
pub trait ImportHooks {
    /// Whether answers of `variant` for `fy` may be written now.
    fn round_open(
        &self,
        _conn: &mut DbConnection,
        _variant: Variant,
        _fy: FiscalYear,
    ) -> Result<bool, AppError> {
        Ok(true)
    }

    /// Whether an improvement plan (改善計画書) is on file for this item.
    fn has_plan(
        &self,
        _conn: &mut DbConnection,
        _organisation_id: i32,
        _fy: FiscalYear,
        _item_code: &str,
    ) -> Result<bool, AppError> {
        Ok(false)
    }
}

/// No round check, no plans on file: what the command line uses today.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHooks;

impl ImportHooks for NoHooks {}

/// A cell's value, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
    Bool(bool),
    Error(String),
}

impl Value {
    /// As the user would read it: `4`, `2.5`, `TRUE`, `#N/A`, the text.
    pub fn shown(&self) -> String {
        match self {
            Value::Text(s) => s.trim().to_string(),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
            Value::Error(e) => e.clone(),
        }
    }

    fn is_blank(&self) -> bool {
        matches!(self, Value::Text(s) if s.trim().is_empty())
    }
}

/// The non-empty cells of sheet `調査票`, by (row, column), 0-based.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub cells: BTreeMap<(u32, u32), Value>,
}

impl Grid {
    fn get(&self, row: u32, col: u32) -> Option<&Value> {
        self.cells.get(&(row, col)).filter(|v| !v.is_blank())
    }

    fn text(&self, row: u32, col: u32) -> String {
        self.get(row, col).map(Value::shown).unwrap_or_default()
    }
}

fn not_a_form() -> String {
    format!("シート「{SHEET}」がありません。tenken で出力した調査票（tenken export form または団体のページからダウンロードしたもの）を使ってください")
}

/// Step 1: checks the bytes, then reads the cells of `調査票`.
pub fn read_grid(bytes: &[u8], limits: &Limits) -> Result<Grid, ImportRefusal> {
    limits::check(bytes, limits).map_err(ImportRefusal::File)?;
    let broken = |e: calamine::XlsxError| {
        ImportRefusal::File(format!(
            "xlsx ファイルとして読めません。ファイルが壊れています（{e}）"
        ))
    };
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(broken)?;
    let is_sheet = workbook
        .sheets_metadata()
        .iter()
        .any(|s| s.name == SHEET && s.typ == SheetType::WorkSheet);
    if !is_sheet {
        return Err(ImportRefusal::File(not_a_form()));
    }
    let mut reader = workbook.worksheet_cells_reader(SHEET).map_err(broken)?;
    let mut grid = Grid::default();
    let mut read = 0usize;
    while let Some(cell) = reader.next_cell().map_err(broken)? {
        read += 1;
        if read > limits.max_cells {
            return Err(ImportRefusal::File(format!(
                "シート「{SHEET}」のセルが多すぎます（上限 {} 個）",
                limits.max_cells
            )));
        }
        let value = match cell.get_value() {
            DataRef::Empty => continue,
            DataRef::Int(i) => Value::Number(*i as f64),
            DataRef::Float(f) => Value::Number(*f),
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
                Value::Text(s.clone())
            }
            DataRef::SharedString(s) => Value::Text((*s).to_string()),
            DataRef::Bool(b) => Value::Bool(*b),
            DataRef::DateTime(d) => date_value(d),
            DataRef::Error(e) => Value::Error(e.to_string()),
        };
        grid.cells.insert(cell.get_position(), value);
    }
    Ok(grid)
}

/// A date cell (Excel turns a typed `2008/3/31` into one) as the text
/// `2008-03-31`; a date with a time of day, or a duration, stays a number.
fn date_value(d: &calamine::ExcelDateTime) -> Value {
    let (y, m, day, h, min, sec, ms) = d.to_ymd_hms_milli();
    if d.is_datetime() && (h, min, sec, ms) == (0, 0, 0, 0) {
        Value::Text(format!("{y:04}-{m:02}-{day:02}"))
    } else {
        Value::Number(d.as_f64())
    }
}

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

struct Layout {
    /// Row of each key in column A.
    keys: HashMap<String, u32>,
    columns: HashMap<&'static str, u32>,
}

impl Layout {
    fn col(&self, c: Column) -> Option<u32> {
        self.columns.get(c.title()).copied()
    }
}

/// Problems found so far, capped.
#[derive(Default)]
struct Problems(Vec<String>, usize);

impl Problems {
    fn push(&mut self, p: String) {
        if self.0.len() < MAX_PROBLEMS {
            self.0.push(p);
        } else {
            self.1 += 1;
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn refusal(mut self) -> ImportRefusal {
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

#[allow(clippy::too_many_arguments)]
fn read_items(
    grid: &Grid,
    list: &Checklist,
    fy: FiscalYear,
    conditions: &BTreeMap<String, bool>,
    layout: &Layout,
    answer_col: u32,
    problems: &mut Problems,
    warnings: &mut Vec<String>,
) -> Vec<FilledItem> {
    // Whether each item of the year applies; None while a condition it
    // depends on is unanswered (that problem is reported already).
    let in_year: HashMap<&str, Option<bool>> = list
        .items_in(fy)
        .map(|i| {
            let goal = list.goal(i.goal_no);
            let known =
                goal.is_some_and(|g| g.applies_when.keys().all(|k| conditions.contains_key(k)));
            let applies = goal.is_some_and(|g| g.applies_to(conditions));
            (i.code.as_str(), known.then_some(applies))
        })
        .collect();
    // Unknown ids first, in sheet order.
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
    let comment_col = layout.col(Column::Comment);
    let plan_cols = [
        Column::Situation,
        Column::Measure,
        Column::Person,
        Column::Target,
    ]
    .map(|c| layout.col(c));
    let text_at = |row: u32, col: Option<u32>, what: &str, problems: &mut Problems| -> String {
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
    };
    let mut items = Vec::new();
    // Blank answers are reported one by one, or once if nothing is answered.
    let mut blanks = Vec::new();
    let mut filled = 0usize;
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
        if applies.is_none() {
            if let Some(Err(e)) = value.map(score_of) {
                problems.push(format!("{cell}: {e}"));
            }
            continue;
        }
        if applies == Some(false) {
            let why = not_applicable_reason(list, item.goal_no, conditions);
            match value.map(score_of) {
                None | Some(Ok(Score::NOT_APPLICABLE)) => {}
                Some(Ok(_)) => problems.push(format!(
                    "{cell}: {why}ので {} には回答しません（空欄にしてください）",
                    item.code
                )),
                Some(Err(e)) => problems.push(format!("{cell}: {e}")),
            }
            continue;
        }
        filled += usize::from(value.is_some());
        let score = match value.map(score_of) {
            None => {
                blanks.push(format!(
                    "{cell}: {} の回答が空です（3・2・1・0 のいずれかを選んでください）",
                    item.code
                ));
                continue;
            }
            Some(Err(e)) => {
                problems.push(format!("{cell}: {e}"));
                continue;
            }
            Some(Ok(s)) => s,
        };
        let comment = text_at(row, comment_col, "コメント", problems);
        if score == Score::NOT_APPLICABLE && comment.trim().is_empty() {
            let where_ = comment_col.map_or_else(|| cell.clone(), |c| at(row, c));
            problems.push(format!(
                "{where_}: {}",
                crate::domain::sheet::na_reason_message(&item.code)
            ));
        }
        let [situation, measure, person, target] = [
            (plan_cols[0], Column::Situation),
            (plan_cols[1], Column::Measure),
            (plan_cols[2], Column::Person),
            (plan_cols[3], Column::Target),
        ]
        .map(|(col, c)| text_at(row, col, c.title(), problems));
        let has_plan_text = [&situation, &measure, &person, &target]
            .iter()
            .any(|t| !t.is_empty());
        let plan = if !has_plan_text {
            None
        } else if matches!(score.value(), 1 | 2) {
            if measure.is_empty() {
                if let Some(col) = plan_cols[1] {
                    warnings.push(format!("{}: {} の改善策が空です", at(row, col), item.code));
                }
            }
            Some(PlanInput {
                item_code: item.code.clone(),
                situation,
                measure,
                person,
                target,
                cells: plan_cols.map(|c| c.map(|c| at(row, c)).unwrap_or_default()),
            })
        } else {
            warnings.push(format!(
                "{cell}: {} は「{score}」なので改善計画は取り込みません",
                item.code
            ));
            None
        };
        items.push(FilledItem {
            code: item.code.clone(),
            cell,
            score,
            comment,
            plan,
        });
    }
    if filled == 0 && blanks.len() > 1 {
        problems.push(format!(
            "{SHEET}: 回答がひとつもありません（「{}」欄に 3・2・1・0 を選んでください）",
            Column::Answer.title()
        ));
    } else {
        for b in blanks {
            problems.push(b);
        }
    }
    items
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

/// A value quoted in a message, cut to a readable length.
fn short(s: &str) -> String {
    const MAX: usize = 30;
    if s.chars().count() > MAX {
        s.chars().take(MAX).collect::<String>() + "…"
    } else {
        s.to_string()
    }
}

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

/// Steps 1–3: reads `bytes` and imports the form whole, or refuses it and
/// writes nothing.
pub fn import_form(
    conn: &mut DbConnection,
    catalog: &Catalog,
    bytes: &[u8],
    rules: &ImportRules<'_>,
    hooks: &dyn ImportHooks,
) -> Result<ImportReport, ImportRefusal> {
    let grid = read_grid(bytes, &rules.limits)?;
    let form = parse_form(&grid, catalog, rules.expected_org, rules.expected_year)?;
    conn.transaction(|conn| store_form(conn, catalog, form, hooks))
}

/// The warning about answers on file for items the workbook says do not
/// apply (an import leaves them; the web upload removes them).
pub fn stale_answers_warning(codes: &[&str]) -> String {
    format!(
        "対象外になった項目 {} の以前の回答が残っています",
        codes.join("、")
    )
}

fn store_form(
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
    let before = super::answers_by_code(conn, org.id, fy)?;
    let last_year = super::last_years_scores(conn, org.id, fy)?;

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
