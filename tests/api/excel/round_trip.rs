//! Export, fill programmatically, import, read the answers back; the form's
//! layout, rows sorted by the user, last year's answers, the condition.

use super::*;

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
