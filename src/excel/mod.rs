//! Excel both ways: the 調査票 workbook an organisation fills in
//! (`form_export`) and reading a filled one back (`form_import`), with the
//! checks that keep a hostile or broken file from hurting the server
//! (`limits`).
//!
//! Layout of the workbook (format `tenken-form/1`), one sheet `調査票`:
//!
//! | column | content |
//! | --- | --- |
//! | A (hidden) | machine keys: `tenken-form/1` in A1, `org`, `fiscal_year`, `checklist`, `cond:KEY`, `header`, `item:CODE` |
//! | B | 番号 (category, goal or item number) |
//! | C | 管理目標・小項目 (and the labels of the header rows) |
//! | D | ★ for this year's 重要点検項目 |
//! | E | 前年度の回答 |
//! | F | 回答 (3/2/1/0), and the values of the header rows |
//! | G | コメント |
//! | H–K | 改善計画: 現状, 改善策, 担当者, 目標時期 (optional) |
//!
//! Rows are found by their key in column A, never by position, and the
//! columns by the texts of the `header` row, so moved or sorted rows still
//! import correctly.

use std::collections::HashMap;

use crate::db::DbConnection;
use crate::domain::{FiscalYear, Score};
use crate::error::AppResult;
use crate::store;

pub mod bulk;
pub mod form_export;
pub mod form_import;
pub mod limits;
pub mod open_data;
pub mod plans_export;
pub mod summary_export;

/// The visible sheet with the form.
pub const SHEET: &str = "調査票";
/// Written in A1: names the layout so that the importer knows what it reads.
pub const FORMAT_MARK: &str = "tenken-form/1";

/// Keys in the hidden column A.
pub const KEY_ORG: &str = "org";
pub const KEY_YEAR: &str = "fiscal_year";
pub const KEY_CHECKLIST: &str = "checklist";
pub const KEY_HEADER: &str = "header";
pub const COND_PREFIX: &str = "cond:";
pub const ITEM_PREFIX: &str = "item:";

/// Column of the keys (A) and of the labels of the header rows (C).
pub const COL_KEY: u16 = 0;
pub const COL_LABEL: u16 = 2;

/// The columns of the `header` row, by their exact text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    No,
    Text,
    Priority,
    Previous,
    Answer,
    Comment,
    Situation,
    Measure,
    Person,
    Target,
}

impl Column {
    /// In sheet order, starting at column B.
    pub const ALL: [Column; 10] = [
        Column::No,
        Column::Text,
        Column::Priority,
        Column::Previous,
        Column::Answer,
        Column::Comment,
        Column::Situation,
        Column::Measure,
        Column::Person,
        Column::Target,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Column::No => "番号",
            Column::Text => "管理目標・小項目",
            Column::Priority => "重要",
            Column::Previous => "前年度の回答",
            Column::Answer => "回答",
            Column::Comment => "コメント",
            Column::Situation => "現状",
            Column::Measure => "改善策",
            Column::Person => "担当者",
            Column::Target => "目標時期",
        }
    }

    pub fn from_title(s: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.title() == s.trim())
    }

    /// Where the exporter puts it (0-based; A is the key column).
    pub fn index(self) -> u16 {
        Column::ALL
            .iter()
            .position(|c| *c == self)
            .map_or(0, |i| i as u16 + 1)
    }
}

/// A workbook in the font Japanese offices expect (ＭＳ Ｐゴシック 11pt).
fn new_workbook() -> Result<rust_xlsxwriter::Workbook, rust_xlsxwriter::XlsxError> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    workbook.set_default_format(
        &rust_xlsxwriter::Format::new()
            .set_font_name("ＭＳ Ｐゴシック")
            .set_font_size(11)
            .set_font_charset(128)
            .set_align(rust_xlsxwriter::FormatAlign::VerticalCenter),
        18,
        72,
    )?;
    Ok(workbook)
}

/// An organisation's answers of one year: score and comment by item code.
fn answers_by_code(
    conn: &mut DbConnection,
    organisation_id: i32,
    fy: FiscalYear,
) -> AppResult<HashMap<String, (Score, String)>> {
    Ok(store::answers::of_org_year(conn, organisation_id, fy)?
        .into_iter()
        .filter_map(|a| Some((a.item_code, (Score::new(a.score.into()).ok()?, a.comment))))
        .collect())
}

/// An organisation's scores of the year before `fy`, by item code.
fn last_years_scores(
    conn: &mut DbConnection,
    organisation_id: i32,
    fy: FiscalYear,
) -> AppResult<HashMap<String, Score>> {
    Ok(match fy.previous() {
        Some(p) => answers_by_code(conn, organisation_id, p)?
            .into_iter()
            .map(|(code, (score, _))| (code, score))
            .collect(),
        None => HashMap::new(),
    })
}

/// The A1-style name of a cell, 0-based row and column: `(36, 5)` → `F37`.
pub fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = col + 1;
    while c > 0 {
        let rem = (c - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        c = (c - 1) / 26;
    }
    letters.iter().rev().collect::<String>() + &(u64::from(row) + 1).to_string()
}

/// `調査票!F37`
pub fn at(row: u32, col: u32) -> String {
    format!("{SHEET}!{}", cell_name(row, col))
}

/// A worksheet cell reference (`B2`, `XFD1048576`, `7` for a row) within
/// Excel's bounds: (0-based row, 0-based column if written).
pub fn parse_cell_ref(s: &[u8]) -> Option<(u32, Option<u32>)> {
    let letters = s.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let (col_part, row_part) = s.split_at(letters);
    if letters > 3 || row_part.is_empty() || row_part.len() > 7 {
        return None;
    }
    if !row_part.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let row: u32 = row_part
        .iter()
        .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'));
    if !(1..=1_048_576).contains(&row) {
        return None;
    }
    let col = if letters == 0 {
        None
    } else {
        let c: u32 = col_part.iter().fold(0, |acc, b| {
            acc * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1
        });
        if c > 16_384 {
            return None;
        }
        Some(c - 1)
    };
    Some((row - 1, col))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_names() {
        assert_eq!(cell_name(36, 5), "F37");
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(0, 25), "Z1");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(1_048_575, 16_383), "XFD1048576");
        assert_eq!(at(36, 5), "調査票!F37");
    }

    #[test]
    fn cell_refs_within_bounds() {
        assert_eq!(parse_cell_ref(b"F37"), Some((36, Some(5))));
        assert_eq!(
            parse_cell_ref(b"xfd1048576"),
            Some((1_048_575, Some(16_383)))
        );
        assert_eq!(parse_cell_ref(b"12"), Some((11, None)));
        for bad in [
            &b""[..],
            b"A",
            b"A0",
            b"XFE1",
            b"A1048577",
            b"ABCD1",
            b"A99999999999",
            b"A1B",
            b"&#65;1",
        ] {
            assert_eq!(
                parse_cell_ref(bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn columns_round_trip() {
        assert_eq!(Column::Answer.index(), 5, "回答 is column F");
        for c in Column::ALL {
            assert_eq!(Column::from_title(c.title()), Some(c));
        }
    }
}
