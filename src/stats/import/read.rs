//! Reading an answers file row by row: CSV is streamed (one record buffer,
//! reused, so memory does not grow with the file's length); an xlsx sheet
//! is read by calamine as a whole (the format caps it at 1,048,576 rows).

use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader};

use crate::error::{AppError, AppResult};

pub const HEADER: [&str; 4] = ["org_code", "fiscal_year", "item", "score"];
const COMMENT: &str = "comment";
const REASON: &str = "reason";
/// Positions of the six fields in [`Row::cells`].
pub const FIELDS: [&str; 6] = ["org_code", "fiscal_year", "item", "score", COMMENT, REASON];

/// One cell as read from the file.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Text(Cow<'a, str>),
    Number(f64),
    /// A value a spreadsheet turned into a date (e.g. `1-1`).
    Date(Cow<'a, str>),
    Empty,
}

impl Cell<'_> {
    pub fn shown(&self) -> Cow<'_, str> {
        match self {
            Cell::Text(s) | Cell::Date(s) => Cow::Borrowed(s.as_ref()),
            Cell::Number(n) => Cow::Owned(n.to_string()),
            Cell::Empty => Cow::Borrowed(""),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    fn owned(&self) -> Cell<'static> {
        match self {
            Cell::Text(s) => Cell::Text(Cow::Owned(s.to_string())),
            Cell::Date(s) => Cell::Date(Cow::Owned(s.to_string())),
            Cell::Number(n) => Cell::Number(*n),
            Cell::Empty => Cell::Empty,
        }
    }
}

/// Where a row sits in its file, for messages.
#[derive(Debug, Clone, Copy)]
pub enum Place<'a> {
    Line {
        file: &'a str,
        line: u64,
    },
    Sheet {
        file: &'a str,
        sheet: &'a str,
        row: u32,
    },
}

