//! After submission: the prefecture's follow-up of improvement plans, the
//! printable sheet; and the ministry's and administrators' own pages.

use diesel::prelude::*;
use tenken::auth::Role;
use tenken::checklists::Variant;
use tenken::db::schema::{improvement_plans as ip, users as u};

use crate::helpers::{spawn_app, with_conn};
use crate::wf_support::{add_user, input_value, log, open_round, pairs, sheet_form, Browser};
use crate::workflow_walk::row_of;

/// A plan's follow-up as stored: item, progress, started, completed, note.
type FollowUp = (String, String, Option<String>, Option<String>, String);

#[tokio::test]
async fn the_prefecture_follows_up_plans_and_the_sheet_prints() {
    let app = spawn_app().await;
    open_round(&app, Variant::Municipal, 2007);
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    add_user(&app, "hokkaido1", "010006", Role::Prefecture);
    let mut city = Browser::new(&app);
    city.login("sapporo1").await;
    let scores = [("1-1", "1"), ("5-1", "2")];
    let r = city
        .post(
            "/answers/011002/2007",
            &sheet_form(&app, "0", "submit", &scores, &["1-1", "5-1"], &[]),
        )
        .await;
    assert_eq!(r.status, 303);

    // Printable sheet: every applicable item with its answer and plan.
    let print = city.get("/answers/011002/2007/print").await;
    assert_eq!(print.status, 200);
    assert_eq!(print.body.matches("<td class=\"score\">").count(), 121);
    assert_eq!(
        print
            .body
            .matches("<td class=\"score\">3 運用している</td>")
            .count(),
        119
    );
    assert!(print.body.contains("［改善計画］現状: 規程がない／改善策: 規程を作り周知する／担当: 情報政策課長／期日: 2008-03-31"));
    assert!(log(&app)
        .iter()
        .any(|(l, a, t)| l == "sapporo1" && a == "answers_print" && t == "011002"));

    let mut pref = Browser::new(&app);
    pref.login("hokkaido1").await;
    let page = pref.get("/plans/011002/2007").await;
    assert_eq!(
        page.body
            .matches("<fieldset class=\"item\" id=\"plan-")
            .count(),
        2
    );
    let r = pref
        .post(
            "/plans/011002/2007",
            &pairs(&[
                ("progress_1-1", "in_progress"),
                ("progress_5-1", "done"),
                ("completed_5-1", "2008-3-1"),
            ]),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r
        .body
        .contains("小項目 1-1 を「実施中」にするには着手日を書いてください"));
    let r = pref
        .post(
            "/plans/011002/2007",
            &pairs(&[
                ("progress_1-1", "in_progress"),
                ("started_1-1", "2007-11-01"),
                ("pnote_1-1", "規程案を作成中"),
                ("progress_5-1", "done"),
                ("started_5-1", "2007-10-15"),
                ("completed_5-1", "2008/02/29"),
            ]),
        )
        .await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/plans/011002/2007?done=progress")
    );
    let stored: Vec<FollowUp> = with_conn(&app, |c| {
        ip::table
            .order(ip::item_code)
            .select((
                ip::item_code,
                ip::progress,
                ip::started_on,
                ip::completed_on,
                ip::progress_note,
            ))
            .load(c)
            .expect("plans")
    });
    assert_eq!(
        stored,
        vec![
            (
                "1-1".into(),
                "in_progress".into(),
                Some("2007-11-01".into()),
                None,
                "規程案を作成中".into()
            ),
            (
                "5-1".into(),
                "done".into(),
                Some("2007-10-15".into()),
                Some("2008-02-29".into()),
                String::new()
            ),
        ]
    );
    // The municipality reads it, without inputs.
    let mine = city.get("/plans/011002/2007").await.body;
    let row = row_of(&mine, "plan-5-1");
    assert!(
        row.contains("進捗: <strong>完了</strong>（着手 2007-10-15）（完了 2008-02-29）"),
        "{row}"
    );
    assert!(!mine.contains("name=\"progress_"));
    assert_eq!(city.post("/plans/011002/2007", &[]).await.status, 403);
    assert!(log(&app)
        .iter()
        .any(|(l, a, t)| l == "hokkaido1" && a == "plan_progress" && t == "011002"));
}

