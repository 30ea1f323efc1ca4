//! Step 1: the bytes pass the input limits, then calamine reads the
//! non-empty cells of sheet `調査票` into a `Grid`.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{DataRef, Reader, SheetType, Xlsx};

use super::super::limits::{self, Limits};
use super::super::SHEET;
use super::ImportRefusal;

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

    pub(super) fn is_blank(&self) -> bool {
        matches!(self, Value::Text(s) if s.trim().is_empty())
    }
}

/// The non-empty cells of sheet `調査票`, by (row, column), 0-based.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub cells: BTreeMap<(u32, u32), Value>,
}

impl Grid {
    pub(super) fn get(&self, row: u32, col: u32) -> Option<&Value> {
        self.cells.get(&(row, col)).filter(|v| !v.is_blank())
    }

    pub(super) fn text(&self, row: u32, col: u32) -> String {
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
