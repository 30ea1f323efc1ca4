//! What a workbook must pass before calamine reads it: a bounded size, a
//! real xlsx (a zip, not an encrypted or old-format OLE file), a bounded
//! number of parts and a bounded unpacked size (a zip bomb is refused), and
//! no XML that would make the reader allocate without bound or overflow
//! (cell references beyond Excel's grid, absurd shared-string counts).
//!
//! Every part is unpacked here with a hard cap, so the work calamine does
//! afterwards on the same bytes is bounded too: nothing can hang.

use std::io::{Cursor, Read};

use quick_xml::events::{BytesStart, Event};

use super::parse_cell_ref;

/// Bounds on what an import reads.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Size of the uploaded file.
    pub max_file_bytes: u64,
    /// Parts inside the zip.
    pub max_entries: usize,
    /// Unpacked size of one part.
    pub max_entry_bytes: u64,
    /// Unpacked size of all parts together.
    pub max_total_bytes: u64,
    /// Cells read from the form sheet.
    pub max_cells: usize,
    /// Shared strings: the declared count (the reader reserves that many)
    /// and the `<si>` entries really in the part, each.
    pub max_shared_strings: u64,
}

impl Limits {
    /// A filled form is about 30 KiB; these leave room for anything Excel
    /// or LibreOffice adds and refuse the rest.
    pub const DEFAULT: Limits = Limits {
        max_file_bytes: 10 * MIB,
        max_entries: 500,
        max_entry_bytes: 25 * MIB,
        max_total_bytes: 50 * MIB,
        max_cells: 100_000,
        max_shared_strings: 200_000,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

const MIB: u64 = 1024 * 1024;

/// OLE compound file (CFB): old .xls, or an encrypted xlsx.
const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

pub const EMPTY: &str = "ファイルが空です";
pub const ENCRYPTED: &str = "パスワードで保護（暗号化）されたブックは読み込めません。Excel でパスワードを解除して保存し直してから取り込んでください";
pub const OLD_FORMAT: &str = "Excel 97-2003 形式（.xls）などの古い形式は読み込めません。Excel で「Excel ブック (*.xlsx)」として保存し直してください";
pub const NOT_XLSX: &str =
    "xlsx 形式のファイルではありません（Excel ブック (*.xlsx) を選んでください）";

pub fn too_big(len: u64, limits: &Limits) -> String {
    format!(
        "ファイルが大きすぎます（{}、上限 {}）",
        size(len),
        size(limits.max_file_bytes)
    )
}

/// The refusal of an upload cut off at the limit (its full size unknown).
pub fn over_limit(limits: &Limits) -> String {
    format!(
        "ファイルが大きすぎます（上限 {}）",
        size(limits.max_file_bytes)
    )
}

fn size(n: u64) -> String {
    if n >= MIB {
        format!("{:.1} MiB", n as f64 / MIB as f64)
    } else {
        format!("{n} バイト")
    }
}

fn broken(detail: impl std::fmt::Display) -> String {
    format!("xlsx ファイルとして読めません。ファイルが壊れています（{detail}）")
}

fn bomb(limits: &Limits) -> String {
    format!(
        "展開すると大きすぎるブックです（1部品 {}・合計 {} まで）。圧縮爆弾の疑いがあるため読み込みません",
        size(limits.max_entry_bytes),
        size(limits.max_total_bytes)
    )
}

/// Checks `bytes` before any reader touches them. The error is a message
/// for the user, in Japanese.
pub fn check(bytes: &[u8], limits: &Limits) -> Result<(), String> {
    if bytes.is_empty() {
        return Err(EMPTY.into());
    }
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(too_big(bytes.len() as u64, limits));
    }
    if bytes.starts_with(&CFB_MAGIC) {
        return Err(if is_encrypted_ooxml(bytes) {
            ENCRYPTED.into()
        } else {
            OLD_FORMAT.into()
        });
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(NOT_XLSX.into());
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(broken)?;
    if zip.len() > limits.max_entries {
        return Err(format!(
            "ブックの中の部品が多すぎます（{} 個、上限 {} 個）",
            zip.len(),
            limits.max_entries
        ));
    }
    let mut total: u64 = 0;
    let mut buf = Vec::new();
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(broken)?;
        if entry.encrypted() {
            return Err(ENCRYPTED.into());
        }
        let declared = entry.size();
        total = total.saturating_add(declared);
        if declared > limits.max_entry_bytes || total > limits.max_total_bytes {
            return Err(bomb(limits));
        }
    }
    // The declared sizes may lie: unpack each part with a hard cap.
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(broken)?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        if entry.is_dir() {
            continue;
        }
        buf.clear();
        let cap = limits
            .max_entry_bytes
            .min(limits.max_total_bytes - total.min(limits.max_total_bytes));
        let read = match entry.take(cap + 1).read_to_end(&mut buf) {
            Ok(n) => n as u64,
            // zip 9 stops a part that unpacks beyond its declared size
            // with this error: a zip bomb that lies about its size.
            Err(e) if e.to_string().contains("declared uncompressed size") => {
                return Err(bomb(limits))
            }
            Err(e) => return Err(broken(format!("{name}: {e}"))),
        };
        if read > cap {
            return Err(bomb(limits));
        }
        total += read;
        check_xml(&name, &buf, limits)?;
    }
    Ok(())
}