#[tokio::test]
async fn administrators_manage_accounts_and_the_ministry_agencies_and_rounds() {
    let app = spawn_app().await;
    add_user(&app, "admin1", "JLIS", Role::Admin);
    add_user(&app, "mic1", "MIC", Role::Ministry);
    let locked = add_user(&app, "locked1", "011002", Role::Municipality);
    with_conn(&app, |c| {
        diesel::update(u::table.find(locked))
            .set((
                u::locked_until.eq("2999-01-01T00:00:00Z"),
                u::failed_attempts.eq(0),
            ))
            .execute(c)
            .expect("lock")
    });
    let mut admin = Browser::new(&app);
    admin.login("admin1").await;
    let users = admin.get("/admin/users").await.body;
    assert!(
        users.contains("ロック中（2999-01-01 09:00 まで）"),
        "in Japan time"
    );
    let r = admin
        .post(&format!("/admin/users/{locked}/unlock"), &[])
        .await;
    assert_eq!(r.status, 303);
    assert!(!admin.get("/admin/users").await.body.contains("ロック中"));

    let r = admin
        .post(
            "/admin/users",
            &pairs(&[
                ("login", "pref9"),
                ("org", "011002"),
                ("role", "prefecture"),
            ]),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains(
        "都道府県職員のアカウントは都道府県に属する必要があります（011002 札幌市 は市区町村です）"
    ));
    let r = admin
        .post(
            "/admin/users",
            &pairs(&[
                ("login", "newbie"),
                ("org", "011002"),
                ("role", "municipality"),
            ]),
        )
        .await;
    assert_eq!(r.status, 200);
    let start = r
        .body
        .find("<code id=\"generated-password\">")
        .expect("password shown")
        + 30;
    let generated = r.body[start..].split('<').next().unwrap_or("").to_string();
    assert_eq!(generated.chars().count(), 16);
    let mut newbie = Browser::new(&app);
    assert_eq!(
        newbie.login_with("newbie", &generated).await.location,
        "/password"
    );
    assert!(log(&app)
        .iter()
        .any(|(l, a, t)| l == "admin1" && a == "user_add" && t == "011002"));

    let mut mic = Browser::new(&app);
    mic.login("mic1").await;
    let r = mic
        .post("/agencies", &pairs(&[("code", "X1"), ("name", "誤り")]))
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("組織コード「X1」は読めません"),
        "{}",
        r.body
    );
    let r = mic
        .post(
            "/agencies",
            &pairs(&[("code", "G0002"), ("name", "警察庁")]),
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(mic
        .get("/agencies")
        .await
        .body
        .contains("<td>G0002</td><td>警察庁</td>"));
    let r = mic
        .post(
            "/agencies",
            &pairs(&[("code", "G0002"), ("name", "警察庁")]),
        )
        .await;
    assert!(r.body.contains("コード G0002 は既に使われています"));

    let r = mic
        .post(
            "/rounds",
            &pairs(&[
                ("variant", "national_agency"),
                ("year", "R7"),
                ("deadline", "2025-13-01"),
                ("priority_items", "1-1、99-9"),
            ]),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r
        .body
        .contains("締切日「2025-13-01」は日付として読めません"));
    assert!(r
        .body
        .contains("重要点検項目のうち 99-9 は 令和7年度（2025年度） の小項目にありません"));
    assert_eq!(
        input_value(&r.body, "year").as_deref(),
        Some("R7"),
        "the typed form comes back"
    );
    let r = mic
        .post(
            "/rounds",
            &pairs(&[
                ("variant", "national_agency"),
                ("year", "R7"),
                ("deadline", "2025-12-01"),
                ("priority_items", "1-1 2-1"),
            ]),
        )
        .await;
    assert_eq!(r.status, 303);
    let rounds = mic.get("/rounds").await.body;
    assert!(rounds.contains(
        "<td>令和7年度（2025年度）</td><td>国の行政機関等版</td><td>受付中</td><td>2025-12-01</td>"
    ));
    assert!(rounds.contains("<td>1-1 2-1</td>"));
    // The agency sees the round's own priority items.
    add_user(&app, "police1", "G0002", Role::Agency);
    let mut agency = Browser::new(&app);
    agency.login("police1").await;
    let sheet = agency.get("/answers/G0002/2025").await.body;
    assert_eq!(sheet.matches("aria-label=\"重要点検項目\"").count(), 2);
    assert!(sheet.contains("国の行政機関等版"));
}
