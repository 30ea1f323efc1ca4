//! Login, logout and changing one's password.

use crate::domain::FieldProblem;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::common::{notice, render, see_other, NoticeQuery};
use crate::auth::session::{pre_session_cookie, removal_cookie, session_cookie};
use crate::auth::{login, password, safe_next, token, CurrentUser};
use crate::auth::{PRE_SESSION_COOKIE, SESSION_COOKIE};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store;
use crate::workflow::accounts;

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

#[derive(Serialize)]
struct LoginView {
    csrf_token: String,
    next: String,
    login: String,
    error: Option<String>,
    lockout_threshold: i32,
    lockout_minutes: u64,
}

pub(super) fn login_form(
    state: &AppState,
    req: &HttpRequest,
    next: &str,
    login: &str,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let token = req
        .cookie(PRE_SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|t| t.len() == 64)
        .unwrap_or_else(token::random_token);
    let mut res = render(
        state,
        None,
        "login.html",
        "ログイン",
        None,
        status,
        LoginView {
            csrf_token: token.clone(),
            next: next.to_string(),
            login: login.to_string(),
            error,
            lockout_threshold: state.settings.lockout_threshold,
            lockout_minutes: state.settings.lockout_duration.as_secs() / 60,
        },
    )?;
    res.add_cookie(&pre_session_cookie(&token, state.settings.secure_cookies))
        .map_err(|e| AppError::internal_from("cookie", e))?;
    Ok(res)
}

pub async fn login_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: Option<CurrentUser>,
    q: web::Query<LoginQuery>,
) -> AppResult<HttpResponse> {
    let next = safe_next(q.next.as_deref());
    if user.is_some() {
        return Ok(see_other(&next));
    }
    login_form(&state, &req, &next, "", None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> AppResult<HttpResponse> {
    let address = crate::auth::session::request_address(&req, state.settings.trusted_proxy);
    let previous = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
    let next = safe_next(Some(&form.next));
    match login::attempt(&state, &form.login, &form.password, &address, previous).await? {
        Some(challenge) if challenge.second_factor => {
            super::second_factor::to_second_step(&state, &challenge.token, &next)
        }
        Some(session) => {
            let target = if session.must_change_password {
                "/password".to_string()
            } else {
                next
            };
            let secure = state.settings.secure_cookies;
            let mut res = see_other(&target);
            res.add_cookie(&session_cookie(&session.token, secure))
                .and_then(|_| res.add_cookie(&removal_cookie(PRE_SESSION_COOKIE, secure)))
                .map_err(|e| AppError::internal_from("cookie", e))?;
            Ok(res)
        }
        None => login_form(
            &state,
            &req,
            &next,
            &form.login,
            Some(refusal_message(&state.settings)),
            StatusCode::UNAUTHORIZED,
        ),
    }
}

/// The one answer to every refused login (unknown login, wrong password,
/// locked or disabled account): it states the lockout rule, and being the
/// same in every case it never tells whether the login exists.
pub fn refusal_message(settings: &crate::config::Settings) -> String {
    let n = settings.lockout_threshold;
    let minutes = settings.lockout_duration.as_secs() / 60;
    format!(
        "ログインIDまたはパスワードが違うか、アカウントがロックされています。\
         同じログインIDで{n}回続けてパスワード（または確認コード）を間違えると、\
         そのアカウントは{minutes}分間ロックされ、その間は正しいパスワードでもログインできません。\
         ロックは{minutes}分たつと自動的に解けます（急ぐときは管理者に解除を依頼してください）。"
    )
}

pub async fn logout(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let actor = user.actor();
    let session_id = user.session_id;
    state
        .db(move |conn| accounts::sign_out(conn, &actor, session_id))
        .await?;
    let mut res = see_other("/");
    res.add_cookie(&removal_cookie(
        SESSION_COOKIE,
        state.settings.secure_cookies,
    ))
    .map_err(|e| AppError::internal_from("cookie", e))?;
    Ok(res)
}

#[derive(Serialize)]
struct PasswordView {
    forced: bool,
    problems: Vec<FieldProblem>,
    min_length: usize,
}

fn on(field: &'static str, message: impl Into<String>) -> FieldProblem {
    FieldProblem::on(field, message)
}

pub async fn password_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    render(
        &state,
        Some(&user),
        "password.html",
        "パスワードの変更",
        notice(q.done.as_deref()),
        StatusCode::OK,
        PasswordView {
            forced: user.must_change_password,
            problems: Vec::new(),
            min_length: password::MIN_LENGTH,
        },
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

pub async fn password_change(
    state: web::Data<AppState>,
    user: CurrentUser,
    form: web::Form<PasswordForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let user_id = user.user_id;
    let recent = state
        .db(move |conn| store::users::recent_password_hashes(conn, user_id))
        .await?;
    let stored = recent.first().cloned().ok_or(AppError::Forbidden)?;
    let mut problems: Vec<FieldProblem> = password::policy_problems(&user.login, &form.new)
        .into_iter()
        .map(|p| on("new", p))
        .collect();
    if form.new != form.confirm {
        problems.push(on(
            "confirm",
            "確認のために入力した新しいパスワードが一致しません",
        ));
    }
    if form.new == form.current {
        problems.push(on(
            "new",
            "新しいパスワードは今のパスワードと違うものにしてください",
        ));
    }
    let current = form.current.clone();
    let new = form.new.clone();
    let check_history = problems.is_empty();
    let (checked, reused) = state
        .hashing
        .run(move || {
            if !password::verify(&current, &stored) {
                return Ok((None, false));
            }
            // The last passwords (the current one among them) are refused.
            let reused = check_history && recent.iter().any(|h| password::verify(&new, h));
            password::hash(&new).map(|h| (Some(h), reused))
        })
        .await??;
    if reused {
        problems.push(on(
            "new",
            format!(
                "最近使った{}個のパスワード（今のものを含む）は使えません。別のパスワードにしてください",
                store::users::PASSWORD_HISTORY
            ),
        ));
    }
    let hash = match checked {
        Some(h) if problems.is_empty() => h,
        other => {
            if other.is_none() {
                problems.insert(0, on("current", "今のパスワードが違います"));
            }
            return render(
                &state,
                Some(&user),
                "password.html",
                "パスワードの変更",
                None,
                StatusCode::BAD_REQUEST,
                PasswordView {
                    forced: user.must_change_password,
                    problems,
                    min_length: password::MIN_LENGTH,
                },
            );
        }
    };
    let actor = user.actor();
    let session_id = user.session_id;
    state
        .db(move |conn| accounts::change_own_password(conn, &actor, user_id, session_id, &hash))
        .await?;
    Ok(see_other("/home?done=password"))
}
