use actix_web::{web, HttpRequest, HttpResponse};
use diesel::connection::SimpleConnection;
use serde::Serialize;

use crate::db::Backend;
use crate::error::AppResult;
use crate::state::AppState;

const STYLESHEET: &str = include_str!("../../templates/app.css");

pub async fn health(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let backend = state
        .db(|conn| {
            conn.batch_execute("SELECT 1")?;
            Ok(conn.backend())
        })
        .await?;
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ok", "database": name })))
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLESHEET)
}

#[derive(Serialize)]
struct IndexView<'a> {
    variants: Vec<VariantLink<'a>>,
    scale: &'a crate::checklists::Scale,
}

#[derive(Serialize)]
struct VariantLink<'a> {
    variant: &'a str,
    name: &'a str,
    title: &'a str,
    goals: usize,
    items: usize,
    first_year: i32,
}

pub async fn index(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let catalog = &state.catalog;
    let view = IndexView {
        variants: catalog
            .checklists()
            .iter()
            .map(|c| VariantLink {
                variant: c.variant.as_str(),
                name: &c.name,
                title: &c.title,
                goals: c.goals.len(),
                items: c.items.len(),
                first_year: c.first_year.year(),
            })
            .collect(),
        scale: &catalog.scale,
    };
    super::page::public(&state, &req, "index.html", "ホーム", view)
}
