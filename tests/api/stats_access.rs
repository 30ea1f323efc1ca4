//! Who may see which table: every role against every kind of scope, on the
//! page and the JSON; the national table without the list naming
//! organisations for anyone but the ministry; views of one organisation or
//! one prefecture written to the operation log.

use diesel::prelude::*;
use tenken::auth::Role;
use tenken::checklists::Variant;
use tenken::domain::{FiscalYear, Score};
use tenken::store::{answers, checklists, organisations};

use crate::helpers::{spawn_app, with_conn, TestApp};
use crate::wf_support::{add_agency, log, sign_in};

fn fy(y: i32) -> FiscalYear {
    FiscalYear::new(y).expect("year")
}

/// Every item of 2007 at 3, except 18-1 (a priority item) at `s181`.
fn answer_all(app: &TestApp, org: &str, s181: i64) {
    with_conn(app, |c| {
        let org = organisations::find(c, org).expect("q").expect("org");
        let ids = checklists::item_ids(c, Variant::Municipal, fy(2007)).expect("ids");
        let inputs: Vec<answers::AnswerInput> = ids
            .iter()
            .map(|(code, id)| answers::AnswerInput {
                item_code: code.clone(),
                item_id: *id,
                score: Score::new(if code == "18-1" { s181 } else { 3 }).expect("score"),
                comment: String::new(),
            })
            .collect();
        c.transaction(|c| answers::upsert(c, org.id, fy(2007), &inputs))
            .expect("upsert");
    });
}

async fn status(app: &TestApp, path: &str) -> u16 {
    app.get(path).await.status().as_u16()
}

#[tokio::test]
async fn each_role_sees_only_the_scopes_it_may() {
    // (login, org, role) → expected status for each scope path.
    let cases: [(&str, &str, Option<Role>, [u16; 6]); 8] = [
        //                                      national agencies pref:13 pref:01 org:131016 org:011002
        ("anonymous", "", None, [200, 401, 401, 401, 401, 401]),
        (
            "chiyoda",
            "131016",
            Some(Role::Municipality),
            [200, 403, 403, 403, 200, 403],
        ),
        (
            "sapporo",
            "011002",
            Some(Role::Municipality),
            [200, 403, 403, 403, 403, 200],
        ),
        (
            "tokyo",
            "130001",
            Some(Role::Prefecture),
            [200, 403, 200, 403, 200, 403],
        ),
        (
            "hokkaido",
            "010006",
            Some(Role::Prefecture),
            [200, 403, 403, 200, 403, 200],
        ),
        (
            "agency",
            "G0001",
            Some(Role::Agency),
            [200, 403, 403, 403, 403, 403],
        ),
        (
            "ministry",
            "MIC",
            Some(Role::Ministry),
            [200, 200, 200, 200, 200, 200],
        ),
        (
            "admin",
            "JLIS",
            Some(Role::Admin),
            [200, 403, 403, 403, 403, 403],
        ),
    ];
    let scopes = [
        "national",
        "agencies",
        "pref:130001",
        "pref:010006",
        "org:131016",
        "org:011002",
    ];
    for (login, org, role, expected) in cases {
        let app = spawn_app().await;
        add_agency(&app, "G0001", "テスト庁");
        answer_all(&app, "131016", 2);
        answer_all(&app, "011002", 3);
        if let Some(role) = role {
            sign_in(&app, login, org, role).await;
        }
        for (scope, want) in scopes.iter().zip(expected) {
            for path in [
                format!("/stats/{scope}/2007"),
                format!("/api/v1/stats/{scope}/2007"),
            ] {
                // A visitor is sent to the login page; the API answers 401.
                let want = if want == 401 && !path.starts_with("/api/") {
                    303
                } else {
                    want
                };
                assert_eq!(status(&app, &path).await, want, "{login} {path}");
            }
        }
        // An organisation that does not exist answers like a forbidden one
        // for anyone but the ministry.
        let unknown = status(&app, "/api/v1/stats/org:019992/2007").await;
        let expected_unknown = match role {
            None => 401,
            Some(Role::Ministry) => 404,
            Some(_) => 403,
        };
        assert_eq!(unknown, expected_unknown, "{login} unknown org");
    }
}

#[tokio::test]
async fn only_the_ministry_sees_which_organisations_fall_short() {
    let app = spawn_app().await;
    answer_all(&app, "131016", 2);
    answer_all(&app, "011002", 3);
    let v: serde_json::Value = app
        .get("/api/v1/stats/national/2007")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["priority"]["organisations"], 2);
    assert_eq!(v["priority"]["achieved"], 1);
    assert_eq!(v["priority"]["not_achieved"], serde_json::json!([]));
    let (_, page) = app.get_text("/stats/national/2007").await;
    assert!(
        !page.contains("千代田区"),
        "the public page names no municipality"
    );

    sign_in(&app, "ministry", "MIC", Role::Ministry).await;
    let v: serde_json::Value = app
        .get("/api/v1/stats/national/2007")
        .await
        .json()
        .await
        .expect("json");
    let short = &v["priority"]["not_achieved"];
    assert_eq!(short.as_array().map(|a| a.len()), Some(1));
    assert_eq!(short[0]["code"], "131016");
    assert_eq!(short[0]["items"][0]["item"], "18-1");
    assert_eq!(short[0]["items"][0]["score"], 2);
}

#[tokio::test]
async fn views_of_an_organisation_or_a_prefecture_are_logged() {
    let app = spawn_app().await;
    answer_all(&app, "131016", 2);
    sign_in(&app, "tokyo", "130001", Role::Prefecture).await;
    assert_eq!(status(&app, "/stats/org:131016/2007").await, 200);
    assert_eq!(status(&app, "/api/v1/stats/pref:130001/2007").await, 200);
    assert_eq!(status(&app, "/stats/national/2007").await, 200);
    assert_eq!(status(&app, "/stats/org:011002/2007").await, 403);
    let views: Vec<(String, String, String)> = log(&app)
        .into_iter()
        .filter(|(_, action, _)| action == "stats_view")
        .collect();
    assert_eq!(
        views,
        vec![
            ("tokyo".into(), "stats_view".into(), "131016".into()),
            ("tokyo".into(), "stats_view".into(), "130001".into()),
        ]
    );
}

/// Every text of a workbook (shared strings and inline strings).
fn workbook_text(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("xlsx zip");
    let mut all = String::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("part");
        if f.name().is_ok_and(|n| n.ends_with(".xml")) {
            f.read_to_string(&mut all).expect("xml");
        }
    }
    all
}

#[tokio::test]
async fn the_workbook_shows_what_the_page_shows_and_exports_are_logged() {
    let app = spawn_app().await;
    answer_all(&app, "131016", 2);
    answer_all(&app, "011002", 3);
    let public = app
        .get("/stats/national/2007.xlsx")
        .await
        .bytes()
        .await
        .expect("xlsx");
    let text = workbook_text(&public);
    assert!(text.contains("重要点検項目"), "the priority sheet is there");
    assert!(
        !text.contains("千代田区"),
        "no municipality named for the public"
    );

    sign_in(&app, "ministry", "MIC", Role::Ministry).await;
    let full = app
        .get("/stats/national/2007.xlsx")
        .await
        .bytes()
        .await
        .expect("xlsx");
    assert!(workbook_text(&full).contains("千代田区"));
    let exports: Vec<(String, String, String)> = log(&app)
        .into_iter()
        .filter(|(_, action, _)| action == "export")
        .collect();
    assert_eq!(
        exports,
        vec![("ministry".into(), "export".into(), String::new())]
    );
}
