use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::checklists::{outline, Variant};
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<String>,
}

fn parse(state: &AppState, variant: &str, q: &YearQuery) -> AppResult<(Variant, FiscalYear)> {
    let variant = Variant::parse(variant).ok_or_else(|| {
        AppError::NotFound(format!(
            "調査票「{variant}」はありません（municipal / national_agency）"
        ))
    })?;
    let fy = match q.year.as_deref().filter(|y| !y.trim().is_empty()) {
        Some(y) => FiscalYear::parse(y).map_err(|e| AppError::BadRequest(e.to_string()))?,
        None => latest_year(state, variant),
    };
    Ok((variant, fy))
}

/// The latest year with priority items listed, else the first year.
fn latest_year(state: &AppState, variant: Variant) -> FiscalYear {
    state
        .catalog
        .priorities
        .years
        .keys()
        .filter(|(v, _)| *v == variant)
        .map(|(_, fy)| *fy)
        .max()
        .unwrap_or(state.catalog.checklist(variant).first_year)
}

#[derive(Serialize)]
struct PageView<'a> {
    outline: outline::Outline,
    scale: &'a crate::checklists::Scale,
    years: Vec<i32>,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<YearQuery>,
) -> AppResult<HttpResponse> {
    let (variant, fy) = parse(&state, &path, &q)?;
    let first = state.catalog.checklist(variant).first_year.year();
    let last = latest_year(&state, variant).year().max(fy.year());
    let view = PageView {
        outline: outline::build(&state.catalog, variant, fy),
        scale: &state.catalog.scale,
        years: (first..=last).rev().collect(),
    };
    super::page::public(&state, &req, "checklist.html", "調査票", view)
}

pub async fn json(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<YearQuery>,
) -> AppResult<HttpResponse> {
    if let Some(y) = q.year.as_deref() {
        super::api::year(y, false)?;
    }
    let (variant, fy) = parse(&state, &path, &q)?;
    Ok(HttpResponse::Ok().json(outline::build(&state.catalog, variant, fy)))
}
