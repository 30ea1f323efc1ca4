//! The session middleware. For every request it
//!
//! 1. resolves the session cookie into a [`CurrentUser`] (sessions live in the
//!    database: idle and absolute timeouts are checked there, so any instance
//!    can serve any request), and puts it into the request;
//! 2. refuses every state-changing request (POST, PUT, PATCH, DELETE) whose
//!    CSRF token does not match the session's (or, before login, the login
//!    form's cookie): handlers never see such a request;
//! 3. marks responses to signed-in requests, and every response but the
//!    static files, `Cache-Control: no-store`; sends HSTS with `--secure-cookies`.

use actix_web::body::{self, BodyStream, EitherBody, MessageBody};
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, ResponseError};
use chrono::Utc;

use super::{csrf, parse_stamp, stamp, token, AuthError, CurrentUser, Role};
use super::{PRE_SESSION_COOKIE, SESSION_COOKIE};
use crate::error::AppResult;
use crate::state::AppState;
use crate::store;

/// Body limit of login and the other small forms (logout, password, TOTP,
/// accounts, rounds, agencies, notices).
pub const SMALL_FORM_LIMIT: usize = 8 * 1024;
/// Body limit of the forms of a whole sheet: answers, review advice, plans.
pub const SHEET_FORM_LIMIT: usize = 1024 * 1024;
/// Body limit of a workbook upload: the importer's 10 MiB file plus room for
/// the multipart framing and the CSRF field, so that a file just over 10 MiB
/// still gets the importer's own message.
pub const UPLOAD_LIMIT: usize = 10 * 1024 * 1024 + 256 * 1024;

/// The largest body a state-changing request to `path` may carry. The
/// middleware refuses anything larger with 413 before reading it.
pub fn body_limit(path: &str) -> usize {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["answers", _, _, "upload"] => UPLOAD_LIMIT,
        ["answers" | "review" | "plans", _, _] => SHEET_FORM_LIMIT,
        _ => SMALL_FORM_LIMIT,
    }
}
/// `last_seen_at` is written at most this often per session.
const TOUCH_EVERY_SECS: i64 = 60;

pub async fn layer<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let address = request_address(req.request(), state.settings.trusted_proxy);
    let cookie_token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
    let user = match &cookie_token {
        Some(t) => resolve(&state, t, address).await?,
        None => None,
    };
    let stale_cookie = cookie_token.is_some() && user.is_none();
    let signed_in = user.is_some();
    // Before the CSRF check: a refused form's error page still shows the
    // account (handlers never see a refused request).
    if let Some(u) = &user {
        req.extensions_mut().insert(u.clone());
    }

    // POST is the only method with state-changing routes (see the route
    // table). A POST to a path without a POST route, and every other
    // method, reaches no handler: the router answers 405 with `Allow`.
    // The path is taken as the router will see it (percent-decoded where
    // actix decodes), so `/logi%6E` is checked like `/login`.
    if *req.method() == Method::POST
        && crate::routes::allowed_methods(req.match_info().as_str()).contains("POST")
    {
        let expected = match &user {
            Some(u) => Some(u.csrf_token.clone()),
            None => req
                .cookie(PRE_SESSION_COOKIE)
                .map(|c| c.value().to_string()),
        };
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let header_token = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        // The route's limit, checked on the declared length before a byte
        // is read, and again while reading (chunked bodies declare none).
        let limit = body_limit(req.match_info().as_str());
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            tracing::warn!(path = %req.path(), ?declared, limit, "request body over the route's limit");
            return Ok(refuse(req, &AuthError::TooLarge { limit }));
        }
        let bytes = match body::to_bytes_limited(BodyStream::new(req.take_payload()), limit).await {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => return Err(actix_web::error::ErrorBadRequest(e)),
            Err(_) => return Ok(refuse(req, &AuthError::TooLarge { limit })),
        };
        let given = csrf::token_in(&content_type, header_token.as_deref(), &bytes);
        req.set_payload(Payload::from(bytes));
        let ok = match (expected, given) {
            (Some(e), Some(g)) => {
                !e.is_empty() && token::constant_time_eq(e.as_bytes(), g.as_bytes())
            }
            _ => false,
        };
        if !ok {
            tracing::warn!(path = %req.path(), "request refused: CSRF token missing or wrong");
            return Ok(refuse(req, &AuthError::Csrf));
        }
    }

    let static_file = req.path().starts_with("/static/");
    let mut res = next.call(req).await?;
    // Nothing but the static files is kept by a browser or a proxy: not a
    // signed-in page, nor the login page with its CSRF token. A public
    // answer whose handler chose its own policy (the charts: `no-cache`
    // with an ETag, revalidated every time) keeps it.
    let chosen = res.headers().contains_key(header::CACHE_CONTROL);
    if signed_in || !(static_file || chosen) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    // Behind TLS (`--secure-cookies`) browsers are told to use HTTPS only.
    if state.settings.secure_cookies {
        res.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if stale_cookie && !res.response().cookies().any(|c| c.name() == SESSION_COOKIE) {
        let _ = res.response_mut().add_cookie(&removal_cookie(
            SESSION_COOKIE,
            state.settings.secure_cookies,
        ));
    }
    Ok(res.map_into_left_body())
}

fn refuse<B>(req: ServiceRequest, err: &AuthError) -> ServiceResponse<EitherBody<B>> {
    let mut res = err.error_response();
    if matches!(err, AuthError::Csrf) {
        res.extensions_mut()
            .insert(crate::routes::errors::CsrfRefused);
    }
    req.into_response(res).map_into_right_body()
}

