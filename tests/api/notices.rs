//! Notices: each event makes its notice once and only for the right
//! organisations; reminders go only to those not yet submitted.

use chrono::NaiveDate;
use diesel::prelude::*;
use tenken::auth::Role;
use tenken::checklists::Variant;
use tenken::db::schema::{notices as n, organisations as o};
use tenken::store::{notices, rounds};

use crate::helpers::{spawn_app, with_conn, TestApp};
use crate::wf_support::{add_user, fy, pairs, sheet_form, sheet_state, Browser};

/// (organisation code, kind, text) of every notice, oldest first.
fn all_notices(app: &TestApp) -> Vec<(String, String, String)> {
    with_conn(app, |c| {
        n::table
            .inner_join(o::table)
            .order(n::id)
            .select((o::code, n::kind, n::text))
            .load(c)
    })
    .expect("notices")
}

fn kinds_for(app: &TestApp, kind: &str) -> Vec<String> {
    all_notices(app)
        .into_iter()
        .filter(|(_, k, _)| k == kind)
        .map(|(c, _, _)| c)
        .collect()
}

fn open_with_deadline(app: &TestApp, deadline: &str) {
    let version = app
        .state
        .catalog
        .checklist(Variant::Municipal)
        .version_label();
    with_conn(app, |c| {
        rounds::open(
            c,
            Variant::Municipal,
            fy(2007),
            Some(deadline),
            &version,
            &[],
        )
    })
    .expect("open");
}

