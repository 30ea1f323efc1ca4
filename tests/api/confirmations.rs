//! Irreversible actions ask first (issue 12, point 5): 提出する, 確認済にする,
//! 締め切る and パスワード再発行 posted without `confirm=1` change nothing and
//! answer a confirmation page in the layout that says what will happen (with
//! the typed form carried in hidden fields); with `confirm=1` they happen.

use std::collections::BTreeMap;

use tenken::auth::Role;
use tenken::checklists::Variant;

use crate::helpers::spawn_app;
use crate::wf_support::{
    add_user, fingerprint, fy, input_value, open_round, pairs, sheet_form, sheet_state, Browser,
};

const SHEET: &str = "/answers/011002/2007";

/// Text as typed, from tera's escaping.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

/// The hidden fields of the confirmation form, unescaped, in page order.
fn hidden_fields(page: &str) -> Vec<(String, String)> {
    let start = page
        .find("class=\"confirm-form\"")
        .expect("confirmation form");
    let end = start + page[start..].find("</form>").expect("end of form");
    page[start..end]
        .split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|rest| {
            let (name, rest) = rest.split_once("\" value=\"").expect("value");
            let (value, _) = rest.split_once("\">").expect("end of input");
            (unescape(name), unescape(value))
        })
        .filter(|(k, _)| k != "csrf_token")
        .collect()
}

/// The value shown for `label` in the facts of a confirmation page.
fn fact(page: &str, label: &str) -> String {
    let key = format!("<dt>{label}</dt><dd>");
    let at = page.find(&key).unwrap_or_else(|| panic!("{label}: {page}")) + key.len();
    unescape(page[at..].split("</dd>").next().unwrap_or(""))
}

fn without_confirm(mut form: Vec<(String, String)>) -> Vec<(String, String)> {
    form.retain(|(k, _)| k != "confirm");
    form
}

#[tokio::test]
async fn submit_asks_first_with_the_sheet_summary_and_keeps_what_was_typed() {
    let app = spawn_app().await;
    open_round(&app, Variant::Municipal, 2007);
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    let mut city = Browser::new(&app);
    city.login("sapporo1").await;

    // The form's 提出する is outlined in red and asks in a dialog with JS.
    let page = city.get(SHEET).await.body;
    assert!(page.contains(
        "value=\"submit\" class=\"danger\" aria-describedby=\"actions-hint\" data-confirm=\"提出すると"
    ));

    let conds = BTreeMap::from([("has_critical_room".to_string(), false)]);
    let applicable = app
        .state
        .catalog
        .checklist(Variant::Municipal)
        .applicable_items(fy(2007), &conds)
        .len();
    assert_eq!(applicable, 121, "the 2007 sheet without a 重要機能室");
    let mut form = without_confirm(sheet_form(
        &app,
        "0",
        "submit",
        &[("1-1", "2"), ("1-3", "1"), ("2-1", "0")],
        &["1-1", "1-3"],
        &[],
    ));
    // Text that must come back intact through the hidden fields.
    form.retain(|(k, _)| k != "comment_2-1");
    form.push((
        "comment_2-1".into(),
        "窓口が\"ない\" & <端末>/なし\n2行目".into(),
    ));

    let before = fingerprint(&app);
    let r = city.post(SHEET, &form).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(fingerprint(&app), before, "nothing saved before confirming");
    assert!(r.body.contains("<h1>提出の確認</h1>"));
    assert!(r.body.contains("<html lang=\"ja\">") && r.body.contains("ログアウト"));
    assert_eq!(fact(&r.body, "団体"), "札幌市");
    assert_eq!(
        fact(&r.body, "回答済みの小項目"),
        format!("{applicable} / {applicable} 件")
    );
    assert_eq!(fact(&r.body, "評価 3"), format!("{} 件", applicable - 3));
    assert_eq!(fact(&r.body, "評価 2"), "1 件");
    assert_eq!(fact(&r.body, "評価 1"), "1 件");
    assert_eq!(fact(&r.body, "該当しない（0）"), "1 件");
    assert_eq!(
        fact(&r.body, "改善計画書"),
        "評価1・2の 2 件のうち 2 件に記入済み"
    );
    assert!(r
        .body
        .contains("提出すると、都道府県が差し戻すまで回答は読み取り専用になり、変更できません。"));
    assert!(r
        .body
        .contains("<button type=\"submit\" name=\"confirm\" value=\"1\" class=\"danger\" id=\"confirm-button\">提出する</button>"));
    let carried = hidden_fields(&r.body);
    let mut expected = form.clone();
    expected.sort();
    let mut got = carried.clone();
    got.sort();
    assert_eq!(got, expected, "every typed field is carried as typed");

    // 戻る: the form again with what was typed, still nothing saved.
    let mut back = carried.clone();
    back.push(("back".into(), "1".into()));
    let r = city.post(SHEET, &back).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(fingerprint(&app), before);
    assert!(r.body.contains("まだ提出していません。"));
    assert!(r
        .body
        .contains("窓口が&quot;ない&quot; &amp; &lt;端末&gt;&#x2F;なし\n2行目</textarea>"));
    assert_eq!(input_value(&r.body, "version").as_deref(), Some("0"));

    // 提出する on the confirmation page: the carried form with confirm=1.
    let mut yes = carried;
    yes.push(("confirm".into(), "1".into()));
    let r = city.post(SHEET, &yes).await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/answers/011002/2007?done=submitted"),
        "{}",
        r.body
    );
    assert_eq!(
        sheet_state(&app, "011002", 2007),
        Some(("submitted".into(), 1))
    );
    let page = city.get(SHEET).await.body;
    assert!(page.contains("窓口が&quot;ない&quot; &amp; &lt;端末&gt;&#x2F;なし\n2行目"));

    // An incomplete sheet is not asked about: it is saved as a draft and its
    // problems are listed, as before.
    add_user(&app, "hakodate1", "012025", Role::Municipality);
    let mut other = Browser::new(&app);
    other.login("hakodate1").await;
    let r = other
        .post(
            "/answers/012025/2007",
            &without_confirm(sheet_form(&app, "0", "submit", &[], &[], &["1-1"])),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(!r.body.contains("提出の確認"));
}

