//! The national tables: `/stats/{scope}/{year}` (page),
//! `/stats/{scope}/{year}.xlsx` (the 集計表 workbook) and
//! `/api/v1/stats/{scope}/{year}` (JSON), and the OpenAPI document.

use std::sync::Arc;

use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::auth::{policy, CurrentUser};
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::excel::summary_export;
use crate::state::AppState;
use crate::stats::{self, engine, report, Basis, CachedSummary, Scope, Summary};
use crate::workflow::exports;
pub(crate) use crate::workflow::table_access::{authorize_scope, Access};

const OPENAPI: &str = include_str!("../../templates/openapi.json");

/// The signed-in user of a request, if any (a user who must still change a
/// generated password counts as nobody).
pub(crate) fn viewer(req: &HttpRequest) -> Option<CurrentUser> {
    req.extensions()
        .get::<CurrentUser>()
        .filter(|u| !u.must_change_password)
        .cloned()
}

/// The summary as the viewer may see it.
fn visible(summary: &Summary, access: Access) -> std::borrow::Cow<'_, Summary> {
    let names_orgs = summary
        .priority
        .as_ref()
        .is_some_and(|p| !p.not_achieved.is_empty());
    if access == Access::Full || !names_orgs {
        return std::borrow::Cow::Borrowed(summary);
    }
    let mut s = summary.clone();
    if let Some(p) = s.priority.as_mut() {
        p.not_achieved.clear();
    }
    std::borrow::Cow::Owned(s)
}

#[derive(Deserialize)]
pub struct StatsQuery {
    /// Lower bounds of seed 004's buckets, e.g. `0,1,3,6`.
    buckets: Option<String>,
    /// `1`: the 速報 (drafts included) instead of the official table.
    provisional: Option<String>,
}

impl StatsQuery {
    fn buckets(&self) -> Option<&str> {
        self.buckets.as_deref().filter(|b| !b.trim().is_empty())
    }

    fn basis(&self) -> Basis {
        basis_of(self.provisional.as_deref())
    }
}

/// `provisional=1` (or `true`) asks for the 速報; anything else, or nothing,
/// the official table.
pub(crate) fn basis_of(provisional: Option<&str>) -> Basis {
    match provisional.map(str::trim) {
        Some("1" | "true" | "yes") => Basis::Provisional,
        _ => Basis::Official,
    }
}

/// The 速報 is for the ministry (any scope) and a prefecture (its own
/// prefecture and municipalities, which `authorize_scope` checks).
pub(crate) fn authorize_basis(
    viewer: Option<&CurrentUser>,
    scope: &Scope,
    basis: Basis,
) -> AppResult<()> {
    if basis == Basis::Official {
        return Ok(());
    }
    let user = viewer.ok_or(AppError::Unauthorized)?;
    let national_scope = matches!(scope, Scope::National | Scope::Agencies);
    policy::require(
        policy::can_view_provisional(user) && (!national_scope || policy::can_view_national(user)),
    )
}

