//! `tenken import answers FILE`: answers in long format, one row per
//! organisation, fiscal year and sub-item, from CSV (UTF-8) or an xlsx
//! sheet with the header `org_code,fiscal_year,item,score[,comment][,reason]`
//! (`reason`: why an answer 0 (該当しない) was given; optional, since past
//! years' results may lack one; stored at the head of the comment).
//!
//! Every row is checked (organisation known and answering, code well
//! formed, year readable, item in that year's checklist of the
//! organisation's variant, score 0–3, no organisation/year/item twice, no
//! existing answer unless `--replace`); every problem is reported with its
//! line (CSV) or sheet and cell (xlsx), and nothing is written when any row
//! is bad. The rows are written in one transaction through
//! `store::answers::{delete_of_orgs, insert_many}`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use calamine::{Data, Reader};
use diesel::prelude::*;

use crate::checklists::{Catalog, Variant};
use crate::db::schema::{answers as a, organisations as o};
use crate::db::{now, DbConnection};
use crate::domain::{FiscalYear, OrgCode, Score};
use crate::error::{AppError, AppResult};
use crate::store::{answers, checklists};

pub const HEADER: [&str; 4] = ["org_code", "fiscal_year", "item", "score"];
const COMMENT: &str = "comment";
const REASON: &str = "reason";
/// Problems listed at most; past that the count alone is given.
const MAX_LISTED: usize = 10_000;

/// One cell as read from the file.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A value a spreadsheet turned into a date (e.g. `1-1`).
    Date(String),
    Empty,
}

