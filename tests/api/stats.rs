//! The national tables through the database, the HTTP routes and the
//! answers importer, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.

use diesel::prelude::*;
use serde_json::Value;
use tenken::checklists::Variant;
use tenken::db::schema::{answers as a, stats_generations as g};
use tenken::db::DbConnection;
use tenken::domain::{FiscalYear, Score};
use tenken::error::AppError;
use tenken::stats::import;
use tenken::store::{answers, checklists, organisations};

use crate::helpers::{spawn_app, with_conn, TestApp};
use crate::wf_support::sign_in;
use tenken::auth::Role;

pub fn fy(y: i32) -> FiscalYear {
    FiscalYear::new(y).expect("year")
}

/// Writes one organisation's answers of one year through the one write path
/// (the chart tests use it too).
pub(crate) fn answer(app: &TestApp, org: &str, year: i32, scores: &[(&str, i64)]) {
    with_conn(app, |c| {
        let org = organisations::find(c, org)
            .expect("q")
            .expect("organisation");
        let variant = Variant::parse(org.variant.as_deref().unwrap_or("")).expect("variant");
        let inputs: Vec<answers::AnswerInput> = scores
            .iter()
            .map(|(item, s)| answers::AnswerInput {
                item_code: item.to_string(),
                item_id: checklists::item_id(c, variant, item, fy(year))
                    .expect("q")
                    .expect("item of the year"),
                score: Score::new(*s).expect("score"),
                comment: String::new(),
            })
            .collect();
        c.transaction(|c| answers::upsert(c, org.id, fy(year), &inputs))
            .expect("upsert");
    });
}

async fn json(app: &TestApp, path: &str) -> Value {
    let r = app.get(path).await;
    assert_eq!(r.status().as_u16(), 200, "{path}");
    r.json().await.expect("json")
}

fn item<'a>(t: &'a Value, code: &str) -> &'a Value {
    t["majors"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|m| m["goals"].as_array().into_iter().flatten())
        .flat_map(|g| g["items"].as_array().into_iter().flatten())
        .find(|i| i["code"] == code)
        .unwrap_or_else(|| panic!("item {code}"))
}

fn printed(v: &Value) -> Option<&str> {
    v["printed"].as_str()
}

