//! The first pages: health, the home page and the checklist browser.

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_reports_the_backend() {
    let app = spawn_app().await;
    let r = app.get("/health").await;
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["status"], "ok");
    let expected = if crate::helpers::is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(v["database"], expected);
}

#[tokio::test]
async fn checklist_page_shows_hierarchy_texts_and_priority_marks() {
    let app = spawn_app().await;
    let r = app.get("/checklists/municipal?year=H19").await;
    assert_eq!(r.status().as_u16(), 200);
    let csp = r
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(
        r.headers()
            .get("x-frame-options")
            .and_then(|v| v.to_str().ok()),
        Some("DENY")
    );
    let body = r.text().await.expect("body");
    assert!(body.contains("平成19年度（2007年度）"));
    assert!(
        body.contains("管理目標 <strong>43</strong>、小項目 <strong>126</strong>"),
        "counts"
    );
    assert!(body.contains("操作履歴をチェックしている"));
    assert_eq!(
        body.matches("aria-label=\"今年度の重要点検項目\"").count(),
        20
    );
    assert!(body.contains("「重要機能室がありますか」がはいの場合"));

    let (status, body) = app.get_text("/checklists/municipal?year=2003").await;
    assert_eq!(status, 200);
    assert!(body.contains("管理目標 <strong>42</strong>、小項目 <strong>123</strong>"));
    assert!(!body.contains("住民から受領した顔写真"));

    let (status, body) = app.get_text("/checklists/municipal?year=1900").await;
    assert_eq!(status, 400);
    assert!(body.contains("使える形"), "{body}");
    let (status, _) = app.get_text("/checklists/unknown").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn checklist_json_has_the_same_outline() {
    let app = spawn_app().await;
    let v: serde_json::Value = app
        .get("/api/v1/checklists/national_agency?year=2007")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["goal_count"], 42);
    assert_eq!(v["item_count"], 122);
    assert_eq!(v["majors"][0]["name"], "体制、規程等の整備");
}

#[tokio::test]
async fn output_is_escaped() {
    let app = spawn_app().await;
    // An error that repeats the input is a page that escapes it.
    let r = app.get("/checklists/municipal?year=%3Cscript%3E").await;
    assert_eq!(r.status().as_u16(), 400);
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let body = r.text().await.expect("body");
    assert!(!body.contains("<script>"), "raw markup echoed");
    assert!(body.contains("&lt;script&gt;"), "{body}");
    // A page that puts the input into HTML escapes it.
    let (status, body) = app
        .get_text("/login?next=%2F%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    assert_eq!(status, 200);
    assert!(!body.contains("<script>alert(1)"), "raw markup echoed");
    assert!(
        body.contains("&lt;script&gt;alert(1)"),
        "escaped form missing"
    );
}
