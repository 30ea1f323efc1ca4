//! The rules around a sheet: two people saving the same form conflict
//! instead of overwriting; a closed round refuses changes; the operation log
//! cannot be edited even in the database; the demo and the account command.

use diesel::prelude::*;
use tenken::auth::{Actor, Role};
use tenken::checklists::Variant;
use tenken::db::schema::{operation_log as l, submissions as s, users as u};
use tenken::error::AppError;
use tenken::store::organisations;
use tenken::workflow::{ops, Entries};

use crate::helpers::{fresh_database, is_postgres, spawn_app, with_conn, with_owner_conn};
use crate::wf_support::{
    add_user, answers_of, fingerprint, fy, input_value, log, open_round, pairs, sheet_form,
    sheet_state, Browser,
};
use crate::workflow_walk::row_of;

const SHEET: &str = "/answers/011002/2007";

#[tokio::test]
async fn the_later_of_two_saves_gets_a_conflict_page_and_keeps_its_input() {
    let app = spawn_app().await;
    open_round(&app, Variant::Municipal, 2007);
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    add_user(&app, "sapporo2", "011002", Role::Municipality);
    let mut one = Browser::new(&app);
    one.login("sapporo1").await;
    let mut two = Browser::new(&app);
    two.login("sapporo2").await;
    assert_eq!(
        input_value(&one.get(SHEET).await.body, "version").as_deref(),
        Some("0")
    );
    assert_eq!(
        input_value(&two.get(SHEET).await.body, "version").as_deref(),
        Some("0")
    );

    let mut first = pairs(&[
        ("version", "0"),
        ("action", "save"),
        ("has_critical_room", "no"),
    ]);
    first.extend(pairs(&[
        ("score_1-1", "3"),
        ("comment_1-1", "規程あり"),
        ("comment_1-3", "評価はまだ。メモだけ"),
    ]));
    assert_eq!(one.post(SHEET, &first).await.status, 303);
    // A comment typed on an item not yet scored is kept too.
    let page = one.get(SHEET).await.body;
    assert!(row_of(&page, "item-1-3").contains(">評価はまだ。メモだけ</textarea>"));
    assert_eq!(
        answers_of(&app, "011002", 2007),
        vec![("1-1".to_string(), 3)]
    );

    let mut second = pairs(&[
        ("version", "0"),
        ("action", "save"),
        ("has_critical_room", "no"),
    ]);
    second.extend(pairs(&[
        ("score_1-1", "1"),
        ("comment_1-1", "規程なし"),
        ("score_1-2", "2"),
    ]));
    let r = two.post(SHEET, &second).await;
    assert_eq!(r.status, 409);
    assert!(r
        .body
        .contains("他の職員がこの回答を保存しました。あなたの入力はまだ保存されていません。"));
    assert!(r.body.contains("最後に保存した人: sapporo1"));
    assert!(r.body.contains(
        "<tr class=\"diff\"><th scope=\"row\">1-1</th><td>評価</td><td class=\"theirs\">3 運用している</td><td class=\"yours\">1 整備していない</td></tr>"
    ), "{}", r.body);
    assert!(r.body.contains(
        "<td>コメント</td><td class=\"theirs\">規程あり</td><td class=\"yours\">規程なし</td>"
    ));
    assert!(r.body.contains(
        "<td>評価</td><td class=\"theirs\">（未回答）</td><td class=\"yours\">2 整備している</td>"
    ));
    assert!(r.body.contains(
        "<td>コメント</td><td class=\"theirs\">評価はまだ。メモだけ</td><td class=\"yours\"></td>"
    ));
    assert!(r.body.contains("違い（4 件）"));
    // The form comes back with what was typed, at the current version.
    assert_eq!(input_value(&r.body, "version").as_deref(), Some("1"));
    let item = row_of(&r.body, "item-1-1");
    assert!(
        item.contains("value=\"1\" aria-describedby=\"scale-def-1\" checked"),
        "{item}"
    );
    assert!(item.contains(">規程なし</textarea>"));
    // Nothing of the second save was written.
    assert_eq!(
        answers_of(&app, "011002", 2007),
        vec![("1-1".to_string(), 3)]
    );
    assert_eq!(sheet_state(&app, "011002", 2007), Some(("draft".into(), 1)));

    // Saving again from the conflict page is a deliberate overwrite.
    second[0].1 = "1".into();
    assert_eq!(two.post(SHEET, &second).await.status, 303);
    assert_eq!(
        answers_of(&app, "011002", 2007),
        vec![("1-1".to_string(), 1), ("1-2".to_string(), 2)]
    );

    // Truly at once: exactly one of two saves from version 2 wins.
    let mut a = pairs(&[
        ("version", "2"),
        ("action", "save"),
        ("has_critical_room", "no"),
        ("score_2-1", "3"),
    ]);
    let mut b = a.clone();
    b[3].1 = "2".into();
    a.push(("comment_2-1".into(), "一人目".into()));
    b.push(("comment_2-1".into(), "二人目".into()));
    let (ra, rb) = tokio::join!(one.post(SHEET, &a), two.post(SHEET, &b));
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(statuses, [303, 409]);
    let winner = if ra.status == 303 { 3 } else { 2 };
    let answers = answers_of(&app, "011002", 2007);
    assert!(
        answers.contains(&("2-1".to_string(), winner)),
        "{answers:?}"
    );
    assert_eq!(sheet_state(&app, "011002", 2007), Some(("draft".into(), 3)));
    let saves = log(&app)
        .iter()
        .filter(|(_, a, _)| a == "answers_save")
        .count();
    assert_eq!(saves, 3, "the refused saves are not logged as changes");
}

