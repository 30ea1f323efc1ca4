//! The second factor's pages: the code after the password
//! (`/login/totp`), and enrolment (`/account/totp`: QR code as an inline
//! SVG image, the secret as text, then 10 recovery codes shown once). No
//! JavaScript needed.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::common::{render, see_other};
use super::signin::login_form;
use crate::auth::second_factor::{self as sf, Step, CHALLENGE_COOKIE};
use crate::auth::session::{removal_cookie, session_cookie};
use crate::auth::{safe_next, CurrentUser, PRE_SESSION_COOKIE, SESSION_COOKIE};
use crate::domain::FieldProblem;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store;

fn challenge_cookie(value: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(CHALLENGE_COOKIE, value.to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(time::Duration::seconds(sf::CHALLENGE_SECONDS))
        .finish()
}

fn percent(s: &str) -> String {
    serde_urlencoded::to_string([("next", s)]).unwrap_or_default()
}

/// After a right password of an enrolled account: the challenge's cookie,
/// and on to the code's page. No session yet.
pub fn to_second_step(state: &AppState, challenge: &str, next: &str) -> AppResult<HttpResponse> {
    let mut res = see_other(&format!("/login/totp?{}", percent(next)));
    res.add_cookie(&challenge_cookie(challenge, state.settings.secure_cookies))
        .map_err(|e| AppError::internal_from("cookie", e))?;
    Ok(res)
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Serialize)]
struct CodeView {
    csrf_token: String,
    next: String,
    error: Option<String>,
}

fn code_form(
    state: &AppState,
    req: &HttpRequest,
    next: &str,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let Some(csrf) = req
        .cookie(PRE_SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|t| t.len() == 64)
    else {
        return Ok(see_other("/login"));
    };
    render(
        state,
        None,
        "totp_login.html",
        "確認コード",
        None,
        status,
        CodeView {
            csrf_token: csrf,
            next: next.to_string(),
            error,
        },
    )
}

pub async fn login_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: Option<CurrentUser>,
    q: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    let next = safe_next(q.next.as_deref());
    if user.is_some() {
        return Ok(see_other(&next));
    }
    if req.cookie(CHALLENGE_COOKIE).is_none() {
        return Ok(see_other("/login"));
    }
    code_form(&state, &req, &next, None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

pub async fn login_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<CodeForm>,
) -> AppResult<HttpResponse> {
    let next = safe_next(Some(&form.next));
    let secure = state.settings.secure_cookies;
    let Some(challenge) = req.cookie(CHALLENGE_COOKIE).map(|c| c.value().to_string()) else {
        return Ok(see_other("/login"));
    };
    let address = crate::auth::session::request_address(&req, state.settings.trusted_proxy);
    let previous = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
    match sf::finish(&state, &challenge, &form.code, &address, previous).await? {
        Step::Session(session) => {
            let target = if session.must_change_password {
                "/password".to_string()
            } else {
                next
            };
            let mut res = see_other(&target);
            res.add_cookie(&session_cookie(&session.token, secure))
                .and_then(|_| res.add_cookie(&removal_cookie(PRE_SESSION_COOKIE, secure)))
                .and_then(|_| res.add_cookie(&removal_cookie(CHALLENGE_COOKIE, secure)))
                .map_err(|e| AppError::internal_from("cookie", e))?;
            Ok(res)
        }
        Step::Retry(message) => {
            code_form(&state, &req, &next, Some(message), StatusCode::UNAUTHORIZED)
        }
        Step::Restart(message) => {
            let mut res = login_form(
                &state,
                &req,
                &next,
                "",
                Some(message),
                StatusCode::UNAUTHORIZED,
            )?;
            res.add_cookie(&removal_cookie(CHALLENGE_COOKIE, secure))
                .map_err(|e| AppError::internal_from("cookie", e))?;
            Ok(res)
        }
    }
}

#[derive(Serialize)]
struct EnrolView {
    enrolled_since: Option<String>,
    recovery_codes_left: i64,
    required: bool,
    secret: String,
    secret_grouped: String,
    qr: String,
    otpauth: String,
    problems: Vec<FieldProblem>,
    /// Shown once, right after enrolment.
    recovery_codes: Vec<String>,
}

async fn enrol_view(
    state: &AppState,
    user: &CurrentUser,
    secret: Option<String>,
    problems: Vec<FieldProblem>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let id = user.user_id;
    let (factor, left) = state
        .db(move |conn| {
            Ok((
                store::second_factor::find(conn, id)?,
                store::second_factor::recovery_codes_left(conn, id)?,
            ))
        })
        .await?;
    let mut view = EnrolView {
        enrolled_since: factor.map(|f| f.enabled_at),
        recovery_codes_left: left,
        required: user.must_enrol_totp,
        secret: String::new(),
        secret_grouped: String::new(),
        qr: String::new(),
        otpauth: String::new(),
        problems,
        recovery_codes: Vec::new(),
    };
    if view.enrolled_since.is_none() {
        let secret = secret.unwrap_or_else(sf::new_secret);
        let url = sf::otpauth_url(&secret, &user.login)?;
        view.qr = sf::qr_data_url(&url)?;
        view.otpauth = url;
        view.secret_grouped = sf::grouped(&secret);
        view.secret = secret;
    }
    render(
        state,
        Some(user),
        "totp_enrol.html",
        "二要素認証",
        None,
        status,
        view,
    )
}

pub async fn enrol_page(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    enrol_view(&state, &user, None, Vec::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    secret: String,
    #[serde(default)]
    code: String,
}

pub async fn enrol_post(
    state: web::Data<AppState>,
    user: CurrentUser,
    form: web::Form<EnrolForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    // The secret travels in the form (it is shown on the page anyway); only
    // a well-formed one is taken.
    let secret = form.secret.trim().to_string();
    let secret_ok = !secret.is_empty()
        && secret.len() <= 64
        && secret
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b));
    if !secret_ok {
        return enrol_view(
            &state,
            &user,
            None,
            vec![FieldProblem::form(
                "秘密鍵が読めません。新しい秘密鍵で設定し直してください",
            )],
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let actor = user.actor();
    let id = user.user_id;
    let (s, code) = (secret.clone(), form.code.clone());
    let result = state
        .db(move |conn| {
            let me = store::users::find(conn, id)?.ok_or(AppError::Forbidden)?;
            sf::enrol(conn, &actor, &me, &s, &code, chrono::Utc::now())
        })
        .await;
    match result {
        Ok(codes) => render(
            &state,
            Some(&user),
            "totp_enrol.html",
            "二要素認証",
            None,
            StatusCode::OK,
            EnrolView {
                enrolled_since: Some(crate::db::now()),
                recovery_codes_left: codes.len() as i64,
                required: false,
                secret: String::new(),
                secret_grouped: String::new(),
                qr: String::new(),
                otpauth: String::new(),
                problems: Vec::new(),
                recovery_codes: codes,
            },
        ),
        Err(AppError::BadRequest(m)) => {
            enrol_view(
                &state,
                &user,
                Some(secret),
                vec![FieldProblem::on("code", m)],
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(AppError::Conflict(m)) => {
            enrol_view(
                &state,
                &user,
                None,
                vec![FieldProblem::form(m)],
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e),
    }
}
