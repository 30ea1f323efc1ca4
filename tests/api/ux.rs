//! Pages that never strand anyone (issue 12): one render path with the
//! account on every page, errors as pages in the layout, links only where
//! the viewer may follow them, words and times, the long answer form's
//! navigation and the confirmation steps.

use diesel::prelude::*;
use tenken::auth::Role;
use tenken::checklists::Variant;
use tenken::render::Page;
use tenken::workflow::fields::{self, name};

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
        .post(SHEET, &pairs(&[(&name(fields::PLAN_PRESENT, "1-1"), &big)]))
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

fn answer_all(app: &crate::helpers::TestApp, org: &str) {
    use tenken::domain::Score;
    use tenken::store::{answers, checklists, organisations};
    with_conn(app, |c| {
        let org = organisations::find(c, org).expect("q").expect("org");
        let ids =
            checklists::item_ids(c, Variant::Municipal, crate::wf_support::fy(2007)).expect("ids");
        let inputs: Vec<answers::AnswerInput> = ids
            .iter()
            .map(|(code, id)| answers::AnswerInput {
                item_code: code.clone(),
                item_id: *id,
                score: Score::new(3).expect("score"),
                comment: String::new(),
            })
            .collect();
        c.transaction(|c| answers::upsert(c, org.id, crate::wf_support::fy(2007), &inputs))
            .expect("upsert");
    });
}

#[tokio::test]
async fn the_ranking_links_only_the_tables_the_viewer_may_open() {
    let app = spawn_app().await;
    answer_all(&app, "131016");
    answer_all(&app, "011002");
    add_user(&app, "tokyo1", "130001", Role::Prefecture);
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    add_user(&app, "mic1", "MIC", Role::Ministry);
    let path = "/stats/national/2007";
    let link = |code: &str| format!("<a href=\"/stats/pref:{code}/2007\">{code}</a>");

    let visitor = Browser::new(&app).get(path).await.body;
    assert!(visitor.contains(">130001</th>"), "the row is there");
    assert!(!visitor.contains(&link("130001")));
    assert!(!visitor.contains(&link("010006")));

    let mut city = Browser::new(&app);
    city.login("sapporo1").await;
    let body = city.get(path).await.body;
    assert!(
        !body.contains("href=\"/stats/pref:"),
        "a municipality opens none"
    );

    let mut tokyo = Browser::new(&app);
    tokyo.login("tokyo1").await;
    let body = tokyo.get(path).await.body;
    assert!(body.contains(&link("130001")), "its own prefecture");
    assert!(!body.contains(&link("010006")));
    assert_eq!(tokyo.get("/stats/pref:130001/2007").await.status, 200);

    let mut mic = Browser::new(&app);
    mic.login("mic1").await;
    let body = mic.get(path).await.body;
    assert!(body.contains(&link("130001")) && body.contains(&link("010006")));
    // Every link on the page leads somewhere for its viewer.
    for (who, b) in [("tokyo", &tokyo), ("mic", &mic), ("city", &city)] {
        let page = b.get(path).await.body;
        for href in page.split("href=\"/stats/").skip(1) {
            let target = format!("/stats/{}", href.split('"').next().unwrap_or(""));
            if target.ends_with(".xlsx") || target.contains('?') {
                continue;
            }
            assert_eq!(b.get(&target).await.status, 200, "{who} {target}");
        }
    }
}

#[tokio::test]
async fn charts_offer_the_scopes_the_viewer_may_see_and_honour_scope() {
    let app = spawn_app().await;
    answer_all(&app, "131016");
    answer_all(&app, "011002");
    add_user(&app, "tokyo1", "130001", Role::Prefecture);
    add_user(&app, "sapporo1", "011002", Role::Municipality);

    let visitor = Browser::new(&app).get("/charts?year=2007").await.body;
    assert!(visitor.contains("<option value=\"national\" selected>全国（市区町村）</option>"));
    assert_eq!(visitor.matches("<option value=\"pref:").count(), 0);
    assert_eq!(
        Browser::new(&app)
            .get("/charts?year=2007&scope=pref:130001")
            .await
            .status,
        303,
        "a visitor is sent to the login"
    );

    let mut tokyo = Browser::new(&app);
    tokyo.login("tokyo1").await;
    let r = tokyo.get("/charts?year=2007&scope=pref:130001").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r
        .body
        .contains("<option value=\"pref:130001\" selected>東京都</option>"));
    assert_eq!(r.body.matches("<option value=\"pref:").count(), 1);
    assert!(
        r.body.contains("<small>東京都："),
        "the heading names the scope"
    );
    assert!(
        r.body
            .replace("&#x2F;", "/")
            .contains("/charts/overall.png?year=2007&amp;scope=pref:130001"),
        "the charts are the prefecture's"
    );
    let r = tokyo.get("/charts?year=2007&scope=pref:010006").await;
    assert_eq!(r.status, 403);

    let mut city = Browser::new(&app);
    city.login("sapporo1").await;
    let r = city.get("/charts?year=2007&scope=org:011002").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r
        .body
        .contains("<option value=\"org:011002\" selected>札幌市</option>"));
    let body = r.body.replace("&#x2F;", "/");
    assert!(
        body.contains("/charts/goals.png?year=2007&amp;scope=org:011002"),
        "{body}"
    );
}

