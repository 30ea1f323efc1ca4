//! The one way a page is rendered: with the account of the request, so the
//! layout's header shows マイページ and ログアウト on every page a signed-in
//! user opens (public pages included).

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::render::Page;
use crate::state::AppState;

/// The signed-in account of a request, for the layout (whatever it may see).
pub fn account(req: &HttpRequest) -> Option<CurrentUser> {
    req.extensions().get::<CurrentUser>().cloned()
}

pub fn render<T: Serialize>(
    state: &AppState,
    user: Option<&CurrentUser>,
    template: &str,
    title: &str,
    notice: Option<String>,
    status: StatusCode,
    body: T,
) -> AppResult<HttpResponse> {
    let page = Page {
        session: user.map(CurrentUser::view),
        title,
        notice,
        body,
    };
    let html = state.templates.render(template, &page)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// `render` of a public page (200) with the request's account.
pub fn public<T: Serialize>(
    state: &AppState,
    req: &HttpRequest,
    template: &str,
    title: &str,
    body: T,
) -> AppResult<HttpResponse> {
    render(
        state,
        account(req).as_ref(),
        template,
        title,
        None,
        StatusCode::OK,
        body,
    )
}
