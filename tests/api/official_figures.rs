//! The official figures in every state of the live workflow, with sheets
//! built through the web pages (not by inserting rows): priority items that
//! do not apply count as met; only submitted results count (a draft never,
//! a returned sheet with its last submission until it is submitted again,
//! an accepted one with its accepted submission); the 速報 shows drafts and
//! is never mixed up with the official table; one rounding everywhere; a
//! year that does not exist is a 404, never a 500.

use std::collections::BTreeMap;

use serde_json::Value;
use tenken::auth::Role;
use tenken::checklists::Variant;

use crate::helpers::{spawn_app, TestApp};
use crate::wf_support::{add_user, fy, open_round, pairs, Browser};

/// A whole FY2007 sheet: every applicable item 3 unless `scores` says
/// otherwise; a 1 or 2 gets a complete plan.
fn sheet(
    app: &TestApp,
    version: &str,
    action: &str,
    room: bool,
    scores: &[(&str, &str)],
) -> Vec<(String, String)> {
    let list = app.state.catalog.checklist(Variant::Municipal);
    let mut form = pairs(&[
        ("version", version),
        ("action", action),
        ("has_critical_room", if room { "yes" } else { "no" }),
    ]);
    let conds = BTreeMap::from([("has_critical_room".to_string(), room)]);
    for item in list.applicable_items(fy(2007), &conds) {
        let code = item.code.as_str();
        let score = scores
            .iter()
            .find(|(c, _)| *c == code)
            .map_or("3", |(_, s)| *s);
        form.push((format!("score_{code}"), score.to_string()));
        if score == "0" {
            form.push((format!("comment_{code}"), "該当する業務がない".to_string()));
        }
        if score == "1" || score == "2" {
            for (f, v) in [
                ("plan_present", "規程がない"),
                ("plan_measure", "規程を作り周知する"),
                ("plan_person", "情報政策課長"),
                ("plan_target", "2008-03-31"),
            ] {
                form.push((format!("{f}_{code}"), v.to_string()));
            }
        }
    }
    if action == "submit" {
        // Confirmed, as by the confirmation page (tests/api/confirmations.rs
        // covers the step itself).
        form.push(("confirm".to_string(), "1".to_string()));
    }
    form
}

/// Every number cell of the workbook's 集計表 sheet, with its position.
async fn workbook_numbers(b: &Browser, path: &str) -> Vec<(u32, u32, f64)> {
    use calamine::{Data, Reader};
    let bytes = b
        .client
        .get(format!("{}{}", b.base, path))
        .send()
        .await
        .expect("xlsx")
        .bytes()
        .await
        .expect("bytes");
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    let range = book.worksheet_range("集計表").expect("集計表");
    range
        .cells()
        .filter_map(|(r, c, v)| match v {
            Data::Float(f) => Some((r as u32, c as u32, *f)),
            Data::Int(i) => Some((r as u32, c as u32, *i as f64)),
            _ => None,
        })
        .collect()
}

