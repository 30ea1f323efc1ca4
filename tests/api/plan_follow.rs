//! Plans followed across years beside the item and on the status lists: two
//! fiscal years saved, reviewed and submitted through the workflow, one item
//! per outcome (達成 / 一部改善 / 未達 / 期限前). The sheet (answer form,
//! read-only view, the prefecture's review) shows last year's evaluation,
//! plan, target date, progress and advice beside the item; the prefecture's
//! list and the national status count the results and the plans past their
//! target date.

use tenken::auth::{Actor, Role};
use tenken::checklists::Variant;
use tenken::store::organisations;
use tenken::store::submissions::{PlanFields, Progress};
use tenken::workflow::ops;

use crate::helpers::{spawn_app, with_conn, TestApp};
use crate::wf_support::{add_user, fy, open_round, save_submitted as save, sheet_state, Browser};

const SAPPORO: &str = "011002";
const HAKODATE: &str = "012025";
const AOMORI: &str = "022012";

fn plan(measure: &str, target: &str) -> PlanFields {
    PlanFields {
        present_state: "現状の説明".into(),
        measure: measure.into(),
        person_in_charge: "情報政策課".into(),
        target_date: target.into(),
    }
}

fn review(
    app: &TestApp,
    code: &str,
    year: i32,
    action: ops::ReviewAction,
    advice: &[(&str, &str)],
) {
    let version = sheet_state(app, code, year).expect("sheet").1;
    with_conn(app, |c| {
        let org = organisations::find(c, code).expect("q").expect("org");
        let input = ops::ReviewInput {
            version,
            action,
            advice: advice
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            note: String::new(),
        };
        ops::review(c, &Actor::default(), &org, fy(year), &input).expect("review");
    });
}

fn progress(
    app: &TestApp,
    code: &str,
    year: i32,
    rows: &[(&str, &str, Option<&str>, Option<&str>)],
) {
    with_conn(app, |c| {
        let org = organisations::find(c, code).expect("q").expect("org");
        let entries: Vec<Progress> = rows
            .iter()
            .map(|(item, progress, started, completed)| Progress {
                item_code: item.to_string(),
                progress: progress.to_string(),
                started_on: started.map(String::from),
                completed_on: completed.map(String::from),
                note: String::new(),
            })
            .collect();
        ops::record_progress(c, &Actor::default(), &org, fy(year), &entries).expect("progress");
    });
}

/// FY2006 and FY2007 of three municipalities:
/// - 札幌市: 1-2 2→3 (達成), 1-3 1→2 (一部改善), 2-1 2→2 (未達), 5-1 1→1 with
///   last year's target in 2999 (期限前); FY2007 plans: 1-3 past its target,
///   2-1 before it, 5-1 past it but 完了;
/// - 函館市: 1-2 and 1-3 below 3 in FY2006, FY2007 not started (未判定);
/// - 青森市: 1-2 2→1 (未達), its FY2007 plan past its target.
fn two_years(app: &TestApp) {
    open_round(app, Variant::Municipal, 2006);
    save(
        app,
        SAPPORO,
        2006,
        &[("1-2", 2), ("1-3", 1), ("2-1", 2), ("5-1", 1)],
        &[
            ("1-2", plan("規程を改訂する", "2007-03-31")),
            ("1-3", plan("訓練を年2回行う", "2007-03-31")),
            ("2-1", plan("管理者を置く", "2007-03-31")),
            ("5-1", plan("入退室を記録する", "2999-03-31")),
        ],
    );
    review(
        app,
        SAPPORO,
        2006,
        ops::ReviewAction::SaveAdvice,
        &[
            ("1-2", "規程の改訂を急いでください"),
            ("2-1", "管理者の任命を確認します"),
        ],
    );
    review(app, SAPPORO, 2006, ops::ReviewAction::Accept, &[]);
    progress(
        app,
        SAPPORO,
        2006,
        &[
            ("1-2", "done", Some("2006-10-01"), Some("2007-02-15")),
            ("2-1", "in_progress", Some("2006-11-01"), None),
        ],
    );
    save(
        app,
        HAKODATE,
        2006,
        &[("1-2", 1), ("1-3", 2)],
        &[
            ("1-2", plan("規程を作る", "2007-03-31")),
            ("1-3", plan("訓練する", "2007-03-31")),
        ],
    );
    save(
        app,
        AOMORI,
        2006,
        &[("1-2", 2)],
        &[("1-2", plan("改訂する", "2007-03-31"))],
    );

    open_round(app, Variant::Municipal, 2007);
    save(
        app,
        SAPPORO,
        2007,
        &[("1-3", 2), ("2-1", 2), ("5-1", 1)],
        &[
            ("1-3", plan("訓練を続ける", "2008-03-31")),
            ("2-1", plan("管理者を置く", "2999-03-31")),
            ("5-1", plan("記録を続ける", "2008-03-31")),
        ],
    );
    progress(
        app,
        SAPPORO,
        2007,
        &[("5-1", "done", Some("2007-10-01"), Some("2008-03-01"))],
    );
    save(
        app,
        AOMORI,
        2007,
        &[("1-2", 1)],
        &[("1-2", plan("改訂する", "2008-03-31"))],
    );
}