#[tokio::test]
async fn submit_return_and_accept_notify_the_right_organisation_once() {
    let app = spawn_app().await;
    open_with_deadline(&app, "2099-12-31");
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    add_user(&app, "hokkaido1", "010006", Role::Prefecture);
    let mut city = Browser::new(&app);
    city.login("sapporo1").await;
    let r = city
        .post(
            "/answers/011002/2007",
            &sheet_form(&app, "0", "submit", &[("5-1", "2")], &["5-1"], &[]),
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(kinds_for(&app, "municipality_submitted"), vec!["010006"]);
    let (_, version) = sheet_state(&app, "011002", 2007).expect("sheet");

    let mut pref = Browser::new(&app);
    pref.login("hokkaido1").await;
    let home = pref.get("/home").await;
    assert!(home.body.contains("未読 1 件"), "{}", home.body);
    assert!(
        home.body
            .contains("札幌市（011002）が 平成19年度（2007年度） の回答を提出しました")
            || home.body.contains("（011002）が"),
        "{}",
        home.body
    );
    let r = pref
        .post(
            "/review/011002/2007",
            &pairs(&[
                ("version", &version.to_string()),
                ("action", "return"),
                ("review_note", "見直してください"),
                ("advice_5-1", "規程を整備してください"),
            ]),
        )
        .await;
    assert_eq!(r.status, 303);
    let returned: Vec<_> = all_notices(&app)
        .into_iter()
        .filter(|(_, k, _)| k == "sheet_returned")
        .collect();
    assert_eq!(returned.len(), 1);
    assert_eq!(returned[0].0, "011002");
    assert!(returned[0].2.contains("助言 1 件"), "{}", returned[0].2);

    // The city sees it, marks it read.
    let home = city.get("/home").await;
    assert!(home.body.contains("未読 1 件"));
    let r = city.post("/notices/read", &[]).await;
    assert_eq!(r.status, 303);
    let home = city.get("/home").await;
    assert!(home.body.contains("未読 0 件"));

    // Resubmit and accept: one more submitted notice, one accepted notice.
    let (_, version) = sheet_state(&app, "011002", 2007).expect("sheet");
    let r = city
        .post(
            "/answers/011002/2007",
            &sheet_form(
                &app,
                &version.to_string(),
                "submit",
                &[("5-1", "2")],
                &["5-1"],
                &[],
            ),
        )
        .await;
    assert_eq!(r.status, 303);
    let (_, version) = sheet_state(&app, "011002", 2007).expect("sheet");
    let r = pref
        .post(
            "/review/011002/2007",
            &pairs(&[
                ("version", &version.to_string()),
                ("action", "accept"),
                ("review_note", ""),
                ("confirm", "1"),
            ]),
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        kinds_for(&app, "municipality_submitted"),
        vec!["010006", "010006"]
    );
    assert_eq!(kinds_for(&app, "sheet_accepted"), vec!["011002"]);
    assert_eq!(all_notices(&app).len(), 4);
}

#[tokio::test]
async fn reminders_go_only_to_organisations_not_yet_submitted_and_never_twice() {
    let app = spawn_app().await;
    open_with_deadline(&app, "2027-01-15");
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    let mut city = Browser::new(&app);
    city.login("sapporo1").await;
    let r = city
        .post(
            "/answers/011002/2007",
            &sheet_form(&app, "0", "submit", &[], &[], &[]),
        )
        .await;
    assert_eq!(r.status, 303);
    let municipalities: i64 = with_conn(&app, |c| {
        o::table
            .filter(o::kind.eq("municipality"))
            .count()
            .get_result(c)
    })
    .expect("count");
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");

    // 20 days before: nothing.
    assert_eq!(
        with_conn(&app, |c| notices::daily(c, day("2026-12-26"))).expect("run"),
        0
    );
    // 14 days before: every municipality but Sapporo, once.
    let made = with_conn(&app, |c| notices::daily(c, day("2027-01-01"))).expect("run");
    assert_eq!(made as i64, municipalities - 1);
    let reminded = kinds_for(&app, "deadline");
    assert!(!reminded.contains(&"011002".to_string()));
    assert!(reminded.contains(&"012025".to_string()));
    assert_eq!(
        with_conn(&app, |c| notices::daily(c, day("2027-01-02"))).expect("run"),
        0
    );
    // 7 days before: again, once.
    let made = with_conn(&app, |c| notices::daily(c, day("2027-01-08"))).expect("run");
    assert_eq!(made as i64, municipalities - 1);
    assert_eq!(
        with_conn(&app, |c| notices::daily(c, day("2027-01-08"))).expect("run"),
        0
    );

    // After the deadline: each prefecture its missing list, the ministry one.
    let made = with_conn(&app, |c| notices::daily(c, day("2027-01-16"))).expect("run");
    assert_eq!(made, 47 + 1);
    let hokkaido: Vec<_> = all_notices(&app)
        .into_iter()
        .filter(|(c, k, _)| c == "010006" && k == "missing_after_deadline")
        .collect();
    assert_eq!(hokkaido.len(), 1);
    assert!(!hokkaido[0].2.contains("011002"));
    assert!(hokkaido[0].2.contains("012025"));
    assert_eq!(kinds_for(&app, "prefectures_missing"), vec!["MIC"]);
    assert_eq!(
        with_conn(&app, |c| notices::daily(c, day("2027-01-17"))).expect("run"),
        0
    );
}

#[tokio::test]
async fn opening_a_round_tells_each_answering_organisation_once() {
    let app = spawn_app().await;
    let made = with_conn(&app, |c| {
        notices::on_round_open(c, Variant::Municipal, fy(2007), Some("2027-01-15"))
    })
    .expect("open");
    let opened = kinds_for(&app, "round_opened");
    assert_eq!(opened.len(), made);
    assert!(opened.contains(&"011002".to_string()));
    assert!(!opened.contains(&"010006".to_string()));
    assert!(!opened.contains(&"MIC".to_string()));
    assert_eq!(
        with_conn(&app, |c| notices::on_round_open(
            c,
            Variant::Municipal,
            fy(2007),
            None
        ))
        .expect("again"),
        0
    );
}

#[tokio::test]
async fn a_passed_plan_target_date_is_noticed_once_to_the_organisation() {
    let app = spawn_app().await;
    open_with_deadline(&app, "2099-12-31");
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    let mut city = Browser::new(&app);
    city.login("sapporo1").await;
    // 5-1 scored 2 with a plan due 2008-03-31 (sheet_form's plan).
    let r = city
        .post(
            "/answers/011002/2007",
            &sheet_form(&app, "0", "submit", &[("5-1", "2")], &["5-1"], &[]),
        )
        .await;
    assert_eq!(r.status, 303);
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    // On the target date itself: nothing yet.
    with_conn(&app, |c| notices::daily(c, day("2008-03-31"))).expect("daily");
    assert!(kinds_for(&app, "plan_target_passed").is_empty());
    // The day after: once, to 札幌 only, and never again.
    with_conn(&app, |c| notices::daily(c, day("2008-04-01"))).expect("daily");
    with_conn(&app, |c| notices::daily(c, day("2008-04-02"))).expect("daily");
    assert_eq!(kinds_for(&app, "plan_target_passed"), vec!["011002"]);
    let text = all_notices(&app)
        .into_iter()
        .find(|(_, k, _)| k == "plan_target_passed")
        .map(|(_, _, t)| t)
        .unwrap_or_default();
    assert_eq!(
        text,
        "平成19年度（2007年度） の改善計画（小項目 5-1「規程を作り周知する」）の目標期日（2008-03-31）を過ぎましたが、完了の記録がありません"
    );
}
