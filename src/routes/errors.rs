//! Every error a browser can meet is a page in the layout (a title,
//! `lang="ja"`, a heading, what happened, what to do and a way back): the
//! plain-text messages of [`AppError`](crate::error::AppError), of the
//! session layer and of the route fallback (404/405) are turned into one
//! here. Under `/api/` errors stay problem documents (`problem.rs`).
//!
//! A page that needs a login (401 to a GET) sends the visitor to the login
//! page, which returns to it afterwards; a form refused because the session
//! had ended (the CSRF check of a request without a session) offers the
//! login that leads back to the page the form was on, where `app.js`
//! restores what was typed.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::auth::{CurrentUser, SESSION_COOKIE};
use crate::state::AppState;

/// Put into a response's extensions by the session layer when it refuses a
/// state-changing request for its missing or wrong CSRF token.
#[derive(Debug, Clone, Copy)]
pub struct CsrfRefused;

#[derive(Serialize)]
struct ErrorView {
    status: u16,
    heading: &'static str,
    message: String,
    advice: &'static str,
    /// The login page that returns to where the visitor was.
    login: Option<String>,
    /// The page the visitor came from (same site only).
    back: Option<String>,
    /// The form was refused because the session had ended: `app.js`
    /// restores the typed input after the login.
    session_expired: bool,
}

pub async fn layer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res.map_into_boxed_body());
    }
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    // Under /api/ errors stay machine-readable (`problem::api_problems`).
    let is_api = res.request().path().starts_with("/api/");
    let plain = content_type.is_empty() || content_type.starts_with("text/plain");
    if is_api || !plain {
        return Ok(res.map_into_boxed_body());
    }
    let csrf_refused = res.response().extensions().get::<CsrfRefused>().is_some();
    let (req, res) = res.into_parts();
    let mut headers = res.headers().clone();
    let text = body::to_bytes(res.into_body())
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let response = page(&req, status, &text, csrf_refused);
    headers.remove(header::CONTENT_TYPE);
    headers.remove(header::CONTENT_LENGTH);
    let mut response = response;
    for (name, value) in headers.iter() {
        if name == header::SET_COOKIE {
            response.headers_mut().append(name.clone(), value.clone());
        } else if !response.headers().contains_key(name) {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(req, response))
}

/// The heading and the advice of a status.
fn fallback(status: StatusCode) -> (&'static str, &'static str, &'static str) {
    // (heading, what happened when the handler said nothing, what to do)
    match status.as_u16() {
        400 | 422 => (
            "入力を受け付けられませんでした",
            "送信された内容を読み取れませんでした。",
            "入力を確かめて、もう一度お試しください。",
        ),
        401 => (
            "ログインが必要です",
            "このページはログインした方だけが使えます。",
            "ログインしてから、もう一度お試しください。",
        ),
        403 => (
            "このページは開けません",
            "この操作の権限がありません。",
            "権限のあるアカウントでログインし直すか、所属の管理者にお問い合わせください。",
        ),
        404 => (
            "ページが見つかりません",
            "お探しのページは見つかりませんでした。",
            "アドレス（URL）を確かめるか、下のリンクから目的のページを開いてください。",
        ),
        405 => (
            "この方法では開けません",
            "このアドレスは、この方法（リンクやフォームの種類）では使えません。",
            "下のリンクから目的のページを開き直してください。",
        ),
        409 => (
            "ほかの変更と重なりました",
            "同じ内容がほかで先に変更されました。",
            "ページを開き直して、最新の内容を確かめてから操作してください。",
        ),
        413 => (
            "送信された内容が大きすぎます",
            "送信された内容が大きすぎます。",
            "ファイルを小さくするか分けて、もう一度送信してください。",
        ),
        s if s >= 500 => (
            "サーバでエラーが発生しました",
            "サーバ内部でエラーが発生しました。",
            "時間をおいて再度お試しください。続く場合は運用管理者にお問い合わせください。",
        ),
        _ => (
            "処理できませんでした",
            "このリクエストは処理できませんでした。",
            "下のリンクから目的のページを開き直してください。",
        ),
    }
}

fn page(req: &HttpRequest, status: StatusCode, text: &str, csrf_refused: bool) -> HttpResponse {
    let user = req.extensions().get::<CurrentUser>().cloned();
    let here = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let reading = matches!(*req.method(), Method::GET | Method::HEAD);
    if status == StatusCode::UNAUTHORIZED && reading && user.is_none() {
        return HttpResponse::SeeOther()
            .insert_header((header::LOCATION, login_to(&here)))
            .finish();
    }
    let back = referer(req);
    let (mut heading, default_message, mut advice) = fallback(status);
    // The fallback's bare 404 says no more than the heading.
    let said_nothing = text.is_empty() || (status == StatusCode::NOT_FOUND && text == heading);
    let mut message = if said_nothing || status.is_server_error() {
        default_message.to_string()
    } else {
        text.to_string()
    };
    let mut login = None;
    let mut session_expired = false;
    if status == StatusCode::UNAUTHORIZED && user.is_none() {
        login = Some(login_to(back.as_deref().unwrap_or(&here)));
    }
    if csrf_refused && user.is_none() {
        let had_session = req.cookie(SESSION_COOKIE).is_some();
        heading = "ログインし直してください";
        message = if had_session {
            "ログインの有効期限が切れていたため、送信された内容は保存されていません。".into()
        } else {
            "ログインしていないため、送信された内容は保存されていません。".into()
        };
        advice = "もう一度ログインすると、元のページに戻ります。入力した内容は、このブラウザに残っていれば元のページで復元されます。";
        // The page the form was on: the referring page, else the address
        // posted to (the sheet is shown at the address it posts to).
        login = Some(login_to(back.as_deref().unwrap_or(req.path())));
        session_expired = true;
    } else if csrf_refused {
        heading = "送信を受け付けられませんでした";
        advice = "ページを開き直してから、もう一度送信してください。";
    }
    let view = ErrorView {
        status: status.as_u16(),
        heading,
        message,
        advice,
        login,
        back,
        session_expired,
    };
    let rendered = req.app_data::<web::Data<AppState>>().map(|state| {
        super::page::render(
            state,
            user.as_ref(),
            "error.html",
            heading,
            None,
            status,
            view,
        )
    });
    match rendered {
        Some(Ok(res)) => res,
        Some(Err(e)) => {
            tracing::error!(error = %e.chain(), "error page failed to render");
            minimal(status, heading)
        }
        None => minimal(status, heading),
    }
}

/// The last resort when even the error page cannot be rendered.
fn minimal(status: StatusCode, heading: &str) -> HttpResponse {
    let html = format!(
        "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{heading} | tenken</title></head>\
         <body><main><h1>{heading}</h1><p><a href=\"/\">トップページへ</a></p></main></body></html>"
    );
    HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ))
        .body(html)
}

/// `/login?next=…` back to `path`.
pub fn login_to(path: &str) -> String {
    format!("/login?next={}", crate::auth::percent_encode(path))
}

/// The referring page's path when it is on this site.
fn referer(req: &HttpRequest) -> Option<String> {
    let r = req.headers().get(header::REFERER)?.to_str().ok()?;
    let host = req.connection_info().host().to_string();
    let rest = r
        .strip_prefix("http://")
        .or_else(|| r.strip_prefix("https://"))?;
    let path = rest.strip_prefix(host.as_str())?;
    (path.starts_with('/') && !path.starts_with("//")).then(|| path.to_string())
}