/// An encrypted OOXML file is a CFB holding the streams `EncryptionInfo`
/// and `EncryptedPackage`; their names are stored in UTF-16LE.
fn is_encrypted_ooxml(bytes: &[u8]) -> bool {
    let needle: Vec<u8> = "EncryptionInfo"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    bytes.windows(needle.len()).any(|w| w == needle.as_slice())
}

/// Walks one part as XML the way calamine will (same parser, same
/// settings) and refuses the attributes calamine trusts: cell references
/// (`<c r>`, `<row r>`, `<dimension ref>`) must lie in Excel's grid, a
/// dimension must not end before it starts, and `<sst uniqueCount>` must
/// be modest. Parts that are not XML stop at the first parse error, as
/// calamine's reader would.
fn check_xml(name: &str, bytes: &[u8], limits: &Limits) -> Result<(), String> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut buf = Vec::new();
    // The shared strings that are really there: the declared `uniqueCount`
    // may be missing or lie.
    let mut strings: u64 = 0;
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                if e.local_name().as_ref() == "si" {
                    strings += 1;
                    if strings > limits.max_shared_strings {
                        return Err(format!(
                            "ブックの中の {name} が壊れています（文字列（<si>）が {} 個を超えています）",
                            limits.max_shared_strings
                        ));
                    }
                }
                check_element(&e, limits)
                    .map_err(|what| format!("ブックの中の {name} が壊れています（{what}）"))?
            }
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}

