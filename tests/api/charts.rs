//! Charts over HTTP: PNG and SVG drawn on demand, ETag and 304, the page.

use crate::helpers::spawn_app;

/// Exact RGB of the main series (tenken::charts::colors::MAIN).
const MAIN: [u8; 3] = [0x1F, 0x5F, 0xBF];
const PRIORITY: [u8; 3] = [0xFF, 0xE2, 0x8A];

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
    let (status, body) = app.get_text("/charts/ranking.png?year=2007").await;
    assert_eq!(status, 404);
    assert!(
        body.starts_with("このグラフ（ranking）には都道府県・団体ごとの回答の集計が必要です"),
        "{body}"
    );
    let (status, body) = app.get_text("/charts/overall.gif").await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        "グラフの形式「gif」には対応していません（png か svg）"
    );
    let (status, body) = app.get_text("/charts/shares.png?year=2006").await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        "平成18年度の回答割合は公表値にありません（公表値があるのは 平成19年度）"
    );
    let (status, body) = app.get_text("/charts/item.png?year=2007&item=99-1").await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        "小項目「99-1」は市区町村版の調査票にありません（例 18-1）"
    );
    let (status, _) = app.get_text("/charts/overall.png?year=1900").await;
    assert_eq!(status, 400);
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
    assert!(body.contains("alt=\"大分類別の回答の割合（平成19年度・全国）\""));
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