async fn table(
    req: &HttpRequest,
    state: &AppState,
    scope: &str,
    year: &str,
    basis: Basis,
) -> AppResult<(Scope, Access, Arc<CachedSummary>)> {
    let scope = Scope::parse(scope)?;
    let year = year.trim().to_string();
    let cache = state.stats.clone();
    let catalog = state.catalog.clone();
    let s = scope.clone();
    let user = viewer(req);
    let (access, cached) = state
        .db(move |conn| {
            authorize_basis(user.as_ref(), &s, basis)?;
            let fy = stats::data::table_year(conn, &catalog, &year)?;
            let access = authorize_scope(conn, user.as_ref(), &s, Some(fy))?;
            Ok((access, cache.summary_of(conn, &catalog, &s, fy, basis)?))
        })
        .await?;
    Ok((scope, access, cached))
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
    super::api::scope(&scope)?;
    super::api::year(&year, true)?;
    super::api::provisional(q.provisional.as_deref())?;
    let buckets = super::api::buckets(q.buckets.as_deref())?;
    // A well-shaped code that names nothing (a wrong check digit, not a
    // prefecture) is a resource that does not exist.
    Scope::parse(&scope).map_err(|e| AppError::NotFound(e.to_string()))?;
    let (_, access, cached) = table(&req, &state, &scope, &year, q.basis()).await?;
    let shown = visible(&cached.summary, access);
    let body = match (buckets.as_deref(), &shown) {
        (None, std::borrow::Cow::Borrowed(_)) => cached.json()?.to_string(),
        (Some(b), _) => serde_json::to_string(&with_buckets(&shown, b)?)
            .map_err(|e| AppError::internal_from("summary to JSON", e))?,
        (None, std::borrow::Cow::Owned(s)) => {
            serde_json::to_string(s).map_err(|e| AppError::internal_from("summary to JSON", e))?
        }
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
    /// The years with figures or a round, latest first (the year bar).
    years: Vec<i32>,
    scope_key: String,
    buckets: String,
    /// The ranking rows the viewer may open (a link only where it leads
    /// somewhere for this viewer).
    linked: Vec<String>,
    /// This is the 速報.
    provisional: bool,
    /// The viewer may switch to the 速報.
    may_see_provisional: bool,
    /// Items whose 該当なし率 here is far above the nation's (prefectures).
    na_flags: Vec<crate::stats::model::NaFlag>,
    na_flag_ratio: u32,
    /// The tables of the sub-items (`stats_table.html`), already rendered.
    table: &'a str,
}

/// What `stats_table.html` shows: the table alone, nothing of the viewer
/// (who sees it only chooses which of the two variants of the table, with
/// or without names, it is rendered from).
#[derive(Serialize)]
struct TableView<'a> {
    s: &'a Summary,
    prev_short: Option<String>,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    q: web::Query<StatsQuery>,
) -> AppResult<HttpResponse> {
    let (scope, year) = path.into_inner();
    let (scope, access, cached) = table(&req, &state, &scope, &year, q.basis()).await?;
    let shown = visible(&cached.summary, access);
    let buckets = q.buckets();
    let custom;
    let s: &Summary = match buckets {
        Some(b) => {
            custom = with_buckets(&shown, b)?;
            &custom
        }
        None => &shown,
    };
    let na_flags = match &scope {
        Scope::Prefecture(_) => {
            let cache = state.stats.clone();
            let catalog = state.catalog.clone();
            let fy = FiscalYear::new(s.fiscal_year)
                .map_err(|e| AppError::internal_from("table year", e))?;
            let basis = s.basis;
            let national = state
                .db(move |conn| cache.summary_of(conn, &catalog, &Scope::National, fy, basis))
                .await?;
            crate::stats::model::na_flags(s, &national.summary, state.settings.na_flag_ratio)
        }
        _ => Vec::new(),
    };
    let catalog = state.catalog.clone();
    let years: Vec<i32> = state
        .db(move |conn| stats::data::known_years(conn, &catalog))
        .await?
        .into_iter()
        .rev()
        .map(|y| y.year())
        .collect();
    // The sub-item tables are the same for every viewer of the same variant:
    // rendered once per table generation and served from memory until the
    // table changes. Regrouped buckets do not touch them.
    let render_table = || {
        state.templates.render_fragment(
            "stats_table.html",
            &TableView {
                s,
                prev_short: s
                    .previous_year
                    .and_then(|y| FiscalYear::new(y).ok())
                    .map(|y| y.short()),
            },
        )
    };
    let table = cached.page_table(access == Access::Full, render_table)?;
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
        years,
        scope_key: scope.key(),
        linked: linked_rows(s, viewer(&req).as_ref()),
        provisional: s.basis.is_provisional(),
        may_see_provisional: authorize_basis(viewer(&req).as_ref(), &scope, Basis::Provisional)
            .is_ok(),
        buckets: buckets.unwrap_or_default().to_string(),
        na_flags,
        na_flag_ratio: state.settings.na_flag_ratio,
        table: &table,
    };
    super::page::public(&state, &req, "stats.html", "集計表", view)
}

