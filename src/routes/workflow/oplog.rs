//! The operation log's search (操作履歴) with the state of its hash chain.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::common::render;
use crate::auth::{can_read_log, require, CurrentUser};
use crate::domain::sheet::parse_date;
use crate::domain::FieldProblem;
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::oplog;

#[derive(Serialize)]
struct LogRow {
    at: String,
    login: String,
    actor_org: String,
    action: String,
    action_label: String,
    target_org: String,
    fiscal_year: Option<i32>,
    detail: String,
    address: String,
}

#[derive(Serialize)]
struct LogView {
    filter: oplog::Filter,
    rows: Vec<LogRow>,
    limit: i64,
    actions: Vec<(&'static str, &'static str)>,
    problems: Vec<FieldProblem>,
    /// The hash chain: intact, and the sentence that says so.
    chain_intact: bool,
    chain: String,
}

pub const LOG_PAGE: i64 = 500;

pub async fn oplog_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: web::Query<oplog::Filter>,
) -> AppResult<HttpResponse> {
    require(can_read_log(&user))?;
    let filter = q.into_inner();
    let mut problems = Vec::new();
    for (field, label, v) in [
        ("f-from", "開始日", &filter.from),
        ("f-to", "終了日", &filter.to),
    ] {
        if !v.trim().is_empty() && parse_date(v).is_none() {
            problems.push(FieldProblem::on(
                field,
                format!("{label}「{v}」は日付として読めません（例: 2007-12-21）"),
            ));
        }
    }
    if let (Some(from), Some(to)) = (parse_date(&filter.from), parse_date(&filter.to)) {
        if from > to {
            problems.push(FieldProblem::on(
                "f-from",
                format!(
                    "開始日（{}）が終了日（{}）より後になっています。開始日には終了日と同じか前の日を入れてください",
                    filter.from.trim(),
                    filter.to.trim()
                ),
            ));
        }
    }
    let actor = user.actor();
    let f = filter.clone();
    let search = problems.is_empty();
    let (rows, chain) = state
        .db(move |conn| crate::workflow::accounts::search_log(conn, &actor, &f, search, LOG_PAGE))
        .await?;
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    render(
        &state,
        Some(&user),
        "oplog.html",
        "操作履歴",
        None,
        status,
        LogView {
            filter,
            rows: rows
                .into_iter()
                .map(|e| LogRow {
                    action_label: oplog::action_label(&e.action).to_string(),
                    at: e.at,
                    login: e.login,
                    actor_org: e.actor_org,
                    action: e.action,
                    target_org: e.target_org,
                    fiscal_year: e.fiscal_year,
                    detail: e.detail,
                    address: e.address,
                })
                .collect(),
            limit: LOG_PAGE,
            actions: oplog::ACTIONS.to_vec(),
            problems,
            chain_intact: chain.is_intact(),
            chain: chain.describe(),
        },
    )
}
