//! Errors under `/api/` as RFC 9457 problem details
//! (`application/problem+json`): whatever answered the error (a handler,
//! the session layer, the route fallback), a machine client gets one JSON
//! shape with the status and the Japanese message as `detail`.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use serde::Serialize;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub instance: String,
}

/// The middleware: rewrites every 4xx/5xx answer to a request under
/// `/api/` into a problem document; other answers pass unchanged.
pub async fn api_problems<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let api = req.path().starts_with("/api/");
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if !api || !(status.is_client_error() || status.is_server_error()) {
        return Ok(res);
    }
    let already = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if already {
        return Ok(res);
    }
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    let instance = res.request().path().to_string();
    let (http_req, response) = res.into_parts();
    let (mut head, body) = response.into_parts();
    // Error bodies are short messages; a body that cannot be read is left
    // out of the document rather than failing the answer.
    let text = match body::to_bytes_limited(body, 64 * 1024).await {
        Ok(Ok(bytes)) => String::from_utf8(bytes.to_vec()).ok(),
        _ => None,
    };
    let detail = text.filter(|t| plain && !t.trim().is_empty());
    let problem = Problem {
        kind: "about:blank",
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail,
        instance,
    };
    let json = serde_json::to_vec(&problem).unwrap_or_default();
    head.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    head.headers_mut().remove(header::CONTENT_LENGTH);
    let response = head.set_body(json.boxed());
    Ok(ServiceResponse::new(http_req, response))
}
