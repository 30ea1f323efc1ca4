//! Charts over HTTP: PNG and SVG drawn on demand from the engine's tables,
//! ETag and 304, HEAD, the page; the chart specs from hand-worked answers.

use serde_json::Value;
use tenken::charts::{source, ChartKind, ChartRequest, ChartSpec, RankEntry};
use tenken::domain::FiscalYear;

use crate::helpers::{spawn_app, with_conn, TestApp};
use crate::stats::answer;
use crate::wf_support::sign_in;
use tenken::auth::Role;

/// Exact RGB of the main series (tenken::charts::colors::MAIN).
const MAIN: [u8; 3] = [0x1F, 0x5F, 0xBF];
/// The comparison series (tenken::charts::colors::NATIONAL).
const NATIONAL: [u8; 3] = [0xD9, 0x5F, 0x02];
const PRIORITY: [u8; 3] = [0xFF, 0xE2, 0x8A];
/// The shares of 3, 2 and 1 (tenken::charts::colors::SHARE).
const SHARES: [[u8; 3]; 3] = [[0x2E, 0x8B, 0x57], [0xF2, 0xB7, 0x05], [0xC8, 0x32, 0x32]];

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

async fn get_if_none_match(
    app: &crate::helpers::TestApp,
    path: &str,
    etag: &str,
) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.address))
        .header("If-None-Match", etag)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn overall_png_is_served_with_an_etag_and_304_until_the_data_changes() {
    let app = spawn_app().await;
    let r = app.get("/charts/overall.png?year=2007").await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(header(&r, "content-type"), "image/png");
    assert_eq!(header(&r, "cache-control"), "no-cache");
    let etag = header(&r, "etag");
    assert!(etag.starts_with('"') && etag.len() == 34, "{etag}");
    let png = r.bytes().await.expect("body");
    let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
        .expect("png")
        .to_rgb8();
    assert_eq!(img.dimensions(), (960, 560));
    let main = img.pixels().filter(|p| p.0 == MAIN).count();
    assert!(main > 500, "{main} pixels of the national line");

    // The same data: the browser's copy is still good.
    let r = get_if_none_match(&app, "/charts/overall.png?year=2007", &etag).await;
    assert_eq!(r.status().as_u16(), 304);
    assert_eq!(header(&r, "etag"), etag);
    assert!(r.bytes().await.expect("body").is_empty());

    // Other data (the trend up to FY2006 has one year less): another ETag.
    let r = get_if_none_match(&app, "/charts/overall.png?year=H18", &etag).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_ne!(header(&r, "etag"), etag);
    // The SVG of the same data is a different representation.
    let r = app.get("/charts/overall.svg?year=2007").await;
    assert_ne!(header(&r, "etag"), etag);
}

#[tokio::test]
async fn item_svg_holds_its_title_and_png_marks_the_priority_year() {
    let app = spawn_app().await;
    let r = app.get("/charts/item.svg?year=2007&item=18-1").await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(header(&r, "content-type"), "image/svg+xml");
    let svg = r.text().await.expect("body");
    assert!(svg.contains("<title>小項目 18-1 の平均点の推移（全国）</title>"));
    assert!(svg.contains("aria-label=\"操作履歴をチェックしている\""));
    assert!(svg.contains("aria-label=\"2.623\"") && svg.contains("aria-label=\"3.000\""));
    assert!(!svg.contains("<text"));

    let r = app.get("/charts/item.png?year=2007&item=18-1").await;
    let png = r.bytes().await.expect("body");
    let img = image::load_from_memory(&png).expect("png").to_rgb8();
    let band = img.pixels().filter(|p| p.0 == PRIORITY).count();
    assert!(band > 1000, "{band} pixels of the 重要点検項目 band");
    assert!(img.pixels().filter(|p| p.0 == MAIN).count() > 500);
}

