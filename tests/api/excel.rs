//! The 調査票 workbook both ways: export, fill programmatically, import,
//! read the answers back; and every refusal with its exact message, each
//! checking that nothing was written.

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

#[test]
fn round_trip_export_fill_import_read_back() {
    let mut env = env();
    let form = export(&mut env, SAPPORO, 2007);
    let (mut cells, expected) = filled_cells(&env, &form, true);
    assert_eq!(expected.len(), 123, "126 items less the three 8-x");
    // A plan for 1-2 (scored 2): no warning for it, and it comes back.
    let plan_row = form.row("item:1-2");
    for (col, text) in [
        ('H', "規程が古い"),
        ('I', "規程を改訂する"),
        ('J', "情報政策課"),
        ('K', "令和8年3月"),
    ] {
        cells.push((format!("{col}{plan_row}"), Put::Text(text)));
    }
    let report = import(&mut env, &put(&form.bytes, &cells)).expect("import");

    assert_eq!(stored(&mut env, SAPPORO, 2007), expected);
    assert_eq!(report.answers, 123);
    assert_eq!(
        (report.added(), report.changed(), report.unchanged()),
        (123, 0, 0)
    );
    assert_eq!(
        report.summary(),
        "札幌市 (011002) 平成19年度（2007年度）: 回答 123 件（新規 123、変更 0、変更なし 0）"
    );
    assert_eq!(report.conditions.get("has_critical_room"), Some(&true));
    // 123 items scored 3,2,1,0,3,… : 31 twos and 31 ones, one of them with a plan.
    assert_eq!(report.warnings.len(), 61);
    let f13 = form.answer("item:1-3");
    assert!(
        report.warnings.contains(&format!(
            "調査票!{f13}: 1-3 は「1」ですが、改善計画書が未登録です"
        )),
        "{:?}",
        report.warnings
    );
    assert_eq!(report.plans.len(), 1);
    assert_eq!(report.plans[0].item_code, "1-2");
    assert_eq!(report.plans[0].measure, "規程を改訂する");
    assert_eq!(report.plans[0].target, "令和8年3月");

    // The next download shows the stored answers and the condition.
    let again = export(&mut env, SAPPORO, 2007);
    assert_eq!(
        again.value(&again.answer(ROOM)),
        Some(&Value::Text("はい".into()))
    );
    let first = again.answer("item:1-1");
    assert_eq!(again.value(&first), Some(&Value::Number(3.0)));

    // A second import reports what changed against the answers on file.
    let bytes = with(
        &again.bytes,
        &[
            (&again.answer("item:1-1"), Put::Num(1.0)),
            (
                &format!("G{}", again.row("item:1-3")),
                Put::Text("見直し中"),
            ),
        ],
    );
    let report = import(&mut env, &bytes).expect("second import");
    assert_eq!(
        (report.added(), report.changed(), report.unchanged()),
        (0, 2, 121)
    );
    assert_eq!(
        report.change_lines(),
        vec!["1-1: 3 → 1", "1-3: コメントを変更"]
    );
    let now = stored(&mut env, SAPPORO, 2007);
    assert_eq!(now["1-1"], (1, "確認済み 0".to_string()));
    assert_eq!(now["1-3"], (1, "見直し中".to_string()));
    assert_eq!(now.len(), 123);
}

#[test]
fn without_a_critical_room_the_8_items_are_answered() {
    let mut env = env();
    let form = export(&mut env, SAPPORO, 2007);
    let (cells, expected) = filled_cells(&env, &form, false);
    let report = import(&mut env, &put(&form.bytes, &cells)).expect("import");
    assert_eq!(report.answers, 121, "126 items less the five 7-x");
    let got = stored(&mut env, SAPPORO, 2007);
    assert_eq!(got, expected);
    assert!(got.contains_key("8-1") && !got.contains_key("7-1"));
    // 0 (該当しない) on an item that does not apply is accepted and not stored.
    let bytes = put(
        &put(&form.bytes, &cells),
        &[(form.answer("item:7-1"), Put::Text("０"))],
    );
    let report = import(&mut env, &bytes).expect("import with 0 on 7-1");
    assert_eq!(report.answers, 121);
    assert!(!stored(&mut env, SAPPORO, 2007).contains_key("7-1"));
}

