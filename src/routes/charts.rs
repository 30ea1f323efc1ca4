//! Charts over HTTP: `/charts/{kind}.{png|svg}` drawn on demand from the
//! engine's tables, cached by an ETag that is a digest of the chart's data
//! (304 when the browser has it; a new answer changes the data and so the
//! ETag), and the page `/charts` that shows them. GET and HEAD.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::stats::{authorize_scope, viewer};
use crate::charts::{cache, source, ChartKind, ChartRequest, ChartSpec, Format, Scope};
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

impl ChartQuery {
    /// The year asked for, if it has figures or a round (404 otherwise,
    /// whatever was written); `None`: the latest with figures.
    async fn year(&self, state: &AppState) -> AppResult<Option<FiscalYear>> {
        let Some(y) = self
            .year
            .clone()
            .filter(|y| !y.trim().is_empty() && y.trim() != "latest")
        else {
            return Ok(None);
        };
        let catalog = state.catalog.clone();
        let fy = state
            .db(move |conn| crate::stats::data::table_year(conn, &catalog, &y))
            .await?;
        Ok(Some(fy))
    }

    fn item(&self) -> Option<String> {
        self.item.clone().filter(|i| !i.trim().is_empty())
    }
}

/// The specs of `kinds` for one scope and year (the latest with figures
/// when `year` is `None`), computed on one connection. Each chart has its
/// own result, so a caller may skip those that cannot be drawn.
async fn specs(
    state: &AppState,
    kinds: Vec<ChartKind>,
    year: Option<FiscalYear>,
    scope: Scope,
    item: Option<String>,
) -> AppResult<Vec<AppResult<ChartSpec>>> {
    let catalog = state.catalog.clone();
    let cache = state.stats.clone();
    state
        .db(move |conn| {
            let year = match year {
                Some(y) => y,
                None => crate::stats::data::latest_year(conn, &catalog)?,
            };
            Ok(kinds
                .into_iter()
                .map(|kind| {
                    let request = ChartRequest {
                        kind,
                        year,
                        scope: scope.clone(),
                        item: item.clone(),
                    };
                    source::spec_for(conn, &catalog, &cache, &request)
                })
                .collect())
        })
        .await
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

/// The same rules as the tables (`stats::authorize_scope`): a chart shows
/// what the table of its scope shows.
async fn authorize(
    state: &AppState,
    req: &HttpRequest,
    scope: &Scope,
    year: Option<FiscalYear>,
) -> AppResult<()> {
    let user = viewer(req);
    let scope = scope.clone();
    state
        .db(move |conn| authorize_scope(conn, user.as_ref(), &scope, year).map(|_| ()))
        .await
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
    let kind = ChartKind::parse(kind)?;
    let scope = source::parse_scope(q.scope.as_deref())?;
    let year = q.year(&state).await?;
    authorize(&state, &req, &scope, year).await?;
    let mut specs = specs(&state, vec![kind], year, scope, q.item()).await?;
    let spec = specs
        .pop()
        .ok_or_else(|| AppError::Internal("no chart computed".into()))??;
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

/// Charts (a), (b), (c) and (d) of the nation: the overall trend, one
/// item's trend, the shares and, in a year with answers, the ranking of
/// the prefectures.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<ChartQuery>,
) -> AppResult<HttpResponse> {
    let catalog = &state.catalog;
    let asked = q.year(&state).await?;
    authorize(&state, &req, &Scope::National, asked).await?;
    let c = catalog.clone();
    let (latest, known) = state
        .db(move |conn| {
            Ok((
                crate::stats::data::latest_year(conn, &c)?,
                crate::stats::data::known_years(conn, &c)?,
            ))
        })
        .await?;
    let year = asked.unwrap_or(latest);
    let item = q
        .item()
        .or_else(|| {
            catalog
                .priorities
                .of_year(crate::checklists::Variant::Municipal, year)
                .first()
                .cloned()
        })
        .unwrap_or_else(|| "1-1".to_string());
    let item = item.trim().to_string();
    let kinds = [
        (ChartKind::Overall, format!("year={}", year.year())),
        (ChartKind::Item, format!("year={}&item={item}", year.year())),
        (ChartKind::Shares, format!("year={}", year.year())),
        (ChartKind::Ranking, format!("year={}", year.year())),
    ];
    let specs = specs(
        &state,
        kinds.iter().map(|(k, _)| *k).collect(),
        Some(year),
        Scope::National,
        Some(item.clone()),
    )
    .await?;
    let mut figures = Vec::new();
    for ((kind, query), spec) in kinds.into_iter().zip(specs) {
        // A year without shares or ranking simply shows fewer charts.
        let spec = match spec {
            Ok(spec) => spec,
            Err(AppError::NotFound(_))
                if matches!(kind, ChartKind::Shares | ChartKind::Ranking) =>
            {
                continue
            }
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
        years: known.iter().rev().map(|y| y.year()).collect(),
        item,
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
    super::page::public(&state, &req, "charts.html", "グラフ", view)
}

fn item_label(code: &str, text: &str) -> String {
    if text.chars().count() > 30 {
        let short: String = text.chars().take(30).collect();
        format!("{code} {short}…")
    } else {
        format!("{code} {text}")
    }
}
