//! The season board: per prefecture 提出済 / 確認済 / 未提出, the share
//! submitted and the days to the deadline, sortable with plain links, and
//! the same figures in the workbook.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use diesel::prelude::*;
use tenken::auth::{Actor, Role};
use tenken::checklists::Variant;
use tenken::db::schema::organisations as o;
use tenken::domain::Score;
use tenken::stats::exact::Exact;
use tenken::store::{organisations, rounds};
use tenken::workflow::{ops, Entries, Entry};

use crate::helpers::{spawn_app, with_conn, TestApp};
use crate::wf_support::{add_user, fy, sheet_state, Browser};
use crate::workflow_walk::row_of;

/// Submits `code`'s sheet with every item 3.
fn submit(app: &TestApp, code: &str) {
    with_conn(app, |c| {
        let org = organisations::find(c, code).expect("q").expect("org");
        let list = app.state.catalog.checklist(Variant::Municipal);
        let mut entries = Entries {
            has_critical_room: Some(false),
            ..Default::default()
        };
        for item in list.applicable_items(fy(2007), &entries.conditions()) {
            entries.items.insert(
                item.code.clone(),
                Entry {
                    score: Score::new(3).ok(),
                    ..Default::default()
                },
            );
        }
        let posting = ops::Posting {
            version: 0,
            entries: &entries,
            submit: true,
        };
        ops::save(c, &Actor::default(), &org, fy(2007), list, posting).expect("save");
    });
}

fn accept(app: &TestApp, code: &str) {
    let version = sheet_state(app, code, 2007).expect("sheet").1;
    with_conn(app, |c| {
        let org = organisations::find(c, code).expect("q").expect("org");
        let input = ops::ReviewInput {
            version,
            action: ops::ReviewAction::Accept,
            advice: Vec::new(),
            note: String::new(),
        };
        ops::review(c, &Actor::default(), &org, fy(2007), &input).expect("accept");
    });
}

fn municipalities_of(app: &TestApp, pref: &str) -> usize {
    with_conn(app, |c| {
        o::table
            .filter(o::kind.eq("municipality"))
            .filter(o::prefecture_code.eq(pref))
            .count()
            .get_result::<i64>(c)
    })
    .expect("count") as usize
}

#[tokio::test]
async fn the_board_counts_per_prefecture_sorts_and_matches_its_workbook() {
    let app = spawn_app().await;
    let deadline = (chrono::Local::now().date_naive() + chrono::Days::new(10)).to_string();
    let version = app
        .state
        .catalog
        .checklist(Variant::Municipal)
        .version_label();
    with_conn(&app, |c| {
        rounds::open(
            c,
            Variant::Municipal,
            fy(2007),
            Some(&deadline),
            &version,
            &[],
        )
    })
    .expect("open");
    submit(&app, "011002");
    submit(&app, "012025");
    accept(&app, "012025");
    submit(&app, "022012");
    add_user(&app, "mic", "MIC", Role::Ministry);
    let mut mic = Browser::new(&app);
    mic.login("mic").await;

    let hokkaido = municipalities_of(&app, "010006");
    let all = with_conn(&app, |c| {
        o::table
            .filter(o::kind.eq("municipality"))
            .count()
            .get_result::<i64>(c)
    })
    .expect("count") as usize;
    let rate = Exact::ratio(200, hokkaido as i64).expect("rate").printed(1);
    let national = Exact::ratio(300, all as i64).expect("rate").printed(1);

    let page = mic.get("/national/2007/board").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&format!(
            "締切 {deadline}（あと <strong id=\"days-left\">10</strong> 日）"
        )),
        "{}",
        page.body
    );
    let row = row_of(&page.body, "board-010006");
    let expected = format!(
        "<td class=\"num\">{hokkaido}</td><td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">{}</td><td class=\"num\">{rate}%</td><td class=\"num\">あと 10 日</td>",
        hokkaido - 2
    );
    assert!(row.contains(&expected), "{row}\n{expected}");
    let total = row_of(&page.body, "board-total");
    assert!(
        total.contains(&format!(
            "<td class=\"num\">{all}</td><td class=\"num\">2</td><td class=\"num\">1</td><td class=\"num\">{}</td><td class=\"num\">{national}%</td>",
            all - 3
        )),
        "{total}"
    );
    // Default order: by code; sort links without script.
    let first = |body: &str| {
        let key = "<tr id=\"board-";
        body.find(key)
            .and_then(|at| body.get(at + key.len()..at + key.len() + 6))
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(first(&page.body), "010006");
    assert!(page
        .body
        .contains("<a href=\"?sort=missing\">未提出の多い順</a>"));
    let by_rate = mic.get("/national/2007/board?sort=rate").await.body;
    assert_eq!(
        first(&by_rate),
        "030007",
        "lowest share first, ties by code"
    );
    assert!(by_rate.contains("<strong>提出率の低い順</strong>"));
    let by_missing = mic.get("/national/2007/board?sort=missing").await.body;
    assert_eq!(
        first(&by_missing),
        "010006",
        "Hokkaido has the most municipalities"
    );
    let by_accepted = mic.get("/national/2007/board?sort=accepted").await.body;
    assert_eq!(first(&by_accepted), "010006");
    let bad = mic.get("/national/2007/board?sort=size").await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("並べ替え「size」は使えません"),
        "{}",
        bad.body
    );

    // The workbook: the same figures, in the same order.
    let r = mic
        .client
        .get(format!("{}/national/2007/board.xlsx?sort=rate", mic.base))
        .send()
        .await
        .expect("xlsx");
    assert_eq!(r.status().as_u16(), 200);
    let bytes = r.bytes().await.expect("bytes").to_vec();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("xlsx");
    let sheet = book.worksheet_range("回答状況").expect("sheet");
    let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    let code_at = |i: usize| rows.get(i).and_then(|r| r.first()).cloned();
    assert_eq!(
        code_at(4),
        Some(Data::String("030007".into())),
        "same order as the page"
    );
    let hk = rows
        .iter()
        .find(|r| r.first() == Some(&Data::String("010006".into())))
        .expect("Hokkaido row");
    assert_eq!(
        hk.get(2..7).map(<[Data]>::to_vec),
        Some(vec![
            Data::Float(hokkaido as f64),
            Data::Float(1.0),
            Data::Float(1.0),
            Data::Float((hokkaido - 2) as f64),
            Data::Float(rate.parse::<f64>().expect("rate")),
        ])
    );
    assert_eq!(
        rows.get(1).and_then(|r| r.first()),
        Some(&Data::String(format!("締切 {deadline}（あと 10 日）")))
    );
}
