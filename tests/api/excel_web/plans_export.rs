//! The 改善計画書 export, read back with calamine: the items below three,
//! and last year's plans followed into this year.

use super::*;

/// Saves (and submits) a sheet: every applicable item 3 except `scores`,
/// with the given plans.
fn save_sheet(
    app: &TestApp,
    code: &str,
    scores: &[(&str, u8)],
    plans: &[(&str, PlanFields)],
    submit: bool,
) {
    save_sheet_in(app, code, 2007, scores, plans, submit);
}

fn plan(present: &str, measure: &str, person: &str, target: &str) -> PlanFields {
    PlanFields {
        present_state: present.into(),
        measure: measure.into(),
        person_in_charge: person.into(),
        target_date: target.into(),
    }
}

/// Every cell of the export's sheet as text, row by row.
fn cells(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("xlsx");
    let range = book.worksheet_range("改善計画書").expect("sheet");
    assert_eq!(range.start(), Some((0, 0)));
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn plans_export_holds_the_items_below_three() {
    let app = spawn_app().await;
    open_round(&app, Variant::Municipal, 2007);
    save_sheet(
        &app,
        SAPPORO,
        &[("1-2", 2), ("1-3", 1)],
        &[
            (
                "1-2",
                plan("規程が古い", "規程を改訂する", "情報政策課長", "2008-03-31"),
            ),
            (
                "1-3",
                plan(
                    "訓練をしていない",
                    "年2回訓練する",
                    "危機管理課",
                    "2008-06-30",
                ),
            ),
        ],
        true,
    );
    save_sheet(&app, HAKODATE, &[("5-1", 2)], &[], false);
    save_sheet(&app, AOMORI, &[("2-1", 1)], &[], false);
    add_user(&app, "hokkaido1", "010006", Role::Prefecture);
    add_user(&app, "mic1", "MIC", Role::Ministry);
    with_conn(&app, |c| {
        let org = organisations::find(c, SAPPORO).expect("q").expect("org");
        let reviewer = Actor {
            login: "hokkaido1".into(),
            ..Actor::default()
        };
        let input = ops::ReviewInput {
            version: 1,
            action: ops::ReviewAction::SaveAdvice,
            advice: vec![("1-2".into(), "改訂案を年内に示してください".into())],
            note: String::new(),
        };
        ops::review(c, &reviewer, &org, fy(2007), &input).expect("advice");
        let progress = [
            Progress {
                item_code: "1-2".into(),
                progress: "in_progress".into(),
                started_on: Some("2008-01-15".into()),
                completed_on: None,
                note: "案を作成中".into(),
            },
            Progress {
                item_code: "1-3".into(),
                progress: "done".into(),
                started_on: Some("2007-12-01".into()),
                completed_on: Some("2008-02-01".into()),
                note: String::new(),
            },
        ];
        ops::record_progress(c, &reviewer, &org, fy(2007), &progress).expect("progress");
    });

    let mut pref = Browser::new(&app);
    pref.login("hokkaido1").await;
    let page = pref.get("/prefectures/010006/2007").await.body;
    assert!(page.contains("href=\"/exports/plans/pref:010006/2007\""));
    let (headers, bytes) = download(&pref, "/exports/plans/pref:010006/2007").await;
    assert_eq!(
        header(&headers, "content-disposition"),
        "attachment; filename=\"tenken-plans-pref-010006-2007.xlsx\"; filename*=UTF-8''%E6%94%B9%E5%96%84%E8%A8%88%E7%94%BB%E6%9B%B8_%E5%8C%97%E6%B5%B7%E9%81%93_%E5%B9%B3%E6%88%9019%E5%B9%B4%E5%BA%A6.xlsx"
    );
    let list = app.state.catalog.checklist(Variant::Municipal);
    let text = |code: &str| list.item(code).expect("item").text_in(fy(2007)).to_string();
    let rows = cells(&bytes);
    assert_eq!(
        rows[0][0],
        "改善計画書　北海道（010006）管内の市区町村　平成19年度（2007年度）"
    );
    assert_eq!(
        rows[1][0],
        "評価が 1（整備していない）または 2（整備している）の小項目: 3 件・2 団体"
    );
    assert_eq!(
        rows[2],
        [
            "都道府県",
            "団体コード",
            "団体名",
            "状況",
            "小項目",
            "小項目の内容",
            "回答",
            "現状",
            "改善策",
            "担当者",
            "目標期日",
            "進捗",
            "着手日",
            "完了日",
            "進捗メモ",
            "都道府県の助言",
            "前年度評価",
            "今年度評価",
            "達成状況"
        ]
    );
    let row = |v: Vec<String>| v;
    assert_eq!(
        rows[3..].to_vec(),
        vec![
            row(vec![
                "北海道".into(),
                SAPPORO.into(),
                "札幌市".into(),
                "提出済".into(),
                "1-2".into(),
                text("1-2"),
                "2".into(),
                "規程が古い".into(),
                "規程を改訂する".into(),
                "情報政策課長".into(),
                "2008-03-31".into(),
                "実施中".into(),
                "2008-01-15".into(),
                String::new(),
                "案を作成中".into(),
                "改訂案を年内に示してください".into(),
                String::new(),
                "2".into(),
                String::new(),
            ]),
            row(vec![
                "北海道".into(),
                SAPPORO.into(),
                "札幌市".into(),
                "提出済".into(),
                "1-3".into(),
                text("1-3"),
                "1".into(),
                "訓練をしていない".into(),
                "年2回訓練する".into(),
                "危機管理課".into(),
                "2008-06-30".into(),
                "完了".into(),
                "2007-12-01".into(),
                "2008-02-01".into(),
                String::new(),
                String::new(),
                String::new(),
                "1".into(),
                String::new(),
            ]),
            row(vec![
                "北海道".into(),
                HAKODATE.into(),
                "函館市".into(),
                "入力中".into(),
                "5-1".into(),
                text("5-1"),
                "2".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "2".into(),
                String::new(),
            ]),
        ]
    );
    // Autofilter over the header and the rows, frozen header, A4 landscape.
    let sheet = entries(&bytes)
        .into_iter()
        .find(|(n, _)| n == SHEET_XML)
        .map(|(_, d)| String::from_utf8(d).expect("utf-8"))
        .expect("sheet part");
    assert!(sheet.contains("<autoFilter ref=\"A3:S6\"/>"), "{sheet}");
    assert!(
        sheet.contains("<pane ySplit=\"3\" topLeftCell=\"A4\""),
        "{sheet}"
    );
    assert!(sheet.contains("paperSize=\"9\""), "{sheet}");
    assert!(sheet.contains("orientation=\"landscape\""), "{sheet}");

    // One organisation, as the municipality itself.
    let city = sapporo(&app).await;
    let page = city.get("/plans/011002/2007").await.body;
    assert!(page.contains("href=\"/exports/plans/org:011002/2007\""));
    let rows = cells(&download(&city, "/exports/plans/org:011002/2007").await.1);
    assert_eq!(
        rows[0][0],
        "改善計画書　札幌市（011002）　平成19年度（2007年度）"
    );
    assert_eq!(rows.len(), 5, "title, count, header, 1-2, 1-3");
    // Beyond its rights: another organisation, the prefecture, the nation.
    for path in [
        "/exports/plans/org:012025/2007",
        "/exports/plans/pref:010006/2007",
        "/exports/plans/national/2007",
    ] {
        assert_eq!(city.get(path).await.status, 403, "{path}");
    }
    assert_eq!(pref.get("/exports/plans/national/2007").await.status, 403);
    assert_eq!(
        pref.get("/exports/plans/pref:020001/2007").await.status,
        403
    );

    // The nation, as the ministry: 青森市 too.
    let mut mic = Browser::new(&app);
    mic.login("mic1").await;
    let rows = cells(&download(&mic, "/exports/plans/national/2007").await.1);
    assert_eq!(
        rows[0][0],
        "改善計画書　全国の市区町村　平成19年度（2007年度）"
    );
    let orgs: Vec<(&str, &str, &str)> = rows[3..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[4].as_str()))
        .collect();
    assert_eq!(
        orgs,
        vec![
            ("北海道", SAPPORO, "1-2"),
            ("北海道", SAPPORO, "1-3"),
            ("北海道", HAKODATE, "5-1"),
            ("青森県", AOMORI, "2-1"),
        ]
    );
    let agencies = cells(&download(&mic, "/exports/plans/agencies/2007").await.1);
    assert_eq!(
        agencies.len(),
        3,
        "no agency answered: title, count, header"
    );
    assert_eq!(agencies[2][15], "総務省の助言");

    assert_eq!(
        logged(&app, "export")
            .into_iter()
            .map(|(login, target, detail)| format!("{login} {target} {detail}"))
            .collect::<Vec<_>>(),
        vec![
            "hokkaido1 010006 改善計画書 pref:010006 3 行",
            "sapporo1 011002 改善計画書 org:011002 2 行",
            "mic1  改善計画書 national 4 行",
            "mic1  改善計画書 agencies 0 行",
        ]
    );
}

