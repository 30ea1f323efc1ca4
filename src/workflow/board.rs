//! The season board: the ministry's national status of the municipal round
//! per prefecture — 提出済 (awaiting review), 確認済, 未提出 (not started,
//! 入力中 or 差戻し), the share submitted and the days to the deadline —
//! sortable, and the same figures as a workbook.

use chrono::NaiveDate;
use serde::Serialize;

use super::status::{self, PrefectureLine};
use crate::auth::Actor;
use crate::checklists::Variant;
use crate::db::DbConnection;
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::stats::exact::{Exact, Figure, SHARE_DECIMALS};
use crate::store::submissions::Status;
use crate::store::{oplog, rounds};

/// One prefecture (or the nation) on the board.
#[derive(Debug, Clone, Serialize)]
pub struct BoardRow {
    pub code: String,
    pub name: String,
    pub total: usize,
    /// 提出済: submitted, not yet reviewed.
    pub submitted: usize,
    /// 確認済.
    pub accepted: usize,
    /// 未提出: not started, 入力中 or 差戻し.
    pub missing: usize,
    /// (提出済 + 確認済) in percent of all municipalities.
    pub rate: Option<Figure>,
}

/// The orders the board can be sorted in.
pub const SORTS: [(&str, &str); 5] = [
    ("code", "都道府県コード順"),
    ("missing", "未提出の多い順"),
    ("rate", "提出率の低い順"),
    ("submitted", "提出済の多い順"),
    ("accepted", "確認済の多い順"),
];

#[derive(Debug, Clone, Serialize)]
pub struct Board {
    pub fiscal_year: i32,
    pub fiscal_year_label: String,
    pub round_label: &'static str,
    /// The municipal round's deadline, `YYYY-MM-DD`.
    pub deadline: Option<String>,
    /// Days from `today` to the deadline (negative after it).
    pub days_left: Option<i64>,
    pub sort: &'static str,
    pub rows: Vec<BoardRow>,
    pub total: BoardRow,
}

fn count(line: &PrefectureLine, s: Status) -> usize {
    line.counts
        .iter()
        .find(|c| c.status == s)
        .map_or(0, |c| c.count)
}

fn row(line: &PrefectureLine) -> BoardRow {
    let submitted = count(line, Status::Submitted);
    let accepted = count(line, Status::Accepted);
    let done = submitted + accepted;
    BoardRow {
        code: line.code.clone(),
        name: line.name.clone(),
        total: line.total,
        submitted,
        accepted,
        missing: line.total.saturating_sub(done),
        rate: Exact::ratio(done as i64 * 100, line.total as i64).map(|e| e.figure(SHARE_DECIMALS)),
    }
}

/// The board of `fy` as of `today`, sorted by `sort` (one of [`SORTS`];
/// anything else is refused).
pub fn build(
    conn: &mut DbConnection,
    fy: FiscalYear,
    today: NaiveDate,
    sort: Option<&str>,
) -> AppResult<Board> {
    let sort = match sort.map(str::trim).filter(|s| !s.is_empty()) {
        None => "code",
        Some(s) => SORTS
            .iter()
            .find(|(k, _)| *k == s)
            .map(|(k, _)| *k)
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "並べ替え「{s}」は使えません（使えるもの: {}）",
                    SORTS.map(|(k, _)| k).join(", ")
                ))
            })?,
    };
    let (lines, total) = status::national(conn, fy)?;
    let mut rows: Vec<BoardRow> = lines.iter().map(row).collect();
    // Exact comparison of rates: a/b < c/d ⇔ a·d < c·b.
    let done = |r: &BoardRow| (r.submitted + r.accepted) as u128;
    match sort {
        "missing" => rows.sort_by(|a, b| b.missing.cmp(&a.missing).then(a.code.cmp(&b.code))),
        "submitted" => rows.sort_by(|a, b| b.submitted.cmp(&a.submitted).then(a.code.cmp(&b.code))),
        "accepted" => rows.sort_by(|a, b| b.accepted.cmp(&a.accepted).then(a.code.cmp(&b.code))),
        "rate" => rows.sort_by(|a, b| {
            (done(a) * b.total.max(1) as u128)
                .cmp(&(done(b) * a.total.max(1) as u128))
                .then(a.code.cmp(&b.code))
        }),
        _ => rows.sort_by(|a, b| a.code.cmp(&b.code)),
    }
    let round = rounds::find(conn, Variant::Municipal, fy)?;
    let deadline = round.as_ref().and_then(|r| r.deadline.clone());
    let days_left = deadline
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
        .map(|d| (d - today).num_days());
    Ok(Board {
        fiscal_year: fy.year(),
        fiscal_year_label: fy.to_string(),
        round_label: round.as_ref().map_or("未開始", |r| r.status_label()),
        deadline,
        days_left,
        sort,
        rows,
        total: row(&total),
    })
}

/// The board as a workbook: one sheet 回答状況 with the same rows, in the
/// same order, numbers as numbers (the rate as the percentage printed on the
/// page, a number cell with one decimal).
pub fn workbook(board: &Board) -> AppResult<Vec<u8>> {
    write(board).map_err(|e| AppError::internal_from("writing the board workbook", e))
}

fn write(board: &Board) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("回答状況")?;
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.0");
    sheet.write_string_with_format(
        0,
        0,
        format!("全国の回答状況（市区町村）{}", board.fiscal_year_label),
        &bold,
    )?;
    let deadline = match (&board.deadline, board.days_left) {
        (Some(d), Some(n)) if n >= 0 => format!("締切 {d}（あと {n} 日）"),
        (Some(d), Some(n)) => format!("締切 {d}（{} 日経過）", -n),
        (Some(d), None) => format!("締切 {d}"),
        (None, _) => "締切 なし".to_string(),
    };
    sheet.write_string(1, 0, deadline)?;
    let head = [
        "都道府県コード",
        "都道府県",
        "市区町村数",
        "提出済",
        "確認済",
        "未提出",
        "提出率(%)",
    ];
    for (c, h) in head.iter().enumerate() {
        sheet.write_string_with_format(3, c as u16, *h, &bold)?;
    }
    for (r, line) in (4u32..).zip(board.rows.iter().chain(std::iter::once(&board.total))) {
        sheet.write_string(r, 0, &line.code)?;
        sheet.write_string(r, 1, &line.name)?;
        sheet.write_number(r, 2, line.total as f64)?;
        sheet.write_number(r, 3, line.submitted as f64)?;
        sheet.write_number(r, 4, line.accepted as f64)?;
        sheet.write_number(r, 5, line.missing as f64)?;
        match &line.rate {
            Some(f) => sheet.write_number_with_format(
                r,
                6,
                f.printed.parse::<f64>().unwrap_or(f.value),
                &pct,
            )?,
            None => sheet.write_string(r, 6, "-")?,
        };
    }
    sheet.set_column_width(1, 12)?;
    book.save_to_buffer()
}

/// The board as `build` makes it, its viewing by `actor` logged as `action`
/// (the page and the workbook share this).
pub fn viewed(
    conn: &mut DbConnection,
    actor: &Actor,
    fy: FiscalYear,
    today: NaiveDate,
    sort: Option<&str>,
    action: &str,
) -> AppResult<Board> {
    let board = build(conn, fy, today, sort)?;
    oplog::record(conn, actor, action, "", Some(fy.year()), "回答状況ボード")?;
    Ok(board)
}
