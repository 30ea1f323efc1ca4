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

/// The same rules as the tables (`workflow::table_access::authorize_scope`): a chart shows
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
        .ok_or_else(|| AppError::internal("no chart computed"))??;
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
        .map_err(|e| AppError::internal_from("blocking task failed", e))??;
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
    /// The figures of the chart, its text alternative.
    table: crate::charts::DataTable,
}

#[derive(Serialize)]
struct ItemOption {
    code: String,
    label: String,
}

#[derive(Serialize)]
struct ScopeOption {
    key: String,
    label: String,
}

#[derive(Serialize)]
struct PageView {
    scope: String,
    scope_label: String,
    scopes: Vec<ScopeOption>,
    year: i32,
    years: Vec<i32>,
    item: String,
    items: Vec<ItemOption>,
    figures: Vec<Figure>,
}

/// The scopes `user` may chart, as the tables allow them
/// (`workflow::table_access::authorize_scope`): the nation for everyone; the ministry also
/// the agencies and every prefecture; prefecture staff their prefecture;
/// a municipality or an agency itself.
fn scope_options(
    conn: &mut crate::db::DbConnection,
    user: Option<&crate::auth::CurrentUser>,
) -> AppResult<Vec<ScopeOption>> {
    use crate::auth::Role;
    let mut out = vec![ScopeOption {
        key: "national".into(),
        label: "全国（市区町村）".into(),
    }];
    let Some(user) = user else { return Ok(out) };
    match user.role {
        Role::Ministry => {
            out.push(ScopeOption {
                key: "agencies".into(),
                label: "国の行政機関等".into(),
            });
            for p in crate::store::organisations::prefectures(conn)? {
                out.push(ScopeOption {
                    key: format!("pref:{}", p.code),
                    label: p.name,
                });
            }
        }
        Role::Prefecture => {
            if let Some(code) = &user.prefecture_code {
                out.push(ScopeOption {
                    key: format!("pref:{code}"),
                    label: user.org_name.clone(),
                });
            }
        }
        Role::Municipality | Role::Agency => out.push(ScopeOption {
            key: format!("org:{}", user.org_code),
            label: user.org_name.clone(),
        }),
        Role::Admin => {}
    }
    Ok(out)
}

/// The charts of one scope (`scope=`, the nation by default, chosen among
/// the scopes the viewer may see): the overall trend, one item's trend,
/// the shares, the ranking within the scope and, for one organisation, its
/// goals against the nation's.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<ChartQuery>,
) -> AppResult<HttpResponse> {
    let catalog = &state.catalog;
    let asked = q.year(&state).await?;
    let scope = source::parse_scope(q.scope.as_deref())?;
    authorize(&state, &req, &scope, asked).await?;
    let c = catalog.clone();
    let user = viewer(&req);
    let (latest, known, scopes) = state
        .db(move |conn| {
            Ok((
                crate::stats::data::latest_year(conn, &c)?,
                crate::stats::data::known_years(conn, &c)?,
                scope_options(conn, user.as_ref())?,
            ))
        })
        .await?;
    let scope_key = scope.key();
    let scope_query = if scope == Scope::National {
        String::new()
    } else {
        format!("&scope={scope_key}")
    };
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
    let y = year.year();
    let mut kinds = vec![
        (ChartKind::Overall, format!("year={y}{scope_query}")),
        (
            ChartKind::Item,
            format!("year={y}&item={item}{scope_query}"),
        ),
        (ChartKind::Shares, format!("year={y}{scope_query}")),
        (ChartKind::Ranking, format!("year={y}{scope_query}")),
    ];
    if matches!(scope, Scope::Organisation(_)) {
        kinds.push((ChartKind::Goals, format!("year={y}{scope_query}")));
    }
    let specs = specs(
        &state,
        kinds.iter().map(|(k, _)| *k).collect(),
        Some(year),
        scope.clone(),
        Some(item.clone()),
    )
    .await?;
    let mut figures = Vec::new();
    for ((kind, query), spec) in kinds.into_iter().zip(specs) {
        // A year without shares or ranking simply shows fewer charts.
        let spec = match spec {
            Ok(spec) => spec,
            Err(AppError::NotFound(_) | AppError::BadRequest(_))
                if matches!(
                    kind,
                    ChartKind::Shares | ChartKind::Ranking | ChartKind::Goals
                ) =>
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
            table: spec.data_table(),
        });
    }
    let scope_label = scopes
        .iter()
        .find(|o| o.key == scope_key)
        .map_or_else(|| scope_key.clone(), |o| o.label.clone());
    let view = PageView {
        scope: scope_key,
        scope_label,
        scopes,
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
