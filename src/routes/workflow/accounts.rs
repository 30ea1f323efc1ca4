//! Administrators' pages (accounts) and the operation log search.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::common::{notice, render, see_other, NoticeQuery};
use super::confirm;
use crate::auth::lifecycle::{self, Standing};
use crate::auth::{can_change_account_of, can_change_lifecycle, second_factor as totp};
use crate::auth::{can_manage_accounts, can_read_log, password, require, CurrentUser, Role};
use crate::domain::FieldProblem;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{chain, oplog, second_factor, sessions, users};
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

async fn hash_off_thread(state: &AppState, pw: String) -> AppResult<String> {
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
    let actor = user.actor();
    let (l, org) = (login.clone(), form.org.trim().to_string());
    let adder = user.clone();
    let result = state
        .db(move |conn| {
            use diesel::Connection;
            conn.transaction(|conn| {
                let kind = crate::store::organisations::find(conn, &org)?.map(|o| o.kind);
                require(can_change_account_of(&adder, kind.as_deref().unwrap_or("")))?;
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

async fn target_user(state: &AppState, id: i32) -> AppResult<users::User> {
    state
        .db(move |conn| users::find(conn, id))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("アカウント {id} はありません")))
}

/// The account `id`, when `user` may change it (a ministry account only by
/// the ministry's administrators).
async fn changeable_user(state: &AppState, user: &CurrentUser, id: i32) -> AppResult<users::User> {
    let target = target_user(state, id).await?;
    let org_id = target.organisation_id;
    let kind = state
        .db(move |conn| crate::store::organisations::find_by_id(conn, org_id))
        .await?
        .map(|o| o.kind)
        .unwrap_or_default();
    require(can_change_account_of(user, &kind))?;
    Ok(target)
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

/// What the lists show of an account that may not be used.
fn disabled_label(u: &users::User, now: chrono::DateTime<chrono::Utc>) -> Option<String> {
    match lifecycle::standing(u, now) {
        Standing::Active => None,
        Standing::Disabled(reason) => Some(format!("無効（{reason}）")),
        Standing::Expired(date) => Some(format!("利用期限（{date}）切れ")),
    }
}

#[derive(Serialize)]
struct AccountView {
    id: i32,
    login: String,
    org_code: String,
    org_name: String,
    role_label: &'static str,
    created_at: String,
    last_login_at: Option<String>,
    last_use: String,
    disabled: Option<String>,
    disabled_at: Option<String>,
    valid_until: Option<String>,
    email: Option<String>,
    active: bool,
    own: bool,
    second_factor_since: Option<String>,
    recovery_codes_left: i64,
    reasons: Vec<(&'static str, &'static str)>,
    problems: Vec<FieldProblem>,
    form: LifecycleForm,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct LifecycleForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    valid_until: String,
    /// The notice address (`users_email`); empty clears it.
    #[serde(default)]
    email: String,
    /// `review`: go back to the review list afterwards.
    #[serde(default)]
    from: String,
}

async fn account_view(
    state: &AppState,
    user: &CurrentUser,
    id: i32,
    form: LifecycleForm,
    problems: Vec<FieldProblem>,
    done: Option<&str>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (target, org, factor, left) = state
        .db(move |conn| {
            let Some(target) = users::find(conn, id)? else {
                return Err(AppError::NotFound(format!("アカウント {id} はありません")));
            };
            let org = crate::store::organisations::find_by_id(conn, target.organisation_id)?;
            let factor = second_factor::find(conn, id)?;
            let left = second_factor::recovery_codes_left(conn, id)?;
            Ok((target, org, factor, left))
        })
        .await?;
    let now = chrono::Utc::now();
    let (org_code, org_name) = org.map(|o| (o.code, o.name)).unwrap_or_default();
    render(
        state,
        Some(user),
        "account.html",
        "アカウントの状態",
        notice(done),
        status,
        AccountView {
            id: target.id,
            role_label: Role::parse(&target.role).map_or("不明", Role::label),
            last_use: crate::auth::stamp(lifecycle::last_use(&target)),
            disabled: disabled_label(&target, now),
            active: lifecycle::standing(&target, now) == Standing::Active,
            own: target.id == user.user_id,
            second_factor_since: factor.map(|f| f.enabled_at),
            recovery_codes_left: left,
            reasons: lifecycle::REASONS.to_vec(),
            problems,
            form,
            login: target.login,
            org_code,
            org_name,
            created_at: target.created_at,
            last_login_at: target.last_login_at,
            disabled_at: target.disabled_at,
            valid_until: target.valid_until,
            email: target.email,
        },
    )
}

pub async fn user_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i32>,
    q: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    require(can_manage_accounts(&user))?;
    let form = LifecycleForm::default();
    account_view(
        &state,
        &user,
        path.into_inner(),
        form,
        Vec::new(),
        q.done.as_deref(),
        StatusCode::OK,
    )
    .await
}

/// Runs one lifecycle change of `id` in a transaction with its log entry;
/// a refusal shows the account page with the reason, tied to `field` (the
/// id of the control the change's input is checked from; a conflict is about
/// the account, not a field).
async fn lifecycle_change(
    state: &AppState,
    user: &CurrentUser,
    id: i32,
    form: LifecycleForm,
    (done, field): (&str, &'static str),
    change: impl FnOnce(&mut crate::db::DbConnection, &crate::auth::Actor, &users::User) -> AppResult<()>
        + Send
        + 'static,
) -> AppResult<HttpResponse> {
    require(can_change_lifecycle(user, id))?;
    let target = changeable_user(state, user, id).await?;
    let actor = user.actor();
    let result = state
        .db(move |conn| {
            use diesel::Connection;
            conn.transaction(|conn| change(conn, &actor, &target))
        })
        .await;
    match result {
        Ok(()) if form.from == "review" => {
            Ok(see_other(&format!("/admin/users/review?done={done}")))
        }
        Ok(()) => Ok(see_other(&format!("/admin/users/{id}?done={done}"))),
        Err(AppError::BadRequest(m)) => {
            account_view(
                state,
                user,
                id,
                form,
                vec![FieldProblem::on(field, m)],
                None,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(AppError::Conflict(m)) => {
            let problems = vec![FieldProblem::form(m)];
            account_view(state, user, id, form, problems, None, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e),
    }
}

/// The end date of a form: empty is none.
fn form_end_date(text: &str) -> AppResult<Option<chrono::NaiveDate>> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        lifecycle::parse_end_date(text).map(Some)
    }
}

pub async fn users_disable(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i32>,
    form: web::Form<LifecycleForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let (key, note) = (form.reason.clone(), form.note.clone());
    // `reason_text` checks the note's length, then the reason, then the note
    // an 「その他」 needs.
    let too_long = note.trim().chars().count() > lifecycle::MAX_NOTE;
    let known = lifecycle::REASONS.iter().any(|(k, _)| *k == key.trim());
    let field = if too_long || known { "note" } else { "reason" };
    lifecycle_change(
        &state,
        &user,
        path.into_inner(),
        form,
        ("disabled", field),
        move |c, a, t| {
            let reason = lifecycle::reason_text(&key, &note)?;
            lifecycle::disable(c, a, t, &reason)
        },
    )
    .await
}

pub async fn users_enable(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i32>,
    form: web::Form<LifecycleForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let until = form.valid_until.clone();
    lifecycle_change(
        &state,
        &user,
        path.into_inner(),
        form,
        ("enabled", "valid_until"),
        move |c, a, t| {
            let until = form_end_date(&until)?;
            lifecycle::enable(c, a, t, until, chrono::Utc::now())
        },
    )
    .await
}

pub async fn users_valid_until(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i32>,
    form: web::Form<LifecycleForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let until = form.valid_until.clone();
    lifecycle_change(
        &state,
        &user,
        path.into_inner(),
        form,
        ("valid_until", "valid_until"),
        move |c, a, t| {
            let until = form_end_date(&until)?;
            lifecycle::set_end_date(c, a, t, until, chrono::Utc::now())
        },
    )
    .await
}

pub async fn users_email(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i32>,
    form: web::Form<LifecycleForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let email = form.email.clone();
    lifecycle_change(
        &state,
        &user,
        path.into_inner(),
        form,
        ("email", "email"),
        move |c, a, t| lifecycle::set_email(c, a, t, &email),
    )
    .await
}

pub async fn users_totp_reset(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    lifecycle_change(
        &state,
        &user,
        path.into_inner(),
        LifecycleForm::default(),
        ("totp_reset", ""),
        totp::reset,
    )
    .await
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
        .db(move |conn| {
            // The chain is walked before this view is logged.
            let chain = chain::verify(conn)?;
            if !search {
                return Ok((Vec::new(), chain));
            }
            let rows = oplog::search(conn, &f, LOG_PAGE)?;
            let detail = format!(
                "ログインID={} 組織={} 操作={} 期間={}〜{}",
                f.login, f.org, f.action, f.from, f.to
            );
            oplog::record(conn, &actor, "oplog_view", "", None, &detail)?;
            Ok((rows, chain))
        })
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