/// Two fiscal years through the workflow: Sapporo's FY2006 plans followed
/// into FY2007, one item per outcome.
#[tokio::test]
async fn plans_export_follows_last_years_plans_into_this_year() {
    let app = spawn_app().await;
    open_round(&app, Variant::Municipal, 2006);
    save_sheet_in(
        &app,
        SAPPORO,
        2006,
        &[("1-2", 2), ("1-3", 1), ("2-1", 2), ("5-1", 1)],
        &[
            ("1-2", plan("a", "b", "c", "2007-03-31")),
            ("1-3", plan("a", "b", "c", "2007-03-31")),
            ("2-1", plan("a", "b", "c", "2007-03-31")),
            ("5-1", plan("a", "b", "c", "2999-03-31")),
        ],
        true,
    );
    open_round(&app, Variant::Municipal, 2007);
    save_sheet_in(
        &app,
        SAPPORO,
        2007,
        &[("1-3", 2), ("2-1", 2), ("5-1", 1)],
        &[
            ("1-3", plan("a", "b", "c", "2008-03-31")),
            ("2-1", plan("a", "b", "c", "2008-03-31")),
            ("5-1", plan("a", "b", "c", "2008-03-31")),
        ],
        true,
    );
    let bytes = with_conn(&app, |c| {
        let scope = tenken::stats::Scope::parse("org:011002").expect("scope");
        let orgs = tenken::excel::plans_export::scope_orgs(c, &scope).expect("orgs");
        let doc = tenken::excel::plans_export::fetch(c, &app.state.catalog, orgs, fy(2007))
            .expect("fetch");
        tenken::excel::plans_export::build_plans(&doc).expect("workbook")
    });
    let rows = cells(&bytes);
    assert_eq!(rows[2][16..], ["前年度評価", "今年度評価", "達成状況"]);
    let got: Vec<(String, String, String, String)> = rows[3..]
        .iter()
        .map(|r| (r[4].clone(), r[16].clone(), r[17].clone(), r[18].clone()))
        .collect();
    let want = [
        ("1-2", "2", "3", "達成"),
        ("1-3", "1", "2", "一部改善"),
        ("2-1", "2", "2", "未達"),
        ("5-1", "1", "1", "期限前"),
    ];
    assert_eq!(
        got,
        want.map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
    );
}
