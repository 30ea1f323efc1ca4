//! Charts over HTTP: `/charts/{kind}.{png|svg}` drawn on demand, cached by
//! an ETag that is a digest of the chart's data (304 when the browser has
//! it), and the page `/charts` that shows them.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::charts::{cache, source, ChartKind, ChartRequest, Format, Scope};
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Browsers and proxies may keep a chart but must ask again each time; the
/// ETag answers 304 until the data changes.
pub const CACHE_CONTROL: &str = "no-cache";

#[derive(Deserialize)]
pub struct ChartQuery {
    year: Option<String>,
    item: Option<String>,
    scope: Option<String>,
}

fn year_of(state: &AppState, q: &ChartQuery) -> AppResult<FiscalYear> {
    match q.year.as_deref().filter(|y| !y.trim().is_empty()) {
        Some(y) => Ok(FiscalYear::parse(y)?),
        None => source::latest_year(&state.catalog)
            .ok_or_else(|| AppError::NotFound("グラフにする数値がありません".into())),
    }
}

/// Whether `If-None-Match` names this ETag (or `*`).
fn matches(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

pub async fn image(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<ChartQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let file = path.into_inner();
    let (kind, ext) = file.rsplit_once('.').ok_or_else(|| {
        AppError::NotFound(format!(
            "グラフ「{file}」はありません（例 /charts/overall.png?year=2007）"
        ))
    })?;
    let format = Format::from_extension(ext)?;
    let request = ChartRequest {
        kind: ChartKind::parse(kind)?,
        year: year_of(&state, &q)?,
        scope: Scope::parse(q.scope.as_deref())?,
        item: q.item.clone().filter(|i| !i.trim().is_empty()),
    };
    let spec = source::spec_for(&state.catalog, &request)?;
    let etag = cache::key(&spec, format)?;
    if matches(&req, &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
            .finish());
    }
    let key = etag.clone();
    let bytes = web::block(move || cache::get_or_render(&spec, format, &key))
        .await
        .map_err(|e| AppError::Internal(format!("blocking task failed: {e}")))??;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .body(bytes.to_vec()))
}

#[derive(Serialize)]
struct Figure {
    title: String,
    png: String,
    svg: String,
    width: u32,
    height: u32,
}

#[derive(Serialize)]
struct ItemOption {
    code: String,
    label: String,
}

#[derive(Serialize)]
struct PageView {
    year: i32,
    years: Vec<i32>,
    item: String,
    items: Vec<ItemOption>,
    figures: Vec<Figure>,
}

/// Charts (a), (b) and (c) of the published national figures.
pub async fn page(
    state: web::Data<AppState>,
    q: web::Query<ChartQuery>,
) -> AppResult<HttpResponse> {
    let catalog = &state.catalog;
    let year = year_of(&state, &q)?;
    let item = q
        .item
        .clone()
        .filter(|i| !i.trim().is_empty())
        .or_else(|| {
            catalog
                .priorities
                .of_year(crate::checklists::Variant::Municipal, year)
                .first()
                .cloned()
        })
        .unwrap_or_else(|| "1-1".to_string());
    let mut figures = Vec::new();
    for (kind, query) in [
        (ChartKind::Overall, format!("year={}", year.year())),
        (
            ChartKind::Item,
            format!("year={}&item={}", year.year(), item.trim()),
        ),
        (ChartKind::Shares, format!("year={}", year.year())),
    ] {
        let request = ChartRequest {
            kind,
            year,
            scope: Scope::National,
            item: Some(item.clone()),
        };
        // A year without published shares simply shows fewer charts.
        let spec = match source::spec_for(catalog, &request) {
            Ok(spec) => spec,
            Err(AppError::NotFound(_)) if kind == ChartKind::Shares => continue,
            Err(e) => return Err(e),
        };
        let (width, height) = spec.size();
        let url = |f: Format| format!("/charts/{}.{}?{query}", kind.as_str(), f.extension());
        figures.push(Figure {
            title: spec.title(),
            png: url(Format::Png),
            svg: url(Format::Svg),
            width,
            height,
        });
    }
    let view = PageView {
        year: year.year(),
        years: catalog
            .published
            .years()
            .iter()
            .rev()
            .map(|y| y.year())
            .collect(),
        item: item.trim().to_string(),
        items: catalog
            .municipal
            .items_in(year)
            .map(|i| ItemOption {
                code: i.code.clone(),
                label: item_label(&i.code, i.text_in(year)),
            })
            .collect(),
        figures,
    };
    let html = state.templates.render("charts.html", &view)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

fn item_label(code: &str, text: &str) -> String {
    if text.chars().count() > 30 {
        let short: String = text.chars().take(30).collect();
        format!("{code} {short}…")
    } else {
        format!("{code} {text}")
    }
}
