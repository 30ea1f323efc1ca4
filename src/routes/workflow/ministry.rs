//! The ministry's pages: the national status by prefecture, fiscal rounds and
//! national agencies.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::common::{notice, render, see_other, year, NoticeQuery};
use super::confirm;
use crate::auth::{
    can_manage_agencies, can_manage_rounds, can_view_national, require, CurrentUser,
};
use crate::checklists::Variant;
use crate::domain::{FieldProblem, FiscalYear};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::organisations;
use crate::store::rounds::{self as store_rounds, variant_label};
use crate::workflow::rounds::{self, RoundForm};
use crate::workflow::status;

#[derive(Serialize)]
struct NationalView {
    fiscal_year: i32,
    fiscal_year_label: String,
    round_label: &'static str,
    agency_round_label: &'static str,
    prefectures: Vec<status::PrefectureLine>,
    total: status::PrefectureLine,
    agencies: Vec<status::OrgRow>,
    agency_counts: Vec<status::StatusCount>,
    result_rule: &'static str,
    past_target_rule: &'static str,
}

pub async fn national(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let fy = year(&path)?;
    require(can_view_national(&user))?;
    let catalog = state.catalog.clone();
    let actor = user.actor();
    let view = state
        .db(move |conn| status::national_viewed(conn, &catalog, &actor, fy))
        .await?;
    let label =
        |r: Option<store_rounds::Round>| r.as_ref().map_or("未開始", |r| r.status_label());
    let view = NationalView {
        fiscal_year: fy.year(),
        fiscal_year_label: fy.to_string(),
        round_label: label(view.round),
        agency_round_label: label(view.agency_round),
        prefectures: view.prefectures,
        total: view.total,
        agency_counts: status::counts(&view.agencies),
        agencies: view.agencies,
        result_rule: crate::workflow::plan_follow::RESULT_RULE,
        past_target_rule: crate::workflow::plan_follow::PAST_TARGET_RULE,
    };
    render(
        &state,
        Some(&user),
        "national.html",
        "全国の回答状況",
        None,
        StatusCode::OK,
        view,
    )
}

#[derive(Serialize)]
struct RoundRow {
    variant: String,
    variant_label: &'static str,
    fiscal_year: i32,
    fiscal_year_label: String,
    open: bool,
    status_label: &'static str,
    deadline: Option<String>,
    opened_at: String,
    closed_at: Option<String>,
    checklist_version: String,
    priority_items: String,
}

#[derive(Serialize)]
struct RoundsView {
    rounds: Vec<RoundRow>,
    problems: Vec<FieldProblem>,
    form: RoundForm,
    variants: Vec<(&'static str, &'static str)>,
}

async fn rounds_view(
    state: &AppState,
    user: &CurrentUser,
    form: RoundForm,
    problems: Vec<FieldProblem>,
    done: Option<&str>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let rounds = state.db(store_rounds::list).await?;
    let rows = rounds
        .into_iter()
        .filter_map(|r| {
            let variant = Variant::parse(&r.variant)?;
            let fy = FiscalYear::new(r.fiscal_year).ok()?;
            Some(RoundRow {
                variant_label: variant_label(variant),
                fiscal_year_label: fy.to_string(),
                open: r.is_open(),
                status_label: r.status_label(),
                priority_items: r.priority_items.join(" "),
                variant: r.variant,
                fiscal_year: r.fiscal_year,
                deadline: r.deadline,
                opened_at: r.opened_at,
                closed_at: r.closed_at,
                checklist_version: r.checklist_version,
            })
        })
        .collect();
    render(
        state,
        Some(user),
        "rounds.html",
        "点検の開始と締切",
        notice(done),
        status,
        RoundsView {
            rounds: rows,
            problems,
            form,
            variants: Variant::ALL
                .iter()
                .map(|v| (v.as_str(), variant_label(*v)))
                .collect(),
        },
    )
}

pub async fn rounds_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    require(can_manage_rounds(&user))?;
    rounds_view(
        &state,
        &user,
        RoundForm::default(),
        Vec::new(),
        q.done.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn rounds_open(
    state: web::Data<AppState>,
    user: CurrentUser,
    form: web::Form<RoundForm>,
) -> AppResult<HttpResponse> {
    require(can_manage_rounds(&user))?;
    let form = form.into_inner();
    let round = match rounds::check_form(&state.catalog, &form) {
        Ok(v) => v,
        Err(problems) => {
            return rounds_view(&state, &user, form, problems, None, StatusCode::BAD_REQUEST).await
        }
    };
    let actor = user.actor();
    state
        .db(move |conn| rounds::open(conn, &actor, &round))
        .await?;
    Ok(see_other("/rounds?done=opened"))
}

pub async fn rounds_close(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    require(can_manage_rounds(&user))?;
    let (v, y) = path.into_inner();
    let variant = Variant::parse(&v)
        .ok_or_else(|| AppError::NotFound(format!("調査票「{v}」はありません")))?;
    let fy = year(&y)?;
    if !confirm::confirmed(&form) {
        let round = state
            .db(move |conn| store_rounds::find(conn, variant, fy))
            .await?;
        // A round that is missing or closed is refused below as before.
        if let Some(r) = round.filter(store_rounds::Round::is_open) {
            let c = confirm::Confirmation {
                heading: "点検を締め切る前の確認",
                facts: vec![
                    confirm::fact("点検", format!("{fy} {}", variant_label(variant))),
                    confirm::fact("締切", r.deadline.unwrap_or_else(|| "なし".into())),
                ],
                consequence: format!(
                    "締め切ると、{fy} の{}の点検では、どの団体も回答の保存・提出ができなくなります（受け付けを再開するには、もう一度「開始する」で開始し直します）。",
                    variant_label(variant)
                ),
                action: format!("/rounds/{}/{}/close", variant.as_str(), fy.year()),
                button: "締め切る",
                back: Some("/rounds".into()),
            };
            return confirm::page(&state, &user, &c, &form);
        }
    }
    let actor = user.actor();
    state
        .db(move |conn| rounds::close(conn, &actor, variant, fy))
        .await?;
    Ok(see_other("/rounds?done=closed"))
}

#[derive(Serialize)]
struct AgenciesView {
    agencies: Vec<organisations::Organisation>,
    problems: Vec<FieldProblem>,
    code: String,
    name: String,
}

#[derive(Deserialize)]
pub struct AgencyForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
}