impl Place<'_> {
    /// `answers.csv:5行目 score` or `answers.xlsx シート「回答」D5 (score)`.
    pub fn at(&self, column: usize, field: &str) -> String {
        match self {
            Place::Line { file, line } => format!("{file}:{line}行目 {field}"),
            Place::Sheet { file, sheet, row } => format!(
                "{file} シート「{sheet}」{}{} ({field})",
                column_letter(column),
                row
            ),
        }
    }

    /// The line (CSV) or sheet row (xlsx) number.
    pub fn number(&self) -> u64 {
        match self {
            Place::Line { line, .. } => *line,
            Place::Sheet { row, .. } => u64::from(*row),
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

/// A row as read, borrowed from the reader's buffer: its place and its
/// cells in [`FIELDS`] order.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub place: Place<'a>,
    pub cells: [Cell<'a>; 6],
    /// Column positions of the six fields in the file.
    pub columns: [usize; 6],
}

/// A row kept in memory (files read whole, for tests and small inputs).
#[derive(Debug, Clone)]
pub struct RawRow {
    file: String,
    sheet: Option<String>,
    number: u64,
    cells: [Cell<'static>; 6],
    columns: [usize; 6],
}

impl RawRow {
    fn keep(row: &Row<'_>) -> Self {
        let (file, sheet) = match row.place {
            Place::Line { file, .. } => (file.to_string(), None),
            Place::Sheet { file, sheet, .. } => (file.to_string(), Some(sheet.to_string())),
        };
        Self {
            file,
            sheet,
            number: row.place.number(),
            cells: row.cells.clone().map(|c| c.owned()),
            columns: row.columns,
        }
    }

    pub fn row(&self) -> Row<'_> {
        let place = match &self.sheet {
            None => Place::Line {
                file: &self.file,
                line: self.number,
            },
            Some(sheet) => Place::Sheet {
                file: &self.file,
                sheet,
                row: u32::try_from(self.number).unwrap_or(u32::MAX),
            },
        };
        Row {
            place,
            cells: self.cells.clone(),
            columns: self.columns,
        }
    }
}

/// Rows to import, visited in file order as many times as the import needs
/// (a `--replace` import reads its file twice: once to check and learn
/// which answers it replaces, once to write).
pub trait Source {
    /// Calls `f` with every non-blank row, in order. A header or format
    /// error ends the visit with that error.
    fn each(&self, f: &mut dyn FnMut(&Row<'_>) -> AppResult<()>) -> AppResult<()>;
}

impl Source for [RawRow] {
    fn each(&self, f: &mut dyn FnMut(&Row<'_>) -> AppResult<()>) -> AppResult<()> {
        self.iter().try_for_each(|r| f(&r.row()))
    }
}

impl Source for Vec<RawRow> {
    fn each(&self, f: &mut dyn FnMut(&Row<'_>) -> AppResult<()>) -> AppResult<()> {
        self.as_slice().each(f)
    }
}

/// A CSV or xlsx file (chosen by extension), read again at every visit.
#[derive(Debug, Clone)]
pub struct FileSource {
    path: PathBuf,
    shown: String,
    sheet: Option<String>,
    xlsx: bool,
}

impl FileSource {
    pub fn new(path: &Path, sheet: Option<&str>) -> Self {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        Self {
            path: path.to_path_buf(),
            shown: path.display().to_string(),
            sheet: sheet.map(str::to_string),
            xlsx: matches!(ext.as_str(), "xlsx" | "xlsm"),
        }
    }
}

impl Source for FileSource {
    fn each(&self, f: &mut dyn FnMut(&Row<'_>) -> AppResult<()>) -> AppResult<()> {
        if self.xlsx {
            return each_xlsx(&self.path, &self.shown, self.sheet.as_deref(), f);
        }
        let file = std::fs::File::open(&self.path).map_err(|e| AppError::io(&self.shown, e))?;
        each_csv(
            &self.shown,
            std::io::BufReader::with_capacity(1 << 16, file),
            f,
        )
    }
}

/// Reads a CSV or xlsx file (chosen by extension) into memory.
pub fn read_file(path: &Path, sheet: Option<&str>) -> AppResult<Vec<RawRow>> {
    collect(&FileSource::new(path, sheet))
}

/// Reads CSV text (UTF-8, a header line first) into memory.
pub fn read_csv(file: &str, bytes: &[u8]) -> AppResult<Vec<RawRow>> {
    let mut rows = Vec::new();
    each_csv(file, bytes, &mut |r| {
        rows.push(RawRow::keep(r));
        Ok(())
    })?;
    Ok(rows)
}

fn collect(source: &dyn Source) -> AppResult<Vec<RawRow>> {
    let mut rows = Vec::new();
    source.each(&mut |r| {
        rows.push(RawRow::keep(r));
        Ok(())
    })?;
    Ok(rows)
}

fn header_columns(file: &str, names: &[String]) -> AppResult<[usize; 6]> {
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
    columns[4] = find(COMMENT).unwrap_or(usize::MAX);
    columns[5] = find(REASON).unwrap_or(usize::MAX);
    for h in names {
        let h = h.trim().trim_start_matches('\u{feff}');
        if !h.is_empty() && !HEADER.contains(&h) && h != COMMENT && h != REASON {
            errors.push(format!("{file}:1行目: 見出し「{h}」は使えません"));
        }
    }
    if errors.is_empty() {
        Ok(columns)
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

fn csv_error(file: &str, e: &csv::Error) -> AppError {
    let line = e.position().map_or(0, |p| p.line());
    if let csv::ErrorKind::Utf8 { pos, err } = e.kind() {
        let byte = pos.as_ref().map_or(0, |p| p.byte());
        return AppError::BadRequest(format!(
            "{file}:{}行目: UTF-8 の文字として読めません（{} 列目、{} バイト目付近）。CSV は UTF-8 で保存してください",
            pos.as_ref().map_or(line, |p| p.line()),
            err.field() + 1,
            byte + err.valid_up_to() as u64 + 1
        ));
    }
    AppError::BadRequest(format!("{file}:{line}行目: CSV として読めません: {e}"))
}

/// Streams CSV records through one reused buffer.
fn each_csv(
    file: &str,
    input: impl Read,
    f: &mut dyn FnMut(&Row<'_>) -> AppResult<()>,
) -> AppResult<()> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(input);
    let names: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(e) if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) => {
            return Err(csv_error(file, &e))
        }
        Err(e) => {
            return Err(AppError::BadRequest(format!(
                "{file}:1行目: 見出し行を読めません: {e}"
            )))
        }
    };
    let columns = header_columns(file, &names)?;
    let mut record = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(file, &e)),
        }
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        let cell = |c: usize| {
            record
                .get(c)
                .map_or(Cell::Empty, |v| Cell::Text(Cow::Borrowed(v)))
        };
        f(&Row {
            place: Place::Line { file, line },
            cells: columns.map(cell),
            columns,
        })?;
    }
    Ok(())
}

fn xlsx_cell(d: &Data) -> Cell<'_> {
    match d {
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) => Cell::Text(Cow::Borrowed(s)),
        Data::Bool(b) => Cell::Text(Cow::Owned(b.to_string())),
        Data::DateTime(dt) => Cell::Date(Cow::Owned(dt.to_string())),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Date(Cow::Borrowed(s)),
        Data::Error(e) => Cell::Text(Cow::Owned(format!("#{e:?}"))),
        Data::Empty => Cell::Empty,
    }
}

fn each_xlsx(
    path: &Path,
    file: &str,
    sheet: Option<&str>,
    f: &mut dyn FnMut(&Row<'_>) -> AppResult<()>,
) -> AppResult<()> {
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
        .map(|r| {
            r.iter()
                .map(|c| xlsx_cell(c).shown().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let columns = header_columns(&format!("{file} シート「{sheet_name}」"), &header)?;
    let offset = first_col as usize;
    let absolute = columns.map(|c| c.saturating_add(offset));
    for (i, r) in iter.enumerate() {
        if r.iter().all(|c| xlsx_cell(c).is_empty()) {
            continue;
        }
        let cell = |c: usize| r.get(c).map_or(Cell::Empty, xlsx_cell);
        f(&Row {
            place: Place::Sheet {
                file,
                sheet: &sheet_name,
                row: first_row + i as u32 + 2,
            },
            cells: columns.map(cell),
            columns: absolute,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that counts how many bytes were pulled from it.
    struct Counting<'a> {
        inner: &'a [u8],
        pulled: std::rc::Rc<std::cell::Cell<usize>>,
    }

    impl Read for Counting<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.pulled.set(self.pulled.get() + n);
            Ok(n)
        }
    }

    /// The CSV reader hands over each row before it has read the file to
    /// its end: memory holds one buffer, never the whole file.
    #[test]
    fn csv_rows_are_handed_over_one_at_a_time() {
        let mut text = String::from("org_code,fiscal_year,item,score\n");
        for i in 0..200_000 {
            text.push_str(&format!("011002,2007,1-{},3\n", i % 9 + 1));
        }
        let pulled = std::rc::Rc::new(std::cell::Cell::new(0));
        let input = Counting {
            inner: text.as_bytes(),
            pulled: pulled.clone(),
        };
        let mut seen = 0_u64;
        let mut pulled_at_first = 0;
        each_csv("a.csv", input, &mut |row| {
            seen += 1;
            if seen == 1 {
                pulled_at_first = pulled.get();
                assert!(matches!(row.place, Place::Line { line: 2, .. }));
            }
            Ok(())
        })
        .expect("read");
        assert_eq!(seen, 200_000);
        assert!(text.len() > 3_000_000);
        // The first row arrives after one buffer (64 KiB) of a 3 MB file.
        assert!(pulled_at_first <= 1 << 17, "{pulled_at_first} bytes read");
        assert_eq!(pulled.get(), text.len());
    }

    #[test]
    fn bad_utf8_names_the_line() {
        let bytes = b"org_code,fiscal_year,item,score\n011002,2007,1-1,3\n011002,2007,1-\xff,3\n";
        let e = read_csv("a.csv", bytes).expect_err("not UTF-8");
        assert!(
            e.to_string()
                .starts_with("a.csv:3行目: UTF-8 の文字として読めません"),
            "{e}"
        );
    }
}
