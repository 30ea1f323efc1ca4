//! Administrators' list of accounts: adding one, unlocking, a new initial
//! password, and the review of unused accounts. One account's page and its
//! lifecycle are in `account`, the operation log's search in `oplog`; the
//! changes themselves are in `workflow::accounts`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::account::disabled_label;
use super::common::{notice, render, see_other, NoticeQuery};
use super::confirm;
use crate::auth::lifecycle;
use crate::auth::{can_manage_accounts, password, require, CurrentUser, Role};
use crate::domain::FieldProblem;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{second_factor, users};
use crate::workflow::accounts as change;

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
    /// 無効（理由） or 利用期限切れ; `None` in use.
    disabled: Option<String>,
    valid_until: Option<String>,
    second_factor: bool,
}

#[derive(Serialize)]
struct UsersView {
    users: Vec<UserRow>,
    roles: Vec<(&'static str, &'static str)>,
    problems: Vec<FieldProblem>,
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
    problems: Vec<FieldProblem>,
    done: Option<&str>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let now = chrono::Utc::now();
    let (list, enrolled) = state
        .db(|conn| Ok((users::list(conn)?, second_factor::enrolled_ids(conn)?)))
        .await?;
    let rows = list
        .into_iter()
        .map(|(u, org_code, org_name)| UserRow {
            disabled: disabled_label(&u, now),
            valid_until: u.valid_until.clone(),
            second_factor: enrolled.contains(&u.id),
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

pub(super) async fn hash_off_thread(state: &AppState, pw: String) -> AppResult<String> {
    state.hashing.run(move || password::hash(&pw)).await?
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
            vec![FieldProblem::on("role", "役割を選んでください")],
            None,
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let login = form.login.trim().to_string();
    let pw = password::generate(&login);
    let hash = hash_off_thread(&state, pw.clone()).await?;
    let (l, org) = (login.clone(), form.org.trim().to_string());
    let adder = user.clone();
    let result = state
        .db(move |conn| change::add(conn, &adder, &l, &org, role, &hash))
        .await;
    match result {
        Ok(()) => created_page(&state, &user, login, pw, false),
        // `users::create` checks the login, then the organisation (that it
        // exists and fits the role), then that the login is free.
        Err(AppError::BadRequest(m)) => {
            let field = if users::check_login(&login).is_err() {
                "login"
            } else {
                "org"
            };
            let problems = vec![FieldProblem::on(field, m)];
            users_view(&state, &user, form, problems, None, StatusCode::BAD_REQUEST).await
        }
        Err(AppError::Conflict(m)) => {
            let problems = vec![FieldProblem::on("login", m)];
            users_view(&state, &user, form, problems, None, StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e),
    }
}

/// The account `id`, when `user` may change it.
pub(super) async fn changeable_user(
    state: &AppState,
    user: &CurrentUser,
    id: i32,
) -> AppResult<users::User> {
    let user = user.clone();
    state
        .db(move |conn| change::changeable(conn, &user, id))
        .await
}

pub async fn users_unlock(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    require(can_manage_accounts(&user))?;
    let target = changeable_user(&state, &user, path.into_inner()).await?;
    let actor = user.actor();
    state
        .db(move |conn| change::unlock(conn, &actor, &target))
        .await?;
    Ok(see_other("/admin/users?done=unlocked"))
}

pub async fn users_reset(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i32>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    require(can_manage_accounts(&user))?;
    let target = changeable_user(&state, &user, path.into_inner()).await?;
    if !confirm::confirmed(&form) {
        let org_id = target.organisation_id;
        let org = state
            .db(move |conn| crate::store::organisations::find_by_id(conn, org_id))
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        let c = confirm::Confirmation {
            heading: "パスワードを再発行する前の確認",
            facts: vec![
                confirm::fact("ログインID", target.login.clone()),
                confirm::fact("所属", org),
            ],
            consequence: format!(
                "再発行すると、{} の今のパスワードは使えなくなり、ログイン中のセッションはすべて終了します。新しい初期パスワードは次の画面で一度だけ表示します。",
                target.login
            ),
            action: format!("/admin/users/{}/reset", target.id),
            button: "パスワード再発行",
            back: Some("/admin/users".into()),
        };
        return confirm::page(&state, &user, &c, &form);
    }
    let pw = password::generate(&target.login);
    let hash = hash_off_thread(&state, pw.clone()).await?;
    let actor = user.actor();
    let login = target.login.clone();
    state
        .db(move |conn| change::reset_password(conn, &actor, &target, &hash))
        .await?;
    created_page(&state, &user, login, pw, true)
}

#[derive(Serialize)]
struct ReviewRow {
    id: i32,
    login: String,
    org_code: String,
    org_name: String,
    role_label: &'static str,
    last_use: String,
    days: i64,
}

#[derive(Serialize)]
struct ReviewView {
    rows: Vec<ReviewRow>,
    days: u64,
}

/// Accounts unused for `Settings::account_review_after`, for the periodic
/// review, each with a one-click disable form.
pub async fn review_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    require(can_manage_accounts(&user))?;
    let after = state.settings.account_review_after;
    let now = chrono::Utc::now();
    let list = state.db(users::list).await?;
    let rows = list
        .into_iter()
        .filter(|(u, _, _)| lifecycle::unused(u, after, now))
        .map(|(u, org_code, org_name)| {
            let last = lifecycle::last_use(&u);
            ReviewRow {
                id: u.id,
                role_label: Role::parse(&u.role).map_or("不明", Role::label),
                last_use: crate::auth::stamp(last),
                days: (now - last).num_days(),
                login: u.login,
                org_code,
                org_name,
            }
        })
        .collect();
    render(
        &state,
        Some(&user),
        "users_review.html",
        "未使用アカウントの確認",
        notice(q.done.as_deref()),
        StatusCode::OK,
        ReviewView {
            rows,
            days: after.as_secs() / 86_400,
        },
    )
}