#[tokio::test]
async fn without_answers_the_national_table_is_the_published_one() {
    let app = spawn_app().await;
    let t = json(&app, "/api/v1/stats/national/2007").await;
    assert_eq!(t["source"], "published");
    assert_eq!(t["organisations"], 1824);
    assert_eq!(t["fiscal_year_label"], "平成19年度（2007年度）");
    let i = item(&t, "18-1");
    assert_eq!(printed(&i["average"]), Some("3.000"));
    let hist: Vec<Option<&str>> = i["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| printed(&h["average"]))
        .collect();
    assert_eq!(
        hist,
        vec![Some("2.623"), Some("2.712"), Some("2.806"), Some("2.897")]
    );
    assert_eq!(printed(&i["improvement"]), Some("0.103"));
    assert_eq!(item(&t, "43-2")["history"][0]["average"], Value::Null);
    assert_eq!(printed(&t["overall"]["average"]), Some("2.99"));
    assert_eq!(printed(&t["overall"]["change"]), Some("0.02"));

    let (status, html) = app.get_text("/stats/national/latest").await;
    assert_eq!(status, 200);
    assert!(html.contains("集計団体数 <strong id=\"organisations\">1824</strong>団体"));
    assert!(html.contains("<strong id=\"overall\">2.99</strong>"));
    assert!(html.contains("<span id=\"overall-change\">+0.02</span>"));
    assert!(html.contains("H18→H19"));
    assert!(html.contains("【平成19年度重要点検項目】"));
    let (_, html) = app.get_text("/").await;
    assert!(html.contains("href=\"/stats/national/latest\""));
}

#[tokio::test]
async fn hand_computed_prefecture_table_and_its_cache_follow_every_write() {
    let app = spawn_app().await;
    sign_in(&app, "ministry", "MIC", Role::Ministry).await;
    // Three wards of Tokyo (see src/stats/tests.rs for the same figures
    // worked out item by item) and Sapporo, outside the prefecture.
    answer(&app, "131016", 2003, &[("1-1", 1), ("6-1", 2)]);
    answer(&app, "131032", 2003, &[("1-1", 3)]);
    answer(
        &app,
        "131016",
        2005,
        &[("1-1", 2), ("1-2", 2), ("6-1", 3), ("43-1", 3)],
    );
    answer(&app, "131024", 2005, &[("1-1", 1), ("6-1", 0)]);
    answer(
        &app,
        "131016",
        2006,
        &[("1-1", 3), ("1-2", 2), ("6-1", 0), ("26-1", 3), ("43-1", 3)],
    );
    answer(
        &app,
        "131024",
        2006,
        &[("1-1", 2), ("1-2", 1), ("6-1", 3), ("26-1", 2), ("43-1", 0)],
    );
    answer(
        &app,
        "131032",
        2006,
        &[("1-1", 3), ("1-2", 3), ("6-1", 3), ("26-1", 3), ("43-1", 2)],
    );
    answer(&app, "011002", 2006, &[("1-1", 1), ("1-2", 1)]);

    let t = json(&app, "/api/v1/stats/pref:130001/2006").await;
    assert_eq!(t["scope"]["name"], "東京都");
    assert_eq!(t["organisations"], 3);
    let years: Vec<i64> = t["years"]
        .as_array()
        .expect("years")
        .iter()
        .map(|y| y["fiscal_year"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(years, vec![2003, 2005], "FY2004 has no answers");
    let i = item(&t, "1-1");
    assert_eq!(printed(&i["average"]), Some("2.667"));
    assert_eq!(i["average"]["value"].as_f64(), Some(8.0 / 3.0));
    assert_eq!(
        (i["respondents"].as_u64(), i["score_sum"].as_u64()),
        (Some(3), Some(8))
    );
    assert_eq!(printed(&i["shares"]["three"]), Some("66.7"));
    assert_eq!(printed(&i["shares"]["two"]), Some("33.3"));
    assert_eq!(printed(&i["history"][0]["average"]), Some("2.000"));
    assert_eq!(printed(&i["history"][1]["average"]), Some("1.500"));
    assert_eq!(printed(&i["improvement"]), Some("1.167"));
    let na = item(&t, "6-1");
    assert_eq!(
        (na["respondents"].as_u64(), na["not_applicable"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(printed(&na["average"]), Some("3.000"));
    let late = item(&t, "43-1");
    assert_eq!(
        late["history"][0]["average"],
        Value::Null,
        "no 43-1 in FY2003"
    );
    assert_eq!(printed(&late["improvement"]), Some("-0.500"));
    assert_eq!(printed(&t["overall"]["average"]), Some("2.57"));
    assert_eq!(printed(&t["overall"]["previous"]), Some("2.38"));
    assert_eq!(printed(&t["overall"]["change"]), Some("0.19"));
    let ranking: Vec<(i64, &str)> = t["ranking"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["rank"].as_i64().unwrap_or(0),
                r["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(ranking, vec![(1, "131032"), (2, "131016"), (3, "131024")]);
    assert_eq!(t["priority"]["achieved"], 0);
    assert_eq!(t["non_compliance"]["buckets"][0]["items"], 122);

    let (status, html) = app.get_text("/stats/pref:130001/2006").await;
    assert_eq!(status, 200);
    assert!(html.contains("<strong id=\"overall\">2.57</strong>"));
    assert!(html.contains("<span id=\"overall-change\">+0.19</span>"));
    assert!(html.contains("<td class=\"num avg\">2.667</td>"));

    // A write records its change in the same transaction: the cached table
    // is not served again. 港区 1-1: 3 → 1 gives (3 + 2 + 1)/3 = 2.
    let before = with_conn(&app, tenken::store::generations::last_id).expect("last change");
    answer(&app, "131032", 2006, &[("1-1", 1)]);
    let changes =
        with_conn(&app, |c| tenken::store::generations::since(c, before)).expect("changes");
    let minato = with_conn(&app, |c| organisations::find(c, "131032"))
        .expect("find")
        .expect("港区");
    assert_eq!(
        changes
            .iter()
            .map(|c| (c.fiscal_year, c.organisation))
            .collect::<Vec<_>>(),
        vec![(2006, Some(minato.id))],
        "one change of 港区 in FY2006"
    );
    let t = json(&app, "/api/v1/stats/pref:130001/2006").await;
    assert_eq!(printed(&item(&t, "1-1")["average"]), Some("2.000"));

    // The national table takes Sapporo too, and FY2004's published figures.
    let t = json(&app, "/api/v1/stats/national/2006").await;
    assert_eq!(t["organisations"], 4);
    let sources: Vec<&str> = t["years"]
        .as_array()
        .expect("years")
        .iter()
        .map(|y| y["source"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(sources, vec!["answers", "published", "answers"]);
    // 1-1 in FY2006: 3, 2, 1, 1 → 7/4.
    assert_eq!(printed(&item(&t, "1-1")["average"]), Some("1.750"));
    assert_eq!(
        printed(&item(&t, "1-1")["history"][1]["average"]),
        Some("2.862")
    );
    let prefs: Vec<&str> = t["ranking"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(prefs, vec!["東京都", "北海道"]);

    let t = json(&app, "/api/v1/stats/org:131024/2006?buckets=0,2").await;
    assert_eq!(t["scope"]["name"], "中央区");
    assert_eq!(t["organisations"], 1);
    assert_eq!(printed(&item(&t, "1-2")["average"]), Some("1.000"));
    assert_eq!(t["non_compliance"]["buckets"][1]["label"], "2〜");
}

#[tokio::test]
async fn bad_scopes_and_years_are_refused_with_reasons() {
    let app = spawn_app().await;
    sign_in(&app, "ministry", "MIC", Role::Ministry).await;
    // A well-formed code that names no prefecture is a table that does not
    // exist (the API's contract); the reason is the problem's detail.
    let (status, body) = app.get_text("/api/v1/stats/pref:131016/2007").await;
    assert_eq!(status, 404);
    assert!(
        body.contains("131016 は都道府県のコードではありません"),
        "{body}"
    );
    let (status, body) = app.get_text("/api/v1/stats/org:019992/2007").await;
    assert_eq!(status, 404);
    let problem: serde_json::Value = serde_json::from_str(&body).expect("a problem document");
    assert_eq!(problem["detail"], "組織コード 019992 は登録されていません");
    let (status, body) = app.get_text("/api/v1/stats/org:MIC/2007").await;
    assert_eq!(status, 400);
    assert!(
        body.contains("総務省（MIC）は調査票に回答しない組織です"),
        "{body}"
    );
    let (status, body) = app.get_text("/stats/national/1900").await;
    assert_eq!(
        status, 404,
        "no such year: a 404, as every year without figures"
    );
    assert!(body.contains("1900"), "{body}");
    let (status, body) = app
        .get_text("/api/v1/stats/national/2007?buckets=1,3")
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("0 から始まる"), "{body}");
    let doc = json(&app, "/api/openapi.json").await;
    assert_eq!(doc["openapi"], "3.0.3");
    assert!(doc["paths"]["/api/v1/stats/{scope}/{year}"]["get"].is_object());
    assert!(doc["components"]["schemas"]["Item"]["properties"]["improvement"].is_object());
}

fn count_answers(c: &mut DbConnection) -> i64 {
    a::table.count().get_result(c).expect("count")
}

fn generations(c: &mut DbConnection) -> Vec<(i32, i64)> {
    g::table
        .order(g::fiscal_year)
        .select((g::fiscal_year, g::generation))
        .load(c)
        .expect("generations")
}

#[tokio::test]
async fn a_bad_answers_file_reports_every_bad_row_and_changes_nothing() {
    let app = spawn_app().await;
    with_conn(&app, |c| organisations::add_agency(c, "G0001", "警察庁")).expect("agency");
    let csv = "org_code,fiscal_year,item,score,comment\n\
               011002,2007,1-1,3,\n\
               01100,2007,1-1,3,\n\
               019992,2007,1-1,3,\n\
               011002,2003,43-1,3,\n\
               G0001,2007,2-4,3,\n\
               011002,2007,1-2,4,\n\
               011002,2007,1-1,2,again\n\
               011002,H99,1-3,3,\n\
               MIC,2007,1-1,3,\n\
               011002,2007,1-4,３,ok\n";
    let rows = import::read_csv("answers.csv", csv.as_bytes()).expect("readable");
    let before = with_conn(&app, |c| (count_answers(c), generations(c)));
    let catalog = app.state.catalog.clone();
    let err = with_conn(&app, |c| {
        import::import(c, &catalog, &rows, false, &mut |_, _| {})
    })
    .expect_err("bad rows");
    let AppError::Invalid(problems) = err else {
        panic!("expected Invalid, got {err:?}")
    };
    assert_eq!(
        problems,
        vec![
            "answers.csv:3行目 org_code: 団体コード「01100」は6桁の数字ではありません（全国地方公共団体コード、検査数字を含む6桁）".to_string(),
            "answers.csv:4行目 org_code: 団体コード「019992」の組織は登録されていません".into(),
            "answers.csv:5行目 item: 小項目「43-1」は市区町村版の 平成15年度（2003年度） にありません".into(),
            "answers.csv:6行目 item: 小項目「2-4」は国の行政機関等版にありません".into(),
            "answers.csv:7行目 score: 「4」は 0〜3 のいずれでもありません".into(),
            "answers.csv:8行目 org_code: 団体 011002・平成19年度（2007年度）・小項目 1-1 の回答は 2行目にもあります（同じ団体・年度・小項目は1行だけ）".into(),
            "answers.csv:9行目 fiscal_year: 「H99」は年度として読めません。その元号にない年です。使える形: 2007, 2007年度, H19, 平成19, 平成19年度, R7, 令和7, 令和元年度 (1989〜2200年度)".into(),
            "answers.csv:10行目 org_code: 総務省（MIC）は調査票に回答しない組織です".into(),
            "問題のある行があるため、何も取り込んでいません".into(),
        ]
    );
    let after = with_conn(&app, |c| (count_answers(c), generations(c)));
    assert_eq!(before, after, "nothing written, no generation moved");

    // The good rows alone go in; again without --replace they conflict.
    let good = "org_code,fiscal_year,item,score,comment\n011002,2007,1-1,3,\n011002,平成19年度,1-4,３,ok\nG0001,2007,2-3,0,\n";
    let rows = import::read_csv("good.csv", good.as_bytes()).expect("readable");
    let report = with_conn(&app, |c| {
        import::import(c, &catalog, &rows, false, &mut |_, _| {})
    })
    .expect("import");
    assert_eq!(
        (report.inserted, report.organisations, report.years.clone()),
        (3, 2, vec![2007])
    );
    let err = with_conn(&app, |c| {
        import::import(c, &catalog, &rows, false, &mut |_, _| {})
    })
    .expect_err("conflict");
    let AppError::Invalid(problems) = err else {
        panic!("expected Invalid")
    };
    assert_eq!(problems.len(), 4);
    assert_eq!(problems[0], "good.csv:2行目 org_code: 団体 011002・平成19年度（2007年度）・小項目 1-1 には既に回答があります（置き換えるには --replace）");
    // --replace drops every answer of those organisations and years first.
    answer(&app, "011002", 2007, &[("1-2", 1)]);
    let one = "org_code,fiscal_year,item,score\n011002,2007,1-1,2\n";
    let rows = import::read_csv("one.csv", one.as_bytes()).expect("readable");
    let report = with_conn(&app, |c| {
        import::import(c, &catalog, &rows, true, &mut |_, _| {})
    })
    .expect("replace");
    assert_eq!((report.replaced, report.inserted), (3, 1));
    let stored = with_conn(&app, |c| {
        let org = organisations::find(c, "011002").expect("q").expect("org");
        answers::of_org_year(c, org.id, fy(2007)).expect("answers")
    });
    assert_eq!(
        stored
            .iter()
            .map(|a| (a.item_code.as_str(), a.score))
            .collect::<Vec<_>>(),
        vec![("1-1", 2)]
    );
    assert_eq!(
        count_answers(&mut app.conn()),
        2,
        "the agency's answer stays"
    );
}

#[tokio::test]
async fn xlsx_answers_name_sheet_and_cell() {
    let app = spawn_app().await;
    sign_in(&app, "ministry", "MIC", Role::Ministry).await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("answers.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("回答").expect("name");
    for (c, h) in ["org_code", "fiscal_year", "item", "score"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    sheet.write_number(1, 0, 11002.0).expect("code as a number");
    sheet.write_number(1, 1, 2007.0).expect("year");
    sheet.write_string(1, 2, "1-1").expect("item");
    sheet.write_number(1, 3, 3.0).expect("score");
    sheet.write_string(2, 0, "011002").expect("code");
    sheet.write_number(2, 1, 2007.0).expect("year");
    sheet.write_string(2, 2, "1-2").expect("item");
    sheet.write_number(2, 3, 2.5).expect("score");
    book.save(&path).expect("save");
    let rows = import::read_file(&path, None).expect("readable");
    let catalog = app.state.catalog.clone();
    let err = with_conn(&app, |c| {
        import::import(c, &catalog, &rows, false, &mut |_, _| {})
    })
    .expect_err("2.5");
    let shown = path.display().to_string();
    assert_eq!(
        err.to_string(),
        format!("入力に 2 件の問題があります:\n{shown} シート「回答」D3 (score): 「2.5」は 0〜3 の整数ではありません\n問題のある行があるため、何も取り込んでいません")
    );
    let e = import::read_file(&path, Some("Sheet9")).expect_err("no such sheet");
    assert_eq!(
        e.to_string(),
        format!("{shown}: シート「Sheet9」はありません（あるシート: 回答）")
    );
    // Without the bad row: 11002 is read as 011002, 3.0 as 3.
    let ok: Vec<_> = rows.into_iter().take(1).collect();
    let report = with_conn(&app, |c| {
        import::import(c, &catalog, &ok, false, &mut |_, _| {})
    })
    .expect("import");
    assert_eq!(report.inserted, 1);
    let t = json(&app, "/api/v1/stats/org:011002/2007").await;
    assert_eq!(printed(&item(&t, "1-1")["average"]), Some("3.000"));
}

#[tokio::test]
async fn a_header_that_is_not_the_expected_one_is_refused() {
    let e = import::read_csv("x.csv", "code,year,item,score\n".as_bytes()).expect_err("header");
    let AppError::Invalid(p) = e else {
        panic!("Invalid expected")
    };
    assert_eq!(
        p,
        vec![
            "x.csv:1行目: 見出し「org_code」がありません".to_string(),
            "x.csv:1行目: 見出し「fiscal_year」がありません".into(),
            "x.csv:1行目: 見出し「code」は使えません".into(),
            "x.csv:1行目: 見出し「year」は使えません".into(),
            "見出し行は org_code,fiscal_year,item,score,comment,reason です（comment と reason は省略可）".into(),
        ]
    );
}
