//! The browser suite: one headless Chromium walks every role's main flow on
//! a spawned application, and every page it visits is checked with axe-core,
//! for horizontal overflow at desktop and 390 px widths, and for console
//! errors (see `driver.rs`). Without chromium/chromedriver the test fails
//! unless `TENKEN_SKIP_BROWSER=1` is set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

// Shared with the API suite: spawning the app and adding accounts.
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../api/test_database.rs"]
mod test_database;
#[allow(dead_code)]
#[path = "../api/wf_support.rs"]
mod wf_support;

mod driver;

use std::time::Instant;

use serde_json::Value;
use tenken::auth::Role;
use tenken::workflow::fields::{self, name};

use driver::{Browser, DESKTOP, PHONE};
use helpers::spawn_app;
use wf_support::{add_user, sheet_state, PASSWORD};

const SHEET: &str = "/answers/011002/2007";
const REVIEW: &str = "/review/011002/2007";

/// Sets every visible item of the answer form to 3 except `skip`, as a
/// clerk clicking through would, then lets app.js see one change.
async fn answer_all(b: &Browser, skip: &[&str]) {
    let skip = serde_json::to_string(skip).expect("json");
    b.js(&format!(
        "const skip = {skip};
         document.querySelectorAll('.goal:not([hidden]) fieldset.item').forEach(f => {{
           const code = f.id.replace('item-', '');
           if (skip.includes(code)) return;
           const r = f.querySelector('input[type=radio][value=\"3\"]');
           if (r && !f.querySelector('input[type=radio]:checked')) r.checked = true;
         }});
         document.getElementById('sheet-form').dispatchEvent(new Event('change', {{ bubbles: true }}));
         return null;"
    ))
    .await;
}

async fn progress(b: &Browser) -> String {
    b.text("#progress").await
}

/// Whether the goal sections of `critical_room` ("yes": goal 7, "no": goal 8)
/// are all shown.
/// Clicks an irreversible action's button: app.js asks in a `<dialog>`
/// (checked with axe while open, and naming the action); its 戻る closes it
/// without sending anything, and its OK sends the form with confirm=1.
async fn through_dialog(b: &mut Browser, button: &str, label: &str) -> String {
    let before = b.path().await;
    b.click(button).await;
    let open = b
        .js("const d = document.getElementById('confirm-dialog'); return d !== null && d.open;")
        .await;
    assert_eq!(open, Value::Bool(true), "{label}: the dialog is open");
    let text = b.text("#confirm-dialog").await;
    b.check(&format!("{label}: dialog")).await;
    b.click("#confirm-dialog-cancel").await;
    let open = b
        .js("return document.getElementById('confirm-dialog').open;")
        .await;
    assert_eq!(open, Value::Bool(false), "{label}: 戻る closes the dialog");
    assert_eq!(b.path().await, before, "{label}: nothing was sent");
    b.click(button).await;
    b.submit("#confirm-dialog-ok").await;
    text
}

/// A refused form (issue 12 point 10): the error summary's links go to
/// `fields` in order, each of them is marked invalid and names in
/// `aria-describedby` its error, which starts with 「＊」; then axe and the
/// other checks run on the page.
async fn refused_form(b: &mut Browser, label: &str, fields: &[&str]) {
    let links = b
        .js("return [...document.querySelectorAll('.problems a')].map(a => a.getAttribute('href'));")
        .await;
    let want: Vec<String> = fields.iter().map(|f| format!("#{f}")).collect();
    assert_eq!(links, serde_json::json!(want), "{label}: summary links");
    let tied = b
        .js(
            "return [...document.querySelectorAll('.problems a')].map(a => {
               const f = document.getElementById(a.getAttribute('href').slice(1));
               if (!f || f.getAttribute('aria-invalid') !== 'true') { return false; }
               const errs = (f.getAttribute('aria-describedby') || '').split(' ')
                 .filter(id => id.startsWith('err-')).map(id => document.getElementById(id));
               return errs.length > 0 && errs.every(e => !!e && e.textContent.startsWith('＊'));
             });",
        )
        .await;
    let all_true: Vec<bool> = fields.iter().map(|_| true).collect();
    assert_eq!(
        tied,
        serde_json::json!(all_true),
        "{label}: fields tied to ＊ errors"
    );
    b.check(label).await;
}

