//! Fuzzing the workbook importer: random bytes, mutated zips, and valid
//! workbooks whose XML parts are mutated and zipped again. Nothing may
//! panic or hang; every input is either read or refused with a message.
//! `PROPTEST_CASES=20000 cargo test excel_fuzz` runs longer (the
//! defaults keep `cargo test` within seconds).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::sample::Index;
use tenken::checklists::{Catalog, Variant};
use tenken::domain::FiscalYear;
use tenken::excel::form_export::{build_form, FormData};
use tenken::excel::form_import::{parse_form, read_grid, ImportRefusal};
use tenken::excel::limits::Limits;

use crate::xlsx::{entries, put, zip_of, Form, Put};

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| tenken::checklists::load_catalog(None).expect("catalog"))
}

/// A valid form with a few answers filled in.
fn sample() -> &'static [u8] {
    static SAMPLE: OnceLock<Vec<u8>> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let data = FormData {
            catalog: catalog(),
            variant: Variant::Municipal,
            org_code: "011002".into(),
            org_name: "札幌市".into(),
            fiscal_year: FiscalYear::new(2007).expect("year"),
            current: HashMap::new(),
            previous: HashMap::new(),
            conditions: BTreeMap::new(),
            plans: HashMap::new(),
        };
        let bytes = build_form(&data).expect("form");
        let form = Form::new(bytes);
        let cells = vec![
            (form.answer("cond:has_critical_room"), Put::Text("はい")),
            (form.answer("item:1-1"), Put::Num(3.0)),
            (form.answer("item:18-1"), Put::Text("２")),
        ];
        put(&form.bytes, &cells)
    })
}

fn sample_form() -> &'static Form {
    static FORM: OnceLock<Form> = OnceLock::new();
    FORM.get_or_init(|| Form::new(sample().to_vec()))
}

fn parts() -> &'static [(String, Vec<u8>)] {
    static PARTS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    PARTS.get_or_init(|| entries(sample()))
}

/// Reads and checks a workbook as an import does, short of the database.
fn exercise(bytes: &[u8]) {
    let result = read_grid(bytes, &Limits::DEFAULT)
        .and_then(|grid| parse_form(&grid, catalog(), None, None));
    if let Err(refusal) = result {
        let lines = refusal.lines();
        assert!(!lines.is_empty() && lines.iter().all(|l| !l.is_empty()));
        if let ImportRefusal::Internal(e) = refusal {
            panic!("reading must not fail internally: {e:?}");
        }
    }
}

fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Fragments that reach the corners of a reader: references at and beyond
/// the grid, reversed ranges, absurd counts, broken entities and tags.
const TOKENS: &[&str] = &[
    "<c r=\"XFD1048576\"><v>3</v></c>",
    "<c r=\"XFE1\"><v>1</v></c>",
    "<c r=\"A0\"/>",
    "<c r=\"AAAAAAAA1\"/>",
    "<c r=\"A4294967296\"/>",
    "<row r=\"99999999999\">",
    "<row r=\"1048576\"><c><v>2</v></c></row>",
    "<dimension ref=\"B2:A1\"/>",
    "<dimension ref=\"A1:XFD1048576\"/>",
    "<dimension ref=\":\"/>",
    " uniqueCount=\"18446744073709551616\"",
    " uniqueCount=\"4000000000\"",
    "<c r=\"F37\" t=\"s\"><v>4294967295</v></c>",
    "<c r=\"F37\" t=\"s\"><v>-1</v></c>",
    "<c r=\"F37\" s=\"999999\"><v>1</v></c>",
    "<c r=\"F37\" t=\"n\"><v>NaN</v></c>",
    "<c r=\"F37\" t=\"n\"><v>1e308</v></c>",
    "<c r=\"F3\"><v>-1e300</v></c>",
    "<c r=\"F37\" t=\"d\"><v>9999-99-99</v></c>",
    "<c r=\"F37\" t=\"e\"><v>#N/A</v></c>",
    "<c r=\"F37\" t=\"b\"><v>1</v></c>",
    "<c r=\"F37\" t=\"inlineStr\"><is><t>運用している</t></is></c>",
    "<numFmt numFmtId=\"4294967295\" formatCode=\"yyyy\"/>",
    "<xf numFmtId=\"99999\"/>",
    "&#0;",
    "&#xFFFFFFFF;",
    "&unknown;",
    "<![CDATA[",
    "<!--",
    "<?xml version=\"1.0\" encoding=\"UTF-16\"?>",
    "<",
    ">",
    "\"",
    "'",
    "</sheetData>",
    "<sheetData>",
    "</worksheet>",
    "<sheet name=\"調査票\" sheetId=\"1\" r:id=\"rId99\"/>",
    "Target=\"../../../etc/passwd\"",
    "Target=\"/xl/worksheets/sheet1.xml\"",
    "\u{0}",
    "\u{FEFF}",
];

