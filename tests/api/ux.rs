//! Pages that never strand anyone (issue 12): one render path with the
//! account on every page, errors as pages in the layout, links only where
//! the viewer may follow them, words and times, the long answer form's
//! navigation and the confirmation steps.

use diesel::prelude::*;
use tenken::auth::Role;
use tenken::checklists::Variant;
use tenken::render::Page;

use crate::helpers::{spawn_app, with_conn};
use crate::wf_support::{add_user, input_value, open_round, pairs, sheet_form, Browser};

const SHEET: &str = "/answers/011002/2007";

fn signed_in_header(body: &str) -> bool {
    body.contains("<a href=\"/home\">マイページ</a>") && body.contains(">ログアウト</button>")
}

#[tokio::test]
async fn every_public_page_shows_the_account_of_a_signed_in_user() {
    let app = spawn_app().await;
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    let visitor = Browser::new(&app);
    let mut city = Browser::new(&app);
    city.login("sapporo1").await;
    for path in [
        "/",
        "/checklists/municipal",
        "/checklists/national_agency?year=2007",
        "/charts",
        "/stats/national/2007",
        "/home",
    ] {
        let r = city.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert!(signed_in_header(&r.body), "{path} shows the account");
        assert!(
            r.body.contains("札幌市・sapporo1"),
            "{path} names the account"
        );
        if path != "/home" {
            let v = visitor.get(path).await;
            assert_eq!(v.status, 200, "{path}");
            assert!(!signed_in_header(&v.body), "{path} for a visitor");
            assert!(v.body.contains("<a href=\"/login\">ログイン</a>"), "{path}");
        }
    }
}

#[tokio::test]
async fn a_page_missing_a_variable_fails_to_render() {
    let app = spawn_app().await;
    let page = Page {
        session: None,
        title: "t",
        notice: None,
        body: serde_json::json!({ "status": 404 }),
    };
    let err = app.state.templates.render("error.html", &page);
    assert!(
        err.is_err(),
        "error.html without its heading must not render"
    );
}

fn assert_error_page(status: u16, r: &crate::wf_support::Response, heading: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert!(r.body.starts_with("<!DOCTYPE html>"), "{}", r.body);
    assert!(r.body.contains("<html lang=\"ja\">"));
    assert!(
        r.body.contains(&format!("<title>{heading}（{status}）")),
        "title {heading}: {}",
        r.body
    );
    assert!(
        r.body.contains(&format!("<h1>{heading}</h1>")),
        "{}",
        r.body
    );
    assert!(r.body.contains("<main id=\"main\">"));
    assert!(r.body.contains("<a href=\"/\">トップページへ</a>"));
}

#[tokio::test]
async fn errors_are_pages_in_the_layout_and_json_under_api() {
    let app = spawn_app().await;
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    let visitor = Browser::new(&app);

    let r = visitor.get("/no/such/page").await;
    assert_error_page(404, &r, "ページが見つかりません");
    assert!(r.body.contains("お探しのページは見つかりませんでした。"));

    let r = visitor.get("/checklists/nothing").await;
    assert_error_page(404, &r, "ページが見つかりません");
    assert!(
        r.body.contains("調査票「nothing」はありません"),
        "{}",
        r.body
    );

    let r = visitor.get("/checklists/municipal?year=1900").await;
    assert_error_page(400, &r, "入力を受け付けられませんでした");

    // A form posted without its token (no session: the login form's cookie
    // is missing too).
    let r = visitor
        .post_raw("/rounds", &pairs(&[("year", "2007")]))
        .await;
    assert_error_page(403, &r, "ログインし直してください");
    assert!(r.body.contains("ログインしていないため"), "{}", r.body);

    // A page that needs a login sends the visitor there and back.
    let r = visitor.get("/stats/pref:010006/2007").await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/login?next=/stats/pref%3A010006/2007")
    );

    let mut city = Browser::new(&app);
    city.login("sapporo1").await;
    let r = city.get("/stats/pref:010006/2007").await;
    assert_error_page(403, &r, "このページは開けません");
    assert!(
        signed_in_header(&r.body),
        "the error page keeps the account"
    );
    assert!(r.body.contains("<a href=\"/home\">マイページへ</a>"));

    // A known path with a method it does not take.
    let r = city.post("/checklists/municipal", &pairs(&[])).await;
    assert_error_page(405, &r, "この方法では開けません");

    // Too large a form.
    let big = "x".repeat(5 * 1024 * 1024);
    let r = city
        .post(SHEET, &pairs(&[("plan_present_1-1", &big)]))
        .await;
    assert_error_page(413, &r, "送信された内容が大きすぎます");

    // The API keeps JSON.
    let r = visitor.get("/api/v1/stats/pref:010006/2007").await;
    assert_eq!(r.status, 401);
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json error");
    assert_eq!(v["status"], 401);
    assert_eq!(v["detail"], "ログインが必要です");
    let r = visitor.get("/api/v1/checklists/nothing").await;
    assert_eq!(r.status, 404);
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json error");
    assert!(
        v["detail"].as_str().unwrap_or("").contains("nothing"),
        "{v}"
    );
}

#[tokio::test]
async fn head_of_the_home_page_answers_like_get() {
    let app = spawn_app().await;
    let get = app.get("/").await;
    let head = app
        .client
        .head(format!("{}/", app.address))
        .send()
        .await
        .expect("HEAD");
    assert_eq!(head.status().as_u16(), 200);
    assert_eq!(
        head.headers().get("content-type"),
        get.headers().get("content-type")
    );
}

#[tokio::test]
async fn a_save_refused_for_an_ended_session_leads_through_login_back_to_the_sheet() {
    let app = spawn_app().await;
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    open_round(&app, Variant::Municipal, 2007);
    let mut city = Browser::new(&app);
    city.login("sapporo1").await;
    assert_eq!(city.get(SHEET).await.status, 200);
    // The session ends on the server (idle timeout).
    with_conn(&app, |c| {
        diesel::delete(tenken::db::schema::sessions::table).execute(c)
    })
    .expect("end sessions");

    let form = sheet_form(&app, "0", "save", &[], &[], &[]);
    let r = city.post(SHEET, &form).await;
    assert_error_page(403, &r, "ログインし直してください");
    assert!(
        r.body.contains("ログインの有効期限が切れていた"),
        "{}",
        r.body
    );
    assert!(r.body.contains("data-session-expired=\"true\""));
    assert!(
        r.body.contains(
            "<a href=\"&#x2F;login?next=&#x2F;answers&#x2F;011002&#x2F;2007\">ログインする</a>"
        ),
        "{}",
        r.body
    );
    // Nothing was saved.
    assert_eq!(crate::wf_support::answers_of(&app, "011002", 2007).len(), 0);

    // The login form carries the sheet along and returns to it.
    let page = city.get("/login?next=/answers/011002/2007").await;
    assert_eq!(
        input_value(&page.body, "next").as_deref(),
        Some("&#x2F;answers&#x2F;011002&#x2F;2007")
    );
    city.csrf = input_value(&page.body, "csrf_token").expect("csrf");
    let r = city
        .post(
            "/login",
            &pairs(&[
                ("login", "sapporo1"),
                ("password", crate::wf_support::PASSWORD),
                ("next", "/answers/011002/2007"),
            ]),
        )
        .await;
    assert_eq!((r.status, r.location.as_str()), (303, SHEET));
    let sheet = city.get(SHEET).await;
    assert_eq!(sheet.status, 200);
    assert!(sheet.body.contains("id=\"sheet-form\""));
}