/// The text of the element `id="…"` up to its closing `</div>`.
fn block<'a>(page: &'a str, id: &str) -> Option<&'a str> {
    let at = page.find(&format!("id=\"{id}\""))?;
    let end = page[at..].find("</div>")?;
    Some(&page[at..at + end])
}

/// The cells `data-plan="…"` of the table row `id="…"`, in order.
fn plan_cells(page: &str, row_id: &str) -> Vec<(String, String)> {
    let at = page
        .find(&format!("id=\"{row_id}\""))
        .unwrap_or_else(|| panic!("row {row_id}"));
    let end = page[at..].find("</tr>").expect("row end");
    let row = &page[at..at + end];
    row.split("data-plan=\"")
        .skip(1)
        .map(|cell| {
            let (key, rest) = cell.split_once('"').expect("key");
            let value = rest
                .trim_start_matches('>')
                .split('<')
                .next()
                .expect("value");
            (key.to_string(), value.trim().to_string())
        })
        .collect()
}

fn tally(v: [usize; 7]) -> Vec<(String, String)> {
    [
        "carried",
        "achieved",
        "improved",
        "not_achieved",
        "before_target",
        "undecided",
        "past_target",
    ]
    .iter()
    .zip(v)
    .map(|(k, n)| (k.to_string(), n.to_string()))
    .collect()
}

#[tokio::test]
async fn last_years_plans_are_shown_beside_the_item_with_their_result() {
    let app = spawn_app().await;
    two_years(&app);
    add_user(&app, "sapporo1", SAPPORO, Role::Municipality);
    add_user(&app, "hakodate1", HAKODATE, Role::Municipality);
    add_user(&app, "hokkaido1", "010006", Role::Prefecture);

    // The read-only sheet (submitted) of the organisation.
    let mut clerk = Browser::new(&app);
    clerk.login("sapporo1").await;
    let page = clerk.get("/answers/011002/2007").await;
    assert_eq!(page.status, 200);
    let achieved = block(&page.body, "carried-1-2").expect("1-2 carried");
    for text in [
        "前年度（平成18年度（2006年度））の改善計画",
        "<dt>前年度の評価</dt><dd>2 整備している</dd>",
        "規程を改訂する",
        "<dt>目標期日</dt><dd>2007-03-31</dd>",
        "<dt>進捗</dt><dd>完了（完了日 2007-02-15）</dd>",
        "前年度指摘への対応状況",
        "指摘: <span class=\"pre\">規程の改訂を急いでください</span>",
        "plan-result-achieved\">達成<",
    ] {
        assert!(achieved.contains(text), "{text} in {achieved}");
    }
    let improved = block(&page.body, "carried-1-3").expect("1-3 carried");
    assert!(improved.contains("<dd>1 整備していない</dd>"), "{improved}");
    assert!(improved.contains("前年度の指摘なし"), "{improved}");
    assert!(improved.contains(">一部改善<"), "{improved}");
    let missed = block(&page.body, "carried-2-1").expect("2-1 carried");
    assert!(missed.contains("<dt>進捗</dt><dd>実施中</dd>"), "{missed}");
    assert!(missed.contains("管理者の任命を確認します"), "{missed}");
    assert!(missed.contains(">未達<"), "{missed}");
    let early = block(&page.body, "carried-5-1").expect("5-1 carried");
    assert!(early.contains("<dd>2999-03-31</dd>"), "{early}");
    assert!(early.contains(">期限前<"), "{early}");
    // An item at 3 both years carries nothing.
    assert!(!page.body.contains("id=\"carried-1-1\""));

    // The prefecture's review page shows the same.
    let mut pref = Browser::new(&app);
    pref.login("hokkaido1").await;
    let review = pref.get("/review/011002/2007").await;
    assert_eq!(review.status, 200);
    assert_eq!(
        block(&review.body, "carried-1-2").expect("review 1-2"),
        achieved
    );
    assert!(block(&review.body, "carried-2-1")
        .expect("review 2-1")
        .contains(">未達<"));

    // The answer form of a sheet not started: last year's plans, not yet judged.
    let mut other = Browser::new(&app);
    other.login("hakodate1").await;
    let form = other.get("/answers/012025/2007").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("name=\"score_1-2\""), "an answer form");
    let open = block(&form.body, "carried-1-2").expect("hakodate 1-2");
    assert!(open.contains("<dd>1 整備していない</dd>"), "{open}");
    assert!(open.contains("規程を作る"), "{open}");
    assert!(open.contains("<dt>進捗</dt><dd>未着手</dd>"), "{open}");
    assert!(open.contains("今年度の回答（1〜3）で判定します"), "{open}");
}

