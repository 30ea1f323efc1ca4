//! Open data: a table's figures in long format, machine-readable.
//!
//! One row per scope × item × figure with stable columns
//! ([`COLUMNS`]); the figure is named by a code ([`FIGURES`]) and its value
//! is the printed (rounded) figure, or an empty cell where there is none
//! (a blank is never a zero). A code table lists every item, figure and
//! answer. Written as CSV (UTF-8 with a BOM, so Excel reads it) and as an
//! xlsx workbook with one table per sheet and no merged cells. The figures
//! come from the engine's table ([`Summary`]), so what a viewer gets is
//! what that viewer may see of the table.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::checklists::Catalog;
use crate::error::{AppError, AppResult};
use crate::stats::{Figure, Summary};

/// The columns of the data, stable from year to year.
pub const COLUMNS: [&str; 7] = [
    "年度",
    "集計範囲",
    "団体コード",
    "集計範囲名",
    "小項目コード",
    "指標コード",
    "値",
];

/// The item code of the table-wide rows (総平均点).
pub const OVERALL_ITEM: &str = "total";

/// The figure codes and their meaning.
pub const FIGURES: [(&str, &str); 8] = [
    ("average", "平均点（回答1〜3の平均、小数3桁）"),
    ("share_3", "回答3の割合（%、小数1桁）"),
    ("share_2", "回答2の割合（%、小数1桁）"),
    ("share_1", "回答1の割合（%、小数1桁）"),
    ("respondents", "回答1〜3の団体数"),
    ("not_applicable", "回答0（該当しない）の団体数"),
    ("improvement", "向上値（前年度からの平均点の差、小数3桁）"),
    (
        "overall_average",
        "総平均点（小項目の平均点の単純平均、小数2桁）",
    ),
];

/// The sheet names of the workbook.
pub const DATA_SHEET: &str = "data";
pub const CODES_SHEET: &str = "codes";

/// One row of the data: the column values, `None` for a blank value.
pub type Row = [Option<String>; 7];

fn printed(f: &Option<Figure>) -> Option<String> {
    f.as_ref().map(|f| f.printed.clone())
}

/// The rows of one table.
pub fn rows(s: &Summary) -> Vec<Row> {
    let head = |item: &str, figure: &str, value: Option<String>| -> Row {
        [
            Some(s.fiscal_year.to_string()),
            Some(s.scope.key.clone()),
            s.scope.code.clone(),
            Some(s.scope.name.clone()),
            Some(item.to_string()),
            Some(figure.to_string()),
            value,
        ]
    };
    let mut out = vec![head(
        OVERALL_ITEM,
        "overall_average",
        printed(&s.overall.average),
    )];
    for i in s.items() {
        let shares = i.shares.as_ref();
        let share =
            |f: fn(&crate::stats::Shares) -> &Figure| shares.map(|sh| f(sh).printed.clone());
        out.push(head(&i.code, "average", printed(&i.average)));
        out.push(head(&i.code, "share_3", share(|s| &s.three)));
        out.push(head(&i.code, "share_2", share(|s| &s.two)));
        out.push(head(&i.code, "share_1", share(|s| &s.one)));
        out.push(head(
            &i.code,
            "respondents",
            i.respondents.map(|n| n.to_string()),
        ));
        out.push(head(
            &i.code,
            "not_applicable",
            i.not_applicable.map(|n| n.to_string()),
        ));
        out.push(head(&i.code, "improvement", printed(&i.improvement)));
    }
    out
}

/// The code table: `種別, コード, 名称, 大分類, 管理目標` for every item of
/// the tables, every figure and every answer.
pub fn codes(catalog: &Catalog, tables: &[&Summary]) -> Vec<[String; 5]> {
    let mut out: Vec<[String; 5]> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for s in tables {
        for m in &s.majors {
            for g in &m.goals {
                for i in &g.items {
                    if seen.insert(i.code.clone()) {
                        out.push([
                            "小項目".into(),
                            i.code.clone(),
                            i.text.clone(),
                            format!("{} {}", m.no, m.name),
                            format!("{} {}", g.no, g.text),
                        ]);
                    }
                }
            }
        }
    }
    out.push([
        "小項目".into(),
        OVERALL_ITEM.into(),
        "表全体".into(),
        String::new(),
        String::new(),
    ]);
    for (code, text) in FIGURES {
        out.push([
            "指標".into(),
            code.into(),
            text.into(),
            String::new(),
            String::new(),
        ]);
    }
    for level in &catalog.scale.levels {
        out.push([
            "回答".into(),
            level.value.to_string(),
            format!("{}：{}", level.label, level.definition),
            String::new(),
            String::new(),
        ]);
    }
    out
}

/// The header of the code table.
pub const CODE_COLUMNS: [&str; 5] = ["種別", "コード", "名称", "大分類", "管理目標"];

fn csv_bytes<const N: usize>(
    header: [&str; N],
    rows: &[[Option<String>; N]],
) -> AppResult<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().from_writer(vec![0xEF, 0xBB, 0xBF]);
    let err = |e: csv::Error| AppError::internal_from("writing the open-data CSV", e);
    w.write_record(header).map_err(err)?;
    for r in rows {
        w.write_record(r.iter().map(|c| c.as_deref().unwrap_or("")))
            .map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| AppError::internal_from("writing the open-data CSV", e))
}

/// The data as CSV, UTF-8 with a BOM.
pub fn data_csv(rows: &[Row]) -> AppResult<Vec<u8>> {
    csv_bytes(COLUMNS, rows)
}

/// The code table as CSV, UTF-8 with a BOM.
pub fn codes_csv(codes: &[[String; 5]]) -> AppResult<Vec<u8>> {
    let rows: Vec<[Option<String>; 5]> = codes
        .iter()
        .map(|r| r.clone().map(|c| (!c.is_empty()).then_some(c)))
        .collect();
    csv_bytes(CODE_COLUMNS, &rows)
}

/// The data and the code table as one workbook, a table per sheet, no
/// merged cells; values are numbers, a blank value an empty cell.
pub fn workbook(rows: &[Row], codes: &[[String; 5]]) -> AppResult<Vec<u8>> {
    build(rows, codes).map_err(|e| AppError::internal_from("writing the open-data workbook", e))
}

fn build(rows: &[Row], codes: &[[String; 5]]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(DATA_SHEET)?;
    for (c, h) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            let Some(v) = cell else { continue };
            // The year and the value are numbers; codes stay text (a
            // 団体コード keeps its leading zero).
            match (c, v.parse::<f64>()) {
                (0 | 6, Ok(n)) => ws.write_number(r, c, n)?,
                _ => ws.write_string(r, c, v)?,
            };
        }
    }
    ws.set_freeze_panes(1, 0)?;
    let ws = wb.add_worksheet();
    ws.set_name(CODES_SHEET)?;
    for (c, h) in CODE_COLUMNS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, row) in codes.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32 + 1, c as u16, v)?;
            }
        }
    }
    wb.save_to_buffer()
}

/// The file names of a table's open data: `tenken_open_data_national_2007`.
pub fn base_name(s: &Summary) -> String {
    format!(
        "tenken_open_data_{}_{}",
        s.scope.key.replace(':', "_"),
        s.fiscal_year
    )
}