async fn goal_shown(b: &Browser, critical_room: &str) -> bool {
    b.js(&format!(
        "const g = [...document.querySelectorAll('[data-critical-room=\"{critical_room}\"]')];
         return g.length > 0 && g.every(s => !s.hidden && s.offsetHeight > 0);"
    ))
    .await
        == Value::Bool(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_walks_its_main_flow_in_chromium() {
    let Some((chromium, chromedriver)) = driver::binaries_or_skip() else {
        return;
    };
    let started = Instant::now();
    let app = spawn_app().await;
    add_user(&app, "mic1", "MIC", Role::Ministry);
    add_user(&app, "hokkaido1", "010006", Role::Prefecture);
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    let admin_id = add_user(&app, "admin1", "JLIS", Role::Admin);
    let mut b = Browser::start(&app.address, chromium, chromedriver).await;

    // A visitor: the public pages.
    for (path, label) in [
        ("/", "トップ"),
        ("/checklists/municipal", "調査票（市区町村版）"),
        (
            "/checklists/national_agency",
            "チェックリスト（国の行政機関等版）",
        ),
        ("/charts", "グラフ"),
        ("/stats/national/latest", "集計表（全国）"),
        ("/login", "ログイン"),
    ] {
        b.goto(path).await;
        b.check(label).await;
    }

    // The ministry opens FY2007 for municipalities.
    b.login("mic1", PASSWORD).await;
    b.check("ministry home").await;
    b.goto("/rounds").await;
    b.check("rounds").await;
    assert!(b
        .text("main")
        .await
        .contains("年度（例: 2007, 平成19年度, R7） 必須"));
    b.fill("#year", "平成99年度").await;
    b.fill("#priority_items", "99-9").await;
    b.submit("form[action='/rounds'] button[type=submit]").await;
    refused_form(&mut b, "refused round", &["year"]).await;
    b.fill("#year", "平成19年度").await;
    b.fill("#priority_items", "").await;
    b.submit("form[action='/rounds'] button[type=submit]").await;
    assert_eq!(b.path().await, "/rounds?done=opened");
    let rounds = b.text("table").await;
    assert!(
        rounds.contains("平成19年度（2007年度） 市区町村版 受付中"),
        "{rounds}"
    );
    b.check("rounds after opening").await;

    // The municipality answers.
    b.login("sapporo1", PASSWORD).await;
    b.check("municipality home").await;
    b.goto(SHEET).await;
    b.check("answer form").await;
    assert_eq!(
        progress(&b).await,
        "0 / 126",
        "both goals 7 and 8 before the answer"
    );
    // The scale definitions the radios point to are readable (not inside a
    // closed <details>), and the progress line is a polite live region.
    let described = b
        .js(
            "const r = document.querySelector('input[name=\"score_1-1\"][value=\"3\"]');
             return r.getAttribute('aria-describedby').split(' ').map(id => {
               const d = document.getElementById(id);
               return !!d && !d.closest('details:not([open])') && d.textContent.trim().length > 0;
             });",
        )
        .await;
    assert_eq!(
        described,
        serde_json::json!([true]),
        "scale definition of 3"
    );
    let live = b
        .js(
            "const r = document.getElementById('progress').closest('[aria-live]');
             return r ? r.getAttribute('aria-live') : null;",
        )
        .await;
    assert_eq!(live, Value::from("polite"));
    // Phones: the sticky save bar stays small.
    b.resize(PHONE).await;
    let bar = b
        .js("return document.querySelector('#sheet-form .actions').getBoundingClientRect().height;")
        .await;
    b.resize(DESKTOP).await;
    let bar = bar.as_f64().unwrap_or(f64::MAX);
    assert!(bar <= 64.0, "save bar {bar} px high at 390 px");
    // app.js: the 重要機能室 answer shows goal 7 or goal 8 at once.
    let room = |v: &str| format!("input[name={}][value={v}]", fields::HAS_CRITICAL_ROOM);
    b.click(&room("yes")).await;
    assert!(goal_shown(&b, "yes").await && !goal_shown(&b, "no").await);
    b.click(&room("no")).await;
    assert!(goal_shown(&b, "no").await && !goal_shown(&b, "yes").await);
    assert_eq!(progress(&b).await, "0 / 121", "goal 7 left out");
    // app.js: the progress line counts a click; 1 unfolds the plan.
    b.click(&format!(
        "input[name='{}'][value='1']",
        name(fields::SCORE, "5-1")
    ))
    .await;
    assert_eq!(progress(&b).await, "1 / 121");
    let plan_open = b
        .js("return document.querySelector('#item-5-1 details.plan').open;")
        .await;
    assert_eq!(plan_open, Value::Bool(true), "scoring 1 unfolds the plan");
    // app.js: typed input survives a reload in this tab and is restored.
    b.fill("#comment_1-1", "規程は来月改訂予定").await;
    // Typing is kept in the tab as it happens (app.js on "input"); wait
    // until the last key has reached it before reloading.
    let mut kept = Value::Bool(false);
    for _ in 0..100 {
        kept = b
            .js("return Object.keys(sessionStorage).some(k => (sessionStorage.getItem(k) || '').includes('規程は来月改訂予定'));")
            .await;
        if kept == Value::Bool(true) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(kept, Value::Bool(true), "typed input kept in the tab");
    b.goto(SHEET).await;
    // app.js offers the restore once the page has run its scripts: wait for it.
    let mut offered = false;
    for _ in 0..100 {
        offered = b.exists("p.notice button").await;
        if offered {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(offered, "restore offer after reload");
    b.click("p.notice button").await;
    let comment = b
        .js("return document.getElementById('comment_1-1').value;")
        .await;
    assert_eq!(comment, Value::from("規程は来月改訂予定"));
    assert_eq!(
        progress(&b).await,
        "1 / 121",
        "restored answers are counted"
    );

    // Submitting with 2-1 and 3-1 unanswered and no plan for 5-1 fails
    // and says which items.
    answer_all(&b, &["2-1", "3-1"]).await;
    assert_eq!(progress(&b).await, "119 / 121");
    let asked = through_dialog(&mut b, "button[name=action][value=submit]", "submit").await;
    assert!(
        asked.contains("「提出する」の確認") && asked.contains("回答済みの小項目: 119 / 121"),
        "{asked}"
    );
    let problems = b.text(".problems").await;
    assert!(problems.contains("2-1、3-1"), "{problems}");
    b.check("answer form with problems").await;
    // Each item's error starts with ＊ and is tied to its item.
    let tied = b
        .js(
            "return [...document.querySelectorAll('fieldset.item.has-error')].map(f => {
               const d = document.getElementById(f.getAttribute('aria-describedby') || '');
               return f.id + ' ' + (d ? d.textContent.trim().slice(0, 1) : 'none');
             });",
        )
        .await;
    assert!(
        tied.as_array().is_some_and(|a| !a.is_empty()
            && a.iter()
                .all(|t| t.as_str().is_some_and(|t| t.ends_with(" ＊")))),
        "item errors: {tied}"
    );
    assert_eq!(
        sheet_state(&app, "011002", 2007).map(|s| s.0),
        Some("draft".into())
    );

    // Completed, with the plan, it is submitted.
    answer_all(&b, &[]).await;
    assert_eq!(progress(&b).await, "121 / 121");
    b.fill("#plan_present_5-1", "規程がない").await;
    b.fill("#plan_measure_5-1", "規程を作り周知する").await;
    b.fill("#plan_person_5-1", "情報政策課長").await;
    b.js("document.getElementById('plan_target_5-1').value = '2008-03-31'; return null;")
        .await;
    through_dialog(&mut b, "button[name=action][value=submit]", "submit").await;
    assert_eq!(b.path().await, format!("{SHEET}?done=submitted"));
    assert_eq!(
        sheet_state(&app, "011002", 2007).map(|s| s.0),
        Some("submitted".into())
    );
    b.check("submitted sheet").await;

    // The prefecture returns it with advice.
    b.login("hokkaido1", PASSWORD).await;
    b.goto("/prefectures/010006/2007").await;
    b.check("prefecture list").await;
    b.goto(REVIEW).await;
    b.check("review").await;
    b.fill("#advice_5-1", "今年度中に規程を整備できませんか")
        .await;
    b.fill("#review_note", "改善計画を見直してください").await;
    b.submit("button[name=action][value=return]").await;
    assert_eq!(b.path().await, format!("{REVIEW}?done=return"));
    assert_eq!(
        sheet_state(&app, "011002", 2007).map(|s| s.0),
        Some("returned".into())
    );

    // The municipality sees the advice and submits again.
    b.login("sapporo1", PASSWORD).await;
    b.goto(SHEET).await;
    let advice = b.text("#item-5-1 .advice").await;
    assert!(
        advice.contains("今年度中に規程を整備できませんか"),
        "{advice}"
    );
    b.check("returned sheet").await;
    b.fill("#plan_target_5-1", "").await;
    b.js("document.getElementById('plan_target_5-1').value = '2007-12-31'; return null;")
        .await;
    // Without the dialog (as without JavaScript) the server asks on a page
    // of its own, carrying the form; its 提出する sends it.
    b.js("document.querySelectorAll('[data-confirm]').forEach(e => e.removeAttribute('data-confirm')); return null;")
        .await;
    b.submit("button[name=action][value=submit]").await;
    let summary = b.text("main").await;
    assert!(
        summary.contains("提出の確認") && summary.contains("121 / 121 件"),
        "{summary}"
    );
    b.check("submit confirmation page").await;
    b.submit("#confirm-button").await;
    assert_eq!(b.path().await, format!("{SHEET}?done=submitted"));
    b.goto(&format!("{SHEET}/history")).await;
    b.check("history").await;
    b.goto(&format!("{SHEET}/print")).await;
    b.check("print").await;
    b.goto("/plans/011002/2007").await;
    b.check("plans").await;

    // The prefecture accepts.
    b.login("hokkaido1", PASSWORD).await;
    b.goto(REVIEW).await;
    let asked = through_dialog(&mut b, "button[name=action][value=accept]", "accept").await;
    assert!(asked.contains("札幌市"), "{asked}");
    assert_eq!(b.path().await, format!("{REVIEW}?done=accept"));
    assert_eq!(
        sheet_state(&app, "011002", 2007).map(|s| s.0),
        Some("accepted".into())
    );
    b.check("accepted review").await;
    // Last year's plans beside the items: 函館市 with an FY2006 sheet.
    let plan = |target: &str| tenken::store::submissions::PlanFields {
        present_state: "規程がない".into(),
        measure: "規程を作る".into(),
        person_in_charge: "情報政策課".into(),
        target_date: target.into(),
    };
    wf_support::open_round(&app, tenken::checklists::Variant::Municipal, 2006);
    wf_support::save_submitted(
        &app,
        "012025",
        2006,
        &[("1-2", 1)],
        &[("1-2", plan("2007-03-31"))],
    );
    helpers::with_conn(&app, |c| {
        tenken::store::rounds::close(
            c,
            tenken::checklists::Variant::Municipal,
            wf_support::fy(2006),
        )
    })
    .expect("close 2006");
    wf_support::save_submitted(
        &app,
        "012025",
        2007,
        &[("1-2", 2)],
        &[("1-2", plan("2008-03-31"))],
    );
    b.goto("/review/012025/2007").await;
    let carried = b.text("#carried-1-2").await;
    assert!(
        carried.contains("前年度指摘への対応状況") && carried.contains("一部改善"),
        "{carried}"
    );
    b.check("review with last year's plans").await;
    b.goto("/stats/pref:010006/2007").await;
    b.check("prefecture stats").await;

    // The ministry sees the nation and closes the round.
    b.login("mic1", PASSWORD).await;
    b.goto("/national/2007").await;
    b.check("national status").await;
    b.goto("/stats/national/2007").await;
    b.check("national stats").await;
    // Phones: the wide table scrolls inside its own box, code column kept.
    b.resize(PHONE).await;
    let scroll = b
        .js(
            "const box = document.querySelector('.table-scroll:has(table.stats)');
             const code = box.querySelector('tbody th');
             return [box.scrollWidth > box.clientWidth, getComputedStyle(code).position];",
        )
        .await;
    b.resize(DESKTOP).await;
    assert_eq!(
        scroll,
        serde_json::json!([true, "sticky"]),
        "national stats at 390 px"
    );
    b.goto("/charts").await;
    b.check("charts").await;
    // Each chart has its figures as a table (its text alternative).
    let tables = b
        .js(
            "return [...document.querySelectorAll('figure.chart')].map(f =>
               f.querySelectorAll('details table.chart-data tbody tr').length);",
        )
        .await;
    assert!(
        tables
            .as_array()
            .is_some_and(|a| a.len() >= 2 && a.iter().all(|n| n.as_u64().is_some_and(|n| n > 0))),
        "rows of each chart's data table: {tables}"
    );
    // Phones: the chart controls are on screen.
    b.resize(PHONE).await;
    let off = b
        .js("return [...document.querySelectorAll('main form.inline select, main form.inline button')]
               .filter(e => e.getBoundingClientRect().right > window.innerWidth).length;")
        .await;
    b.resize(DESKTOP).await;
    assert_eq!(off, Value::from(0), "chart controls off screen at 390 px");
    b.goto("/agencies").await;
    b.check("agencies").await;
    b.fill("#code", "G0042").await;
    b.fill("#name", " ").await;
    b.submit("form[action='/agencies'] button[type=submit]")
        .await;
    refused_form(&mut b, "refused agency", &["name"]).await;
    b.goto("/rounds").await;
    let asked = through_dialog(
        &mut b,
        "form[action='/rounds/municipal/2007/close'] button",
        "close",
    )
    .await;
    assert!(asked.contains("市区町村版の点検を締め切ると"), "{asked}");
    let rounds = b.text("table").await;
    assert!(rounds.contains("締切"), "{rounds}");
    assert!(
        !b.exists("form[action='/rounds/municipal/2007/close']")
            .await,
        "closed: no close button"
    );
    b.check("rounds after closing").await;

    // The administrator's pages.
    b.login("admin1", PASSWORD).await;
    // Repeated buttons carry the account in their accessible name.
    b.goto("/admin/users").await;
    let names = b
        .js(
            "return [...document.querySelectorAll('tr[data-login=\"hokkaido1\"] button')]
               .map(x => x.getAttribute('aria-label'));",
        )
        .await;
    assert_eq!(
        names,
        serde_json::json!(["ロック解除（hokkaido1）", "パスワード再発行（hokkaido1）"])
    );
    let asked = through_dialog(
        &mut b,
        "tr[data-login=\"hokkaido1\"] button.danger",
        "reset",
    )
    .await;
    assert!(
        asked.contains("hokkaido1 のパスワードを再発行すると"),
        "{asked}"
    );
    assert!(b.exists("#generated-password").await, "reset done");
    b.check("password reset").await;
    b.goto("/admin/users").await;
    b.fill("#login", "a b").await;
    b.fill("#org", "999999").await;
    b.submit("form[action='/admin/users'] button[type=submit]")
        .await;
    refused_form(&mut b, "refused account", &["login"]).await;
    let account = b
        .js("return document.querySelector('tr[data-login=\"hokkaido1\"] a').getAttribute('href');")
        .await;
    let account = account.as_str().unwrap_or_default().to_string();
    b.goto(&account).await;
    b.js("document.getElementById('reason').value = 'other'; return null;")
        .await;
    b.submit(&format!(
        "form[action='{account}/disable'] button[type=submit]"
    ))
    .await;
    refused_form(&mut b, "refused disabling", &["note"]).await;
    for path in [
        "/admin/users".to_string(),
        "/admin/users/review".to_string(),
        format!("/admin/users/{admin_id}"),
        "/oplog".to_string(),
        "/password".to_string(),
    ] {
        b.goto(&path).await;
        b.check(&path).await;
    }

    // A refused password change: an error summary linking to each field,
    // ＊ errors tied to their fields, required fields marked.
    b.goto("/password").await;
    assert_eq!(
        b.js("return document.querySelectorAll('main form label .required').length;")
            .await,
        Value::from(3)
    );
    b.fill("#current", "wrong-password-1").await;
    b.fill("#new", "Another-Horse-77").await;
    b.fill("#confirm", "Another-Horse-78").await;
    b.submit("form[action='/password'] button[type=submit]")
        .await;
    let summary = b
        .js("return [...document.querySelectorAll('.problems a')].map(a => a.getAttribute('href') + ' ' + a.textContent);")
        .await;
    assert_eq!(
        summary,
        serde_json::json!([
            "#current ＊今のパスワードが違います",
            "#confirm ＊確認のために入力した新しいパスワードが一致しません"
        ])
    );
    let tied = b
        .js(
            "return ['current', 'confirm'].map(id => document.getElementById(
               document.getElementById(id).getAttribute('aria-describedby')).textContent);",
        )
        .await;
    assert_eq!(
        tied,
        serde_json::json!([
            "＊今のパスワードが違います",
            "＊確認のために入力した新しいパスワードが一致しません"
        ])
    );
    b.check("refused password change").await;

    let pages = b.pages_checked;
    let findings = b.close().await;
    let took = started.elapsed();
    eprintln!("browser walk: {pages} pages checked in {took:.1?}");
    assert!(
        findings.is_empty(),
        "{} problem(s) on the pages of the walk:\n{}",
        findings.len(),
        findings.join("\n")
    );
}
