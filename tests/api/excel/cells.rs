//! Refusals of single cells: the exact message, nothing imported; the
//! round and plan hooks.

use super::*;

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
