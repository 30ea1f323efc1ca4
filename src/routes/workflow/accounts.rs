//! Administrators' pages (accounts) and the operation log search.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::common::{notice, render, see_other, NoticeQuery};
use crate::auth::{can_manage_accounts, can_read_log, password, require, CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{oplog, sessions, users};
use crate::workflow::form::parse_date;

#[derive(Serialize)]
struct UserRow {
    id: i32,
    login: String,
    org_code: String,
    org_name: String,
    role_label: &'static str,
    locked_until: Option<String>,
    failed_attempts: i32,
    must_change_password: bool,
    last_login_at: Option<String>,
}

#[derive(Serialize)]
struct UsersView {
    users: Vec<UserRow>,
    roles: Vec<(&'static str, &'static str)>,
    problems: Vec<String>,
    form: UserForm,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct UserForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    role: String,
}

async fn users_view(
    state: &AppState,
    user: &CurrentUser,
    form: UserForm,
    problems: Vec<String>,
    done: Option<&str>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let now = chrono::Utc::now();
    let list = state.db(users::list).await?;
    let rows = list
        .into_iter()
        .map(|(u, org_code, org_name)| UserRow {
            id: u.id,
            role_label: Role::parse(&u.role).map_or("不明", Role::label),
            locked_until: u.locked_until.filter(|t| crate::auth::parse_stamp(t) > now),
            failed_attempts: u.failed_attempts,
            must_change_password: u.must_change_password,
            last_login_at: u.last_login_at,
            login: u.login,
            org_code,
            org_name,
        })
        .collect();
    render(
        state,
        Some(user),
        "users.html",
        "アカウント",
        notice(done),
        status,
        UsersView {
            users: rows,
            roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
            problems,
            form,
        },
    )
}

pub async fn users_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    require(can_manage_accounts(&user))?;
    users_view(
        &state,
        &user,
        UserForm::default(),
        Vec::new(),
        q.done.as_deref(),
        StatusCode::OK,
    )
    .await
}

#[derive(Serialize)]
struct CreatedView {
    login: String,
    password: String,
    reset: bool,
}

fn created_page(
    state: &AppState,
    user: &CurrentUser,
    login: String,
    password: String,
    reset: bool,
) -> AppResult<HttpResponse> {
    render(
        state,
        Some(user),
        "user_created.html",
        "初期パスワード",
        None,
        StatusCode::OK,
        CreatedView {
            login,
            password,
            reset,
        },
    )
}

async fn hash_off_thread(pw: String) -> AppResult<String> {
    web::block(move || password::hash(&pw))
        .await
        .map_err(|e| AppError::Internal(format!("blocking task failed: {e}")))?
}

pub async fn users_add(
    state: web::Data<AppState>,
    user: CurrentUser,
    form: web::Form<UserForm>,
) -> AppResult<HttpResponse> {
    require(can_manage_accounts(&user))?;
    let form = form.into_inner();
    let Some(role) = Role::parse(&form.role) else {
        return users_view(
            &state,
            &user,
            form,
            vec!["役割を選んでください".into()],
            None,
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let login = form.login.trim().to_string();
    let pw = password::generate(&login);
    let hash = hash_off_thread(pw.clone()).await?;
    let actor = user.actor();
    let (l, org) = (login.clone(), form.org.trim().to_string());
    let result = state
        .db(move |conn| {
            use diesel::Connection;
            conn.transaction(|conn| {
                let created = users::create(conn, &l, &org, role, &hash, true)?;
                oplog::record(
                    conn,
                    &actor,
                    "user_add",
                    &org,
                    None,
                    &format!("{}（{}）", created.login, role.label()),
                )
            })
        })
        .await;
    match result {
        Ok(()) => created_page(&state, &user, login, pw, false),
        Err(AppError::BadRequest(m) | AppError::Conflict(m)) => {
            users_view(&state, &user, form, vec![m], None, StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e),
    }
}

async fn target_user(state: &AppState, id: i32) -> AppResult<users::User> {
    state
        .db(move |conn| users::find(conn, id))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("アカウント {id} はありません")))
}

pub async fn users_unlock(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    require(can_manage_accounts(&user))?;
    let target = target_user(&state, path.into_inner()).await?;
    let actor = user.actor();
    state
        .db(move |conn| {
            use diesel::Connection;
            // The change and its log entry stand or fall together.
            conn.transaction(|conn| {
                users::unlock(conn, target.id)?;
                oplog::record(conn, &actor, "user_unlock", "", None, &target.login)
            })
        })
        .await?;
    Ok(see_other("/admin/users?done=unlocked"))
}

pub async fn users_reset(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    require(can_manage_accounts(&user))?;
    let target = target_user(&state, path.into_inner()).await?;
    let pw = password::generate(&target.login);
    let hash = hash_off_thread(pw.clone()).await?;
    let actor = user.actor();
    let login = target.login.clone();
    state
        .db(move |conn| {
            use diesel::Connection;
            conn.transaction(|conn| {
                users::set_password(conn, target.id, &hash, true)?;
                users::unlock(conn, target.id)?;
                sessions::delete_for_user(conn, target.id, None)?;
                oplog::record(conn, &actor, "user_reset", "", None, &target.login)
            })
        })
        .await?;
    created_page(&state, &user, login, pw, true)
}

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
    problems: Vec<String>,
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
    for (label, v) in [("開始日", &filter.from), ("終了日", &filter.to)] {
        if !v.trim().is_empty() && parse_date(v).is_none() {
            problems.push(format!(
                "{label}「{v}」は日付として読めません（例: 2007-12-21）"
            ));
        }
    }
    let actor = user.actor();
    let f = filter.clone();
    let rows = if problems.is_empty() {
        state
            .db(move |conn| {
                let rows = oplog::search(conn, &f, LOG_PAGE)?;
                let detail = format!(
                    "ログインID={} 組織={} 操作={} 期間={}〜{}",
                    f.login, f.org, f.action, f.from, f.to
                );
                oplog::record(conn, &actor, "oplog_view", "", None, &detail)?;
                Ok(rows)
            })
            .await?
    } else {
        Vec::new()
    };
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
        },
    )
}