#[tokio::test]
async fn charts_that_cannot_be_drawn_say_why() {
    let app = spawn_app().await;
    // Prefecture and organisation charts are for those who may read them.
    sign_in(&app, "ministry", "MIC", Role::Ministry).await;
    let (status, body) = app.get_text("/charts/ranking.png?year=2007").await;
    assert_eq!(status, 404);
    assert_eq!(
        crate::helpers::error_message(&body),
        "全国（市区町村）の平成19年度（2007年度）の回答が登録されていません"
    );
    let (status, body) = app
        .get_text("/charts/goals.png?year=2007&scope=org:019992")
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        crate::helpers::error_message(&body),
        "組織コード 019992 は登録されていません"
    );
    let (status, body) = app.get_text("/charts/overall.png?scope=tokyo").await;
    assert_eq!(status, 400);
    assert!(
        crate::helpers::error_message(&body).starts_with("--scope / scope は national、"),
        "{body}"
    );
    let (status, body) = app.get_text("/charts/overall.gif").await;
    assert_eq!(status, 400);
    assert_eq!(
        crate::helpers::error_message(&body),
        "グラフの形式「gif」には対応していません（png か svg）"
    );
    let (status, body) = app.get_text("/charts/shares.png?year=2006").await;
    assert_eq!(status, 404);
    assert_eq!(
        crate::helpers::error_message(&body),
        "平成18年度（2006年度）の回答割合は公表値にありません（公表値があるのは 平成19年度（2007年度））"
    );
    let (status, body) = app.get_text("/charts/item.png?year=2007&item=99-1").await;
    assert_eq!(status, 404);
    assert_eq!(
        crate::helpers::error_message(&body),
        "小項目「99-1」は市区町村版の調査票にありません（例 18-1）"
    );
    // A year that is not a fiscal year of the self-check does not exist.
    let (status, _) = app.get_text("/charts/overall.png?year=1900").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn chart_page_shows_the_overall_item_and_share_charts() {
    let app = spawn_app().await;
    let (status, body) = app.get_text("/charts?year=2007&item=18-1").await;
    assert_eq!(status, 200);
    // tera escapes the slashes of attribute values as &#x2F;.
    assert!(body.contains(
        "<img src=\"&#x2F;charts&#x2F;overall.png?year=2007\" alt=\"総平均点の推移（全国）\" width=\"960\" height=\"560\">"
    ));
    assert!(body.contains("src=\"&#x2F;charts&#x2F;item.png?year=2007&amp;item=18-1\""));
    assert!(body
        .contains("href=\"&#x2F;charts&#x2F;item.svg?year=2007&amp;item=18-1\" download>SVG</a>"));
    assert!(body.contains("alt=\"小項目 18-1 の平均点の推移（全国）\""));
    assert!(body.contains("alt=\"大分類別の回答の割合（平成19年度（2007年度）・全国）\""));
    assert!(
        body.contains("<option value=\"18-1\" selected>18-1 操作履歴をチェックしている</option>")
    );

    // FY2006 has no published shares: two charts; the default item is the
    // year's first 重要点検項目 (25-1).
    let (status, body) = app.get_text("/charts?year=2006").await;
    assert_eq!(status, 200);
    assert_eq!(body.matches("<figure class=\"chart\">").count(), 2);
    assert!(body.contains("src=\"&#x2F;charts&#x2F;item.png?year=2006&amp;item=25-1\""));
}

fn fy(y: i32) -> FiscalYear {
    FiscalYear::new(y).expect("year")
}

/// The chart spec as the routes compute it (same cache, same database).
fn spec(app: &TestApp, kind: ChartKind, scope: &str, item: Option<&str>) -> ChartSpec {
    let request = ChartRequest {
        kind,
        year: fy(2007),
        scope: source::parse_scope(Some(scope)).expect("scope"),
        item: item.map(String::from),
    };
    with_conn(app, |c| {
        source::spec_for(c, &app.state.catalog, &app.state.stats, &request).expect("spec")
    })
}

async fn png(app: &TestApp, path: &str) -> image::RgbImage {
    let r = app.get(path).await;
    assert_eq!(r.status().as_u16(), 200, "{path}");
    assert_eq!(header(&r, "content-type"), "image/png");
    let bytes = r.bytes().await.expect("body");
    image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
        .expect("png")
        .to_rgb8()
}