#[tokio::test]
async fn accept_asks_first_naming_the_organisation() {
    let app = spawn_app().await;
    open_round(&app, Variant::Municipal, 2007);
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    add_user(&app, "hokkaido1", "010006", Role::Prefecture);
    let mut city = Browser::new(&app);
    city.login("sapporo1").await;
    let r = city
        .post(SHEET, &sheet_form(&app, "0", "submit", &[], &[], &[]))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let mut pref = Browser::new(&app);
    pref.login("hokkaido1").await;
    let page = pref.get("/review/011002/2007").await.body;
    assert!(page.contains("value=\"accept\" class=\"danger\" data-confirm=\"札幌市 の 平成19年度"));

    let form = pairs(&[
        ("version", "1"),
        ("action", "accept"),
        ("review_note", "よくできています"),
        ("advice_1-2", "来年度は訓練の記録も"),
    ]);
    let before = fingerprint(&app);
    let r = pref.post("/review/011002/2007", &form).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        fingerprint(&app),
        before,
        "nothing changes before confirming"
    );
    assert!(r.body.contains("<h1>確認済にする前の確認</h1>"));
    assert_eq!(fact(&r.body, "団体"), "札幌市");
    assert_eq!(fact(&r.body, "年度"), "平成19年度（2007年度）");
    assert_eq!(fact(&r.body, "回答の状況"), "提出済");
    assert_eq!(fact(&r.body, "小項目への助言"), "1 件");
    assert_eq!(fact(&r.body, "全体への所見"), "あり");
    assert!(r.body.contains(
        "確認済にすると、札幌市 の 平成19年度（2007年度） の回答は確定し、差し戻すことも助言を変えることもできなくなります。"
    ));
    let mut carried = hidden_fields(&r.body);
    let mut sorted = carried.clone();
    sorted.sort();
    let mut expected = form.clone();
    expected.sort();
    assert_eq!(sorted, expected);

    // 戻る shows the review form with the typed advice, unsaved.
    let mut back = carried.clone();
    back.push(("back".into(), "1".into()));
    let r = pref.post("/review/011002/2007", &back).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("来年度は訓練の記録も</textarea>"));
    assert_eq!(fingerprint(&app), before);

    carried.push(("confirm".into(), "1".into()));
    let r = pref.post("/review/011002/2007", &carried).await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/review/011002/2007?done=accept"),
        "{}",
        r.body
    );
    assert_eq!(
        sheet_state(&app, "011002", 2007),
        Some(("accepted".into(), 2))
    );
    let page = pref.get("/review/011002/2007").await.body;
    assert!(
        page.contains("来年度は訓練の記録も"),
        "the advice went with it"
    );
}