#[test]
fn form_carries_header_ids_validation_protection_and_print_setup() {
    let mut env = env();
    // Last year's answers are shown beside.
    let org = organisations::find(&mut env.conn, SAPPORO)
        .expect("q")
        .expect("札幌市");
    let id = checklists::item_id(&mut env.conn, Variant::Municipal, "18-1", fy(2006))
        .expect("q")
        .expect("18-1");
    let last = answers::AnswerInput {
        item_code: "18-1".into(),
        item_id: id,
        score: Score::new(2).expect("2"),
        comment: String::new(),
    };
    answers::upsert(&mut env.conn, org.id, fy(2006), &[last]).expect("2006 answer");
    let form = export(&mut env, SAPPORO, 2007);

    assert_eq!(form.value("A1"), Some(&Value::Text("tenken-form/1".into())));
    let text = |cell: &str| form.value(cell).map(Value::shown).unwrap_or_default();
    assert_eq!(text(&form.answer("org")), "011002");
    assert_eq!(text(&format!("G{}", form.row("org"))), "札幌市");
    assert_eq!(
        form.value(&form.answer("fiscal_year")),
        Some(&Value::Number(2007.0))
    );
    let label = env.catalog.municipal.version_label();
    assert_eq!(text(&form.answer("checklist")), label);
    assert_eq!(
        text(&format!("B{}", form.row(ROOM))),
        "重要機能室がありますか"
    );
    let header = form.row("header");
    let titles: Vec<String> = "BCDEFGHIJK"
        .chars()
        .map(|c| text(&format!("{c}{header}")))
        .collect();
    assert_eq!(
        titles,
        [
            "番号",
            "管理目標・小項目",
            "重要",
            "前年度の回答",
            "回答",
            "コメント",
            "現状",
            "改善策",
            "担当者",
            "目標時期"
        ]
    );
    // Every item of the year, both 7-x and 8-x, with its text.
    let ids = form
        .grid
        .cells
        .iter()
        .filter(|((_, c), v)| *c == 0 && v.shown().starts_with("item:"))
        .count();
    assert_eq!(ids, 126);
    let r = form.row("item:18-1");
    assert_eq!(text(&format!("B{r}")), "18-1");
    assert!(text(&format!("C{r}")).starts_with("操作履歴をチェックしている"));
    assert_eq!(text(&format!("E{r}")), "2 整備している");
    assert_eq!(text(&format!("E{}", form.row("item:18-2"))), "");
    // The issue's example cell: 5-3 sits at F37.
    assert_eq!(form.answer("item:5-3"), "F37");

    let xml = String::from_utf8(
        entries(&form.bytes)
            .into_iter()
            .find(|(n, _)| n == SHEET_XML)
            .expect("sheet")
            .1,
    )
    .expect("utf-8");
    assert!(xml.contains(r#"<dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1" errorTitle="回答は 3・2・1・0""#));
    assert!(xml.contains("<formula1>\"3,2,1,0\"</formula1>"));
    // One drop-down over every answer cell, from 1-1 to the last item.
    assert_eq!(xml.matches("<formula1>\"3,2,1,0\"</formula1>").count(), 1);
    let (first, sixth) = (form.answer("item:1-1"), form.answer("item:1-6"));
    assert!(xml.contains(&format!("sqref=\"{first}:{sixth} ")));
    assert!(xml.contains(
        "prompt=\"3 運用している&#xA;2 整備している&#xA;1 整備していない&#xA;0 該当しない\""
    ));
    assert!(xml.contains("<formula1>\"はい,いいえ\"</formula1>"));
    assert!(xml.contains(
        r#"<sheetProtection sheet="1" objects="1" scenarios="1" formatColumns="0" formatRows="0"/>"#
    ));
    assert!(xml.contains(r#"<col min="1" max="1" width="14.625" hidden="1" customWidth="1"/>"#));
    assert!(xml.contains(r#"<pageSetup paperSize="9" fitToHeight="0" orientation="portrait""#));
    assert!(xml.contains(r#"<pageSetUpPr fitToPage="1"/>"#));
    let workbook = String::from_utf8(
        entries(&form.bytes)
            .into_iter()
            .find(|(n, _)| n == "xl/workbook.xml")
            .expect("workbook.xml")
            .1,
    )
    .expect("utf-8");
    assert!(
        workbook.contains(&format!("<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"0\">調査票!${header}:${header}</definedName>"))
    );
}

#[test]
fn sorted_rows_still_import_by_their_ids() {
    let mut env = env();
    let form = export(&mut env, SAPPORO, 2007);
    let filled_form = Form::new(filled(&env, &form, true));
    // Rewrite the sheet with the item rows in reverse order, as a sort would.
    let grid = &filled_form.grid;
    let item_rows: Vec<u32> = grid
        .cells
        .iter()
        .filter(|((_, c), v)| *c == 0 && v.shown().starts_with("item:"))
        .map(|((r, _), _)| *r)
        .collect();
    let moved: HashMap<u32, u32> = item_rows
        .iter()
        .zip(item_rows.iter().rev())
        .map(|(a, b)| (*a, *b))
        .collect();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let ws = workbook.add_worksheet();
    ws.set_name("調査票").expect("name");
    for (&(r, c), v) in &grid.cells {
        let r = moved.get(&r).copied().unwrap_or(r);
        let c = c as u16;
        match v {
            Value::Number(n) => ws.write_number(r, c, *n).map(|_| ()),
            other => ws.write_string(r, c, other.shown()).map(|_| ()),
        }
        .expect("write");
    }
    let bytes = workbook.save_to_buffer().expect("save");
    import(&mut env, &bytes).expect("import of the sorted sheet");
    assert_eq!(
        stored(&mut env, SAPPORO, 2007),
        filled_cells(&env, &form, true).1
    );
}

#[test]
fn last_years_answers_are_compared() {
    let mut env = env();
    let org = organisations::find(&mut env.conn, SAPPORO)
        .expect("q")
        .expect("札幌市");
    let ids = checklists::item_ids(&mut env.conn, Variant::Municipal, fy(2006)).expect("ids");
    // 2006: 1-1 was 1 (now 3: up), 1-2 was 3 (now 2: down), 1-3 was 1 (now 1: same).
    let last: Vec<answers::AnswerInput> = [("1-1", 1), ("1-2", 3), ("1-3", 1)]
        .iter()
        .map(|(code, s)| answers::AnswerInput {
            item_code: code.to_string(),
            item_id: ids[*code],
            score: Score::new(*s).expect("score"),
            comment: String::new(),
        })
        .collect();
    answers::upsert(&mut env.conn, org.id, fy(2006), &last).expect("2006");
    let form = export(&mut env, SAPPORO, 2007);
    // The condition is unknown for 2007 and 2006 has no 7-x/8-x answers: blank.
    assert_eq!(form.value(&form.answer(ROOM)), None);
    let bytes = filled(&env, &form, true);
    let report = import(&mut env, &bytes).expect("import");
    assert_eq!(
        report.last_year_line().as_deref(),
        Some("前年度と比べて: 上がった 1 項目、下がった 1 項目")
    );
    let codes: Vec<&str> = report
        .against_last_year
        .iter()
        .map(|c| c.item_code.as_str())
        .collect();
    assert_eq!(codes, ["1-1", "1-2"]);
}

#[test]
fn condition_is_prefilled_from_earlier_answers() {
    let mut env = env();
    let form = export(&mut env, SAPPORO, 2007);
    let bytes = filled(&env, &form, false);
    import(&mut env, &bytes).expect("import");
    let next =
        Form::new(write_form(&mut env.conn, &env.catalog, SAPPORO, fy(2008)).expect("2008 form"));
    assert_eq!(
        next.value(&next.answer(ROOM)),
        Some(&Value::Text("いいえ".into()))
    );
    assert_eq!(
        next.value(&format!("E{}", next.row("item:8-1"))),
        Some(&Value::Text("3 運用している".into()))
    );
}

// ---- Refusals of single cells: exact message, nothing imported. ----

/// Where the bad value goes: the answer cell of a key, another column of
/// a key's row, or a fixed cell.
enum At {
    Answer(&'static str),
    Column(char, &'static str),
    Cell(&'static str),
}

impl At {
    fn cell(&self, form: &Form) -> String {
        match self {
            At::Answer(key) => form.answer(key),
            At::Column(c, key) => format!("{c}{}", form.row(key)),
            At::Cell(c) => c.to_string(),
        }
    }
}

/// Fills the whole form (with or without a 重要機能室), puts one bad
/// value, and expects exactly these lines (`{cell}` stands for that cell)
/// and nothing stored.
fn one_bad_cell(room: bool, at: At, value: Put<'_>, want: &[&str]) {
    let mut env = env();
    let form = export(&mut env, SAPPORO, 2007);
    let cell = at.cell(&form);
    let bytes = put(&filled(&env, &form, room), &[(cell.clone(), value)]);
    let want: Vec<String> = want.iter().map(|w| w.replace("{cell}", &cell)).collect();
    refused(&mut env, &bytes, &want);
}

#[test]
fn score_4_is_refused_with_its_cell_and_nothing_is_imported() {
    one_bad_cell(
        true,
        At::Cell("F37"),
        Put::Num(4.0),
        &["調査票!F37: 「4」は 0〜3 のいずれでもありません"],
    );
}

#[test]
fn a_word_outside_the_scale_is_refused() {
    one_bad_cell(
        true,
        At::Answer("item:18-1"),
        Put::Text("たぶん"),
        &["調査票!{cell}: 「たぶん」は 0〜3 のいずれでもありません"],
    );
}

#[test]
fn a_fraction_is_refused() {
    one_bad_cell(
        true,
        At::Answer("item:18-1"),
        Put::Num(2.5),
        &["調査票!{cell}: 「2.5」は 0〜3 のいずれでもありません"],
    );
}

#[test]
fn an_empty_answer_is_refused() {
    one_bad_cell(
        true,
        At::Answer("item:18-1"),
        Put::Blank,
        &["調査票!{cell}: 18-1 の回答が空です（3・2・1・0 のいずれかを選んでください）"],
    );
}

#[test]
fn an_unfilled_form_is_refused_once() {
    let mut env = env();
    let form = export(&mut env, SAPPORO, 2007);
    let bytes = put(&form.bytes, &[(form.answer(ROOM), Put::Text("はい"))]);
    refused(
        &mut env,
        &bytes,
        &["調査票: 回答がひとつもありません（「回答」欄に 3・2・1・0 を選んでください）".into()],
    );
}

/// Filled for 札幌市 2007, imported under other expectations.
fn refused_under(rules: ImportRules<'_>, want: &str) {
    let mut env = env();
    let form = export(&mut env, SAPPORO, 2007);
    let bytes = filled(&env, &form, true);
    let result = import_form(&mut env.conn, &env.catalog, &bytes, &rules, &NoHooks);
    assert_refused(&mut env, result, &[want.to_string()]);
}

#[test]
fn another_organisations_workbook_is_refused_on_upload() {
    refused_under(
        ImportRules {
            expected_org: Some("012025"),
            ..ImportRules::default()
        },
        "調査票!F2: この調査票は団体コード 011002 のものです。団体コード 012025 の調査票を使ってください",
    );
}

#[test]
fn another_years_workbook_is_refused() {
    refused_under(
        ImportRules {
            expected_year: Some(fy(2008)),
            ..ImportRules::default()
        },
        "調査票!F3: この調査票は 平成19年度（2007年度） のものです。平成20年度（2008年度） の調査票を使ってください",
    );
}

#[test]
fn an_unknown_item_id_is_refused_and_its_row_missed() {
    one_bad_cell(
        true,
        At::Column('A', "item:18-1"),
        Put::Text("item:99-1"),
        &[
            "調査票!{cell}: 項目ID「99-1」はこの調査票（市区町村版 平成19年度（2007年度））にありません",
            "調査票: 項目ID「18-1」の行がありません（操作履歴をチェックしている）",
        ],
    );
}

#[test]
fn a_missing_item_id_is_refused() {
    one_bad_cell(
        true,
        At::Column('A', "item:18-1"),
        Put::Blank,
        &["調査票: 項目ID「18-1」の行がありません（操作履歴をチェックしている）"],
    );
}

#[test]
fn a_duplicated_item_id_is_refused() {
    let mut env = env();
    let form = export(&mut env, SAPPORO, 2007);
    let first = form.row("item:18-1");
    one_bad_cell(
        true,
        At::Column('A', "item:18-2"),
        Put::Text("item:18-1"),
        &[&format!(
            "調査票!{{cell}}: 項目ID「18-1」が A{first} と重複しています"
        )],
    );
}

#[test]
fn the_critical_room_question_must_be_answered() {
    one_bad_cell(
        true,
        At::Answer(ROOM),
        Put::Blank,
        &["調査票!{cell}: 「重要機能室がありますか」に「はい」か「いいえ」を選んでください"],
    );
}

#[test]
fn the_critical_room_question_takes_yes_or_no() {
    one_bad_cell(
        true,
        At::Answer(ROOM),
        Put::Text("ある"),
        &["調査票!{cell}: 「ある」は「はい」「いいえ」のいずれでもありません"],
    );
}

#[test]
fn answers_for_items_that_do_not_apply_are_refused() {
    one_bad_cell(
        false,
        At::Answer("item:7-1"),
        Put::Num(3.0),
        &["調査票!{cell}: 「重要機能室がありますか」が「いいえ」なので 7-1 には回答しません（空欄にしてください）"],
    );
}

#[test]
fn an_unregistered_organisation_is_refused() {
    one_bad_cell(
        true,
        At::Answer("org"),
        Put::Text("999999"),
        &["調査票!F2: 団体コード「999999」は登録されていません"],
    );
}

#[test]
fn a_comment_too_long_is_refused() {
    let long = "あ".repeat(2001);
    one_bad_cell(
        true,
        At::Column('G', "item:18-1"),
        Put::Text(&long),
        &["調査票!{cell}: コメントが長すぎます（2001 字、上限 2000 字）"],
    );
}

#[test]
fn a_plan_text_too_long_is_refused() {
    let long = "い".repeat(2500);
    one_bad_cell(
        true,
        At::Column('I', "item:1-2"),
        Put::Text(&long),
        &["調査票!{cell}: 改善策が長すぎます（2500 字、上限 2000 字）"],
    );
}

#[test]
fn a_municipal_form_for_an_agency_is_refused() {
    let mut env = env();
    organisations::add_agency(&mut env.conn, "G0001", "警察庁").expect("agency");
    let form = export(&mut env, SAPPORO, 2007);
    let bytes = put(
        &filled(&env, &form, true),
        &[("F2".into(), Put::Text("G0001"))],
    );
    let result = import(&mut env, &bytes);
    assert_refused(
        &mut env,
        result,
        &[
            "調査票!F4: この調査票は市区町村版ですが、G0001 警察庁 は国の行政機関等版に回答します"
                .into(),
        ],
    );
    assert!(stored(&mut env, "G0001", 2007).is_empty());
}

struct Closed;

impl ImportHooks for Closed {
    fn round_open(
        &self,
        _: &mut DbConnection,
        _: Variant,
        _: FiscalYear,
    ) -> Result<bool, tenken::error::AppError> {
        Ok(false)
    }
}

#[test]
fn a_closed_round_is_refused() {
    let mut env = env();
    let form = export(&mut env, SAPPORO, 2007);
    let bytes = filled(&env, &form, true);
    let result = import_form(
        &mut env.conn,
        &env.catalog,
        &bytes,
        &ImportRules::default(),
        &Closed,
    );
    assert_refused(
        &mut env,
        result,
        &["平成19年度（2007年度） の調査（市区町村版）は受付期間外のため、取り込めません".into()],
    );
}

struct PlansOnFile;

impl ImportHooks for PlansOnFile {
    fn has_plan(
        &self,
        _: &mut DbConnection,
        _: i32,
        _: FiscalYear,
        item: &str,
    ) -> Result<bool, tenken::error::AppError> {
        Ok(item != "1-3")
    }
}

#[test]
fn plans_on_file_silence_the_warning() {
    let mut env = env();
    let form = export(&mut env, SAPPORO, 2007);
    let bytes = filled(&env, &form, true);
    let report = import_form(
        &mut env.conn,
        &env.catalog,
        &bytes,
        &ImportRules::default(),
        &PlansOnFile,
    )
    .expect("import");
    assert_eq!(
        report.warnings,
        vec![format!(
            "調査票!{}: 1-3 は「1」ですが、改善計画書が未登録です",
            form.answer("item:1-3")
        )]
    );
}

// ---- Refusals of the file itself (before any cell is read). ----

fn refused_file(bytes: &[u8], limits: &Limits) -> String {
    match read_grid(bytes, limits) {
        Ok(_) => panic!("read, expected a refusal"),
        Err(ImportRefusal::File(m)) => m,
        Err(other) => panic!("expected a file refusal, got {other:?}"),
    }
}

fn sample_form() -> Vec<u8> {
    let catalog = tenken::checklists::load_catalog(None).expect("catalog");
    let data = tenken::excel::form_export::FormData {
        catalog: &catalog,
        variant: Variant::Municipal,
        org_code: SAPPORO.into(),
        org_name: "札幌市".into(),
        fiscal_year: fy(2007),
        current: HashMap::new(),
        previous: HashMap::new(),
        conditions: BTreeMap::new(),
        plans: HashMap::new(),
    };
    build_form(&data).expect("form")
}

#[test]
fn an_empty_file_is_refused() {
    assert_eq!(refused_file(b"", &Limits::DEFAULT), "ファイルが空です");
}

#[test]
fn a_file_that_is_not_xlsx_is_refused() {
    let want = "xlsx 形式のファイルではありません（Excel ブック (*.xlsx) を選んでください）";
    assert_eq!(
        refused_file(b"code,score\n011002,3\n", &Limits::DEFAULT),
        want
    );
    assert_eq!(refused_file(b"%PDF-1.7\n", &Limits::DEFAULT), want);
}

/// An OLE compound file header followed by directory names in UTF-16LE.
fn cfb(names: &[&str]) -> Vec<u8> {
    let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    bytes.resize(512, 0);
    for n in names {
        let mut entry: Vec<u8> = n.encode_utf16().flat_map(u16::to_le_bytes).collect();
        entry.resize(128, 0);
        bytes.extend(entry);
    }
    bytes
}

#[test]
fn an_encrypted_workbook_is_refused() {
    assert_eq!(
        refused_file(&cfb(&["Root Entry", "EncryptionInfo", "EncryptedPackage"]), &Limits::DEFAULT),
        "パスワードで保護（暗号化）されたブックは読み込めません。Excel でパスワードを解除して保存し直してから取り込んでください"
    );
}

#[test]
fn an_old_xls_is_refused() {
    assert_eq!(
        refused_file(&cfb(&["Root Entry", "Workbook"]), &Limits::DEFAULT),
        "Excel 97-2003 形式（.xls）などの古い形式は読み込めません。Excel で「Excel ブック (*.xlsx)」として保存し直してください"
    );
}

#[test]
fn a_huge_file_is_refused_before_unzipping() {
    let mut bytes = b"PK\x03\x04".to_vec();
    bytes.resize(11 * 1024 * 1024, 0);
    assert_eq!(
        refused_file(&bytes, &Limits::DEFAULT),
        "ファイルが大きすぎます（11.0 MiB、上限 10.0 MiB）"
    );
}

/// Sets the uncompressed size of every part, in the local headers and the
/// central directory, to `size`: a zip that claims to unpack that big.
fn claim_size(bytes: &[u8], size: u32) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let mut i = 0;
    while i + 4 <= out.len() {
        let field = match &out[i..i + 4] {
            b"PK\x03\x04" => Some(i + 22),
            b"PK\x01\x02" => Some(i + 24),
            _ => None,
        };
        if let Some(f) = field {
            out[f..f + 4].copy_from_slice(&size.to_le_bytes());
        }
        i += 1;
    }
    out
}

#[test]
fn a_zip_bomb_is_refused_by_its_declared_size() {
    let bomb = claim_size(&sample_form(), 3_000_000_000);
    assert_eq!(
        refused_file(&bomb, &Limits::DEFAULT),
        "展開すると大きすぎるブックです（1部品 25.0 MiB・合計 50.0 MiB まで）。圧縮爆弾の疑いがあるため読み込みません"
    );
}

#[test]
fn a_zip_bomb_that_lies_about_its_size_is_stopped_while_unpacking() {
    // 2 MiB of zeros that claims to be 100 bytes, against a 1 MiB cap.
    let parts = vec![("xl/zeros.xml".to_string(), vec![b' '; 2 * 1024 * 1024])];
    let bomb = claim_size(&zip_of(&parts), 100);
    let limits = Limits {
        max_entry_bytes: 1024 * 1024,
        ..Limits::DEFAULT
    };
    assert_eq!(
        refused_file(&bomb, &limits),
        "展開すると大きすぎるブックです（1部品 1.0 MiB・合計 50.0 MiB まで）。圧縮爆弾の疑いがあるため読み込みません"
    );
}

#[test]
fn too_many_parts_are_refused() {
    let parts: Vec<(String, Vec<u8>)> = (0..501)
        .map(|i| (format!("xl/p{i}.xml"), b"<a/>".to_vec()))
        .collect();
    assert_eq!(
        refused_file(&zip_of(&parts), &Limits::DEFAULT),
        "ブックの中の部品が多すぎます（501 個、上限 500 個）"
    );
}

#[test]
fn a_truncated_workbook_is_refused() {
    let form = sample_form();
    let cut = &form[..form.len() / 2];
    assert_eq!(
        refused_file(cut, &Limits::DEFAULT),
        "xlsx ファイルとして読めません。ファイルが壊れています（invalid Zip archive: Could not find EOCD）"
    );
}

#[test]
fn a_workbook_without_the_form_sheet_is_refused() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    workbook
        .add_worksheet()
        .write_string(0, 0, "tenken-form/1")
        .expect("write");
    let bytes = workbook.save_to_buffer().expect("save");
    assert_eq!(
        refused_file(&bytes, &Limits::DEFAULT),
        "シート「調査票」がありません。tenken で出力した調査票（tenken export form または団体のページからダウンロードしたもの）を使ってください"
    );
}

#[test]
fn a_sheet_named_like_the_form_without_its_mark_is_refused() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let ws = workbook.add_worksheet();
    ws.set_name("調査票").expect("name");
    ws.write_string(0, 0, "回答").expect("write");
    let bytes = workbook.save_to_buffer().expect("save");
    let mut env = env();
    refused(
        &mut env,
        &bytes,
        &["調査票!A1: tenken の調査票ではありません（印「tenken-form/1」がありません）。tenken で出力した調査票を使ってください".into()],
    );
}

#[test]
fn cell_references_beyond_the_grid_are_refused() {
    let form = sample_form();
    let reversed = edit_part(&form, SHEET_XML, |xml| {
        let start = xml.find("<dimension ref=\"").expect("dimension") + 16;
        let end = start + xml[start..].find('"').expect("quote");
        let mut xml = xml;
        xml.replace_range(start..end, "K200:A1");
        xml
    });
    assert_eq!(
        refused_file(&reversed, &Limits::DEFAULT),
        "ブックの中の xl/worksheets/sheet1.xml が壊れています（範囲「K200:A1」が不正です）"
    );
    let far = edit_part(&form, SHEET_XML, |xml| {
        xml.replacen("<c r=\"A1\"", "<c r=\"A99999999999\"", 1)
    });
    assert_eq!(
        refused_file(&far, &Limits::DEFAULT),
        "ブックの中の xl/worksheets/sheet1.xml が壊れています（セル番地「A99999999999」が範囲外です）"
    );
    let strings = edit_part(&form, "xl/sharedStrings.xml", |xml| {
        let start = xml.find("uniqueCount=\"").expect("uniqueCount") + 13;
        let end = start + xml[start..].find('"').expect("quote");
        let mut xml = xml;
        xml.replace_range(start..end, "4000000000000");
        xml
    });
    assert_eq!(
        refused_file(&strings, &Limits::DEFAULT),
        "ブックの中の xl/sharedStrings.xml が壊れています（文字列の数 4000000000000 が多すぎます）"
    );
}

#[test]
fn too_many_cells_are_refused() {
    let limits = Limits {
        max_cells: 100,
        ..Limits::DEFAULT
    };
    assert_eq!(
        refused_file(&sample_form(), &limits),
        "シート「調査票」のセルが多すぎます（上限 100 個）"
    );
}

#[test]
fn the_size_message_names_both_sizes() {
    assert_eq!(
        limits::too_big(
            2048,
            &Limits {
                max_file_bytes: 1000,
                ..Limits::DEFAULT
            }
        ),
        "ファイルが大きすぎます（2048 バイト、上限 1000 バイト）"
    );
}

// ---- The command line's bulk intake. ----

#[test]
fn bulk_import_of_a_folder_reports_each_file_and_sums_up() {
    let mut env = env();
    let dir = tempfile::tempdir().expect("tempdir");
    let sapporo = export(&mut env, SAPPORO, 2007);
    let hakodate = export(&mut env, "012025", 2007);
    std::fs::write(
        dir.path().join("01_sapporo.xlsx"),
        filled(&env, &sapporo, true),
    )
    .expect("w");
    std::fs::write(
        dir.path().join("02_hakodate.xlsx"),
        filled(&env, &hakodate, false),
    )
    .expect("w");
    let bad = put(
        &filled(&env, &sapporo, true),
        &[("F37".into(), Put::Num(4.0))],
    );
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    std::fs::write(dir.path().join("sub/03_bad.xlsx"), bad).expect("w");
    std::fs::write(dir.path().join("sub/04_text.xlsx"), "not a workbook").expect("w");
    std::fs::write(dir.path().join("sub/~$01_sapporo.xlsx"), "lock file").expect("w");
    std::fs::write(dir.path().join("notes.txt"), "ignored").expect("w");

    let mut out = Vec::new();
    let catalog = env.catalog.clone();
    let summary = bulk::run(
        &mut env.conn,
        &[dir.path().to_path_buf()],
        &Limits::DEFAULT,
        &mut |conn, bytes| import_for_year(conn, &catalog, bytes, fy(2007)),
        &mut out,
    )
    .expect("run");
    assert_eq!(summary.imported.len(), 2);
    assert_eq!(summary.refused.len(), 2);
    let out = String::from_utf8(out).expect("utf-8");
    let d = dir.path().display();
    assert!(out.starts_with(&format!(
        "取り込み: {d}/01_sapporo.xlsx\n  札幌市 (011002) 平成19年度（2007年度）: 回答 123 件（新規 123、変更 0、変更なし 0）\n  警告: "
    )), "{out}");
    assert!(out.ends_with(&format!(
        "\n取り込み 2 件、拒否 2 件\n拒否したファイル:\n  {d}/sub/03_bad.xlsx: 調査票!F37: 「4」は 0〜3 のいずれでもありません\n  {d}/sub/04_text.xlsx: xlsx 形式のファイルではありません（Excel ブック (*.xlsx) を選んでください）\n"
    )), "{out}");
    assert_eq!(stored(&mut env, SAPPORO, 2007).len(), 123);
    assert_eq!(stored(&mut env, "012025", 2007).len(), 121);
}

#[test]
fn bulk_import_refuses_another_year() {
    let mut env = env();
    let dir = tempfile::tempdir().expect("tempdir");
    let form = export(&mut env, SAPPORO, 2007);
    let path = dir.path().join("sapporo.xlsx");
    std::fs::write(&path, filled(&env, &form, true)).expect("w");
    let mut out = Vec::new();
    let catalog = env.catalog.clone();
    let summary = bulk::run(
        &mut env.conn,
        &[path],
        &Limits::DEFAULT,
        &mut |conn, bytes| import_for_year(conn, &catalog, bytes, fy(2008)),
        &mut out,
    )
    .expect("run");
    assert_eq!(summary.refused.len(), 1);
    assert_eq!(
        summary.refused[0].1,
        vec!["調査票!F3: この調査票は 平成19年度（2007年度） のものです。平成20年度（2008年度） の調査票を使ってください"]
    );
    assert!(stored(&mut env, SAPPORO, 2007).is_empty());
}

#[test]
fn export_refuses_unknown_and_non_answering_organisations() {
    let mut env = env();
    let err = form_data(&mut env.conn, &env.catalog, "999999", fy(2007)).expect_err("unknown");
    assert_eq!(err.to_string(), "団体コード「999999」は登録されていません");
    let err = form_data(&mut env.conn, &env.catalog, "MIC", fy(2007)).expect_err("ministry");
    assert_eq!(
        err.to_string(),
        "MIC 総務省 は調査票に回答する団体ではありません"
    );
}

/// `tenken import forms` goes through the workflow: a round must be open,
/// the sheet becomes 入力中 with the workbook's 重要機能室 answer, and the
/// intake is logged; a closed round refuses the workbook and stores nothing.
#[test]
fn workflow_intake_follows_the_rounds_and_the_sheet() {
    use tenken::store::{rounds, submissions};
    use tenken::workflow::upload::import_for_intake;
    let mut env = env();
    let form = export(&mut env, SAPPORO, 2007);
    let bytes = filled(&env, &form, true);
    let actor = tenken::auth::Actor::cli();
    let catalog = env.catalog.clone();

    let refused = import_for_intake(&mut env.conn, &catalog, &actor, fy(2007), &bytes)
        .expect_err("no round is open");
    assert!(matches!(refused, ImportRefusal::Closed(_)), "{refused:?}");
    assert!(stored(&mut env, SAPPORO, 2007).is_empty());

    let version = catalog.checklist(Variant::Municipal).version_label();
    rounds::open(
        &mut env.conn,
        Variant::Municipal,
        fy(2007),
        None,
        &version,
        &[],
    )
    .expect("open round");
    let report =
        import_for_intake(&mut env.conn, &catalog, &actor, fy(2007), &bytes).expect("imported");
    assert_eq!(report.answers, 123);
    assert_eq!(stored(&mut env, SAPPORO, 2007).len(), 123);
    let org = organisations::find(&mut env.conn, SAPPORO)
        .expect("q")
        .expect("札幌市");
    let sheet = submissions::find(&mut env.conn, org.id, fy(2007))
        .expect("q")
        .expect("sheet created");
    assert_eq!(sheet.status, "draft");
    assert_eq!(sheet.has_critical_room, Some(true));

    rounds::close(&mut env.conn, Variant::Municipal, fy(2007)).expect("close");
    let other = filled(&env, &form, false);
    let refused = import_for_intake(&mut env.conn, &catalog, &actor, fy(2007), &other)
        .expect_err("closed round");
    assert!(matches!(refused, ImportRefusal::Closed(_)), "{refused:?}");
    let after = submissions::find(&mut env.conn, org.id, fy(2007))
        .expect("q")
        .expect("sheet");
    assert_eq!(after.has_critical_room, Some(true), "nothing changed");
    assert_eq!(after.version, sheet.version);
}
