//! Test helpers that take a workbook apart and put it back together: fill
//! cells of an exported form the way a user would, or break it on purpose.

use std::io::{Cursor, Read, Write};

use tenken::excel::form_import::{read_grid, Grid, Value};
use tenken::excel::limits::Limits;

pub const SHEET_XML: &str = "xl/worksheets/sheet1.xml";

/// Every part of a zip, in order.
pub fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).expect("entry");
            let mut data = Vec::new();
            f.read_to_end(&mut data).expect("read entry");
            (f.name().expect("name").to_string(), data)
        })
        .collect()
}

/// A zip of these parts (stored: quick to write).
pub fn zip_of(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in parts {
        w.start_file(name.as_str(), options).expect("start file");
        w.write_all(data).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

/// The workbook with one part's text changed by `f`.
pub fn edit_part(bytes: &[u8], part: &str, f: impl FnOnce(String) -> String) -> Vec<u8> {
    let mut parts = entries(bytes);
    let entry = parts
        .iter_mut()
        .find(|(n, _)| n == part)
        .unwrap_or_else(|| panic!("no part {part}"));
    let text = String::from_utf8(std::mem::take(&mut entry.1)).expect("utf-8");
    entry.1 = f(text).into_bytes();
    zip_of(&parts)
}

/// A value to put in a cell.
#[derive(Debug, Clone, Copy)]
pub enum Put<'a> {
    Num(f64),
    Text(&'a str),
    Blank,
}

/// The workbook with these cells (e.g. `F37`) of `調査票` set, keeping
/// each cell's style (and so its lock and validation).
pub fn put(bytes: &[u8], cells: &[(String, Put<'_>)]) -> Vec<u8> {
    edit_part(bytes, SHEET_XML, |mut xml| {
        for (cell, value) in cells {
            put_xml(&mut xml, cell, *value);
        }
        xml
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn put_xml(xml: &mut String, cell: &str, value: Put<'_>) {
    let open = format!("<c r=\"{cell}\"");
    let (start, end, style) = match xml.find(&open) {
        Some(start) => {
            let tag_end = start + xml[start..].find('>').expect("tag end");
            let end = if xml.as_bytes()[tag_end - 1] == b'/' {
                tag_end + 1
            } else {
                tag_end + xml[tag_end..].find("</c>").expect("</c>") + 4
            };
            let tag = &xml[start..tag_end];
            let style = tag
                .find(" s=\"")
                .map(|i| {
                    let rest = &tag[i + 4..];
                    format!(" s=\"{}\"", &rest[..rest.find('"').expect("quote")])
                })
                .unwrap_or_default();
            (start, end, style)
        }
        None => {
            let row: String = cell.chars().filter(char::is_ascii_digit).collect();
            let row_start = xml
                .find(&format!("<row r=\"{row}\""))
                .unwrap_or_else(|| panic!("no row {row}"));
            let at = row_start + xml[row_start..].find("</row>").expect("</row>");
            (at, at, String::new())
        }
    };
    let new = match value {
        Put::Num(n) => format!("<c r=\"{cell}\"{style}><v>{n}</v></c>"),
        Put::Text(t) => format!(
            "<c r=\"{cell}\"{style} t=\"inlineStr\"><is><t>{}</t></is></c>",
            escape(t)
        ),
        Put::Blank => format!("<c r=\"{cell}\"{style}/>"),
    };
    xml.replace_range(start..end, &new);
}

/// An exported form and its cells, to find rows by their keys.
pub struct Form {
    pub bytes: Vec<u8>,
    pub grid: Grid,
}

impl Form {
    pub fn new(bytes: Vec<u8>) -> Self {
        let grid = read_grid(&bytes, &Limits::DEFAULT).expect("exported form reads back");
        Self { bytes, grid }
    }

    /// The 1-based row of a key in column A (`item:18-1`, `org`, `cond:has_critical_room`).
    pub fn row(&self, key: &str) -> u32 {
        self.grid
            .cells
            .iter()
            .find(|((_, c), v)| *c == 0 && **v == Value::Text(key.into()))
            .map(|((r, _), _)| r + 1)
            .unwrap_or_else(|| panic!("no row {key}"))
    }

    /// The answer cell of a key: `F37`.
    pub fn answer(&self, key: &str) -> String {
        format!("F{}", self.row(key))
    }

    /// A cell's value by its A1 name.
    pub fn value(&self, cell: &str) -> Option<&Value> {
        let col = u32::from(cell.as_bytes()[0] - b'A');
        let row: u32 = cell[1..].parse().expect("row number");
        self.grid.cells.get(&(row - 1, col))
    }
}