fn count(img: &image::RgbImage, colour: [u8; 3]) -> usize {
    img.pixels().filter(|p| p.0 == colour).count()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

/// Two wards of Tokyo and two cities of Hokkaido answer items 1-1, 1-2
/// (管理目標 1) and 2-1 (管理目標 2) in FY2007; 千代田区 also 1-1 in
/// FY2006. Every figure below is worked out by hand:
///
/// | FY2007 | 1-1 | 1-2 | 2-1 |
/// | --- | --- | --- | --- |
/// | 千代田区 | 3 | 2 | 3 |
/// | 中央区   | 1 | 2 | 0 (N/A) |
/// | 札幌市   | 3 | 3 | 3 |
/// | 函館市   | 2 | 3 | 2 |
///
/// 東京都: 1-1 2, 1-2 2, 2-1 3 → overall 7/3. 北海道: 5/2, 3, 5/2 → 8/3.
/// Nation: 1-1 9/4, 1-2 5/2, 2-1 8/3 → overall 89/36; goal 1 = (9/4 +
/// 5/2)/2 = 19/8, goal 2 = 8/3. 千代田区: goal 1 = 5/2, goal 2 = 3.
fn answer_fy2007(app: &TestApp) {
    answer(app, "131016", 2006, &[("1-1", 2)]);
    answer(app, "131016", 2007, &[("1-1", 3), ("1-2", 2), ("2-1", 3)]);
    answer(app, "131024", 2007, &[("1-1", 1), ("1-2", 2), ("2-1", 0)]);
    answer(app, "011002", 2007, &[("1-1", 3), ("1-2", 3), ("2-1", 3)]);
    answer(app, "012025", 2007, &[("1-1", 2), ("1-2", 3), ("2-1", 2)]);
}

#[tokio::test]
async fn ranking_chart_ranks_the_prefectures_as_the_engine_does() {
    let app = spawn_app().await;
    answer_fy2007(&app);
    let ChartSpec::Ranking(r) = spec(&app, ChartKind::Ranking, "national", None) else {
        panic!("ranking")
    };
    let names: Vec<(usize, &str)> = r
        .entries
        .iter()
        .map(|e| (e.rank, e.name.as_str()))
        .collect();
    assert_eq!(names, [(1, "北海道"), (2, "東京都")]);
    assert!(close(r.entries[0].average, 8.0 / 3.0), "{:?}", r.entries);
    assert!(close(r.entries[1].average, 7.0 / 3.0), "{:?}", r.entries);
    let (label, national) = r.reference.clone().expect("the nation's line");
    assert_eq!(label, "全国");
    assert!(close(national, 89.0 / 36.0), "{national}");
    assert_eq!((r.scope.as_str(), r.unit.as_str()), ("全国", "都道府県"));
    assert_eq!(
        r.note,
        "出典: 登録された回答の集計（4団体）。総平均点は小項目の平均点の単純平均"
    );
    // The same figures as the engine's table.
    let r2 = app.get("/api/v1/stats/national/2007").await;
    let t: Value = r2.json().await.expect("json");
    let rows = t["ranking"]["rows"].as_array().expect("rows");
    for (entry, row) in r.entries.iter().zip(rows) {
        assert_eq!(Some(entry.name.as_str()), row["name"].as_str());
        assert_eq!(Some(entry.average), row["average"]["value"].as_f64());
    }
    assert_eq!(rows.len(), 2);
    assert_eq!(t["overall"]["average"]["value"].as_f64(), Some(national));

    let img = png(&app, "/charts/ranking.png?year=2007").await;
    assert_eq!(img.dimensions(), (960, 560), "two rows");
    assert!(count(&img, MAIN) > 5000, "bars");
    assert!(count(&img, NATIONAL) > 100, "the nation's line");
    let (status, svg) = app.get_text("/charts/ranking.svg?year=2007").await;
    assert_eq!(status, 200);
    assert!(svg.contains("<title>都道府県別の総平均点（平成19年度（2007年度）・全国）</title>"));
    // 8/3 and 7/3 to three decimals, the nation's 89/36 to two.
    for label in ["1. 北海道", "2.667", "2. 東京都", "2.333", "全国 2.47"] {
        assert!(svg.contains(&format!("aria-label=\"{label}\"")), "{label}");
    }

    // The municipalities of a prefecture: 千代田区 8/3 before 中央区 3/2.
    let ChartSpec::Ranking(r) = spec(&app, ChartKind::Ranking, "pref:130001", None) else {
        panic!("ranking")
    };
    let rows: Vec<(usize, &str, f64)> = r
        .entries
        .iter()
        .map(
            |RankEntry {
                 rank,
                 name,
                 average,
             }| (*rank, name.as_str(), *average),
        )
        .collect();
    assert_eq!(rows, [(1, "千代田区", 8.0 / 3.0), (2, "中央区", 1.5)]);
    assert_eq!(r.unit, "市区町村");
    assert_eq!(r.reference.map(|(l, _)| l).as_deref(), Some("東京都"));
}

#[tokio::test]
async fn goals_chart_compares_one_organisation_with_the_nation() {
    let app = spawn_app().await;
    // Prefecture and organisation charts are for those who may read them.
    sign_in(&app, "ministry", "MIC", Role::Ministry).await;
    answer_fy2007(&app);
    let ChartSpec::Goals(g) = spec(&app, ChartKind::Goals, "131016", None) else {
        panic!("goals")
    };
    assert_eq!(g.organisation, "千代田区");
    assert_eq!(g.reference, "全国");
    assert_eq!(g.goals.len(), 2, "{:?}", g.goals);
    let (no, own, nation) = g.goals[0];
    assert_eq!((no, own), (1, Some(2.5)));
    assert!(close(nation, 19.0 / 8.0), "{nation}");
    let (no, own, nation) = g.goals[1];
    assert_eq!((no, own), (2, Some(3.0)));
    assert!(close(nation, 8.0 / 3.0), "{nation}");
    assert_eq!(
        g.note,
        "出典: 登録された回答の集計。管理目標の平均点は小項目の平均点の単純平均"
    );

    let img = png(&app, "/charts/goals.png?year=2007&scope=org:131016").await;
    assert_eq!(img.dimensions(), (960, 560));
    assert!(count(&img, MAIN) > 2000, "bars");
    assert!(count(&img, NATIONAL) > 100, "the nation's line");
    let (status, svg) = app
        .get_text("/charts/goals.svg?year=2007&scope=131016")
        .await;
    assert_eq!(status, 200);
    assert!(
        svg.contains("<title>管理目標別の平均点（千代田区と全国・平成19年度（2007年度））</title>")
    );

    // 東京都's municipalities pooled per item: goal 1 = (2 + 2)/2, goal 2 = 3.
    let ChartSpec::Goals(g) = spec(&app, ChartKind::Goals, "130001", None) else {
        panic!("goals")
    };
    let own: Vec<(u32, Option<f64>)> = g.goals.iter().map(|(n, o, _)| (*n, *o)).collect();
    assert_eq!(own, [(1, Some(2.0)), (2, Some(3.0))]);
}

#[tokio::test]
async fn a_prefecture_against_the_nation_has_two_series() {
    let app = spawn_app().await;
    // Prefecture and organisation charts are for those who may read them.
    sign_in(&app, "ministry", "MIC", Role::Ministry).await;
    answer_fy2007(&app);
    let ChartSpec::Overall(t) = spec(&app, ChartKind::Overall, "130001", None) else {
        panic!("overall")
    };
    assert_eq!(t.scope, "東京都");
    let labels: Vec<&str> = t.series.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["東京都", "全国"]);
    // 東京都: FY2006 千代田区's 2; FY2007 7/3.
    let tokyo = &t.series[0].points;
    assert_eq!(tokyo.len(), 2);
    assert_eq!(tokyo[0], (fy(2006), 2.0));
    assert_eq!(tokyo[1].0, fy(2007));
    assert!(close(tokyo[1].1, 7.0 / 3.0), "{tokyo:?}");
    // The nation: FY2003–FY2005 published (2.826… the mean of the item
    // averages), FY2006 and FY2007 from the answers (2, 89/36).
    let nation = &t.series[1].points;
    let years: Vec<i32> = nation.iter().map(|(y, _)| y.year()).collect();
    assert_eq!(years, [2003, 2004, 2005, 2006, 2007]);
    assert!((nation[0].1 - 2.826_350).abs() < 1e-5, "{nation:?}");
    assert_eq!(nation[3].1, 2.0);
    assert!(close(nation[4].1, 89.0 / 36.0), "{nation:?}");
    assert_eq!(
        t.note,
        "出典: 登録された回答の集計（H18〜H19）、総務省 点検結果集計表の公表値（H15〜H17）。総平均点は小項目の平均点の単純平均"
    );

    let img = png(&app, "/charts/overall.png?year=2007&scope=130001").await;
    assert!(count(&img, MAIN) > 300, "東京都's line");
    assert!(count(&img, NATIONAL) > 500, "the nation's line");

    // Item 1-1: 東京都 2 (FY2006), (3 + 1)/2 = 2 (FY2007); the nation 9/4
    // in FY2007; 1-1 was a 重要点検項目 in FY2005.
    let ChartSpec::Item(i) = spec(&app, ChartKind::Item, "130001", Some("1-1")) else {
        panic!("item")
    };
    assert_eq!(i.series[0].points, [(fy(2006), 2.0), (fy(2007), 2.0)]);
    assert_eq!(i.series[1].points.last(), Some(&(fy(2007), 2.25)));
    assert_eq!(i.series[1].points[0], (fy(2003), 2.841));
    assert_eq!(i.priority.years, [fy(2005)]);
    let img = png(&app, "/charts/item.png?year=2007&scope=130001&item=1-1").await;
    assert!(count(&img, PRIORITY) > 1000, "the 重要点検項目 band");
    assert!(count(&img, MAIN) > 300 && count(&img, NATIONAL) > 300);

    // Shares of 東京都, pooled over 大分類 1: of five answers 1–3, two 3s,
    // two 2s and one 1 → 40 / 40 / 20 %.
    let ChartSpec::Shares(s) = spec(&app, ChartKind::Shares, "130001", None) else {
        panic!("shares")
    };
    assert_eq!(
        s.majors,
        [("1 体制・規程等の整備".to_string(), [40.0, 40.0, 20.0])]
    );
    let img = png(&app, "/charts/shares.png?year=2007&scope=130001").await;
    for c in SHARES {
        assert!(count(&img, c) > 1000, "{c:?}");
    }
}

