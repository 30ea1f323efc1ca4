//! The start page of a signed-in account: what its role can do, for each round.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::common::{notice, render, see_other, NoticeQuery};
use crate::auth::{CurrentUser, Role};
use crate::checklists::Variant;
use crate::domain::FiscalYear;
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::notices::{self, Notice};
use crate::store::rounds::{self, variant_label};
use crate::store::submissions::{self, Status};

#[derive(Serialize)]
struct RoundLine {
    fiscal_year: i32,
    fiscal_year_label: String,
    variant: String,
    variant_label: &'static str,
    open: bool,
    status_label: &'static str,
    deadline: Option<String>,
    /// The account's own sheet, for answering roles.
    sheet_status: Option<&'static str>,
    sheet_status_key: Option<Status>,
}

#[derive(Serialize)]
struct HomeView {
    role: Role,
    rounds: Vec<RoundLine>,
    notices: Vec<Notice>,
    unread: i64,
}

pub async fn home(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    let role = user.role;
    let org_id = user.org_id;
    let own_variant = match role {
        Role::Municipality | Role::Prefecture => Some(Variant::Municipal),
        Role::Agency => Some(Variant::NationalAgency),
        Role::Ministry => None,
        Role::Admin => return page(&state, &user, &q, Vec::new()).await,
    };
    let rounds = state
        .db(move |conn| {
            let mut out = Vec::new();
            for r in rounds::list(conn)? {
                let Some(variant) = Variant::parse(&r.variant) else {
                    continue;
                };
                if own_variant.is_some_and(|v| v != variant) {
                    continue;
                }
                let fy = FiscalYear::new(r.fiscal_year)?;
                let sheet = if matches!(role, Role::Municipality | Role::Agency) {
                    Some(submissions::status_of(
                        submissions::find(conn, org_id, fy)?.as_ref(),
                    ))
                } else {
                    None
                };
                out.push(RoundLine {
                    fiscal_year: r.fiscal_year,
                    fiscal_year_label: fy.to_string(),
                    variant: r.variant.clone(),
                    variant_label: variant_label(variant),
                    open: r.is_open(),
                    status_label: r.status_label(),
                    deadline: r.deadline.clone(),
                    sheet_status: sheet.map(Status::label),
                    sheet_status_key: sheet,
                });
            }
            Ok(out)
        })
        .await?;
    page(&state, &user, &q, rounds).await
}

/// Marks the organisation's notices read.
pub async fn notices_read(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> AppResult<HttpResponse> {
    let org_id = user.org_id;
    state
        .db(move |conn| notices::mark_all_read(conn, org_id))
        .await?;
    Ok(see_other("/home"))
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    q: &NoticeQuery,
    rounds: Vec<RoundLine>,
) -> AppResult<HttpResponse> {
    let org_id = user.org_id;
    let (notices, unread) = state
        .db(move |conn| {
            Ok((
                notices::list(conn, org_id, 50)?,
                notices::unread_count(conn, org_id)?,
            ))
        })
        .await?;
    render(
        state,
        Some(user),
        "home.html",
        "マイページ",
        notice(q.done.as_deref()),
        StatusCode::OK,
        HomeView {
            role: user.role,
            rounds,
            notices,
            unread,
        },
    )
}
