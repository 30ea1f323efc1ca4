//! Every route of the application, wired in one place. Handlers stay thin:
//! parse input into domain types, call the store or the engine, render.

mod charts;
mod checklists;
pub mod errors;
mod page;
mod pages;
mod stats;
pub mod workflow;

use actix_web::http::header::{
    Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::middleware::DefaultHeaders;
use actix_web::{guard, web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(pages::health))
        .route("/static/app.css", web::get().to(pages::stylesheet))
        .route("/", get_or_head().to(pages::index))
        .route("/checklists/{variant}", web::get().to(checklists::page))
        .route("/charts", get_or_head().to(charts::page))
        .route("/charts/{file}", get_or_head().to(charts::image))
        .route(
            "/api/v1/checklists/{variant}",
            web::get().to(checklists::json),
        )
        // Before the page: `{year}` alone would match `2007.xlsx` too.
        .route("/stats/{scope}/{year}.xlsx", web::get().to(stats::xlsx))
        .route("/stats/{scope}/{year}", web::get().to(stats::page))
        .route("/api/v1/stats/{scope}/{year}", web::get().to(stats::json))
        .route("/api/openapi.json", web::get().to(stats::openapi));
    workflow::register(cfg);
}

/// The routes of `configure` outside the workflow, as (method, pattern).
const PUBLIC_ROUTES: &[(&str, &str)] = &[
    ("get", "/health"),
    ("get", "/static/app.css"),
    ("get", "/"),
    ("get", "/checklists/{variant}"),
    ("get", "/charts"),
    ("get", "/charts/{file}"),
    ("get", "/api/v1/checklists/{variant}"),
    ("get", "/stats/{scope}/{year}"),
    ("get", "/api/v1/stats/{scope}/{year}"),
    ("get", "/api/openapi.json"),
];

/// The methods some route takes at `path` (empty: no such page): what
/// turns actix's 404 for a known address with another method into a 405.
pub fn allowed_methods(path: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = PUBLIC_ROUTES
        .iter()
        .chain(workflow::ROUTES)
        .filter(|(_, pattern)| actix_web::dev::ResourceDef::new(*pattern).is_match(path))
        .map(|(m, _)| if *m == "post" { "POST" } else { "GET" })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// GET, and HEAD for the same handler (actix sends the headers only).
fn get_or_head() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// Headers on every response: a CSP that allows no inline script or style,
/// no framing, no MIME sniffing, no referrer to other sites.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
        ))
        .add(("X-Frame-Options", "DENY"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
}

/// An xlsx download (RFC 6266 / RFC 5987): a plain ASCII `filename` for old
/// clients and the Japanese name as a UTF-8 `filename*`, stripped of
/// characters no file name may hold.
pub(crate) fn xlsx_download(bytes: Vec<u8>, ascii_name: &str, name: &str) -> HttpResponse {
    let name: String = name
        .chars()
        .filter(|c| !c.is_control() && !"/\\:*?\"<>|".contains(*c))
        .collect();
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii_name.to_string()),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: name.into_bytes(),
            }),
        ],
    };
    HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header(disposition)
        .body(bytes)
}
