//! Workbooks on the web: the 調査票 of an organisation (download, and upload
//! of a filled one) and the 改善計画書 of a scope. Every download is logged
//! as an export.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use futures_util::StreamExt;
use serde::Serialize;

use super::common::{render, year};
use crate::auth::{can_answer, can_view_national, can_view_prefecture, require, CurrentUser};
use crate::domain::sheet::parse_date;
use crate::error::{AppError, AppResult};
use crate::excel::form_export::file_name;
use crate::excel::form_import::ImportReport;
use crate::excel::limits::{self, Limits};
use crate::routes::xlsx_download;
use crate::state::AppState;
use crate::stats::scope::Scope;
use crate::store::organisations::{get as find_org, variant_of};
use crate::workflow::exports;
use crate::workflow::upload::{import_workbook, Uploaded};

/// The multipart field that carries the workbook.
pub const FILE_FIELD: &str = "file";

/// GET `/answers/{org}/{year}/form.xlsx`: the organisation's 調査票, with its
/// answers, 重要機能室 answer and plans on file prefilled.
pub async fn form_download(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (code, y) = path.into_inner();
    let fy = year(&y)?;
    let catalog = state.catalog.clone();
    let (bytes, org) = state
        .db(move |conn| exports::form_workbook(conn, &catalog, &user, &code, fy))
        .await?;
    Ok(xlsx_download(
        bytes,
        &file_name(&org.code, fy),
        &format!("調査票_{}_{}.xlsx", org.name, fy.wareki()),
    ))
}

/// GET `/exports/plans/{scope}/{year}`: the 改善計画書 of `org:CODE`
/// (whoever may read the organisation), `pref:CODE` (the prefecture, the
/// ministry), `national` or `agencies` (the ministry).
pub async fn plans_download(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (scope, y) = path.into_inner();
    let fy = year(&y)?;
    let scope = Scope::parse(&scope).map_err(|e| AppError::NotFound(e.to_string()))?;
    match &scope {
        Scope::Prefecture(code) => require(can_view_prefecture(&user, &code.to_string()))?,
        Scope::National | Scope::Agencies => require(can_view_national(&user))?,
        Scope::Organisation(_) => {}
    }
    let catalog = state.catalog.clone();
    let (bytes, names) = state
        .db(move |conn| exports::plans_workbook(conn, &catalog, &user, &scope, fy))
        .await?;
    Ok(xlsx_download(bytes, &names.0, &names.1))
}

/// The result page of an upload.
#[derive(Serialize, Default)]
struct UploadView {
    org_code: String,
    org_name: String,
    fiscal_year: i32,
    fiscal_year_label: String,
    file_name: String,
    imported: bool,
    /// Refusals (or the reason nothing was read), one per line.
    problems: Vec<String>,
    summary: String,
    critical_room: Option<bool>,
    added: usize,
    changes: Vec<String>,
    last_year: Option<String>,
    plans: Vec<UploadedPlan>,
    removed: Vec<String>,
    warnings: Vec<String>,
    version: i32,
}

#[derive(Serialize)]
struct UploadedPlan {
    code: String,
    measure: String,
    target: String,
}

/// The workbook of a multipart form: its bytes and file name, or what to
/// tell the user.
async fn read_upload(
    payload: &mut Multipart,
    limits: &Limits,
) -> Result<(Vec<u8>, String), String> {
    const CHOOSE: &str = "取り込む調査票のブック（.xlsx）を選んでから「取り込む」を押してください";
    let limit = usize::try_from(limits.max_file_bytes).unwrap_or(usize::MAX);
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| CHOOSE.to_string())?;
        if field.name() != Some(FILE_FIELD) {
            // Other fields (the CSRF token, checked already) are small.
            let _ = field.bytes(64 * 1024).await;
            continue;
        }
        let name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .unwrap_or("")
            .to_string();
        let bytes = match field.bytes(limit).await {
            Ok(Ok(b)) => b.to_vec(),
            Ok(Err(_)) => return Err(CHOOSE.to_string()),
            Err(_) => return Err(limits::over_limit(limits)),
        };
        if bytes.is_empty() && name.is_empty() {
            return Err(CHOOSE.to_string());
        }
        return Ok((bytes, name));
    }
    Err(CHOOSE.to_string())
}

/// POST `/answers/{org}/{year}/upload` (multipart, with `csrf_token` and
/// `file`): imports a filled 調査票 into the sheet.
pub async fn form_upload(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    mut payload: Multipart,
) -> AppResult<HttpResponse> {
    let (code, y) = path.into_inner();
    let fy = year(&y)?;
    let u = user.clone();
    let org = state
        .db(move |conn| {
            let org = find_org(conn, &code)?;
            require(can_answer(&u, &org))?;
            variant_of(&org)?;
            Ok(org)
        })
        .await?;
    let mut view = UploadView {
        org_code: org.code.clone(),
        org_name: org.name.clone(),
        fiscal_year: fy.year(),
        fiscal_year_label: fy.to_string(),
        ..UploadView::default()
    };
    let page = |view: UploadView, status: StatusCode| {
        render(
            &state,
            Some(&user),
            "form_upload.html",
            "調査票のブックの取り込み",
            None,
            status,
            view,
        )
    };
    let limits = Limits::DEFAULT;
    let (bytes, file) = match read_upload(&mut payload, &limits).await {
        Ok(x) => x,
        Err(message) => {
            view.problems = vec![message];
            return page(view, StatusCode::BAD_REQUEST);
        }
    };
    view.file_name = file;
    let catalog = state.catalog.clone();
    let actor = user.actor();
    let outcome = state
        .db(move |conn| import_workbook(conn, &catalog, &actor, &org, fy, &bytes))
        .await;
    match outcome {
        Ok(Uploaded::Imported(done)) => {
            fill_report(&mut view, &done.report);
            view.imported = true;
            view.removed = done.removed;
            view.version = done.version;
            page(view, StatusCode::OK)
        }
        Ok(Uploaded::Refused(refusal)) => {
            view.problems = refusal.lines();
            page(view, StatusCode::BAD_REQUEST)
        }
        Err(AppError::Conflict(message)) => {
            view.problems = vec![message];
            page(view, StatusCode::CONFLICT)
        }
        Err(AppError::NotFound(message)) => {
            view.problems = vec![message];
            page(view, StatusCode::NOT_FOUND)
        }
        Err(e) => Err(e),
    }
}

fn fill_report(view: &mut UploadView, report: &ImportReport) {
    view.summary = report.summary();
    view.critical_room = report
        .conditions
        .get(crate::domain::sheet::CRITICAL_ROOM)
        .copied();
    view.added = report.added();
    view.changes = report.change_lines();
    view.last_year = report.last_year_line();
    view.plans = report
        .plans
        .iter()
        .map(|p| UploadedPlan {
            code: p.item_code.clone(),
            measure: p.measure.clone(),
            target: parse_date(&p.target)
                .map_or_else(|| p.target.clone(), |d| d.format("%Y-%m-%d").to_string()),
        })
        .collect();
    view.warnings = report.warnings.clone();
}
