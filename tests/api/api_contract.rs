//! The HTTP contract outside the happy path: methods a route lacks answer
//! 405 with `Allow` (before any CSRF check), HEAD answers like GET, and
//! every error under `/api/` is an RFC 9457 problem document with a status
//! the OpenAPI document lists for that operation.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};

async fn send(app: &TestApp, method: &str, path: &str) -> reqwest::Response {
    let method = Method::from_bytes(method.as_bytes()).expect("a method name");
    app.client
        .request(method, format!("{}{}", app.address, path))
        .send()
        .await
        .expect("request sent")
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn a_method_a_route_lacks_is_405_with_allow_not_a_csrf_refusal() {
    let app = spawn_app().await;
    for (method, path, allow) in [
        ("TRACE", "/health", "GET, HEAD"),
        ("PUT", "/health", "GET, HEAD"),
        ("DELETE", "/", "GET, HEAD"),
        ("OPTIONS", "/stats/national/2007", "GET, HEAD"),
        ("PATCH", "/login", "GET, HEAD, POST"),
        ("TRACE", "/answers/011002/2007", "GET, HEAD, POST"),
        ("GET", "/logout", "POST"),
        ("DELETE", "/admin/users/3/unlock", "POST"),
    ] {
        let r = send(&app, method, path).await;
        assert_eq!(r.status().as_u16(), 405, "{method} {path}");
        assert_eq!(header(&r, "allow"), allow, "{method} {path}");
    }
    // A POST the router would route is checked for its CSRF token, however
    // its path is spelled.
    for path in [
        "/login",
        "/logi%6E",
        "/%6Cogin",
        "/rounds/municipal/2007/clos%65",
    ] {
        let r = send(&app, "POST", path).await;
        assert_eq!(r.status().as_u16(), 403, "POST {path} without a token");
    }
    let r = send(&app, "POST", "/health").await;
    assert_eq!(r.status().as_u16(), 405, "POST /health");
    let r = send(&app, "TRACE", "/no/such/page").await;
    assert_eq!(r.status().as_u16(), 404);
    let r = send(&app, "GET", "/no/such/page").await;
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test]
async fn head_answers_like_get() {
    let app = spawn_app().await;
    for path in ["/", "/health", "/checklists/municipal", "/login"] {
        let get = send(&app, "GET", path).await;
        let head = send(&app, "HEAD", path).await;
        assert_eq!(head.status(), get.status(), "HEAD {path}");
        assert_eq!(
            header(&head, "content-type"),
            header(&get, "content-type"),
            "HEAD {path}"
        );
        assert!(head.bytes().await.expect("body").is_empty(), "HEAD {path}");
    }
}

/// The statuses the OpenAPI document lists for GET `path_template`.
fn documented(doc: &Value, path_template: &str) -> Vec<String> {
    doc["paths"][path_template]["get"]["responses"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn api_errors_are_problem_documents_with_documented_statuses() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/api/openapi.json")
        .await
        .json()
        .await
        .expect("the OpenAPI document");
    for (path, template, status) in [
        ("/api/v1/stats/0/0", "/api/v1/stats/{scope}/{year}", 400),
        (
            "/api/v1/stats/national/0000",
            "/api/v1/stats/{scope}/{year}",
            400,
        ),
        (
            "/api/v1/stats/pref:010006/2007",
            "/api/v1/stats/{scope}/{year}",
            401,
        ),
        (
            "/api/v1/checklists/national_agency?year=%F0%AB%84%86",
            "/api/v1/checklists/{variant}",
            400,
        ),
        (
            "/api/v1/checklists/nothing?year=2007",
            "/api/v1/checklists/{variant}",
            404,
        ),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status().as_u16(), status, "{path}");
        assert_eq!(
            header(&r, "content-type"),
            "application/problem+json",
            "{path}"
        );
        let body: Value = r.json().await.expect("a problem document");
        assert_eq!(body["status"], status, "{path}: {body}");
        assert_eq!(body["type"], "about:blank");
        assert!(body["title"].is_string(), "{path}: {body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{path}: a Japanese detail: {body}"
        );
        assert!(
            documented(&doc, template).contains(&status.to_string()),
            "{template} documents {status}"
        );
    }
    let r = send(&app, "DELETE", "/api/v1/stats/national/2007").await;
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(header(&r, "content-type"), "application/problem+json");
    // Pages outside /api/ keep their own bodies.
    let r = app.get("/stats/0/0").await;
    assert_eq!(r.status().as_u16(), 400);
    assert_ne!(header(&r, "content-type"), "application/problem+json");
}

#[tokio::test]
async fn every_api_parameter_states_the_pattern_it_accepts() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/api/openapi.json")
        .await
        .json()
        .await
        .expect("the OpenAPI document");
    let paths = doc["paths"].as_object().expect("paths");
    let mut seen = 0;
    for (path, ops) in paths {
        for (method, op) in ops.as_object().expect("operations") {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let schema = &p["schema"];
                assert!(
                    schema.get("pattern").is_some() || schema.get("enum").is_some(),
                    "{method} {path} parameter {} has no pattern or enum",
                    p["name"]
                );
                seen += 1;
            }
        }
    }
    assert!(seen >= 5, "{seen} parameters");
}