#[tokio::test]
async fn a_new_answer_gives_a_new_etag_and_head_answers_like_get() {
    let app = spawn_app().await;
    answer_fy2007(&app);
    let path = "/charts/ranking.png?year=2007";
    let r = app.get(path).await;
    assert_eq!(r.status().as_u16(), 200);
    let etag = header(&r, "etag");
    let length = r.bytes().await.expect("body").len();
    assert_eq!(
        get_if_none_match(&app, path, &etag).await.status().as_u16(),
        304
    );

    // HEAD: the same headers, no body.
    let r = app
        .client
        .head(format!("{}{path}", app.address))
        .send()
        .await
        .expect("head");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(header(&r, "etag"), etag);
    assert_eq!(header(&r, "content-type"), "image/png");
    assert_eq!(header(&r, "content-length"), length.to_string());
    assert!(r.bytes().await.expect("body").is_empty());
    let r = app
        .client
        .head(format!("{}/charts?year=2007", app.address))
        .send()
        .await
        .expect("head");
    assert_eq!(r.status().as_u16(), 200);

    // 函館市 2-1: 2 → 3 makes 北海道 (5/2 + 3 + 3)/3 = 17/6: a new chart.
    answer(&app, "012025", 2007, &[("2-1", 3)]);
    let r = get_if_none_match(&app, path, &etag).await;
    assert_eq!(r.status().as_u16(), 200);
    let new_etag = header(&r, "etag");
    assert_ne!(new_etag, etag);
    let ChartSpec::Ranking(rk) = spec(&app, ChartKind::Ranking, "national", None) else {
        panic!("ranking")
    };
    assert!(close(rk.entries[0].average, 17.0 / 6.0), "{:?}", rk.entries);
    // Unchanged data since: still the new ETag.
    assert_eq!(
        get_if_none_match(&app, path, &new_etag)
            .await
            .status()
            .as_u16(),
        304
    );

    // The page shows the ranking once a year has answers.
    let (status, body) = app.get_text("/charts?year=2007&item=18-1").await;
    assert_eq!(status, 200);
    assert_eq!(body.matches("<figure class=\"chart\">").count(), 4);
    assert!(body.contains("alt=\"都道府県別の総平均点（平成19年度（2007年度）・全国）\""));
}

