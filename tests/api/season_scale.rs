//! Tables that follow every write without re-reading whole years: the
//! change log that every instance follows (two instances on one database),
//! and incremental updates that equal a full rebuild after any sequence of
//! saves, submissions, returns, acceptances and bulk loads.

use diesel::Connection;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use tenken::auth::{Actor, Role};
use tenken::checklists::Variant;
use tenken::db::DbConnection;
use tenken::domain::Score;
use tenken::stats::{self, Basis, Cache, Scope};
use tenken::store::answers::{self, AnswerInput, NewAnswer};
use tenken::store::submissions::{self, Change, Status};
use tenken::store::{checklists, organisations};

use crate::helpers::{spawn_app, spawn_instance_of, with_conn, TestApp};
use crate::wf_support::{add_user, fy, open_round, sheet_form, Browser};

async fn json(app: &TestApp, b: Option<&Browser>, path: &str) -> Value {
    let body = match b {
        Some(b) => {
            let r = b.get(path).await;
            assert_eq!(r.status, 200, "{path}: {}", r.body);
            r.body
        }
        None => {
            let (status, body) = app.get_text(path).await;
            assert_eq!(status, 200, "{path}: {body}");
            body
        }
    };
    serde_json::from_str(&body).expect("JSON")
}

fn average(t: &Value, code: &str) -> String {
    t["majors"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|m| m["goals"].as_array().into_iter().flatten())
        .flat_map(|g| g["items"].as_array().into_iter().flatten())
        .find(|i| i["code"] == code)
        .and_then(|i| i["average"]["printed"].as_str())
        .unwrap_or("-")
        .to_string()
}

