//! The Digital Agency design system's form conventions (issue 12 point 10):
//! a refused form shows an error summary at the top whose links go to each
//! field, every error starts with 「＊」 and is tied to its field by
//! `aria-describedby`, required fields say 「必須」; and years are shown in
//! 和暦 with the Western year (平成19年度（2007年度）).

use tenken::auth::Role;
use tenken::checklists::Variant;

use crate::helpers::spawn_app;
use crate::wf_support::{add_user, open_round, pairs, Browser};

/// The opening tag of the element whose `id` is `id`.
fn tag_of<'a>(html: &'a str, id: &str) -> &'a str {
    let needle = format!("id=\"{id}\"");
    let at = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no element with id {id}: {html}"));
    let start = html[..at].rfind('<').unwrap_or(0);
    let end = at + html[at..].find('>').unwrap_or(0);
    &html[start..=end]
}

/// Asserts that the page's error summary links `field` with a message that
/// starts with 「＊」 and contains `says`, and that the field names that
/// message in its `aria-describedby` and is marked invalid.
fn assert_tied(html: &str, field: &str, says: &str) {
    let summary = html
        .find("class=\"problems\"")
        .map(|at| &html[at..at + html[at..].find("</div>").unwrap_or(0)])
        .unwrap_or_else(|| panic!("no error summary: {html}"));
    assert!(
        summary.contains(&format!("<a href=\"#{field}\">＊")) && summary.contains(says),
        "the summary links {field} with 「{says}」: {summary}"
    );
    let prefix = format!("<p class=\"error\" id=\"err-{field}-");
    let at = html
        .find(&prefix)
        .unwrap_or_else(|| panic!("no error message under {field}: {html}"));
    let rest = &html[at + prefix.len()..];
    let n = &rest[..rest.find('"').unwrap_or(0)];
    let message = &rest[rest.find('>').map_or(0, |i| i + 1)..rest.find("</p>").unwrap_or(0)];
    assert!(
        message.starts_with('＊') && message.contains(says),
        "the message under {field} starts with ＊ and says 「{says}」: {message}"
    );
    let control = tag_of(html, field);
    assert!(
        control.contains("aria-describedby=\"")
            && control.contains(&format!("err-{field}-{n}"))
            && control.contains("aria-invalid=\"true\""),
        "{field} is tied to err-{field}-{n}: {control}"
    );
}

fn assert_required(html: &str, field: &str) {
    let label = format!("<label for=\"{field}\">");
    let at = html
        .find(&label)
        .unwrap_or_else(|| panic!("no label for {field}: {html}"));
    let end = at + html[at..].find("</label>").unwrap_or(0);
    assert!(
        html[at..end].contains("<span class=\"required\">必須</span>"),
        "{field} is marked 必須: {}",
        &html[at..end]
    );
}