#[tokio::test]
async fn closing_a_round_asks_first_naming_the_round() {
    let app = spawn_app().await;
    with_deadline(&app);
    add_user(&app, "mic1", "MIC", Role::Ministry);
    let mut mic = Browser::new(&app);
    mic.login("mic1").await;
    let page = mic.get("/rounds").await.body;
    assert!(page.contains(
        "class=\"danger\" data-confirm=\"平成19年度（2007年度） の市区町村版の点検を締め切ると"
    ));

    let before = fingerprint(&app);
    let r = mic.post("/rounds/municipal/2007/close", &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(fingerprint(&app), before, "still open");
    assert!(r.body.contains("<h1>点検を締め切る前の確認</h1>"));
    assert_eq!(fact(&r.body, "点検"), "平成19年度（2007年度） 市区町村版");
    assert_eq!(fact(&r.body, "締切"), "2007-12-28");
    assert!(r
        .body
        .contains("どの団体も回答の保存・提出ができなくなります"));
    let body = unescape(&r.body);
    assert!(body.contains("action=\"/rounds/municipal/2007/close\""));
    assert!(body.contains("<a href=\"/rounds\" id=\"confirm-back\">戻る</a>"));
    assert!(hidden_fields(&r.body).is_empty());

    let r = mic
        .post("/rounds/municipal/2007/close", &pairs(&[("confirm", "1")]))
        .await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/rounds?done=closed")
    );
    assert_ne!(fingerprint(&app), before);
    // A closed round is refused as before, confirmed or not.
    let r = mic.post("/rounds/municipal/2007/close", &[]).await;
    assert_eq!(r.status, 409);
}

fn with_deadline(app: &crate::helpers::TestApp) {
    let version = app
        .state
        .catalog
        .checklist(Variant::Municipal)
        .version_label();
    crate::helpers::with_conn(app, |c| {
        tenken::store::rounds::open(
            c,
            Variant::Municipal,
            fy(2007),
            Some("2007-12-28"),
            &version,
            &[],
        )
    })
    .expect("open");
}

#[tokio::test]
async fn a_password_reset_asks_first_naming_the_account() {
    let app = spawn_app().await;
    add_user(&app, "admin1", "JLIS", Role::Admin);
    let victim = add_user(&app, "sapporo1", "011002", Role::Municipality);
    let mut admin = Browser::new(&app);
    admin.login("admin1").await;
    let page = admin.get("/admin/users").await.body;
    assert!(page.contains("data-confirm=\"sapporo1 のパスワードを再発行すると"));

    let path = format!("/admin/users/{victim}/reset");
    let before = fingerprint(&app);
    let r = admin.post(&path, &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(fingerprint(&app), before, "the password is unchanged");
    assert!(r.body.contains("<h1>パスワードを再発行する前の確認</h1>"));
    assert_eq!(fact(&r.body, "ログインID"), "sapporo1");
    assert_eq!(fact(&r.body, "所属"), "札幌市");
    assert!(r.body.contains(
        "再発行すると、sapporo1 の今のパスワードは使えなくなり、ログイン中のセッションはすべて終了します。"
    ));
    assert!(!r.body.contains("generated-password"));

    let r = admin.post(&path, &pairs(&[("confirm", "1")])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<h1>パスワードを再発行しました</h1>"));
    assert!(r.body.contains("id=\"generated-password\""));
    assert_ne!(fingerprint(&app), before);
}
