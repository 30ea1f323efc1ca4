//! The whole path of one fiscal year on a real server: the ministry opens
//! the round, a municipality drafts, cannot submit while incomplete or
//! without improvement plans, submits; the prefecture returns it with
//! advice; the municipality resubmits; the prefecture accepts; the ministry
//! sees the status. The operation log holds each action.

use tenken::auth::Role;

use crate::helpers::spawn_app;
use crate::wf_support::{
    add_user, answers_of, input_value, log, pairs, sheet_form, sheet_state, Browser,
};

const SHEET: &str = "/answers/011002/2007";

#[tokio::test]
async fn a_fiscal_year_from_opening_to_acceptance() {
    let app = spawn_app().await;
    add_user(&app, "mic1", "MIC", Role::Ministry);
    add_user(&app, "hokkaido1", "010006", Role::Prefecture);
    add_user(&app, "sapporo1", "011002", Role::Municipality);

    // The ministry opens FY2007 with the published priority items.
    let mut mic = Browser::new(&app);
    mic.login("mic1").await;
    let r = mic
        .post(
            "/rounds",
            &pairs(&[
                ("variant", "municipal"),
                ("year", "平成19年度"),
                ("deadline", "2007-10-31"),
                ("priority_items", ""),
            ]),
        )
        .await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/rounds?done=opened")
    );
    let page = mic.get("/rounds").await.body;
    assert!(
        page.contains(
            "<td>平成19年度（2007年度）</td><td>市区町村版</td><td>受付中</td><td>2007-10-31</td>"
        ),
        "{page}"
    );
    assert!(
        page.contains("6-1 7-1 7-2 7-3 7-4 7-5 8-2 8-3 16-1"),
        "priority items"
    );

    // The municipality sees every sub-item, nothing answered yet.
    let mut city = Browser::new(&app);
    city.login("sapporo1").await;
    let form = city.get(SHEET).await;
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains(">0 / 126</span> 項目回答済"),
        "progress before the 重要機能室 answer"
    );
    assert_eq!(form.body.matches("<fieldset class=\"item").count(), 126);
    assert_eq!(form.body.matches("aria-label=\"重要点検項目\"").count(), 20);
    assert_eq!(input_value(&form.body, "version").as_deref(), Some("0"));

    // A draft with half the items.
    let mut half = sheet_form(&app, "0", "save", &[("1-1", "2")], &[], &[]);
    half.truncate(3 + 60);
    let r = city.post(SHEET, &half).await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/answers/011002/2007?done=draft")
    );
    assert_eq!(sheet_state(&app, "011002", 2007), Some(("draft".into(), 1)));
    assert_eq!(answers_of(&app, "011002", 2007).len(), 60);
    let form = city.get(&r.location).await.body;
    assert!(form.contains("下書きを保存しました。"));
    assert!(
        form.contains(">60 / 121</span> 項目回答済"),
        "goal 7 left out without a 重要機能室"
    );

    // Submitting while incomplete saves the draft but does not submit.
    let r = city
        .post(
            SHEET,
            &sheet_form(&app, "1", "submit", &[("1-1", "2")], &[], &["2-1", "3-1"]),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("未回答の小項目が 2 件あります: 2-1、3-1"),
        "{}",
        r.body
    );
    assert_eq!(sheet_state(&app, "011002", 2007), Some(("draft".into(), 2)));
    assert_eq!(answers_of(&app, "011002", 2007).len(), 119);

    // Complete, but 5-1 scored 1 has no improvement plan.
    let scores = [("1-1", "1"), ("2-1", "1"), ("5-1", "1"), ("6-1", "0")];
    let r = city
        .post(
            SHEET,
            &sheet_form(&app, "2", "submit", &scores, &["1-1", "2-1"], &[]),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body
            .contains("改善計画書（現状・改善策・担当者・目標期日）をすべて書いてください: 5-1"),
        "{}",
        r.body
    );
    assert_eq!(sheet_state(&app, "011002", 2007), Some(("draft".into(), 3)));

    // With the plan it is submitted, and read-only from then on.
    let r = city
        .post(
            SHEET,
            &sheet_form(&app, "3", "submit", &scores, &["1-1", "2-1", "5-1"], &[]),
        )
        .await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/answers/011002/2007?done=submitted")
    );
    assert_eq!(
        sheet_state(&app, "011002", 2007),
        Some(("submitted".into(), 4))
    );
    let answers = answers_of(&app, "011002", 2007);
    assert_eq!(answers.len(), 121);
    let sum: i32 = answers.iter().map(|(_, s)| s).sum();
    assert_eq!(
        sum,
        3 * 117 + 1 + 1 + 1,
        "117 items at 3, 1-1, 2-1 and 5-1 at 1, 6-1 at 0"
    );
    let form = city.get(SHEET).await.body;
    assert!(!form.contains("name=\"score_"), "no inputs once submitted");
    assert!(
        form.contains("平均点 <span id=\"average\">2.95</span>"),
        "354 / 120"
    );
    let r = city
        .post(SHEET, &sheet_form(&app, "4", "save", &[], &[], &[]))
        .await;
    assert_eq!(r.status, 409, "a submitted sheet cannot be saved");
    assert_eq!(
        sheet_state(&app, "011002", 2007),
        Some(("submitted".into(), 4))
    );

    // The prefecture sees it in its list with the overall average.
    let mut pref = Browser::new(&app);
    pref.login("hokkaido1").await;
    let list = pref.get("/prefectures/010006/2007").await;
    assert_eq!(list.status, 200);
    assert_eq!(
        list.body.matches("<tr id=\"org-").count(),
        179,
        "Hokkaido's municipalities"
    );
    let row = row_of(&list.body, "org-011002");
    assert!(
        row.contains("提出済") && row.contains("121 / 121") && row.contains(">2.95<"),
        "{row}"
    );
    assert!(list.body.contains("data-status=\"not_started\">178<"));
    assert!(list.body.contains("data-status=\"submitted\">1<"));

    // Returning needs advice; with advice on 5-1 it goes back.
    let review = pref.get("/review/011002/2007").await;
    assert_eq!(review.status, 200);
    assert_eq!(review.body.matches("name=\"advice_").count(), 121);
    let r = pref
        .post(
            "/review/011002/2007",
            &pairs(&[("version", "4"), ("action", "return"), ("review_note", "")]),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r
        .body
        .contains("差し戻すときは、全体への所見か小項目への助言を1つ以上書いてください"));
    let r = pref
        .post(
            "/review/011002/2007",
            &pairs(&[
                ("version", "4"),
                ("action", "return"),
                ("review_note", "改善計画を見直してください"),
                ("advice_5-1", "今年度中に規程を整備できませんか"),
            ]),
        )
        .await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/review/011002/2007?done=return")
    );
    assert_eq!(
        sheet_state(&app, "011002", 2007),
        Some(("returned".into(), 5))
    );

    // The municipality sees the advice beside 5-1, and resubmits with 5-1 at 2.
    let form = city.get(SHEET).await.body;
    assert!(
        form.contains("<span class=\"status status-returned\" id=\"sheet-status\">差戻し</span>")
    );
    assert!(form.contains("改善計画を見直してください"));
    let item = row_of(&form, "item-5-1");
    assert!(
        item.contains("助言:</span> <span class=\"pre\">今年度中に規程を整備できませんか</span>"),
        "{item}"
    );
    assert!(
        item.contains("value=\"1\" aria-describedby=\"scale-def-1\" checked"),
        "editable again"
    );
    let scores = [("1-1", "1"), ("2-1", "1"), ("5-1", "2"), ("6-1", "0")];
    let r = city
        .post(
            SHEET,
            &sheet_form(&app, "5", "submit", &scores, &["1-1", "2-1", "5-1"], &[]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        sheet_state(&app, "011002", 2007),
        Some(("submitted".into(), 6))
    );

    // The prefecture accepts.
    let r = pref
        .post(
            "/review/011002/2007",
            &pairs(&[
                ("version", "6"),
                ("action", "accept"),
                ("review_note", ""),
                ("confirm", "1"),
            ]),
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        sheet_state(&app, "011002", 2007),
        Some(("accepted".into(), 7))
    );
    let list = pref.get("/prefectures/010006/2007").await.body;
    let row = row_of(&list, "org-011002");
    assert!(
        row.contains("確認済") && row.contains(">2.96<"),
        "355 / 120: {row}"
    );

    // The ministry sees the status nationally, by prefecture, and the sheet.
    let national = mic.get("/national/2007").await;
    assert_eq!(national.status, 200);
    let hokkaido = row_of(&national.body, "pref-010006");
    assert_eq!(
        cells(&hokkaido),
        vec!["179", "178", "0", "0", "0", "1"],
        "total, 未着手, 入力中, 提出済, 差戻し, 確認済"
    );
    let total = row_of(&national.body, "pref-total");
    assert_eq!(cells(&total), vec!["1741", "1740", "0", "0", "0", "1"]);
    let sheet = mic.get(SHEET).await;
    assert_eq!(sheet.status, 200);
    assert!(sheet.body.contains("確認済") && !sheet.body.contains("name=\"score_"));

    // Every step is in the operation log, in order.
    let actions: Vec<(String, String, String)> = log(&app)
        .into_iter()
        .filter(|(_, a, _)| a != "answers_view" && a != "review_view" && a != "status_view")
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("mic1", "login", ""),
        ("mic1", "round_open", ""),
        ("sapporo1", "login", ""),
        ("sapporo1", "answers_save", "011002"),
        ("sapporo1", "answers_save", "011002"),
        ("sapporo1", "answers_save", "011002"),
        ("sapporo1", "answers_save", "011002"),
        ("sapporo1", "answers_submit", "011002"),
        ("hokkaido1", "login", ""),
        ("hokkaido1", "review_return", "011002"),
        ("sapporo1", "answers_save", "011002"),
        ("sapporo1", "answers_submit", "011002"),
        ("hokkaido1", "review_accept", "011002"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(actions, expected);
    let views: Vec<(String, String)> = log(&app)
        .into_iter()
        .filter(|(_, a, _)| a.ends_with("_view"))
        .map(|(l, a, _)| (l, a))
        .collect();
    assert!(
        views.contains(&("mic1".into(), "answers_view".into())),
        "the ministry's view is logged"
    );
    assert!(views.contains(&("hokkaido1".into(), "review_view".into())));
    assert!(views.contains(&("hokkaido1".into(), "status_view".into())));
}

/// The HTML of the element with `id` up to the end of its row or fieldset.
pub fn row_of(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id}"));
    let rest = &html[start..];
    let end = rest
        .find("</tr>")
        .into_iter()
        .chain(rest.find("</fieldset>"))
        .min()
        .unwrap_or(rest.len());
    rest[..end].to_string()
}

/// The texts of the `<td class="num">` cells of a row.
fn cells(row: &str) -> Vec<String> {
    row.split("<td class=\"num\">")
        .skip(1)
        .map(|c| c.split('<').next().unwrap_or("").to_string())
        .collect()
}
