//! Every route of the application, wired in one place. Handlers stay thin:
//! parse input into domain types, call the store or the engine, render.

mod charts;
mod checklists;
mod pages;
mod stats;
pub mod workflow;

use actix_web::middleware::DefaultHeaders;
use actix_web::{guard, web};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(pages::health))
        .route("/static/app.css", web::get().to(pages::stylesheet))
        .route("/", web::get().to(pages::index))
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