#[derive(Debug, Clone)]
enum Edit {
    Byte(Index, u8),
    Insert(Index, Index),
    Delete(Index, usize),
    Duplicate(Index, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Byte(i, b)),
        (any::<Index>(), any::<Index>()).prop_map(|(i, t)| Edit::Insert(i, t)),
        (any::<Index>(), 1usize..64).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<Index>(), 1usize..256).prop_map(|(i, n)| Edit::Duplicate(i, n)),
    ]
}

fn apply(data: &mut Vec<u8>, e: &Edit) {
    if data.is_empty() {
        data.extend_from_slice(b"<a/>");
    }
    match e {
        Edit::Byte(i, b) => {
            let at = i.index(data.len());
            data[at] = *b;
        }
        Edit::Insert(i, t) => {
            let at = i.index(data.len() + 1);
            let token = TOKENS[t.index(TOKENS.len())].as_bytes();
            data.splice(at..at, token.iter().copied());
        }
        Edit::Delete(i, n) => {
            let at = i.index(data.len());
            let end = (at + n).min(data.len());
            data.drain(at..end);
        }
        Edit::Duplicate(i, n) => {
            let at = i.index(data.len());
            let end = (at + n).min(data.len());
            let chunk = data[at..end].to_vec();
            data.splice(at..at, chunk);
        }
    }
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn random_bytes_are_refused_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        exercise(&bytes);
    }

    #[test]
    fn random_bytes_behind_a_zip_or_ole_header(
        header in prop_oneof![Just(b"PK\x03\x04".to_vec()), Just(vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])],
        tail in proptest::collection::vec(any::<u8>(), 0..4096),
    ) {
        let mut bytes = header;
        bytes.extend(tail);
        exercise(&bytes);
    }

    #[test]
    fn mutated_zip_bytes(edits in proptest::collection::vec((any::<Index>(), any::<u8>()), 1..16), cut in any::<Index>(), truncate in any::<bool>()) {
        let mut bytes = sample().to_vec();
        for (i, b) in &edits {
            let at = i.index(bytes.len());
            bytes[at] = *b;
        }
        if truncate {
            let keep = cut.index(bytes.len());
            bytes.truncate(keep);
        }
        exercise(&bytes);
    }
}

// Each case below unzips, edits and zips a whole workbook: fewer cases.
proptest! {
    #![proptest_config(cases(32))]

    #[test]
    fn mutated_parts_zipped_again(part in any::<Index>(), edits in proptest::collection::vec(edit(), 1..8)) {
        let mut parts = parts().to_vec();
        let i = part.index(parts.len());
        for e in &edits {
            apply(&mut parts[i].1, e);
        }
        exercise(&zip_of(&parts));
    }

    #[test]
    fn mutated_form_sheet(edits in proptest::collection::vec(edit(), 1..12)) {
        let mut parts = parts().to_vec();
        let sheet = parts
            .iter_mut()
            .find(|(n, _)| n == crate::xlsx::SHEET_XML)
            .expect("sheet");
        for e in &edits {
            apply(&mut sheet.1, e);
        }
        exercise(&zip_of(&parts));
    }

    #[test]
    fn arbitrary_answers(values in proptest::collection::vec(
        prop_oneof![
            any::<f64>().prop_map(|n| n.to_string()),
            ".{0,40}",
            Just("３".to_string()),
            Just("運用している".to_string()),
        ],
        1..8,
    )) {
        let form = sample_form();
        let keys = ["item:1-1", "item:1-2", "item:18-1", "cond:has_critical_room", "org", "fiscal_year", "checklist", "header"];
        let cells: Vec<(String, Put<'_>)> = values
            .iter()
            .zip(keys.iter())
            .map(|(v, k)| (form.answer(k), Put::Text(v.as_str())))
            .collect();
        exercise(&put(&form.bytes, &cells));
    }
}