#[tokio::test]
async fn a_closed_round_refuses_changes() {
    let app = spawn_app().await;
    add_user(&app, "mic1", "MIC", Role::Ministry);
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    add_user(&app, "hakodate1", "012025", Role::Municipality);
    add_user(&app, "hokkaido1", "010006", Role::Prefecture);
    open_round(&app, Variant::Municipal, 2007);
    let mut city = Browser::new(&app);
    city.login("sapporo1").await;
    assert_eq!(
        city.post(SHEET, &sheet_form(&app, "0", "save", &[], &[], &["1-1"]))
            .await
            .status,
        303
    );
    let mut other = Browser::new(&app);
    other.login("hakodate1").await;
    let r = other
        .post(
            "/answers/012025/2007",
            &sheet_form(&app, "0", "submit", &[], &[], &[]),
        )
        .await;
    assert_eq!(r.status, 303);

    let mut mic = Browser::new(&app);
    mic.login("mic1").await;
    let r = mic
        .post("/rounds/municipal/2007/close", &pairs(&[("confirm", "1")]))
        .await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/rounds?done=closed")
    );
    assert!(mic
        .get("/rounds")
        .await
        .body
        .contains("<td>市区町村版</td><td>締切済（"));
    let r = mic
        .post("/rounds/municipal/2007/close", &pairs(&[("confirm", "1")]))
        .await;
    assert_eq!(r.status, 409, "already closed");

    // The form is read-only, and a save is refused with what was typed kept.
    let page = city.get(SHEET).await.body;
    assert!(
        page.contains("締切済（締切") || page.contains("<dd>締切済"),
        "round label"
    );
    assert!(!page.contains("name=\"score_"));
    let before = fingerprint(&app);
    let r = city
        .post(
            SHEET,
            &sheet_form(&app, "1", "save", &[("1-1", "2")], &[], &[]),
        )
        .await;
    assert_eq!(r.status, 409);
    assert!(r
        .body
        .contains("平成19年度（2007年度） の点検は受付を締め切ったため、保存できませんでした。"));
    assert!(r
        .body
        .contains("<td class=\"theirs\">（未回答）</td><td class=\"yours\">2 整備している</td>"));
    assert_eq!(fingerprint(&app), before);

    // Below the pages, the workflow itself refuses it too.
    let refused = with_conn(&app, |c| {
        let org = organisations::find(c, "011002").expect("q").expect("org");
        let list = app.state.catalog.checklist(Variant::Municipal);
        let entries = Entries::default();
        let posting = ops::Posting {
            version: 1,
            entries: &entries,
            submit: false,
        };
        ops::save(c, &Actor::default(), &org, fy(2007), list, posting)
    });
    match refused {
        Err(AppError::Conflict(m)) => assert_eq!(
            m,
            "平成19年度（2007年度） の点検は受付を締め切ったため、変更できません"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(fingerprint(&app), before);

    // A submitted sheet cannot be returned once closed (nobody could fix it),
    // but it can still be accepted.
    let mut pref = Browser::new(&app);
    pref.login("hokkaido1").await;
    let r = pref
        .post(
            "/review/012025/2007",
            &pairs(&[
                ("version", "1"),
                ("action", "return"),
                ("advice_1-1", "直してください"),
            ]),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(
        crate::helpers::error_message(&r.body),
        "平成19年度（2007年度） の点検は受付を締め切ったため、変更できません"
    );
    assert_eq!(fingerprint(&app), before);
    let r = pref
        .post(
            "/review/012025/2007",
            &pairs(&[("version", "1"), ("action", "accept"), ("confirm", "1")]),
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        sheet_state(&app, "012025", 2007),
        Some(("accepted".into(), 2))
    );

    // Reopening lets the municipality continue.
    let r = mic
        .post(
            "/rounds",
            &pairs(&[
                ("variant", "municipal"),
                ("year", "2007"),
                ("deadline", "2007-11-30"),
            ]),
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        city.post(
            SHEET,
            &sheet_form(&app, "1", "save", &[("1-1", "2")], &[], &[])
        )
        .await
        .status,
        303
    );
}

#[tokio::test]
async fn the_operation_log_is_append_only_and_searchable() {
    let app = spawn_app().await;
    add_user(&app, "mic1", "MIC", Role::Ministry);
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    add_user(&app, "admin1", "JLIS", Role::Admin);
    let mut city = Browser::new(&app);
    city.login("sapporo1").await;
    assert_eq!(
        Browser::new(&app)
            .login_with("sapporo1", "Wrong-password-1")
            .await
            .status,
        401
    );
    let entries = log(&app);
    assert_eq!(entries.len(), 2);

    let update = with_conn(&app, |c| {
        diesel::update(l::table)
            .set(l::login.eq("someone-else"))
            .execute(c)
    });
    assert!(update.is_err(), "UPDATE refused");
    // The trigger refuses even the table's owner (the application role on
    // PostgreSQL is refused earlier, by its rights).
    let delete = with_owner_conn(&app, |c| diesel::delete(l::table).execute(c));
    let message = delete.expect_err("DELETE refused").to_string();
    assert!(
        message.contains("operation_log is append-only"),
        "{message}"
    );
    if is_postgres() {
        let truncate = with_conn(&app, |c| {
            diesel::sql_query("TRUNCATE operation_log").execute(c)
        });
        assert!(truncate.is_err(), "TRUNCATE refused");
    }
    assert_eq!(log(&app), entries);

    // Who, which organisation, what, when, from where.
    let row: (String, String, String, String, String) = with_conn(&app, |c| {
        l::table
            .order(l::id)
            .select((l::login, l::actor_org, l::action, l::at, l::address))
            .first(c)
            .expect("row")
    });
    assert_eq!(
        (row.0.as_str(), row.1.as_str(), row.2.as_str()),
        ("sapporo1", "011002", "login")
    );
    assert!(row.3.ends_with('Z') && row.3.len() == 20, "{}", row.3);
    assert_eq!(row.4, "127.0.0.1");

    for who in ["mic1", "admin1"] {
        let mut b = Browser::new(&app);
        b.login(who).await;
        let page = b.get("/oplog?login=sapporo1").await;
        assert_eq!(page.status, 200);
        assert_eq!(page.body.matches("<tr data-action=").count(), 2, "{who}");
        assert!(page.body.contains("<tr data-action=\"login_failed\"><td>"));
        let failed = b.get("/oplog?action=login_failed&org=011002").await.body;
        assert_eq!(failed.matches("<tr data-action=").count(), 1);
        let bad = b.get("/oplog?from=yesterday").await;
        assert_eq!(bad.status, 400);
        assert!(bad
            .body
            .contains("開始日「yesterday」は日付として読めません"));
    }
    assert_eq!(city.get("/oplog").await.status, 403);
}

#[tokio::test]
async fn the_demo_fills_every_state_once() {
    let app = spawn_app().await;
    let first = with_conn(&app, |c| tenken::demo::prepare(c, &app.state.catalog)).expect("demo");
    assert_eq!(
        first.sheets_filled, 26,
        "8 Hokkaido sheets of two years, 9 elsewhere, 1 agency"
    );
    assert_eq!(first.accounts.len(), 5);
    let counts = |app: &crate::helpers::TestApp| -> (i64, i64, usize) {
        with_conn(app, |c| {
            let users: i64 = u::table.count().get_result(c).expect("users");
            let subs: i64 = s::table.count().get_result(c).expect("subs");
            (users, subs, fingerprint(app).len())
        })
    };
    let before = counts(&app);
    let again =
        with_conn(&app, |c| tenken::demo::prepare(c, &app.state.catalog)).expect("demo again");
    assert_eq!(again.sheets_filled, 0);
    assert_eq!(counts(&app), before, "nothing duplicated");
    assert_eq!(before.0, 5);

    let mut pref = Browser::new(&app);
    pref.login_with("demo-hokkaido", tenken::demo::DEMO_PASSWORD)
        .await;
    let list = pref.get("/prefectures/010006/2007").await.body;
    for (status, n) in [
        ("not_started", 171),
        ("draft", 3),
        ("submitted", 2),
        ("returned", 1),
        ("accepted", 2),
    ] {
        assert!(
            list.contains(&format!("data-status=\"{status}\">{n}<")),
            "{status} {n}"
        );
    }
    let mut city = Browser::new(&app);
    let r = city
        .login_with("demo-sapporo", tenken::demo::DEMO_PASSWORD)
        .await;
    assert_eq!(r.location, "/home");
    let sheet = city.get(SHEET).await.body;
    assert!(
        sheet.contains("前年度（平成18年度（2006年度））: "),
        "last year's answers beside"
    );
}

#[test]
fn user_add_takes_the_password_from_stdin_or_prints_a_generated_one() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("dir");
    let database = fresh_database(&dir);
    let url = database.url.clone();
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tenken"))
            .args(["--database-url", &url, "user", "add"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run tenken");
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write");
        }
        drop(child.stdin.take());
        let out = child.wait_with_output().expect("wait");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (ok, out, _) = run(
        &[
            "--login",
            "sapporo1",
            "--org",
            "011002",
            "--role",
            "municipality",
        ],
        Some("Correct-Horse-42\n"),
    );
    assert!(ok);
    assert_eq!(out, "user sapporo1 (municipality, 011002) added\n");
    let (ok, out, _) = run(
        &["--login", "mic1", "--org", "MIC", "--role", "ministry"],
        None,
    );
    assert!(ok);
    let pw = out
        .lines()
        .find_map(|l| l.strip_prefix("password (shown once; must be changed at first login): "))
        .expect("generated password printed");
    assert_eq!(pw.chars().count(), 16);
    let (ok, _, err) = run(
        &[
            "--login",
            "x1y",
            "--org",
            "011002",
            "--role",
            "municipality",
        ],
        Some("short\n"),
    );
    assert!(!ok);
    assert!(
        err.contains("パスワードは12文字以上にしてください（今は5文字）"),
        "{err}"
    );
    let (ok, _, err) = run(
        &["--login", "p1x", "--org", "011002", "--role", "prefecture"],
        None,
    );
    assert!(!ok);
    assert!(
        err.contains("都道府県職員のアカウントは都道府県に属する必要があります"),
        "{err}"
    );
    let (ok, _, err) = run(
        &[
            "--login",
            "sapporo1",
            "--org",
            "011002",
            "--role",
            "municipality",
        ],
        None,
    );
    assert!(!ok);
    assert!(
        err.contains("ログインID「sapporo1」は既に使われています"),
        "{err}"
    );
}
