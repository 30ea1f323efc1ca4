//! The database itself refuses what must never be stored; the same tests run
//! on SQLite and (with TEST_DATABASE_URL) PostgreSQL.

use diesel::prelude::*;
use tenken::checklists::Variant;
use tenken::db::schema::organisations as o;
use tenken::domain::{FiscalYear, Score};
use tenken::error::AppError;
use tenken::store::{answers, checklists, organisations};

use crate::helpers::{is_postgres, spawn_app, with_conn};

#[tokio::test]
async fn roster_loads_47_prefectures_and_1741_municipalities() {
    let app = spawn_app().await;
    let counts = with_conn(&app, organisations::count_by_kind).expect("counts");
    let get = |k: &str| {
        counts
            .iter()
            .find(|(kind, _)| kind == k)
            .map_or(0, |(_, n)| *n)
    };
    assert_eq!(get("prefecture"), 47);
    assert_eq!(get("municipality"), 1741);
    assert_eq!(get("ministry"), 1);
    assert_eq!(get("designated_body"), 1);
    // Every municipality sits under an existing prefecture.
    let tokyo = with_conn(&app, |c| organisations::municipalities_of(c, "130001")).expect("tokyo");
    assert_eq!(
        tokyo.len(),
        62,
        "Tokyo has 23 wards, 26 cities, 5 towns and 8 villages"
    );
    let chiyoda = with_conn(&app, |c| organisations::find(c, "131016"))
        .expect("q")
        .expect("千代田区");
    assert_eq!(chiyoda.name, "千代田区");
    assert_eq!(chiyoda.prefecture_code.as_deref(), Some("130001"));
    assert_eq!(chiyoda.variant.as_deref(), Some("municipal"));
    // A second start adds nothing.
    let summary = with_conn(&app, |c| {
        let s = tenken::checklists::Sources::embedded();
        let entries =
            tenken::roster::parse("roster", s.get(tenken::checklists::ROSTER)).expect("roster");
        organisations::import_roster(c, &entries)
    })
    .expect("reimport");
    assert_eq!(
        (summary.added, summary.renamed, summary.unchanged),
        (0, 0, 1788)
    );
}

fn first_answer(app: &crate::helpers::TestApp) -> answers::NewAnswer {
    let fy = FiscalYear::new(2007).expect("fy");
    with_conn(app, |c| {
        let org = organisations::find(c, "011002")
            .expect("q")
            .expect("札幌市");
        let item = checklists::item_id(c, Variant::Municipal, "18-1", fy)
            .expect("q")
            .expect("18-1");
        answers::NewAnswer::new(org.id, fy, "18-1", item, Score::new(3).expect("3"), "")
    })
}

/// Stores 札幌市's answer 3 to 18-1 of FY2007.
pub fn insert_first_answer(app: &crate::helpers::TestApp) {
    let a = first_answer(app);
    with_conn(app, |c| answers::insert(c, &a)).expect("insert");
}

#[tokio::test]
async fn score_outside_0_to_3_is_refused_by_the_database() {
    let app = spawn_app().await;
    let mut bad = first_answer(&app);
    bad.score = 4;
    let err = with_conn(&app, |c| answers::insert(c, &bad)).expect_err("score 4 must be refused");
    assert!(err.is_constraint_violation(), "{err:?}");
    bad.score = -1;
    assert!(with_conn(&app, |c| answers::insert(c, &bad)).is_err());
    let stored = with_conn(&app, |c| {
        answers::of_org_year(c, bad.organisation_id, FiscalYear::new(2007).expect("fy"))
    })
    .expect("read");
    assert!(stored.is_empty());
}

#[tokio::test]
async fn second_answer_for_same_org_year_item_is_refused() {
    let app = spawn_app().await;
    let a = first_answer(&app);
    with_conn(&app, |c| answers::insert(c, &a)).expect("first answer");
    let mut again = a.clone();
    again.score = 2;
    let err =
        with_conn(&app, |c| answers::insert(c, &again)).expect_err("duplicate must be refused");
    assert!(
        matches!(
            err,
            AppError::Database(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        ),
        "{err:?}"
    );
    let stored = with_conn(&app, |c| {
        answers::of_org_year(c, a.organisation_id, FiscalYear::new(2007).expect("fy"))
    })
    .expect("read");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].score, 3);
}

#[tokio::test]
async fn unknown_organisation_is_refused_by_foreign_key() {
    let app = spawn_app().await;
    let mut a = first_answer(&app);
    a.organisation_id = 999_999;
    let err = with_conn(&app, |c| answers::insert(c, &a)).expect_err("FK");
    assert!(err.is_constraint_violation(), "{err:?}");
}

#[tokio::test]
async fn checklist_items_are_synced_once_per_version() {
    let app = spawn_app().await;
    let n: i64 = with_conn(&app, |c| {
        tenken::db::schema::checklist_items::table
            .count()
            .get_result(c)
    })
    .expect("count");
    assert_eq!(n, 126 + 122);
    // Syncing the same catalog again inserts nothing.
    let s = with_conn(&app, |c| checklists::sync(c, &app.state.catalog)).expect("sync");
    assert_eq!((s.inserted, s.updated, s.new_versions), (0, 0, 0));
    let agencies: i64 = with_conn(&app, |c| {
        o::table.filter(o::kind.eq("agency")).count().get_result(c)
    })
    .expect("q");
    assert_eq!(agencies, 0);
    let backend = with_conn(&app, |c| c.backend());
    assert_eq!(backend == tenken::db::Backend::Postgres, is_postgres());
}

#[tokio::test]
async fn agencies_get_codes_of_their_own() {
    let app = spawn_app().await;
    let org = with_conn(&app, |c| organisations::add_agency(c, "G0001", "警察庁")).expect("add");
    assert_eq!(org.kind, "agency");
    assert_eq!(org.variant.as_deref(), Some("national_agency"));
    let dup = with_conn(&app, |c| organisations::add_agency(c, "G0001", "別の機関"));
    assert!(matches!(dup, Err(AppError::Conflict(_))));
    let bad = with_conn(&app, |c| organisations::add_agency(c, "011002", "札幌"));
    assert!(matches!(bad, Err(AppError::BadRequest(_))));
}