impl Cell {
    fn shown(&self) -> String {
        match self {
            Cell::Text(s) | Cell::Date(s) => s.clone(),
            Cell::Number(n) => n.to_string(),
            Cell::Empty => String::new(),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// Where a row sits in its file, for messages.
#[derive(Debug, Clone)]
pub enum Place {
    Line {
        file: String,
        line: u64,
    },
    Sheet {
        file: String,
        sheet: String,
        row: u32,
    },
}

impl Place {
    /// `answers.csv:5行目 score` or `answers.xlsx シート「回答」D5 (score)`.
    fn at(&self, column: usize, field: &str) -> String {
        match self {
            Place::Line { file, line } => format!("{file}:{line}行目 {field}"),
            Place::Sheet { file, sheet, row } => format!(
                "{file} シート「{sheet}」{}{} ({field})",
                column_letter(column),
                row
            ),
        }
    }

    fn line(&self) -> String {
        match self {
            Place::Line { line, .. } => format!("{line}行目"),
            Place::Sheet { row, .. } => format!("{row}行目"),
        }
    }
}

fn column_letter(mut col: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(char::from(b'A' + (col % 26) as u8));
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.iter().rev().collect()
}

/// A row as read: its place and its cells in header order
/// (`org_code, fiscal_year, item, score, comment, reason`).
#[derive(Debug, Clone)]
pub struct RawRow {
    pub place: Place,
    pub cells: [Cell; 6],
    /// Column positions of the six fields in the file.
    pub columns: [usize; 6],
}

/// Reads a CSV or xlsx file (chosen by extension) into rows.
pub fn read_file(path: &Path, sheet: Option<&str>) -> AppResult<Vec<RawRow>> {
    let shown = path.display().to_string();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "xlsx" | "xlsm" => read_xlsx(path, &shown, sheet),
        _ => {
            let bytes = std::fs::read(path).map_err(|e| AppError::io(&shown, e))?;
            read_csv(&shown, &bytes)
        }
    }
}

fn header_columns(file: &str, names: &[String]) -> AppResult<([usize; 6], bool)> {
    let mut errors = Vec::new();
    let find = |n: &str| {
        names
            .iter()
            .position(|h| h.trim().trim_start_matches('\u{feff}') == n)
    };
    let mut columns = [0_usize; 6];
    for (slot, n) in columns.iter_mut().zip(HEADER.iter()) {
        match find(n) {
            Some(c) => *slot = c,
            None => errors.push(format!("{file}:1行目: 見出し「{n}」がありません")),
        }
    }
    let has_comment = find(COMMENT);
    columns[4] = has_comment.unwrap_or(usize::MAX);
    columns[5] = find(REASON).unwrap_or(usize::MAX);
    for h in names {
        let h = h.trim().trim_start_matches('\u{feff}');
        if !h.is_empty() && !HEADER.contains(&h) && h != COMMENT && h != REASON {
            errors.push(format!("{file}:1行目: 見出し「{h}」は使えません"));
        }
    }
    if errors.is_empty() {
        Ok((columns, has_comment.is_some()))
    } else {
        errors.push(format!(
            "見出し行は {},{},{} です（{} と {} は省略可）",
            HEADER.join(","),
            COMMENT,
            REASON,
            COMMENT,
            REASON
        ));
        Err(AppError::Invalid(errors))
    }
}

/// Reads CSV text (UTF-8, a header line first).
pub fn read_csv(file: &str, bytes: &[u8]) -> AppResult<Vec<RawRow>> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        AppError::BadRequest(format!(
            "{file}: UTF-8 の文字として読めません（{} バイト目付近）。CSV は UTF-8 で保存してください",
            e.valid_up_to() + 1
        ))
    })?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let names: Vec<String> = rdr
        .headers()
        .map_err(|e| AppError::BadRequest(format!("{file}:1行目: 見出し行を読めません: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let (columns, _) = header_columns(file, &names)?;
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(AppError::BadRequest(format!(
                    "{file}:{line}行目: CSV として読めません: {e}"
                )));
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let cell = |c: usize| {
            record
                .get(c)
                .map_or(Cell::Empty, |v| Cell::Text(v.to_string()))
        };
        rows.push(RawRow {
            place: Place::Line {
                file: file.to_string(),
                line,
            },
            cells: [
                cell(columns[0]),
                cell(columns[1]),
                cell(columns[2]),
                cell(columns[3]),
                cell(columns[4]),
                cell(columns[5]),
            ],
            columns,
        });
    }
    Ok(rows)
}

fn xlsx_cell(d: &Data) -> Cell {
    match d {
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) => Cell::Text(s.clone()),
        Data::Bool(b) => Cell::Text(b.to_string()),
        Data::DateTime(dt) => Cell::Date(dt.to_string()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Date(s.clone()),
        Data::Error(e) => Cell::Text(format!("#{e:?}")),
        Data::Empty => Cell::Empty,
    }
}

fn read_xlsx(path: &Path, file: &str, sheet: Option<&str>) -> AppResult<Vec<RawRow>> {
    let mut book = calamine::open_workbook_auto(path)
        .map_err(|e| AppError::BadRequest(format!("{file}: xlsx として開けません: {e}")))?;
    let names = book.sheet_names();
    let sheet_name = match sheet {
        Some(s) => names.iter().find(|n| *n == s).cloned().ok_or_else(|| {
            AppError::BadRequest(format!(
                "{file}: シート「{s}」はありません（あるシート: {}）",
                names.join("、")
            ))
        })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| AppError::BadRequest(format!("{file}: シートがありません")))?,
    };
    let range = book.worksheet_range(&sheet_name).map_err(|e| {
        AppError::BadRequest(format!("{file} シート「{sheet_name}」: 読めません: {e}"))
    })?;
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let mut iter = range.rows();
    let header: Vec<String> = iter
        .next()
        .map(|r| r.iter().map(|c| xlsx_cell(c).shown()).collect())
        .unwrap_or_default();
    let (columns, _) = header_columns(&format!("{file} シート「{sheet_name}」"), &header)?;
    let offset = first_col as usize;
    let absolute = columns.map(|c| c.saturating_add(offset));
    let mut rows = Vec::new();
    for (i, r) in iter.enumerate() {
        if r.iter().all(|c| xlsx_cell(c).is_empty()) {
            continue;
        }
        let cell = |c: usize| r.get(c).map_or(Cell::Empty, xlsx_cell);
        rows.push(RawRow {
            place: Place::Sheet {
                file: file.to_string(),
                sheet: sheet_name.clone(),
                row: first_row + i as u32 + 2,
            },
            cells: [
                cell(columns[0]),
                cell(columns[1]),
                cell(columns[2]),
                cell(columns[3]),
                cell(columns[4]),
                cell(columns[5]),
            ],
            columns: absolute,
        });
    }
    Ok(rows)
}

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub inserted: usize,
    /// Answers deleted by `--replace` before inserting.
    pub replaced: usize,
    pub organisations: usize,
    pub years: Vec<i32>,
}