#[tokio::test]
async fn a_save_through_one_instance_shows_in_the_others_next_table() {
    let one = spawn_app().await;
    open_round(&one, Variant::Municipal, 2007);
    add_user(&one, "sapporo1", "011002", Role::Municipality);
    add_user(&one, "kitami1", "012084", Role::Municipality);
    add_user(&one, "mic1", "MIC", Role::Ministry);
    let two = spawn_instance_of(&one).await;

    let mut sapporo = Browser::new(&one);
    sapporo.login("sapporo1").await;
    let r = sapporo
        .post(
            "/answers/011002/2007",
            &sheet_form(&one, "0", "submit", &[], &[], &[]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // The other instance computes and keeps its table.
    let t = json(&two, None, "/api/v1/stats/national/2007").await;
    assert_eq!(t["organisations"], 1);
    assert_eq!(average(&t, "1-1"), "3.000");
    let mut mic = Browser::new(&two);
    mic.login("mic1").await;
    let p = json(
        &two,
        Some(&mic),
        "/api/v1/stats/national/2007?provisional=1",
    )
    .await;
    assert_eq!(p["organisations"], 1);

    // A draft through the first instance: the second's 速報 shows it at
    // once, its official table does not.
    let mut kitami = Browser::new(&one);
    kitami.login("kitami1").await;
    let r = kitami
        .post(
            "/answers/012084/2007",
            &sheet_form(&one, "0", "save", &[("1-1", "1")], &["1-1"], &[]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let p = json(
        &two,
        Some(&mic),
        "/api/v1/stats/national/2007?provisional=1",
    )
    .await;
    assert_eq!(p["organisations"], 2);
    assert_eq!(average(&p, "1-1"), "2.000");
    let t = json(&two, None, "/api/v1/stats/national/2007").await;
    assert_eq!(t["organisations"], 1);
    assert_eq!(average(&t, "1-1"), "3.000");

    // Submitted through the first: the second's official table follows.
    let r = kitami
        .post(
            "/answers/012084/2007",
            &sheet_form(&one, "1", "submit", &[("1-1", "1")], &["1-1"], &[]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let t = json(&two, None, "/api/v1/stats/national/2007").await;
    assert_eq!(t["organisations"], 2);
    assert_eq!(average(&t, "1-1"), "2.000");
}

/// One step of a season, on the store functions the workflow uses.
#[derive(Debug, Clone)]
enum Op {
    /// A draft save of one answer (the sheet is created when missing).
    Save {
        org: usize,
        item: usize,
        score: u8,
    },
    Submit {
        org: usize,
    },
    Return {
        org: usize,
    },
    Accept {
        org: usize,
    },
    /// `tenken import answers --replace` of the bulk organisation's one item.
    Bulk {
        item: usize,
        score: u8,
    },
}

const ORGS: [&str; 3] = ["011002", "012025", "012033"];
const BULK_ORG: &str = "012041";
const ITEMS: [&str; 4] = ["1-1", "2-1", "7-1", "8-2"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..ORGS.len(), 0..ITEMS.len(), 0u8..4).prop_map(|(org, item, score)| Op::Save { org, item, score }),
        2 => (0..ORGS.len()).prop_map(|org| Op::Submit { org }),
        1 => (0..ORGS.len()).prop_map(|org| Op::Return { org }),
        1 => (0..ORGS.len()).prop_map(|org| Op::Accept { org }),
        1 => (0..ITEMS.len(), 0u8..4).prop_map(|(item, score)| Op::Bulk { item, score }),
    ]
}

fn org_id(c: &mut DbConnection, code: &str) -> i32 {
    organisations::find(c, code)
        .expect("find")
        .expect("organisation")
        .id
}

fn apply(c: &mut DbConnection, op: &Op) {
    let year = fy(2007);
    let actor = Actor::cli();
    let ids = checklists::item_ids(c, Variant::Municipal, year).expect("item ids");
    let input = |item: usize, score: u8| AnswerInput {
        item_code: ITEMS[item].to_string(),
        item_id: ids[ITEMS[item]],
        score: Score::new(i64::from(score)).expect("score"),
        comment: String::new(),
    };
    c.transaction(|c| {
        match op {
            Op::Save { org, item, score } => {
                let id = org_id(c, ORGS[*org]);
                let sub = match submissions::find(c, id, year)? {
                    Some(s) => s,
                    None => submissions::create(c, id, year, Status::Draft, Some(false), None)?,
                };
                if sub.status().is_editable() {
                    answers::upsert(c, id, year, &[input(*item, *score)])?;
                }
            }
            Op::Submit { org } => {
                let id = org_id(c, ORGS[*org]);
                if let Some(sub) = submissions::find(c, id, year)? {
                    if matches!(sub.status(), Status::Draft | Status::Returned) {
                        submissions::submit(c, sub.id, &actor)?;
                    }
                }
            }
            Op::Return { org } | Op::Accept { org } => {
                let id = org_id(c, ORGS[*org]);
                let status = if matches!(op, Op::Return { .. }) {
                    Status::Returned
                } else {
                    Status::Accepted
                };
                submissions::advance_any(
                    c,
                    id,
                    year,
                    &[Status::Submitted],
                    &Change {
                        status: Some(status),
                        ..Default::default()
                    },
                )?;
            }
            Op::Bulk { item, score } => {
                let id = org_id(c, BULK_ORG);
                answers::delete_of_orgs(c, year, &[id])?;
                let row = NewAnswer::new(
                    id,
                    year,
                    ITEMS[*item],
                    ids[ITEMS[*item]],
                    Score::new(i64::from(*score)).expect("score"),
                    "",
                );
                answers::insert_many(c, &[row], &mut |_| {})?;
            }
        }
        Ok::<_, tenken::error::AppError>(())
    })
    .expect("operation");
}

#[tokio::test]
async fn incremental_tables_equal_a_full_rebuild_after_any_season() {
    let app = spawn_app().await;
    let catalog = app.state.catalog.clone();
    let scopes = [
        Scope::National,
        Scope::parse("pref:010006").expect("scope"),
        Scope::parse("org:011002").expect("scope"),
        Scope::parse("org:012041").expect("scope"),
    ];
    let kept = Cache::new();
    let mut runner = TestRunner::new(Config {
        cases: 6,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(op(), 1..14), |ops| {
            with_conn(&app, |c| {
                for op in &ops {
                    apply(c, op);
                    for scope in &scopes {
                        for basis in [Basis::Official, Basis::Provisional] {
                            let incremental = kept
                                .summary_of(c, &catalog, scope, fy(2007), basis)
                                .expect("incremental");
                            let full = stats::data::summary_of(c, &catalog, scope, fy(2007), basis)
                                .expect("full");
                            let a = serde_json::to_value(&incremental.summary).expect("json");
                            let b = serde_json::to_value(&full).expect("json");
                            prop_assert_eq!(a, b, "{:?} {:?} after {:?}", scope, basis, op);
                        }
                    }
                }
                Ok(())
            })
        })
        .expect("incremental == full");
}

async fn workbook(app: &TestApp) -> Vec<u8> {
    let r = app.get("/stats/national/2007.xlsx").await;
    assert_eq!(r.status(), 200);
    r.bytes().await.expect("workbook").to_vec()
}

/// The 集計表 workbook is built once per table and served from memory
/// until the table changes (a workbook records when it was written, so a
/// rebuilt one differs from the cached one even for the same figures).
#[tokio::test]
async fn the_workbook_is_built_once_per_table_and_rebuilt_after_a_change() {
    let app = spawn_app().await;
    open_round(&app, Variant::Municipal, 2007);
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    add_user(&app, "kitami1", "012084", Role::Municipality);
    let mut sapporo = Browser::new(&app);
    sapporo.login("sapporo1").await;
    let r = sapporo
        .post(
            "/answers/011002/2007",
            &sheet_form(&app, "0", "submit", &[], &[], &[]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);

    let first = workbook(&app).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let again = workbook(&app).await;
    assert!(
        first == again,
        "the same table gives the same cached workbook"
    );

    let mut kitami = Browser::new(&app);
    kitami.login("kitami1").await;
    let r = kitami
        .post(
            "/answers/012084/2007",
            &sheet_form(&app, "0", "submit", &[("1-1", "1")], &["1-1"], &[]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let changed = workbook(&app).await;
    assert!(changed != first, "a submission gives a new workbook");
    let t = json(&app, None, "/api/v1/stats/national/2007").await;
    assert_eq!(t["organisations"], 2);
}

/// The national FY2007 table as this instance's cache holds it now.
fn cached_national(app: &TestApp) -> std::sync::Arc<stats::CachedSummary> {
    with_conn(app, |c| {
        app.state.stats.summary_of(
            c,
            &app.state.catalog,
            &Scope::National,
            fy(2007),
            Basis::Official,
        )
    })
    .expect("cached table")
}

#[tokio::test]
async fn the_page_table_is_rendered_once_per_table_and_again_after_a_change() {
    let app = spawn_app().await;
    open_round(&app, Variant::Municipal, 2007);
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    add_user(&app, "kitami1", "012084", Role::Municipality);
    let mut sapporo = Browser::new(&app);
    sapporo.login("sapporo1").await;
    let r = sapporo
        .post(
            "/answers/011002/2007",
            &sheet_form(&app, "0", "submit", &[], &[], &[]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);

    let (status, first_page) = app.get_text("/stats/national/2007").await;
    assert_eq!(status, 200);
    let table = cached_national(&app);
    let first = table
        .rendered_page_table(false)
        .expect("the page rendered its table into the cache");
    assert!(
        first_page.contains(&*first),
        "the page holds the cached part"
    );
    assert!(first.contains(r#"<tr id="item-1-1""#), "{first}");
    assert!(first.contains("3.000"), "{first}");
    // A signed-in viewer of the same variant gets the same cached part.
    let r = sapporo.get("/stats/national/2007").await;
    assert_eq!(r.status, 200);
    let again = r.body;
    let same = cached_national(&app);
    assert!(
        std::sync::Arc::ptr_eq(&table, &same),
        "the table did not change"
    );
    let reused = same.rendered_page_table(false).expect("still cached");
    assert!(
        std::sync::Arc::ptr_eq(&first, &reused),
        "the table part is not rendered again"
    );
    assert!(again.contains(&*first));

    let mut kitami = Browser::new(&app);
    kitami.login("kitami1").await;
    let r = kitami
        .post(
            "/answers/012084/2007",
            &sheet_form(&app, "0", "submit", &[("1-1", "1")], &["1-1"], &[]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let (status, changed_page) = app.get_text("/stats/national/2007").await;
    assert_eq!(status, 200);
    let changed = cached_national(&app)
        .rendered_page_table(false)
        .expect("rendered for the new table");
    assert_ne!(changed, first, "a submission gives a new table part");
    assert!(changed_page.contains(&*changed));
    // 1-1: 3 and 1 → 2.000.
    assert!(changed.contains("2.000"), "{changed}");
}