#[tokio::test]
async fn status_lists_count_carried_plans_by_result_and_plans_past_their_target() {
    let app = spawn_app().await;
    two_years(&app);
    add_user(&app, "hokkaido1", "010006", Role::Prefecture);
    add_user(&app, "mic1", "MIC", Role::Ministry);

    let mut pref = Browser::new(&app);
    pref.login("hokkaido1").await;
    let page = pref.get("/prefectures/010006/2007").await;
    assert_eq!(page.status, 200);
    // carried, 達成, 一部改善, 未達, 期限前, 未判定, past target
    assert_eq!(
        plan_cells(&page.body, "org-011002"),
        tally([4, 1, 1, 1, 1, 0, 1])
    );
    assert_eq!(
        plan_cells(&page.body, "org-012025"),
        tally([2, 0, 0, 0, 0, 2, 0])
    );
    assert_eq!(plan_cells(&page.body, "org-012033"), tally([0; 7]));
    assert_eq!(
        plan_cells(&page.body, "plan-total"),
        tally([6, 1, 1, 1, 1, 2, 1])
    );
    assert!(page
        .body
        .contains("目標期日を過ぎた計画：今年度の提出済・確認済の回答票の改善計画のうち"));

    let mut mic = Browser::new(&app);
    mic.login("mic1").await;
    let national = mic.get("/national/2007").await;
    assert_eq!(national.status, 200);
    assert_eq!(
        plan_cells(&national.body, "pref-010006"),
        tally([6, 1, 1, 1, 1, 2, 1])
    );
    assert_eq!(
        plan_cells(&national.body, "pref-020001"),
        tally([1, 0, 0, 1, 0, 0, 1])
    );
    assert_eq!(plan_cells(&national.body, "pref-130001"), tally([0; 7]));
    assert_eq!(
        plan_cells(&national.body, "pref-total"),
        tally([7, 1, 1, 2, 1, 2, 2])
    );
    assert!(national
        .body
        .contains("前年度の計画：前年度に評価 1・2 だった小項目"));
}

/// The demo shows carried plans: Hokkaido's first municipalities have an
/// accepted FY2006 with plans and advice. The prefecture's counts agree
/// with the 達成状況 of the 改善計画書 workbook (one rule for both).
#[tokio::test]
async fn the_demo_shows_carried_plans_and_its_counts_match_the_workbook() {
    let app = spawn_app().await;
    with_conn(&app, |c| tenken::demo::prepare(c, &app.state.catalog)).expect("demo");
    let doc = with_conn(&app, |c| {
        let scope = tenken::stats::Scope::parse("pref:010006").expect("scope");
        let orgs = tenken::excel::plans_export::scope_orgs(c, &scope).expect("orgs");
        tenken::excel::plans_export::fetch(c, &app.state.catalog, orgs, fy(2007)).expect("fetch")
    });
    let count = |label: &str| {
        doc.rows
            .iter()
            .filter(|r| r.carried_result == label)
            .count()
    };
    let (achieved, improved, missed, early) = (
        count("達成"),
        count("一部改善"),
        count("未達"),
        count("期限前"),
    );
    assert!(
        achieved > 0 && improved + missed > 0,
        "the demo has results: {achieved} {improved} {missed} {early} of {}",
        doc.rows.len()
    );

    let mut pref = Browser::new(&app);
    pref.login_with("demo-hokkaido", tenken::demo::DEMO_PASSWORD)
        .await;
    let list = pref.get("/prefectures/010006/2007").await.body;
    let total = plan_cells(&list, "plan-total");
    let get = |k: &str| -> usize {
        total
            .iter()
            .find(|(key, _)| key == k)
            .and_then(|(_, v)| v.parse().ok())
            .expect("count")
    };
    assert_eq!(
        (
            get("achieved"),
            get("improved"),
            get("not_achieved"),
            get("before_target")
        ),
        (achieved, improved, missed, early)
    );
    assert_eq!(
        get("carried"),
        achieved + improved + missed + early + get("undecided")
    );
    assert!(
        get("past_target") > 0,
        "FY2007 plans due 2008-03-31 of submitted sheets"
    );

    let mut city = Browser::new(&app);
    city.login_with("demo-sapporo", tenken::demo::DEMO_PASSWORD)
        .await;
    let sheet = city.get("/answers/011002/2007").await.body;
    assert!(
        sheet.contains("class=\"carried-plan\""),
        "carried plans beside items"
    );
    assert!(sheet.contains("前年度指摘への対応状況"));
}