struct Org {
    id: i32,
    variant: Option<Variant>,
    name: String,
}

/// Checks every row and, when all are good, writes them in one transaction.
/// `progress(done, total)` follows the writing.
pub fn import(
    conn: &mut DbConnection,
    catalog: &Catalog,
    rows: &[RawRow],
    replace: bool,
    progress: &mut dyn FnMut(usize, usize),
) -> AppResult<ImportReport> {
    conn.transaction(|conn| {
        let orgs: HashMap<String, Org> = o::table
            .select((o::code, o::id, o::variant, o::name))
            .load::<(String, i32, Option<String>, String)>(conn)?
            .into_iter()
            .map(|(code, id, v, name)| {
                (
                    code,
                    Org {
                        id,
                        variant: v.as_deref().and_then(Variant::parse),
                        name,
                    },
                )
            })
            .collect();
        let mut item_ids: HashMap<(Variant, i32), HashMap<String, i32>> = HashMap::new();
        let mut seen: HashMap<(i32, i32, String), String> = HashMap::with_capacity(rows.len());
        let mut errors: Vec<String> = Vec::new();
        let mut good: Vec<answers::NewAnswer> = Vec::with_capacity(rows.len());
        let stamp = now();
        for row in rows {
            let mut problems = Vec::new();
            let checked = check_row(conn, catalog, &orgs, &mut item_ids, row, &mut problems)?;
            if let Some((org_id, fy, code, item_id, score, comment)) = checked {
                let key = (org_id, fy.year(), code.clone());
                if let Some(first) = seen.get(&key) {
                    problems.push(format!(
                        "{}: 団体 {}・{}・小項目 {} の回答は {}にもあります（同じ団体・年度・小項目は1行だけ）",
                        row.place.at(row.columns[0], "org_code"),
                        row.cells[0].shown().trim(),
                        fy,
                        code,
                        first
                    ));
                } else {
                    seen.insert(key, row.place.line());
                    good.push(answers::NewAnswer {
                        organisation_id: org_id,
                        fiscal_year: fy.year(),
                        item_code: code,
                        item_id,
                        score: i32::from(score.value()),
                        comment,
                        updated_at: stamp.clone(),
                    });
                }
            }
            errors.extend(problems);
        }
        let mut by_year: BTreeMap<i32, BTreeSet<i32>> = BTreeMap::new();
        for g in &good {
            by_year.entry(g.fiscal_year).or_default().insert(g.organisation_id);
        }
        if !replace && errors.is_empty() {
            existing_conflicts(conn, rows, &good, &by_year, &orgs, &mut errors)?;
        }
        if !errors.is_empty() {
            let total = errors.len();
            if total > MAX_LISTED {
                errors.truncate(MAX_LISTED);
                errors.push(format!("…ほか {} 件", total - MAX_LISTED));
            }
            errors.push("問題のある行があるため、何も取り込んでいません".into());
            return Err(AppError::Invalid(errors));
        }
        let mut report = ImportReport {
            rows: rows.len(),
            organisations: by_year.values().flatten().collect::<HashSet<_>>().len(),
            years: by_year.keys().copied().collect(),
            ..Default::default()
        };
        if replace {
            for (year, ids) in &by_year {
                let ids: Vec<i32> = ids.iter().copied().collect();
                report.replaced += answers::delete_of_orgs(conn, FiscalYear::new(*year)?, &ids)?;
            }
        }
        let total = good.len();
        let mut done = 0;
        report.inserted = answers::insert_many(conn, &good, &mut |n| {
            done += n;
            progress(done, total);
        })?;
        Ok(report)
    })
}

