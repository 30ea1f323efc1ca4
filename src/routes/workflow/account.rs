//! One account's page (アカウントの状態) and the changes of its standing:
//! disable, enable, end date, notice address, second-factor reset. The
//! handlers parse the form and call `workflow::accounts::change_lifecycle`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::accounts::changeable_user;
use super::common::{notice, render, see_other, NoticeQuery};
use crate::auth::lifecycle::{self, Standing};
use crate::auth::{can_change_lifecycle, can_manage_accounts, require, CurrentUser, Role};
use crate::domain::FieldProblem;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{second_factor, users};
use crate::workflow::accounts::{self as change, LifecycleChange};

/// What the lists show of an account that may not be used.
pub(super) fn disabled_label(
    u: &users::User,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<String> {
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

/// The id of the control a refused change is about (account.html); empty
/// for a change without input. `reason_text` checks the note's length, then
/// the reason, then the note an 「その他」 needs.
fn field_of(what: &LifecycleChange) -> &'static str {
    match what {
        LifecycleChange::Disable { reason, note } => {
            let too_long = note.trim().chars().count() > lifecycle::MAX_NOTE;
            let known = lifecycle::REASONS.iter().any(|(k, _)| *k == reason.trim());
            if too_long || known {
                "note"
            } else {
                "reason"
            }
        }
        LifecycleChange::Enable { .. } | LifecycleChange::EndDate { .. } => "valid_until",
        LifecycleChange::Email(_) => "email",
        LifecycleChange::ResetSecondFactor => "",
    }
}

/// Runs one lifecycle change of `id` (with its log entry, one
/// transaction); a refusal shows the account page with the reason, tied
/// to its field (a conflict is about the account, not a field).
async fn lifecycle_change(
    state: &AppState,
    user: &CurrentUser,
    id: i32,
    form: LifecycleForm,
    what: LifecycleChange,
) -> AppResult<HttpResponse> {
    require(can_change_lifecycle(user, id))?;
    let target = changeable_user(state, user, id).await?;
    let actor = user.actor();
    let done = what.done();
    let field = field_of(&what);
    let result = state
        .db(move |conn| change::change_lifecycle(conn, &actor, &target, &what))
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

pub async fn users_disable(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i32>,
    form: web::Form<LifecycleForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let what = LifecycleChange::Disable {
        reason: form.reason.clone(),
        note: form.note.clone(),
    };
    lifecycle_change(&state, &user, path.into_inner(), form, what).await
}

pub async fn users_enable(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i32>,
    form: web::Form<LifecycleForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let what = LifecycleChange::Enable {
        until: form.valid_until.clone(),
    };
    lifecycle_change(&state, &user, path.into_inner(), form, what).await
}

pub async fn users_valid_until(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i32>,
    form: web::Form<LifecycleForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let what = LifecycleChange::EndDate {
        until: form.valid_until.clone(),
    };
    lifecycle_change(&state, &user, path.into_inner(), form, what).await
}

pub async fn users_email(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i32>,
    form: web::Form<LifecycleForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let what = LifecycleChange::Email(form.email.clone());
    lifecycle_change(&state, &user, path.into_inner(), form, what).await
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
        LifecycleChange::ResetSecondFactor,
    )
    .await
}