/// The client's address for the operation log: the TCP peer, unless the
/// peer is the configured trusted reverse proxy, whose `X-Forwarded-For`
/// then names the client (its last entry: the address the proxy itself saw;
/// anything before it could be written by the client).
pub fn client_address(
    peer: Option<std::net::SocketAddr>,
    forwarded_for: Option<&str>,
    trusted_proxy: Option<std::net::IpAddr>,
) -> String {
    let peer_ip = peer.map(|a| a.ip());
    let via_proxy = trusted_proxy.is_some() && peer_ip == trusted_proxy;
    if via_proxy {
        let last = forwarded_for
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .and_then(|a| a.parse::<std::net::IpAddr>().ok());
        if let Some(client) = last {
            return client.to_string();
        }
    }
    peer_ip.map(|ip| ip.to_string()).unwrap_or_default()
}

/// `client_address` of a request, with the app's settings.
pub fn request_address(
    req: &actix_web::HttpRequest,
    trusted_proxy: Option<std::net::IpAddr>,
) -> String {
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    client_address(req.peer_addr(), forwarded, trusted_proxy)
}

/// The account behind a session token, if the session is still valid.
pub async fn resolve(
    state: &AppState,
    cookie_token: &str,
    address: String,
) -> AppResult<Option<CurrentUser>> {
    let digest = token::digest(cookie_token);
    let idle = chrono::Duration::from_std(state.settings.session_idle).unwrap_or_default();
    let lifetime = chrono::Duration::from_std(state.settings.session_lifetime).unwrap_or_default();
    let max_age = state.settings.password_max_age;
    let require_totp = state.settings.require_totp;
    state
        .db(move |conn| {
            let Some((session, user, org)) = store::sessions::lookup(conn, &digest)? else {
                return Ok(None);
            };
            let now = Utc::now();
            let last_seen = parse_stamp(&session.last_seen_at);
            if now - last_seen > idle || now - parse_stamp(&session.created_at) > lifetime {
                store::sessions::delete(conn, session.id)?;
                return Ok(None);
            }
            let Some(role) = Role::parse(&user.role) else {
                return Ok(None);
            };
            // A disabled account (or one past its end date) is out at once.
            if !super::lifecycle::session_allowed(conn, &user, now)? {
                return Ok(None);
            }
            let must_enrol_totp = super::second_factor_required(role, require_totp)
                && !super::second_factor::enrolled(conn, user.id)?;
            if (now - last_seen).num_seconds() >= TOUCH_EVERY_SECS {
                store::sessions::touch(conn, session.id, &stamp(now))?;
            }
            Ok(Some(CurrentUser {
                user_id: user.id,
                login: user.login,
                role,
                org_id: org.id,
                org_code: org.code,
                org_kind: org.kind,
                org_name: org.name,
                prefecture_code: org.prefecture_code,
                must_change_password: user.must_change_password
                    || super::password_expired(&user.password_changed_at, max_age, now),
                must_enrol_totp,
                session_id: session.id,
                csrf_token: session.csrf_token,
                address,
            }))
        })
        .await
}

/// The session cookie: HttpOnly, SameSite=Strict, Secure behind TLS, no
/// expiry of its own (the server ends idle sessions).
pub fn session_cookie(value: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value.to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

/// The login form's CSRF cookie, set with the form.
pub fn pre_session_cookie(value: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(PRE_SESSION_COOKIE, value.to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

pub fn removal_cookie(name: &'static str, secure: bool) -> Cookie<'static> {
    Cookie::build(name, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(time::Duration::ZERO)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::{body_limit, client_address, SHEET_FORM_LIMIT, SMALL_FORM_LIMIT, UPLOAD_LIMIT};

    #[test]
    fn each_route_has_its_body_limit() {
        assert_eq!(body_limit("/login"), SMALL_FORM_LIMIT);
        assert_eq!(body_limit("/admin/users/3/reset"), SMALL_FORM_LIMIT);
        assert_eq!(body_limit("/answers/011002/2007"), SHEET_FORM_LIMIT);
        assert_eq!(body_limit("/review/011002/2007"), SHEET_FORM_LIMIT);
        assert_eq!(body_limit("/plans/011002/2007"), SHEET_FORM_LIMIT);
        assert_eq!(body_limit("/answers/011002/2007/upload"), UPLOAD_LIMIT);
        assert_eq!(body_limit("/answers/011002/2007/print"), SMALL_FORM_LIMIT);
    }

    #[test]
    fn the_address_is_the_peer_unless_it_is_the_trusted_proxy() {
        let peer: Option<std::net::SocketAddr> = "10.0.0.5:443".parse().ok();
        let proxy: Option<std::net::IpAddr> = "10.0.0.5".parse().ok();
        let other: Option<std::net::IpAddr> = "10.0.0.9".parse().ok();
        let xff = Some("198.51.100.7, 203.0.113.9");
        assert_eq!(client_address(peer, xff, proxy), "203.0.113.9");
        assert_eq!(client_address(peer, xff, None), "10.0.0.5");
        assert_eq!(client_address(peer, xff, other), "10.0.0.5");
        assert_eq!(client_address(peer, Some("garbage"), proxy), "10.0.0.5");
        assert_eq!(client_address(peer, None, proxy), "10.0.0.5");
    }
}