#[tokio::test]
async fn the_round_form_ties_each_error_to_its_field() {
    let app = spawn_app().await;
    add_user(&app, "mic1", "MIC", Role::Ministry);
    let mut mic = Browser::new(&app);
    mic.login("mic1").await;
    let page = mic.get("/rounds").await;
    for f in ["variant", "year"] {
        assert_required(&page.body, f);
    }
    assert!(!page.body.contains("class=\"problems\""));

    let r = mic
        .post(
            "/rounds",
            &pairs(&[("variant", ""), ("year", "平成九十九")]),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_tied(&r.body, "variant", "調査票の種類を選んでください");
    assert_tied(&r.body, "year", "年度として読めません");
    assert!(r.body.contains("（2 件）"), "{}", r.body);

    let r = mic
        .post(
            "/rounds",
            &pairs(&[
                ("variant", "municipal"),
                ("year", "2007"),
                ("deadline", "来月"),
                ("priority_items", "18-1 99-9"),
            ]),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_tied(&r.body, "deadline", "締切日「来月」は日付として読めません");
    assert_tied(&r.body, "priority_items", "99-9");
    // What was typed stays in the form.
    assert!(r.body.contains(">18-1 99-9</textarea>"), "{}", r.body);
}

#[tokio::test]
async fn the_account_forms_tie_each_error_to_its_field() {
    let app = spawn_app().await;
    add_user(&app, "admin1", "JLIS", Role::Admin);
    let target = add_user(&app, "sapporo1", "011002", Role::Municipality);
    let mut admin = Browser::new(&app);
    admin.login("admin1").await;
    let page = admin.get("/admin/users").await;
    for f in ["login", "org", "role"] {
        assert_required(&page.body, f);
    }

    let add = |login: &'static str, org: &'static str, role: &'static str| {
        pairs(&[("login", login), ("org", org), ("role", role)])
    };
    let r = admin
        .post("/admin/users", &add("a b", "011002", "municipality"))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_tied(&r.body, "login", "ログインID「a b」は使えません");
    let r = admin
        .post("/admin/users", &add("newone", "999999", "municipality"))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_tied(&r.body, "org", "999999");
    let r = admin
        .post("/admin/users", &add("newone", "011002", ""))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_tied(&r.body, "role", "役割を選んでください");
    let r = admin
        .post("/admin/users", &add("SAPPORO1", "011002", "municipality"))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_tied(&r.body, "login", "既に使われています");

    let page = admin.get(&format!("/admin/users/{target}")).await;
    assert_required(&page.body, "reason");
    let disable = format!("/admin/users/{target}/disable");
    let r = admin
        .post(&disable, &pairs(&[("reason", ""), ("note", "")]))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_tied(&r.body, "reason", "無効にする理由を選んでください");
    let r = admin
        .post(&disable, &pairs(&[("reason", "other"), ("note", " ")]))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_tied(&r.body, "note", "補足を書いてください");
    let r = admin
        .post(
            &format!("/admin/users/{target}/email"),
            &pairs(&[("email", "not-an-address")]),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_tied(
        &r.body,
        "email",
        "メールアドレス「not-an-address」が正しくありません",
    );
    let r = admin
        .post(
            &format!("/admin/users/{target}/valid-until"),
            &pairs(&[("valid_until", "いつか")]),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_tied(&r.body, "valid_until", "いつか");
}

#[tokio::test]
async fn the_agency_form_ties_each_error_to_its_field() {
    let app = spawn_app().await;
    add_user(&app, "mic1", "MIC", Role::Ministry);
    let mut mic = Browser::new(&app);
    mic.login("mic1").await;
    let page = mic.get("/agencies").await;
    for f in ["code", "name"] {
        assert_required(&page.body, f);
    }
    let r = mic
        .post("/agencies", &pairs(&[("code", "X12"), ("name", "デモ庁")]))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_tied(&r.body, "code", "X12");
    let r = mic
        .post("/agencies", &pairs(&[("code", "G0042"), ("name", " ")]))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_tied(&r.body, "name", "機関名が空です");
    let r = mic
        .post(
            "/agencies",
            &pairs(&[("code", "G0042"), ("name", "デモ庁")]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = mic
        .post(
            "/agencies",
            &pairs(&[("code", "G0042"), ("name", "別の庁")]),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_tied(&r.body, "code", "コード G0042 は既に使われています");
}

#[tokio::test]
async fn the_log_search_ties_its_dates_to_their_fields() {
    let app = spawn_app().await;
    add_user(&app, "admin1", "JLIS", Role::Admin);
    let mut admin = Browser::new(&app);
    admin.login("admin1").await;
    let r = admin.get("/oplog?from=2026-12-05&to=someday").await;
    assert_eq!(r.status, 400);
    assert_tied(&r.body, "f-to", "終了日「someday」は日付として読めません");
    let r = admin.get("/oplog?from=2026-12-05&to=2026-12-01").await;
    assert_tied(
        &r.body,
        "f-from",
        "開始日（2026-12-05）が終了日（2026-12-01）より後",
    );
}

#[tokio::test]
async fn years_are_shown_in_wareki_with_the_western_year() {
    let app = spawn_app().await;
    add_user(&app, "mic1", "MIC", Role::Ministry);
    open_round(&app, Variant::Municipal, 2007);
    let mut mic = Browser::new(&app);
    mic.login("mic1").await;
    for path in [
        "/rounds",
        "/national/2007",
        "/stats/national/2007",
        "/charts?year=2007",
    ] {
        let r = mic.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert!(
            r.body.contains("平成19年度（2007年度）"),
            "{path} shows 平成19年度（2007年度）: {}",
            r.body
        );
        let old = format!("平成19年度 ({})", 2007);
        assert!(!r.body.contains(&old), "{path}: the old form");
    }
}