/// The codes of the ranking whose own table `viewer` may open: a prefecture
/// for the ministry and that prefecture's staff; an organisation for whoever
/// was allowed the table that ranks it (a prefecture's or the agencies'),
/// which only readers of those organisations see.
fn linked_rows(s: &Summary, viewer: Option<&CurrentUser>) -> Vec<String> {
    let (Some(ranking), Some(user)) = (s.ranking.as_ref(), viewer) else {
        return Vec::new();
    };
    ranking
        .rows
        .iter()
        .filter(|r| ranking.kind != "prefectures" || policy::can_view_prefecture(user, &r.code))
        .map(|r| r.code.clone())
        .collect()
}

/// `/stats/{scope}/{year}.xlsx`: the 集計表 workbook of the same table the
/// page shows, as a download.
pub async fn xlsx(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    q: web::Query<StatsQuery>,
) -> AppResult<HttpResponse> {
    let (scope, year) = path.into_inner();
    let (scope, access, cached) = table(&req, &state, &scope, &year, q.basis()).await?;
    // The workbook shows what the page shows: without the right to see them,
    // the names of organisations that fall short are left out.
    let (utf8, ascii) = summary_export::file_names(&cached.summary);
    let fy = cached.summary.fiscal_year;
    let catalog = state.catalog.clone();
    // Built once per table generation and kind of viewer, then served from
    // memory until the table changes.
    let with_names = access == Access::Full;
    let bytes = web::block(move || {
        cached.workbook(with_names, || {
            let shown = visible(&cached.summary, access);
            summary_export::summary_workbook(&shown, &catalog)
        })
    })
    .await
    .map_err(|e| AppError::internal_from("blocking task failed", e))??;
    if let Some(user) = viewer(&req) {
        let file = utf8.clone();
        state
            .db(move |conn| {
                exports::table_downloaded(conn, &user.actor(), &scope, fy, "集計表", &file)
            })
            .await?;
    }
    Ok(super::xlsx_download(bytes.as_ref().clone(), &ascii, &utf8))
}

/// `/stats/{scope}/{year}/open-data.csv|.xlsx|-codes.csv`: the table's
/// open data (`excel::open_data`), after the same scope check as the page:
/// per-organisation figures only for those who may see them.
pub async fn open_data(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> AppResult<HttpResponse> {
    use crate::excel::open_data as od;
    let (scope, year, ext) = path.into_inner();
    if !matches!(ext.as_str(), "csv" | "xlsx" | "codes.csv") {
        return Err(AppError::NotFound(format!(
            "オープンデータの形式「{ext}」はありません（open-data.csv、open-data.codes.csv、open-data.xlsx）"
        )));
    }
    let (scope, _access, cached) = table(&req, &state, &scope, &year, Basis::Official).await?;
    let catalog = state.catalog.clone();
    let s = cached.summary.clone();
    let fy = s.fiscal_year;
    let base = od::base_name(&s);
    let ext2 = ext.clone();
    let bytes = web::block(move || -> AppResult<Vec<u8>> {
        let rows = od::rows(&s);
        let codes = od::codes(&catalog, &[&s]);
        match ext2.as_str() {
            "csv" => od::data_csv(&rows),
            "codes.csv" => od::codes_csv(&codes),
            _ => od::workbook(&rows, &codes),
        }
    })
    .await
    .map_err(|e| AppError::internal_from("blocking task failed", e))??;
    let name = match ext.as_str() {
        "csv" => format!("{base}.csv"),
        "codes.csv" => format!("{base}_codes.csv"),
        _ => format!("{base}.xlsx"),
    };
    if let Some(user) = viewer(&req) {
        let file = name.clone();
        state
            .db(move |conn| {
                exports::table_downloaded(conn, &user.actor(), &scope, fy, "オープンデータ", &file)
            })
            .await?;
    }
    if ext == "xlsx" {
        return Ok(super::xlsx_download(bytes, &name, &name));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes))
}

pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}
