//! The national tables: `/stats/{scope}/{year}` (page),
//! `/stats/{scope}/{year}.xlsx` (the 集計表 workbook) and
//! `/api/v1/stats/{scope}/{year}` (JSON), and the OpenAPI document.

use std::sync::Arc;

use actix_web::http::header::{
    Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::excel::summary_export;
use crate::state::AppState;
use crate::stats::{self, engine, report, CachedSummary, Scope, Summary};

const OPENAPI: &str = include_str!("../../templates/openapi.json");

/// Every stats handler asks here whether the request may see `scope`.
/// Authentication does not exist yet: everything is allowed for now. The
/// lead wires the role checks here (the ministry sees every scope, a
/// prefecture its own and its municipalities, an organisation itself).
fn authorize_scope(req: &HttpRequest, scope: &Scope) -> AppResult<()> {
    let _ = (req, scope);
    Ok(())
}

#[derive(Deserialize)]
pub struct StatsQuery {
    /// Lower bounds of seed 004's buckets, e.g. `0,1,3,6`.
    buckets: Option<String>,
}

impl StatsQuery {
    fn buckets(&self) -> Option<&str> {
        self.buckets.as_deref().filter(|b| !b.trim().is_empty())
    }
}

async fn table(
    req: &HttpRequest,
    state: &AppState,
    scope: &str,
    year: &str,
) -> AppResult<(Scope, Arc<CachedSummary>)> {
    let scope = Scope::parse(scope)?;
    authorize_scope(req, &scope)?;
    let year = year.trim().to_string();
    let cache = state.stats.clone();
    let catalog = state.catalog.clone();
    let s = scope.clone();
    let cached = state
        .db(move |conn| {
            let fy = if year == "latest" {
                stats::data::latest_year(conn, &catalog)?
            } else {
                FiscalYear::parse(&year)?
            };
            cache.summary(conn, &catalog, &s, fy)
        })
        .await?;
    Ok((scope, cached))
}

fn with_buckets(summary: &Summary, buckets: &str) -> AppResult<Summary> {
    let bounds = engine::parse_buckets(buckets)?;
    let mut s = summary.clone();
    if s.non_compliance.is_some() {
        s.non_compliance = Some(engine::non_compliance(summary, &bounds));
    }
    Ok(s)
}

pub async fn json(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    q: web::Query<StatsQuery>,
) -> AppResult<HttpResponse> {
    let (scope, year) = path.into_inner();
    let (_, cached) = table(&req, &state, &scope, &year).await?;
    let body = match q.buckets() {
        Some(b) => serde_json::to_string(&with_buckets(&cached.summary, b)?)
            .map_err(|e| AppError::Internal(format!("summary to JSON: {e}")))?,
        None => cached.json()?.to_string(),
    };
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}

#[derive(Serialize)]
struct PageView<'a> {
    s: &'a Summary,
    scale: &'a crate::checklists::Scale,
    /// `H18` of the previous year, for the 向上値 heading.
    prev_short: Option<String>,
    /// The overall change with its sign: `+0.02`.
    change: Option<String>,
    years: Vec<i32>,
    scope_key: String,
    buckets: String,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    q: web::Query<StatsQuery>,
) -> AppResult<HttpResponse> {
    let (scope, year) = path.into_inner();
    let (scope, cached) = table(&req, &state, &scope, &year).await?;
    let buckets = q.buckets();
    let custom;
    let s: &Summary = match buckets {
        Some(b) => {
            custom = with_buckets(&cached.summary, b)?;
            &custom
        }
        None => &cached.summary,
    };
    let first = state.catalog.municipal.first_year.year();
    let last = state
        .catalog
        .published
        .years()
        .last()
        .map_or(first, |y| y.year())
        .max(s.fiscal_year)
        .max(first);
    let view = PageView {
        s,
        scale: &state.catalog.scale,
        prev_short: s
            .previous_year
            .and_then(|y| FiscalYear::new(y).ok())
            .map(|y| y.short()),
        change: s
            .overall
            .change
            .as_ref()
            .map(|c| report::signed(&c.printed)),
        years: (first..=last + 1).rev().collect(),
        scope_key: scope.key(),
        buckets: buckets.unwrap_or_default().to_string(),
    };
    let html = state.templates.render("stats.html", &view)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// `/stats/{scope}/{year}.xlsx`: the 集計表 workbook of the same table the
/// page shows, as a download.
pub async fn xlsx(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (scope, year) = path.into_inner();
    let (_, cached) = table(&req, &state, &scope, &year).await?;
    let catalog = state.catalog.clone();
    let table = cached.clone();
    let bytes = web::block(move || summary_export::summary_workbook(&table.summary, &catalog))
        .await
        .map_err(|e| AppError::Internal(format!("blocking task failed: {e}")))??;
    // op-log: export
    let (utf8, ascii) = summary_export::file_names(&cached.summary);
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header(attachment(&utf8, &ascii))
        .body(bytes))
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266, RFC 5987).
fn attachment(utf8: &str, ascii: &str) -> ContentDisposition {
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii.to_string()),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: utf8.as_bytes().to_vec(),
            }),
        ],
    }
}

pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}