#[tokio::test]
async fn charts_follow_the_access_rules_of_their_tables() {
    let app = spawn_app().await;
    for path in [
        "/charts/goals.png?year=2007&scope=org:131016",
        "/charts/overall.png?year=2007&scope=pref:130001",
    ] {
        // A page that needs a login sends a visitor to it.
        let r = app.get(path).await;
        assert_eq!(r.status().as_u16(), 303, "anonymous {path}");
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(location.starts_with("/login?next=/charts/"), "{location}");
    }
    sign_in(&app, "sapporo", "011002", Role::Municipality).await;
    for path in [
        "/charts/goals.png?year=2007&scope=org:131016",
        "/charts/overall.png?year=2007&scope=pref:130001",
        "/charts/overall.png?year=2007&scope=pref:010006",
    ] {
        assert_eq!(app.get(path).await.status().as_u16(), 403, "札幌市 {path}");
    }
    // The national trend stays open to everyone.
    assert_eq!(
        app.get("/charts/overall.png?year=2007")
            .await
            .status()
            .as_u16(),
        200
    );
}

/// 千代田区 (特別区 of 東京都) at 8/3 among 中央区 1.5 (特別区), 札幌市 3
/// and 函館市 7/3. In 東京都 and among the 特別区 two members: 60.0, rank 1
/// of 2. Nationally μ = 2.375, σ² = 1.243056 / 4, σ = 0.557462:
/// 50 + 10 × 0.291667 / 0.557462 = 55.232 → 55.2, rank 2 of 4.
#[tokio::test]
async fn standing_places_an_organisation_in_its_prefecture_type_and_nation() {
    let app = spawn_app().await;
    sign_in(&app, "ministry", "MIC", Role::Ministry).await;
    answer_fy2007(&app);
    let t: Value = app
        .get("/api/v1/stats/org:131016/2007")
        .await
        .json()
        .await
        .expect("json");
    let s = &t["standing"];
    assert_eq!(s["average"]["printed"], "2.67");
    assert_eq!(s["prefecture"]["deviation"]["printed"], "60.0");
    assert_eq!(
        (
            s["prefecture"]["rank"].as_u64(),
            s["prefecture"]["of"].as_u64()
        ),
        (Some(1), Some(2))
    );
    assert_eq!(s["national"]["deviation"]["printed"], "55.2");
    let v = s["national"]["deviation"]["value"].as_f64().expect("value");
    assert!((v - 55.23204564926355).abs() < 1e-9, "{v}");
    assert_eq!(
        (s["national"]["rank"].as_u64(), s["national"]["of"].as_u64()),
        (Some(2), Some(4))
    );
    assert_eq!(s["type"]["name"], "特別区");
    assert_eq!(s["type"]["deviation"]["printed"], "60.0");
    assert_eq!(
        (s["type"]["rank"].as_u64(), s["type"]["of"].as_u64()),
        (Some(1), Some(2))
    );
    let majors = s["majors"].as_array().expect("majors");
    assert!(!majors.is_empty());
    assert!(majors[0]["deviation"]["printed"].is_string(), "{s}");
    // A prefecture among the prefectures: 東京都 pooled 7/3, 北海道 8/3.
    let p: Value = app
        .get("/api/v1/stats/pref:130001/2007")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(p["standing"]["national"]["deviation"]["printed"], "40.0");
    assert_eq!(p["standing"]["national"]["rank"].as_u64(), Some(2));
    // The national table has no standing but the most/least improved.
    let n: Value = app
        .get("/api/v1/stats/national/2007")
        .await
        .json()
        .await
        .expect("json");
    assert!(n["standing"].is_null());
    // 1-1 is the only item answered in FY2006 (2) and FY2007 (9/4).
    let most = n["improvements"]["most"].as_array().expect("most");
    assert_eq!(most.len(), 1, "{most:?}");
    assert_eq!(most[0]["code"], "1-1");
    assert_eq!(most[0]["improvement"]["printed"], "0.250");
    assert_eq!(n["improvements"]["least"][0]["code"], "1-1");
    let (status, page) = app.get_text("/stats/org:131016/2007").await;
    assert_eq!(status, 200);
    assert!(page.contains("特別区の中"), "{page}");
    assert!(page.contains("<td class=\"num\">55.2</td><td class=\"num\">2 / 4</td>"));
    assert!(page.contains("/charts/standing.svg?year=2007&amp;scope=org:131016"));

    let ChartSpec::Standing(g) = spec(&app, ChartKind::Standing, "131016", None) else {
        panic!("standing")
    };
    assert_eq!(g.organisation, "千代田区");
    assert_eq!(
        g.groups,
        ["東京都".to_string(), "特別区".into(), "全国".into()]
    );
    assert_eq!(g.majors.len(), majors.len());
    let img = png(&app, "/charts/standing.png?year=2007&scope=org:131016").await;
    assert!(count(&img, MAIN) > 1000, "bars");
    // Only organisations have a standing chart.
    let r = app
        .get("/charts/standing.png?year=2007&scope=national")
        .await;
    assert_eq!(r.status().as_u16(), 400);
}
