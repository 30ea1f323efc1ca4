//! N/A with a reason: an answer 0 (該当しない) needs a short reason (the
//! comment) in the form and the workbook (tested in `excel_web`); the
//! long-format import takes an optional `reason` column. The tables show the
//! 該当なし率 per item, and a prefecture sees the items whose rate is far
//! above the nation's (setting `na_flag_ratio`, default 3).

use diesel::prelude::*;
use tenken::auth::Role;
use tenken::checklists::Variant;
use tenken::db::schema::{answers as a, organisations as o};
use tenken::stats::import;

use crate::helpers::{spawn_app, spawn_app_with, with_conn, TestApp};
use crate::wf_support::{add_user, answers_of, open_round, sheet_form, Browser};

const SHEET: &str = "/answers/011002/2007";

#[tokio::test]
async fn a_zero_without_a_reason_is_refused_naming_the_item() {
    let app = spawn_app().await;
    open_round(&app, Variant::Municipal, 2007);
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    let mut city = Browser::new(&app);
    city.login("sapporo1").await;

    let mut form = sheet_form(&app, "0", "save", &[("5-1", "0")], &[], &[]);
    form.retain(|(k, _)| k != "comment_5-1");
    let r = city.post(SHEET, &form).await;
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains(
            "小項目 5-1 は「0 該当しない」です。該当しない理由をコメント欄に短く書いてください"
        ),
        "{}",
        r.body
    );
    assert!(answers_of(&app, "011002", 2007).is_empty(), "nothing saved");

    // Blank space is no reason either.
    form.push(("comment_5-1".into(), "  ".into()));
    assert_eq!(city.post(SHEET, &form).await.status, 400);

    // With a reason the sheet is saved and the reason kept as the comment.
    form.retain(|(k, _)| k != "comment_5-1");
    form.push(("comment_5-1".into(), "該当する端末がない".into()));
    assert_eq!(city.post(SHEET, &form).await.status, 303);
    assert_eq!(comment_of(&app, "011002", "5-1"), "該当する端末がない");
}

fn comment_of(app: &TestApp, org: &str, item: &str) -> String {
    with_conn(app, |c| {
        a::table
            .inner_join(o::table)
            .filter(o::code.eq(org))
            .filter(a::item_code.eq(item))
            .select(a::comment)
            .first::<String>(c)
    })
    .expect("answer")
}

fn load(app: &TestApp, csv: &str) -> usize {
    let rows = import::read_csv("answers.csv", csv.as_bytes()).expect("readable");
    let catalog = app.state.catalog.clone();
    with_conn(app, |c| {
        import::import(c, &catalog, &rows, false, &mut |_, _| {})
    })
    .expect("import")
    .inserted
}

#[tokio::test]
async fn the_long_format_import_takes_an_optional_reason() {
    let app = spawn_app().await;
    let n = load(
        &app,
        "org_code,fiscal_year,item,score,comment,reason\n\
         011002,2007,1-1,0,,窓口端末がない\n\
         011002,2007,1-2,0,確認済み,委託していない\n\
         011002,2007,1-3,0,,\n\
         011002,2007,2-1,3,規程あり,\n",
    );
    assert_eq!(n, 4);
    assert_eq!(comment_of(&app, "011002", "1-1"), "窓口端末がない");
    assert_eq!(
        comment_of(&app, "011002", "1-2"),
        "委託していない\n確認済み"
    );
    // Past years' results may lack a reason: a 0 without one is taken.
    assert_eq!(comment_of(&app, "011002", "1-3"), "");
    assert_eq!(comment_of(&app, "011002", "2-1"), "規程あり");
    // Without the column at all, as before.
    assert_eq!(
        load(&app, "org_code,fiscal_year,item,score\n012025,2007,1-1,0\n"),
        1
    );
}

/// Hokkaido (札幌 0, 函館 3) and six Tokyo wards (3) on 1-1; on 1-2 札幌
/// and 千代田 answer 0. 1-1: Hokkaido 50.0%, nation 12.5% (4×); 1-2:
/// Hokkaido 50.0%, nation 25.0% (2×).
const EIGHT: &str = "org_code,fiscal_year,item,score,reason\n\
    011002,2007,1-1,0,端末なし\n012025,2007,1-1,3,\n\
    131016,2007,1-1,3,\n131024,2007,1-1,3,\n131032,2007,1-1,3,\n\
    131041,2007,1-1,3,\n131059,2007,1-1,3,\n131067,2007,1-1,3,\n\
    011002,2007,1-2,0,委託なし\n012025,2007,1-2,2,\n\
    131016,2007,1-2,0,委託なし\n131024,2007,1-2,3,\n131032,2007,1-2,3,\n\
    131041,2007,1-2,3,\n131059,2007,1-2,3,\n131067,2007,1-2,3,\n";

async fn hokkaido_page(app: &TestApp) -> String {
    load(app, EIGHT);
    add_user(app, "hokkaido1", "010006", Role::Prefecture);
    let mut pref = Browser::new(app);
    pref.login("hokkaido1").await;
    let r = pref.get("/stats/pref:010006/2007").await;
    assert_eq!(r.status, 200);
    r.body
}

/// The text of the element with this id, up to its closing `</tr>`.
fn row(html: &str, id: &str) -> String {
    let Some(at) = html.find(&format!("id=\"{id}\"")) else {
        return String::new();
    };
    let end = at + html[at..].find("</tr>").unwrap_or(html.len() - at);
    html[at..end].to_string()
}

#[tokio::test]
async fn na_rates_are_shown_and_an_item_far_above_the_nation_is_flagged() {
    let app = spawn_app().await;
    let page = hokkaido_page(&app).await;
    assert!(
        row(&page, "item-1-1").contains("該当なし 1（<span class=\"na-rate\">50.0%</span>）"),
        "{}",
        row(&page, "item-1-1")
    );
    assert!(page.contains("該当なし率が全国の3倍以上の小項目です"));
    let flag = row(&page, "na-flag-1-1");
    assert!(
        flag.contains("<td class=\"num\">50.0%</td><td class=\"num\">12.5%</td>"),
        "{flag}"
    );
    assert_eq!(row(&page, "na-flag-1-2"), "", "2× is not far above");
    assert_eq!(page.matches("id=\"na-flag-").count(), 1);

    // The nation's own table shows the rates, flags nothing.
    let national = app.get("/api/v1/stats/national/2007").await;
    let t: serde_json::Value = national.json().await.expect("json");
    let rate = |code: &str| {
        t["majors"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|m| m["goals"].as_array().into_iter().flatten())
            .flat_map(|g| g["items"].as_array().into_iter().flatten())
            .find(|i| i["code"] == code)
            .map(|i| i["na_rate"]["printed"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(rate("1-1").as_deref(), Some("12.5"));
    assert_eq!(rate("1-2").as_deref(), Some("25.0"));
}

#[tokio::test]
async fn the_flag_ratio_is_a_setting() {
    let app = spawn_app_with(|s| s.na_flag_ratio = 5).await;
    let page = hokkaido_page(&app).await;
    assert!(!page.contains("id=\"na-flags\""), "4× is below 5×");
    let app = spawn_app_with(|s| s.na_flag_ratio = 2).await;
    let page = hokkaido_page(&app).await;
    assert!(page.contains("該当なし率が全国の2倍以上の小項目です"));
    assert_eq!(page.matches("id=\"na-flag-").count(), 2);
}