type Checked = (i32, FiscalYear, String, i32, Score, String);

/// The value, or `None` with the problem noted at `place`.
fn noted<T>(
    r: Result<T, String>,
    problems: &mut Vec<String>,
    place: impl Fn() -> String,
) -> Option<T> {
    r.map_err(|e| problems.push(format!("{}: {e}", place())))
        .ok()
}

fn check_row(
    conn: &mut DbConnection,
    catalog: &Catalog,
    orgs: &HashMap<String, Org>,
    item_ids: &mut HashMap<(Variant, i32), HashMap<String, i32>>,
    row: &RawRow,
    problems: &mut Vec<String>,
) -> AppResult<Option<Checked>> {
    let at = |i: usize, field: &str| {
        let column = row.columns.get(i).copied().unwrap_or_default();
        row.place.at(column, field)
    };
    // Organisation.
    let org = match &row.cells[0] {
        Cell::Empty => {
            problems.push(format!("{}: 団体コードが空です", at(0, "org_code")));
            None
        }
        cell => {
            let raw = match cell {
                // A spreadsheet keeps 011002 as the number 11002.
                Cell::Number(n) if n.fract() == 0.0 && *n >= 0.0 && *n < 1e6 => {
                    format!("{:06}", *n as u64)
                }
                other => other.shown(),
            };
            match OrgCode::parse(&raw) {
                Err(e) => {
                    problems.push(format!("{}: {e}", at(0, "org_code")));
                    None
                }
                Ok(code) => match orgs.get(code.as_str()) {
                    None => {
                        problems.push(format!(
                            "{}: 団体コード「{code}」の組織は登録されていません",
                            at(0, "org_code")
                        ));
                        None
                    }
                    Some(org) => match org.variant {
                        None => {
                            problems.push(format!(
                                "{}: {}（{code}）は調査票に回答しない組織です",
                                at(0, "org_code"),
                                org.name
                            ));
                            None
                        }
                        Some(v) => Some((org.id, v)),
                    },
                },
            }
        }
    };
    // Fiscal year.
    let fy = match &row.cells[1] {
        Cell::Number(n) if n.fract() == 0.0 => {
            FiscalYear::new(*n as i32).map_err(|e| e.to_string())
        }
        Cell::Empty => Err("年度が空です".to_string()),
        other => FiscalYear::parse(&other.shown()).map_err(|e| e.to_string()),
    };
    let fy = noted(fy, problems, || at(1, "fiscal_year"));
    // Item.
    let code = match &row.cells[2] {
        Cell::Text(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Cell::Date(s) => {
            problems.push(format!(
                "{}: 「{s}」は日付として保存されています。小項目番号（例: 18-1）は文字列として入力してください",
                at(2, "item")
            ));
            None
        }
        Cell::Empty | Cell::Text(_) => {
            problems.push(format!("{}: 小項目番号が空です", at(2, "item")));
            None
        }
        Cell::Number(n) => {
            problems.push(format!(
                "{}: 「{n}」は小項目番号（例: 18-1）ではありません",
                at(2, "item")
            ));
            None
        }
    };
    // Score.
    let score = match &row.cells[3] {
        Cell::Number(n) if n.fract() == 0.0 => Score::new(*n as i64).map_err(|e| e.to_string()),
        Cell::Number(n) => Err(format!("「{n}」は 0〜3 の整数ではありません")),
        Cell::Empty => Err("回答が空です（0〜3）".to_string()),
        other => Score::parse(&other.shown()).map_err(|e| e.to_string()),
    };
    let score = noted(score, problems, || at(3, "score"));
    let comment = match &row.cells[4] {
        Cell::Empty => String::new(),
        other => other.shown().trim().to_string(),
    };
    // The reason of an answer 0 goes first in the comment, where the form
    // and the workbook keep it.
    let comment = match &row.cells[5] {
        Cell::Empty => comment,
        other => {
            let reason = other.shown().trim().to_string();
            match (reason.is_empty(), comment.is_empty()) {
                (true, _) => comment,
                (false, true) => reason,
                (false, false) => format!("{reason}\n{comment}"),
            }
        }
    };
    let (Some((org_id, variant)), Some(fy), Some(code), Some(score)) = (org, fy, code, score)
    else {
        return Ok(None);
    };
    let list = catalog.checklist(variant);
    let applies = list.item(&code).is_some_and(|i| i.applies_in(fy));
    if !applies {
        let when = match list.item(&code) {
            Some(_) => format!("の {fy} "),
            None => String::new(),
        };
        problems.push(format!(
            "{}: 小項目「{code}」は{}{when}にありません",
            at(2, "item"),
            list.name
        ));
        return Ok(None);
    }
    if let std::collections::hash_map::Entry::Vacant(e) = item_ids.entry((variant, fy.year())) {
        e.insert(checklists::item_ids(conn, variant, fy)?);
    }
    let item_id = item_ids
        .get(&(variant, fy.year()))
        .and_then(|m| m.get(&code))
        .copied()
        .ok_or_else(|| {
            AppError::internal(format!(
                "checklist_items has no row for {variant} {code} in {}",
                fy.year()
            ))
        })?;
    Ok(Some((org_id, fy, code, item_id, score, comment)))
}

/// Without `--replace`, a row must not overwrite a stored answer.
fn existing_conflicts(
    conn: &mut DbConnection,
    rows: &[RawRow],
    good: &[answers::NewAnswer],
    by_year: &BTreeMap<i32, BTreeSet<i32>>,
    orgs: &HashMap<String, Org>,
    errors: &mut Vec<String>,
) -> AppResult<()> {
    let mut stored: HashSet<(i32, i32, String)> = HashSet::new();
    for (year, ids) in by_year {
        let ids: Vec<i32> = ids.iter().copied().collect();
        for chunk in ids.chunks(crate::db::BATCH_ROWS) {
            let found: Vec<(i32, String)> = a::table
                .filter(a::fiscal_year.eq(year))
                .filter(a::organisation_id.eq_any(chunk))
                .select((a::organisation_id, a::item_code))
                .load(conn)?;
            stored.extend(found.into_iter().map(|(o, c)| (o, *year, c)));
        }
    }
    if stored.is_empty() {
        return Ok(());
    }
    let code_of: HashMap<i32, &str> = orgs.iter().map(|(c, o)| (o.id, c.as_str())).collect();
    // `good` holds the rows in file order, without the rejected ones.
    let mut places = rows.iter();
    for g in good {
        let place = places.next();
        if stored.contains(&(g.organisation_id, g.fiscal_year, g.item_code.clone())) {
            let fy = FiscalYear::new(g.fiscal_year)?;
            let where_ = place.map_or_else(String::new, |r| r.place.at(r.columns[0], "org_code"));
            errors.push(format!(
                "{where_}: 団体 {}・{fy}・小項目 {} には既に回答があります（置き換えるには --replace）",
                code_of.get(&g.organisation_id).unwrap_or(&"?"),
                g.item_code
            ));
        }
    }
    Ok(())
}

/// A terminal progress bar on stderr, or nothing when stderr is no terminal.
pub fn progress_bar(total: u64, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:40}] {pos}/{len} ({per_sec}, 残り {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}
