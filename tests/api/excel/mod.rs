//! The 調査票 workbook both ways: export, fill programmatically, import,
//! read the answers back; and every refusal with its exact message, each
//! checking that nothing was written.
//!
//! This file holds the fixtures (a database with the checklists, export,
//! fill, import); the tests by topic: `round_trip.rs` export, fill, import
//! and read back, `cells.rs` refusals of single cells, `files.rs` refusals
//! of the file itself (before any cell is read), `intake.rs` the command
//! line's bulk intake and the workflow's intake.

mod cells;
mod files;
mod intake;
mod round_trip;

use std::collections::{BTreeMap, HashMap};

use tenken::checklists::{Catalog, Variant};
use tenken::db::{self, DatabaseUrl, DbConnection};
use tenken::domain::{FiscalYear, Score};
use tenken::excel::bulk;
use tenken::excel::form_export::{build_form, form_data, write_form};
use tenken::excel::form_import::{
    import_form, read_grid, ImportHooks, ImportRefusal, ImportReport, ImportRules, NoHooks, Value,
};
use tenken::excel::limits::{self, Limits};
use tenken::store::{answers, checklists, organisations};

use crate::helpers::{fresh_database, TestDatabase};
use crate::xlsx::{edit_part, entries, put, zip_of, Form, Put, SHEET_XML};

const SAPPORO: &str = "011002";
const ROOM: &str = "cond:has_critical_room";

struct Env {
    conn: DbConnection,
    catalog: Catalog,
    _db: TestDatabase,
    _dir: tempfile::TempDir,
}

fn env() -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = fresh_database(&dir);
    let mut conn =
        db::establish(&DatabaseUrl::parse(&database.url).expect("url")).expect("connect");
    let catalog = tenken::checklists::load_catalog(None).expect("catalog");
    tenken::bootstrap::prepare(&mut conn, &catalog).expect("prepare");
    Env {
        conn,
        catalog,
        _db: database,
        _dir: dir,
    }
}

fn fy(y: i32) -> FiscalYear {
    FiscalYear::new(y).expect("year")
}

fn export(env: &mut Env, org: &str, year: i32) -> Form {
    Form::new(write_form(&mut env.conn, &env.catalog, org, fy(year)).expect("export"))
}

/// The items that apply with or without a 重要機能室, in checklist order.
fn applicable(env: &Env, room: bool) -> Vec<String> {
    let conditions = BTreeMap::from([("has_critical_room".to_string(), room)]);
    env.catalog
        .checklist(Variant::Municipal)
        .applicable_items(fy(2007), &conditions)
        .iter()
        .map(|i| i.code.clone())
        .collect()
}

/// Score and comment by item code.
type Answers = HashMap<String, (u8, String)>;

/// The score the filled forms give the i-th applicable item: 3, 2, 1, 0, 3 …
fn score_for(i: usize) -> u8 {
    [3, 2, 1, 0][i % 4]
}

/// Fills every applicable item: numbers mostly, full-width digits for every
/// fifth item and the scale's words for every seventh; a comment on every
/// tenth. Returns the cells and the answers they mean.
fn filled_cells(env: &Env, form: &Form, room: bool) -> (Vec<(String, Put<'static>)>, Answers) {
    const WIDE: [&str; 4] = ["０", "１", "２", "３"];
    const WORDS: [&str; 4] = [
        "該当しない",
        "整備していない",
        "整備している",
        "運用している",
    ];
    let mut cells = vec![(
        form.answer(ROOM),
        Put::Text(if room { "はい" } else { "いいえ" }),
    )];
    let mut expected = HashMap::new();
    for (i, code) in applicable(env, room).into_iter().enumerate() {
        let s = score_for(i);
        let key = format!("item:{code}");
        let value = if i % 7 == 3 {
            Put::Text(WORDS[usize::from(s)])
        } else if i % 5 == 2 {
            Put::Text(WIDE[usize::from(s)])
        } else {
            Put::Num(f64::from(s))
        };
        cells.push((form.answer(&key), value));
        // An answer 0 needs a reason (its comment).
        let comment = if i % 10 == 0 || s == 0 {
            let text: &'static str = Box::leak(format!("確認済み {i}").into_boxed_str());
            cells.push((format!("G{}", form.row(&key)), Put::Text(text)));
            text.to_string()
        } else {
            String::new()
        };
        expected.insert(code, (s, comment));
    }
    (cells, expected)
}

fn filled(env: &Env, form: &Form, room: bool) -> Vec<u8> {
    put(&form.bytes, &filled_cells(env, form, room).0)
}

fn with(bytes: &[u8], cells: &[(&str, Put<'_>)]) -> Vec<u8> {
    let owned: Vec<(String, Put<'_>)> = cells.iter().map(|(c, p)| (c.to_string(), *p)).collect();
    put(bytes, &owned)
}

fn import(env: &mut Env, bytes: &[u8]) -> Result<ImportReport, ImportRefusal> {
    import_form(
        &mut env.conn,
        &env.catalog,
        bytes,
        &ImportRules::default(),
        &NoHooks,
    )
}

/// The bulk mechanism alone: the importer with the year's rule and no
/// workflow tables (`workflow_intake` below tests the CLI's real path).
fn import_for_year(
    conn: &mut DbConnection,
    catalog: &tenken::checklists::Catalog,
    bytes: &[u8],
    year: FiscalYear,
) -> Result<ImportReport, ImportRefusal> {
    let rules = ImportRules {
        expected_year: Some(year),
        ..ImportRules::default()
    };
    import_form(conn, catalog, bytes, &rules, &NoHooks)
}

fn stored(env: &mut Env, org: &str, year: i32) -> Answers {
    let org = organisations::find(&mut env.conn, org)
        .expect("query")
        .expect("organisation");
    answers::of_org_year(&mut env.conn, org.id, fy(year))
        .expect("answers")
        .into_iter()
        .map(|a| (a.item_code, (a.score as u8, a.comment)))
        .collect()
}

/// Refused by a plain import with exactly these lines, and nothing stored.
fn refused(env: &mut Env, bytes: &[u8], want: &[String]) {
    let result = import(env, bytes);
    assert_refused(env, result, want);
}

/// Refused with exactly these lines, and nothing stored for 札幌市.
fn assert_refused(env: &mut Env, result: Result<ImportReport, ImportRefusal>, want: &[String]) {
    match result {
        Ok(r) => panic!("imported, expected a refusal: {}", r.summary()),
        Err(e) => assert_eq!(e.lines(), want),
    }
    assert!(
        stored(env, SAPPORO, 2007).is_empty(),
        "nothing may be imported"
    );
}