fn check_element(e: &BytesStart<'_>, limits: &Limits) -> Result<(), String> {
    let local = e.local_name();
    let raw = e.attributes_raw().as_bytes();
    match local.as_ref() {
        "c" | "row" => {
            for v in raw_attr_values(raw, b"r") {
                if parse_cell_ref(v).is_none() {
                    return Err(format!(
                        "セル番地「{}」が範囲外です",
                        String::from_utf8_lossy(v)
                    ));
                }
            }
        }
        "dimension" => {
            for v in raw_attr_values(raw, b"ref") {
                if !valid_dimension(v) {
                    return Err(format!("範囲「{}」が不正です", String::from_utf8_lossy(v)));
                }
            }
        }
        "sst" => {
            for v in raw_attr_values(raw, b"uniqueCount") {
                let digits = v.strip_prefix(b"+").unwrap_or(v);
                if digits.iter().all(u8::is_ascii_digit) && !digits.is_empty() {
                    let n = digits.iter().fold(0u64, |acc, d| {
                        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                    });
                    if n > limits.max_shared_strings {
                        return Err(format!(
                            "文字列の数 {} が多すぎます",
                            String::from_utf8_lossy(v)
                        ));
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn valid_dimension(v: &[u8]) -> bool {
    let parts: Vec<Option<(u32, Option<u32>)>> =
        v.split(|b| *b == b':').map(parse_cell_ref).collect();
    match parts.as_slice() {
        [Some(_)] => true,
        [Some((r1, c1)), Some((r2, c2))] => r1 <= r2 && c1.unwrap_or(0) <= c2.unwrap_or(0),
        _ => false,
    }
}

/// The values of every attribute named exactly `key` in a start tag's raw
/// attribute text, scanned the way calamine scans it (its `RawAttrIter`):
/// key up to `=`, optional blanks, a quoted value. Stops where calamine
/// would report a malformed attribute.
fn raw_attr_values<'a>(raw: &'a [u8], key: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut pos = 0;
    std::iter::from_fn(move || loop {
        while raw.get(pos).is_some_and(u8::is_ascii_whitespace) {
            pos += 1;
        }
        if pos >= raw.len() {
            return None;
        }
        let key_start = pos;
        while raw.get(pos).is_some_and(|b| *b != b'=') {
            pos += 1;
        }
        if pos >= raw.len() {
            return None;
        }
        let k = raw.get(key_start..pos).unwrap_or_default().trim_ascii_end();
        pos += 1;
        while raw.get(pos).is_some_and(u8::is_ascii_whitespace) {
            pos += 1;
        }
        let quote = match raw.get(pos) {
            Some(q @ (b'"' | b'\'')) => *q,
            _ => {
                pos = raw.len();
                return None;
            }
        };
        pos += 1;
        let start = pos;
        while raw.get(pos).is_some_and(|b| *b != quote) {
            pos += 1;
        }
        let value = raw.get(start..pos).unwrap_or_default();
        if pos < raw.len() {
            pos += 1;
        }
        if k == key {
            return Some(value);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_scanned_like_calamine() {
        let raw = br#" r="A1" s = '3' r="B2"  t="s""#;
        let rs: Vec<&[u8]> = raw_attr_values(raw, b"r").collect();
        assert_eq!(rs, vec![&b"A1"[..], b"B2"]);
        let ts: Vec<&[u8]> = raw_attr_values(raw, b"t").collect();
        assert_eq!(ts, vec![&b"s"[..]]);
        // Unquoted: calamine stops there, so do we.
        assert_eq!(raw_attr_values(b" a=1 r=\"A1\"", b"r").count(), 0);
    }

    #[test]
    fn dimensions() {
        assert!(valid_dimension(b"A1:K200"));
        assert!(valid_dimension(b"A1"));
        assert!(!valid_dimension(b"B2:A1"), "ends before it starts");
        assert!(!valid_dimension(b"A1:B2:C3"));
        assert!(!valid_dimension(b"A1:XFD99999999"));
    }

    #[test]
    fn xml_checks_name_the_part() {
        let l = Limits::DEFAULT;
        assert_eq!(
            check_xml(
                "xl/worksheets/sheet1.xml",
                br#"<worksheet><dimension ref="C3:A1"/></worksheet>"#,
                &l
            ),
            Err(
                "ブックの中の xl/worksheets/sheet1.xml が壊れています（範囲「C3:A1」が不正です）"
                    .into()
            )
        );
        assert_eq!(
            check_xml(
                "s.xml",
                br#"<x:row r="5"><x:c r="A4294967297"/></x:row>"#,
                &l
            ),
            Err("ブックの中の s.xml が壊れています（セル番地「A4294967297」が範囲外です）".into())
        );
        assert_eq!(
            check_xml("xl/sharedStrings.xml", br#"<sst count="1" uniqueCount="99999999999999999999">"#, &l),
            Err("ブックの中の xl/sharedStrings.xml が壊れています（文字列の数 99999999999999999999 が多すぎます）".into())
        );
        assert_eq!(check_xml("image.png", b"\x89PNG<<<\x00", &l), Ok(()));
    }
}