async fn agencies_view(
    state: &AppState,
    user: &CurrentUser,
    form: AgencyForm,
    problems: Vec<FieldProblem>,
    done: Option<&str>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let agencies = state
        .db(|conn| organisations::of_kind(conn, "agency"))
        .await?;
    render(
        state,
        Some(user),
        "agencies.html",
        "国の行政機関等",
        notice(done),
        status,
        AgenciesView {
            agencies,
            problems,
            code: form.code,
            name: form.name,
        },
    )
}

pub async fn agencies_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    require(can_manage_agencies(&user))?;
    let empty = AgencyForm {
        code: String::new(),
        name: String::new(),
    };
    agencies_view(
        &state,
        &user,
        empty,
        Vec::new(),
        q.done.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn agencies_add(
    state: web::Data<AppState>,
    user: CurrentUser,
    form: web::Form<AgencyForm>,
) -> AppResult<HttpResponse> {
    require(can_manage_agencies(&user))?;
    let form = form.into_inner();
    let (code, name) = (form.code.trim().to_string(), form.name.trim().to_string());
    let actor = user.actor();
    let result = state
        .db(move |conn| rounds::add_agency(conn, &actor, &code, &name))
        .await;
    match result {
        Ok(()) => Ok(see_other("/agencies?done=agency")),
        Err(AppError::BadRequest(m) | AppError::Conflict(m)) => {
            let problem = FieldProblem::on(agency_field(&form), m);
            agencies_view(
                &state,
                &user,
                form,
                vec![problem],
                None,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// The field a refused agency is about: the name when the code is a good
/// agency code and the name is empty (the one check of the name), else the
/// code (its form, its kind, or in use), in the order `add_agency` checks.
fn agency_field(form: &AgencyForm) -> &'static str {
    let code_ok = matches!(
        crate::domain::OrgCode::parse(form.code.trim()),
        Ok(crate::domain::OrgCode::Agency(_))
    );
    if code_ok && form.name.trim().is_empty() {
        "name"
    } else {
        "code"
    }
}

#[derive(Deserialize)]
pub struct BoardQuery {
    sort: Option<String>,
}

#[derive(Serialize)]
struct BoardView {
    board: crate::workflow::board::Board,
    sorts: Vec<(&'static str, &'static str)>,
}

/// The board of `path`'s year for the ministry, sorted as asked, with its
/// viewing logged as `action`: what the page and the workbook share.
async fn logged_board(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    path: &str,
    q: web::Query<BoardQuery>,
    action: &'static str,
) -> AppResult<(FiscalYear, crate::workflow::board::Board)> {
    let fy = year(path)?;
    require(can_view_national(user))?;
    let actor = user.actor();
    let sort = q.into_inner().sort;
    let board = state
        .db(move |conn| {
            let today = chrono::Local::now().date_naive();
            crate::workflow::board::viewed(conn, &actor, fy, today, sort.as_deref(), action)
        })
        .await?;
    Ok((fy, board))
}

/// The season board: per prefecture 提出済 / 確認済 / 未提出 and the days
/// to the deadline, sortable with plain links (`?sort=missing`).
pub async fn season_board(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    q: web::Query<BoardQuery>,
) -> AppResult<HttpResponse> {
    let (_, board) = logged_board(&state, &user, &path, q, "status_view").await?;
    render(
        &state,
        Some(&user),
        "board.html",
        "回答状況ボード",
        None,
        StatusCode::OK,
        BoardView {
            board,
            sorts: crate::workflow::board::SORTS.to_vec(),
        },
    )
}

/// The same board as a workbook, in the same order.
pub async fn season_board_xlsx(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    q: web::Query<BoardQuery>,
) -> AppResult<HttpResponse> {
    let (fy, board) = logged_board(&state, &user, &path, q, "export").await?;
    let bytes = crate::workflow::board::workbook(&board)?;
    Ok(crate::routes::xlsx_download(
        bytes,
        &format!("season-board-{}.xlsx", fy.year()),
        &format!("回答状況_{}.xlsx", fy.short()),
    ))
}
