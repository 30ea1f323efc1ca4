//! `/answers/{org}/{year}/history`: the submission history of a sheet and
//! the difference between two submissions, for whoever may read it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::common::{render, year};
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::state::AppState;
use crate::workflow::history;

#[derive(Deserialize)]
pub struct HistoryQuery {
    /// The earlier submission (1回目 = 1); default: the one before `to`.
    from: Option<i32>,
    /// The later submission; default: the last.
    to: Option<i32>,
}

pub async fn history_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    q: web::Query<HistoryQuery>,
) -> AppResult<HttpResponse> {
    let (code, y) = path.into_inner();
    let fy = year(&y)?;
    let u = user.clone();
    let catalog = state.catalog.clone();
    let (from, to) = (q.from, q.to);
    let view = state
        .db(move |conn| history::viewed(conn, &catalog, &u, &code, fy, from, to))
        .await?;
    let title = format!("{} {}年度 提出の履歴", view.org_name, view.fiscal_year);
    render(
        &state,
        Some(&user),
        "history.html",
        &title,
        None,
        StatusCode::OK,
        view,
    )
}