#[tokio::test]
async fn clerks_see_words_not_version_ids_and_times_in_japan_time() {
    let app = spawn_app().await;
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    add_user(&app, "admin1", "JLIS", Role::Admin);
    open_round(&app, Variant::Municipal, 2007);
    let mut city = Browser::new(&app);
    city.login("sapporo1").await;
    let page = city.get(SHEET).await.body;
    assert!(!page.contains("調査票の版"), "no version heading");
    assert!(!page.contains("municipal@"), "no internal version id");
    assert!(
        !page.contains("保存すると反映されます"),
        "the switch is instant"
    );
    assert!(page.contains("選ぶとすぐに、答える小項目が切り替わります。"));
    // The plan's summary holds both words; the one that does not apply is
    // hidden (app.js swaps them as a score is chosen).
    assert!(page.contains(
        "<span class=\"plan-required\" hidden>（評価が1・2のため必須）</span><span class=\"plan-optional\">（評価が1・2の場合に記入）</span>"
    ));
    let print = city.get(&format!("{SHEET}/print")).await.body;
    assert!(!print.contains("municipal@") && !print.contains("調査票の版"));

    // The same account saves in another tab first: the conflict says so.
    let r = city
        .post(SHEET, &sheet_form(&app, "0", "save", &[], &[], &[]))
        .await;
    assert_eq!(r.status, 303);
    let r = city
        .post(
            SHEET,
            &sheet_form(&app, "0", "save", &[("1-1", "2")], &[], &[]),
        )
        .await;
    assert_eq!(r.status, 409);
    assert!(
        r.body
            .contains("同じアカウント（あなた）が別のタブまたはウィンドウで"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("他の職員"));

    // The log shows Japan time, never the stored UTC stamp.
    let mut admin = Browser::new(&app);
    admin.login("admin1").await;
    let log = admin.get("/oplog").await.body;
    assert!(log.contains("日時（日本時間）"));
    let stamps = log.matches(":00Z").count() + log.matches("Z</td>").count();
    assert_eq!(stamps, 0, "no UTC stamp on the log page");
    let stored: String = with_conn(&app, |c| {
        use tenken::db::schema::operation_log as l;
        l::table
            .order(l::id.desc())
            .select(l::at)
            .first::<String>(c)
    })
    .expect("an entry");
    let utc = chrono::DateTime::parse_from_rfc3339(&stored).expect("stamp");
    let jst = (utc + chrono::Duration::hours(9))
        .format("%Y-%m-%d %H:%M")
        .to_string();
    assert!(log.contains(&format!("<td>{jst}</td>")), "{jst} in the log");
}

#[tokio::test]
async fn a_passed_deadline_is_said_and_the_round_decides_on_late_submissions() {
    use tenken::store::rounds;
    let app = spawn_app().await;
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    add_user(&app, "mic1", "MIC", Role::Ministry);
    let mut mic = Browser::new(&app);
    mic.login("mic1").await;
    let r = mic
        .post(
            "/rounds",
            &pairs(&[
                ("variant", "municipal"),
                ("year", "2007"),
                ("deadline", "2007-10-31"),
                ("late", "refuse"),
                ("priority_items", ""),
            ]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let fy = crate::wf_support::fy(2007);
    let round = with_conn(&app, |c| rounds::find(c, Variant::Municipal, fy))
        .expect("q")
        .expect("round");
    assert!(!round.accept_late, "the ministry's choice is kept");

    let mut city = Browser::new(&app);
    city.login("sapporo1").await;
    let page = city.get(SHEET).await.body;
    assert!(
        page.contains("締切を過ぎています。この点検では締切後の提出を受け付けていません。"),
        "{page}"
    );
    let r = city
        .post(SHEET, &sheet_form(&app, "0", "submit", &[], &[], &[]))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        crate::helpers::error_message(&r.body).starts_with("締切（2007-10-31）を過ぎています。"),
        "{}",
        r.body
    );
    assert_eq!(crate::wf_support::answers_of(&app, "011002", 2007).len(), 0);

    // Accepting late submissions lets the same sheet in.
    with_conn(&app, |c| {
        rounds::set_accept_late(c, Variant::Municipal, fy, true)
    })
    .expect("set");
    let page = city.get(SHEET).await.body;
    assert!(page.contains("締切を過ぎています。この点検では締切後の提出も受け付けています。"));
    let r = city
        .post(SHEET, &sheet_form(&app, "0", "submit", &[], &[], &[]))
        .await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/answers/011002/2007?done=submitted")
    );
}

#[tokio::test]
async fn the_log_search_says_when_the_start_is_after_the_end() {
    let app = spawn_app().await;
    add_user(&app, "admin1", "JLIS", Role::Admin);
    let mut admin = Browser::new(&app);
    admin.login("admin1").await;
    let r = admin.get("/oplog?from=2026-12-05&to=2026-12-01").await;
    assert_eq!(r.status, 400);
    assert!(
        r.body
            .contains("開始日（2026-12-05）が終了日（2026-12-01）より後になっています。"),
        "{}",
        r.body
    );
    let r = admin.get("/oplog?from=2026-12-01&to=2026-12-01").await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn the_answer_form_has_a_table_of_contents_problem_links_and_advised_items() {
    let app = spawn_app().await;
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    add_user(&app, "hokkaido1", "010006", Role::Prefecture);
    open_round(&app, Variant::Municipal, 2007);
    let mut city = Browser::new(&app);
    city.login("sapporo1").await;
    let page = city.get(SHEET).await.body;
    assert!(page.contains("<nav class=\"sheet-toc\" id=\"sheet-toc\""));
    assert!(page.contains("<a href=\"#major-1\">1 "), "{page}");
    assert!(page.contains("<section class=\"major\" id=\"major-1\">"));
    // A keyboard user reaches 下書き保存 before the first answer.
    let skip = page.find("href=\"#sheet-actions\"").expect("skip link");
    let first = page
        .find(&format!("name=\"{}", fields::SCORE))
        .expect("an answer");
    assert!(skip < first, "the skip link comes before the items");
    assert!(page.contains("<div class=\"actions\" id=\"sheet-actions\""));

    // Progress per goal after a draft with goal 1 answered.
    let r = city
        .post(SHEET, &sheet_form(&app, "0", "save", &[], &[], &[]))
        .await;
    assert_eq!(r.status, 303);
    let page = city.get(SHEET).await.body;
    let goal1 = app.state.catalog.checklist(Variant::Municipal);
    let n1 = goal1
        .items_in(crate::wf_support::fy(2007))
        .filter(|i| i.code.starts_with("1-"))
        .count();
    assert!(
        page.contains(&format!(
            "<span class=\"toc-progress\" data-toc=\"goal-1\">{n1} / {n1}</span>"
        )),
        "goal 1 fully answered"
    );

    // A failed submit links each problem to its item.
    let r = city
        .post(
            SHEET,
            &sheet_form(&app, "1", "submit", &[("1-1", "1")], &[], &[]),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("<li><a href=\"#item-1-1\">"), "{}", r.body);

    // After 差戻し the advised items are listed at the top with links.
    let r = city
        .post(SHEET, &sheet_form(&app, "2", "submit", &[], &[], &[]))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let mut pref = Browser::new(&app);
    pref.login("hokkaido1").await;
    let review = pref.get("/review/011002/2007").await.body;
    let version = input_value(&review, "version").expect("version");
    let r = pref
        .post(
            "/review/011002/2007",
            &pairs(&[
                ("version", &version),
                ("action", "return"),
                ("review_note", ""),
                (&name(fields::ADVICE, "5-1"), "規程を整備してください"),
            ]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = city.get(SHEET).await.body;
    assert!(page.contains("審査者の助言がある小項目（1 件）"), "{page}");
    assert!(page.contains("<li><a href=\"#item-5-1\">5-1 "));
    assert!(page.contains("：規程を整備してください</li>"));
}