async fn json(b: &Browser, path: &str) -> Value {
    let r = b.get(path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    serde_json::from_str(&r.body).expect("JSON")
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

fn printed(v: &Value) -> &str {
    v["printed"].as_str().unwrap_or("-")
}

/// Every figure of a table (averages, shares, counts, overall, priority,
/// ranking), without the sentence about what it counts.
fn figures(t: &Value) -> Value {
    let mut t = t.clone();
    if let Some(o) = t.as_object_mut() {
        o.remove("counting");
    }
    t
}

struct Season {
    app: TestApp,
    mic: Browser,
    pref: Browser,
}

async fn season() -> Season {
    let app = spawn_app().await;
    open_round(&app, Variant::Municipal, 2007);
    add_user(&app, "mic1", "MIC", Role::Ministry);
    add_user(&app, "hokkaido1", "010006", Role::Prefecture);
    for (login, code) in [
        ("obihiro1", "012076"),
        ("sapporo1", "011002"),
        ("kitami1", "012084"),
        ("hakodate1", "012025"),
    ] {
        add_user(&app, login, code, Role::Municipality);
    }
    let mut mic = Browser::new(&app);
    mic.login("mic1").await;
    let mut pref = Browser::new(&app);
    pref.login("hokkaido1").await;
    Season { app, mic, pref }
}

async fn clerk(app: &TestApp, login: &str) -> Browser {
    let mut b = Browser::new(app);
    b.login(login).await;
    b
}

async fn post_sheet(b: &Browser, code: &str, form: &[(String, String)], done: &str) {
    let path = format!("/answers/{code}/2007");
    let r = b.post(&path, form).await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, format!("{path}?done={done}").as_str()),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn priority_items_that_do_not_apply_count_as_met() {
    let Season { app, mic, .. } = season().await;
    // 帯広市 has a 重要機能室 (7-x apply, 8-x do not); 札幌市 has none.
    let obihiro = clerk(&app, "obihiro1").await;
    post_sheet(
        &obihiro,
        "012076",
        &sheet(&app, "0", "submit", true, &[]),
        "submitted",
    )
    .await;
    let sapporo = clerk(&app, "sapporo1").await;
    post_sheet(
        &sapporo,
        "011002",
        &sheet(&app, "0", "submit", false, &[]),
        "submitted",
    )
    .await;
    // 北見市 has a room but scores 7-1 at 2: the one that falls short.
    let kitami = clerk(&app, "kitami1").await;
    post_sheet(
        &kitami,
        "012084",
        &sheet(&app, "0", "submit", true, &[("7-1", "2")]),
        "submitted",
    )
    .await;

    let t = json(&mic, "/api/v1/stats/national/2007").await;
    let p = &t["priority"];
    assert_eq!(p["organisations"], 3, "{p}");
    assert_eq!(p["achieved"], 2, "{p}");
    let short = p["not_achieved"].as_array().expect("list");
    assert_eq!(short.len(), 1, "{p}");
    assert_eq!(short[0]["code"], "012084");
    assert_eq!(
        short[0]["items"],
        serde_json::json!([{"item": "7-1", "score": 2}]),
        "only 7-1; 8-x do not apply to 北見市"
    );
    let page = mic.get("/stats/national/2007").await.body;
    assert!(
        page.contains("3団体中 <strong>2</strong>団体が全項目で3点満点"),
        "{page}"
    );
    assert!(!page.contains("未回答"), "no item reported unanswered");

    // The same in the CLI's report and the workbook's 重要点検項目 sheet.
    let s = crate::helpers::with_conn(&app, |c| {
        tenken::stats::summary(
            c,
            &app.state.catalog,
            &tenken::stats::Scope::National,
            fy(2007),
        )
    })
    .expect("summary");
    let p = s.priority.expect("priority");
    assert_eq!((p.organisations, p.achieved), (3, 2));
}

#[tokio::test]
async fn drafts_never_count_in_the_official_table_but_do_in_the_provisional() {
    let Season { app, mic, pref } = season().await;
    let sapporo = clerk(&app, "sapporo1").await;
    post_sheet(
        &sapporo,
        "011002",
        &sheet(&app, "0", "submit", false, &[("1-1", "2")]),
        "submitted",
    )
    .await;
    let official = json(&mic, "/api/v1/stats/national/2007").await;
    assert_eq!(official["organisations"], 1);
    assert_eq!(printed(&item(&official, "1-1")["average"]), "2.000");
    let png = app
        .client
        .get(format!("{}/charts/overall.png?year=2007", app.address))
        .send()
        .await
        .expect("chart");
    let etag = png.headers()["etag"].to_str().expect("etag").to_string();
    let book_before = workbook_numbers(&mic, "/stats/national/2007.xlsx").await;
    assert!(book_before.len() > 126, "the workbook holds the figures");
    let csv_before = tenken::stats::report::to_csv(
        &crate::helpers::with_conn(&app, |c| {
            tenken::stats::summary(
                c,
                &app.state.catalog,
                &tenken::stats::Scope::National,
                fy(2007),
            )
        })
        .expect("summary"),
    )
    .expect("csv");

    // 北見市 saves a draft with 1-1 at 1: no official figure moves.
    let kitami = clerk(&app, "kitami1").await;
    post_sheet(
        &kitami,
        "012084",
        &sheet(&app, "0", "save", false, &[("1-1", "1")]),
        "draft",
    )
    .await;
    let after = json(&mic, "/api/v1/stats/national/2007").await;
    assert_eq!(figures(&after), figures(&official), "official JSON figures");
    assert_eq!(after["basis"], "official");
    assert_eq!(after["counting"]["counted"]["total"], 1);
    assert_eq!(after["counting"]["counted"]["submitted"], 1);
    assert_eq!(after["counting"]["excluded"]["draft"], 1);
    assert_eq!(
        after["counting"]["label"],
        "集計対象：提出済・確認済 1 団体（入力中 1 団体は含まない）"
    );
    let page = mic.get("/stats/national/2007").await.body;
    assert!(
        page.contains("集計対象：提出済・確認済 1 団体（入力中 1 団体は含まない）"),
        "the page says what it counts"
    );
    let csv_after = tenken::stats::report::to_csv(
        &crate::helpers::with_conn(&app, |c| {
            tenken::stats::summary(
                c,
                &app.state.catalog,
                &tenken::stats::Scope::National,
                fy(2007),
            )
        })
        .expect("summary"),
    )
    .expect("csv");
    let strip = |csv: &str| -> Vec<String> {
        csv.lines()
            .map(|l| l.rsplit_once(',').map_or(l, |(a, _)| a).to_string())
            .collect()
    };
    assert_eq!(strip(&csv_after), strip(&csv_before), "CSV figures");
    let png = app
        .client
        .get(format!("{}/charts/overall.png?year=2007", app.address))
        .send()
        .await
        .expect("chart");
    assert_eq!(png.headers()["etag"].to_str().expect("etag"), etag, "chart");
    assert_eq!(
        workbook_numbers(&mic, "/stats/national/2007.xlsx").await,
        book_before,
        "workbook figures"
    );

    // The 速報 includes the draft, under its own title, file and cache.
    let prov = json(&mic, "/api/v1/stats/national/2007?provisional=1").await;
    assert_eq!(prov["basis"], "provisional");
    assert_eq!(prov["organisations"], 2);
    assert_eq!(printed(&item(&prov, "1-1")["average"]), "1.500");
    let page = mic.get("/stats/national/2007?provisional=1").await.body;
    assert!(page.contains("【速報】点検結果集計表"), "title");
    let r = app
        .client
        .get(format!(
            "{}/stats/pref:010006/2007.xlsx?provisional=1",
            app.address
        ))
        .send()
        .await
        .expect("xlsx");
    assert_eq!(
        r.status().as_u16(),
        303,
        "anonymous: no 速報, the login page"
    );
    let r = pref.get("/stats/pref:010006/2007.xlsx?provisional=1").await;
    assert_eq!(r.status, 200, "the prefecture's own 速報");
    // Asked again, the official table is still the official one.
    let again = json(&mic, "/api/v1/stats/national/2007").await;
    assert_eq!(figures(&again), figures(&official));
    // A municipality may not ask for the 速報; a prefecture not nationally.
    assert_eq!(
        kitami
            .get("/api/v1/stats/org:012084/2007?provisional=1")
            .await
            .status,
        403
    );
    assert_eq!(
        pref.get("/api/v1/stats/national/2007?provisional=1")
            .await
            .status,
        403
    );
    let own = json(&pref, "/api/v1/stats/pref:010006/2007?provisional=1").await;
    assert_eq!(own["organisations"], 2);
}

#[tokio::test]
async fn a_returned_sheet_counts_its_submission_until_resubmitted_and_accepted_counts() {
    let Season { app, mic, pref } = season().await;
    let sapporo = clerk(&app, "sapporo1").await;
    post_sheet(
        &sapporo,
        "011002",
        &sheet(&app, "0", "submit", false, &[]),
        "submitted",
    )
    .await;
    let r = pref
        .post(
            "/review/011002/2007",
            &pairs(&[
                ("version", "1"),
                ("action", "return"),
                ("review_note", "見直してください"),
                ("advice_1-1", "実態に合わせてください"),
                ("advice_2-1", "根拠を示してください"),
            ]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Edited after the return: 1-1 to 1, saved as a draft.
    post_sheet(
        &sapporo,
        "011002",
        &sheet(&app, "2", "save", false, &[("1-1", "1")]),
        "draft",
    )
    .await;
    let t = json(&mic, "/api/v1/stats/national/2007").await;
    assert_eq!(
        printed(&item(&t, "1-1")["average"]),
        "3.000",
        "last submission"
    );
    assert_eq!(t["counting"]["counted"]["returned"], 1);
    assert_eq!(t["organisations"], 1);
    let prov = json(&mic, "/api/v1/stats/national/2007?provisional=1").await;
    assert_eq!(
        printed(&item(&prov, "1-1")["average"]),
        "1.000",
        "the draft"
    );
    let org = json(&mic, "/api/v1/stats/org:011002/2007").await;
    assert_eq!(printed(&item(&org, "1-1")["average"]), "3.000");

    // Submitted again: the new answer counts.
    post_sheet(
        &sapporo,
        "011002",
        &sheet(&app, "3", "submit", false, &[("1-1", "1")]),
        "submitted",
    )
    .await;
    let t = json(&mic, "/api/v1/stats/national/2007").await;
    assert_eq!(printed(&item(&t, "1-1")["average"]), "1.000");
    assert_eq!(t["counting"]["counted"]["submitted"], 1);

    // Accepted: counts with the accepted submission.
    let r = pref
        .post(
            "/review/011002/2007",
            &pairs(&[
                ("version", "4"),
                ("action", "accept"),
                ("review_note", ""),
                ("confirm", "1"),
            ]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let t = json(&mic, "/api/v1/stats/national/2007").await;
    assert_eq!(printed(&item(&t, "1-1")["average"]), "1.000");
    assert_eq!(t["counting"]["counted"]["accepted"], 1);

    // The history: 1回目 提出 → 差戻し（助言 2 件）→ 2回目 提出 → 確認済,
    // and the difference between the two submissions.
    let h = sapporo.get("/answers/011002/2007/history").await;
    assert_eq!(h.status, 200);
    let list = h
        .body
        .split("<ol class=\"history\"")
        .nth(1)
        .and_then(|x| x.split("</ol>").next())
        .expect("history list");
    let steps: Vec<&str> = list
        .split("<li>")
        .skip(1)
        .map(|li| li.split('　').next().unwrap_or(""))
        .collect();
    assert_eq!(
        steps,
        ["1回目 提出", "差戻し（助言 2 件）", "2回目 提出", "確認済"],
        "{}",
        h.body
    );
    assert!(h.body.contains("sapporo1") && h.body.contains("hokkaido1"));
    assert!(
        h.body
            .contains("<tr id=\"diff-1-1\"><th scope=\"row\">1-1</th>"),
        "1-1 differs"
    );
    assert_eq!(h.body.matches("<tr id=\"diff-").count(), 1, "only 1-1");
    // Whoever may read the sheet sees it; another municipality does not.
    assert_eq!(pref.get("/answers/011002/2007/history").await.status, 200);
    let kitami = clerk(&app, "kitami1").await;
    assert_eq!(kitami.get("/answers/011002/2007/history").await.status, 403);
}

#[tokio::test]
async fn seventeen_eighths_prints_2_13_everywhere() {
    let Season { app, mic, pref } = season().await;
    // Eight items scored 3,3,3,2,2,2,1,1 (sum 17), every other item 0.
    let list = app.state.catalog.checklist(Variant::Municipal);
    let conds = BTreeMap::from([("has_critical_room".to_string(), false)]);
    let codes: Vec<String> = list
        .applicable_items(fy(2007), &conds)
        .iter()
        .map(|i| i.code.clone())
        .collect();
    let eight = ["3", "3", "3", "2", "2", "2", "1", "1"];
    let mut scores: Vec<(&str, &str)> = codes.iter().map(|c| (c.as_str(), "0")).collect();
    for (slot, s) in scores.iter_mut().zip(eight) {
        slot.1 = s;
    }
    let hakodate = clerk(&app, "hakodate1").await;
    post_sheet(
        &hakodate,
        "012025",
        &sheet(&app, "0", "submit", false, &scores),
        "submitted",
    )
    .await;
    let page = hakodate.get("/answers/012025/2007").await.body;
    assert!(
        page.contains("平均点 <span id=\"average\">2.13</span>"),
        "sheet page"
    );
    let list_page = pref.get("/prefectures/010006/2007").await.body;
    assert!(
        list_page.contains("<td class=\"num\">2.13</td>"),
        "status list"
    );
    let t = json(&mic, "/api/v1/stats/org:012025/2007").await;
    assert_eq!(printed(&t["overall"]["average"]), "2.13");
    let page = mic.get("/stats/org:012025/2007").await.body;
    assert!(page.contains("<strong id=\"overall\">2.13</strong>"));
}

#[tokio::test]
async fn years_that_do_not_exist_are_404_never_500() {
    let Season { app, mic, .. } = season().await;
    let years = [
        "1",
        "9",
        "99",
        "999",
        "1988",
        "1989",
        "2002",
        "2003",
        "2007",
        "2008",
        "2009",
        "2199",
        "2200",
        "2201",
        "9999",
        "10000",
        "99999",
        "H99",
        "令和100",
        "R0",
        "平成0",
        "令和元",
        "latest",
        "x",
        "%00",
    ];
    let anonymous = Browser::new(&app);
    for y in years {
        for (who, b) in [("anonymous", &anonymous), ("ministry", &mic)] {
            for path in [
                format!("/stats/national/{y}"),
                format!("/stats/national/{y}.xlsx"),
                format!("/api/v1/stats/national/{y}"),
                format!("/stats/pref:010006/{y}"),
                format!("/charts?year={y}"),
                format!("/charts/overall.png?year={y}"),
                format!("/charts/shares.svg?year={y}"),
                format!("/exports/plans/national/{y}"),
                format!("/national/{y}"),
                format!("/prefectures/010006/{y}"),
            ] {
                let r = b.get(&path).await;
                // The API refuses a year outside its pattern (西暦4桁 or
                // latest) with 400, by its contract.
                let api_shape = path.starts_with("/api/") && r.status == 400;
                assert!(
                    api_shape || matches!(r.status, 200 | 303 | 401 | 403 | 404),
                    "{who} {path}: {} {}",
                    r.status,
                    r.body
                );
            }
        }
    }
    // Known years answer 200; years without figures or a round 404.
    assert_eq!(mic.get("/stats/national/2007").await.status, 200);
    assert_eq!(mic.get("/stats/national/2003").await.status, 200);
    for y in ["2008", "2200", "2201", "1989"] {
        let r = mic.get(&format!("/stats/national/{y}")).await;
        assert_eq!(r.status, 404, "{y}");
        assert!(r.body.contains("集計はありません"), "{y}: {}", r.body);
    }
    // The year bar links only years that exist.
    let page = mic.get("/stats/national/2007").await.body;
    assert!(page.contains("href=\"/stats/national/2003\""));
    assert!(
        !page.contains("href=\"/stats/national/2008\""),
        "no empty years"
    );
}
