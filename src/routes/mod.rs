//! Every route of the application, wired in one place. Handlers stay thin:
//! parse input into domain types, call the store or the engine, render.

mod api;
mod charts;
mod checklists;
pub mod errors;
mod page;
mod pages;
mod problem;
mod stats;
pub mod workflow;

pub use problem::api_problems;

use actix_web::http::header::{
    Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use std::sync::OnceLock;

use actix_web::dev::ResourceDef;
use actix_web::http::{header, Method};
use actix_web::middleware::DefaultHeaders;
use actix_web::{guard, web, HttpRequest, HttpResponse};

/// Forms of a whole answer sheet are far larger than actix's 16 KiB default.
const FORM_LIMIT: usize = 4 * 1024 * 1024;

/// The guard of a table method: `get` answers GET and HEAD (actix sends the
/// headers only), `post` answers POST. No other method has a route, so the
/// session middleware checks the CSRF token of every POST and nothing else.
fn method_guard(get: bool) -> impl guard::Guard {
    guard::fn_guard(move |ctx| {
        let m = ctx.head().method.clone();
        if get {
            m == Method::GET || m == Method::HEAD
        } else {
            m == Method::POST
        }
    })
}

macro_rules! method_is_get {
    (get) => {
        true
    };
    (post) => {
        false
    };
}

macro_rules! routes {
    ($($method:ident $path:literal => $handler:path;)*) => {
        /// Every route of the application, as (method, path pattern), in the
        /// order they are matched. The role × route matrix test walks this
        /// list, so a new route cannot be left out of it; the fallback answers
        /// 405 with `Allow` from it.
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        /// Registers the table, then the fallback (404 or 405).
        pub fn configure(cfg: &mut web::ServiceConfig) {
            $(
                cfg.service(
                    web::resource($path)
                        .guard(method_guard(method_is_get!($method)))
                        .app_data(web::FormConfig::default().limit(FORM_LIMIT))
                        .route(web::route().to($handler)),
                );
            )*
            cfg.default_service(web::to(fallback));
        }
    };
}

// The one route table. `{year}.xlsx` comes before `{year}`, which would
// match `2007.xlsx` too.
routes! {
    get "/health" => pages::health;
    get "/static/app.css" => pages::stylesheet;
    get "/static/app.js" => workflow::common::script;
    get "/" => pages::index;
    get "/checklists/{variant}" => checklists::page;
    get "/charts" => charts::page;
    get "/charts/{file}" => charts::image;
    get "/stats/{scope}/{year}.xlsx" => stats::xlsx;
    get "/stats/{scope}/{year}/open-data.{ext}" => stats::open_data;
    get "/stats/{scope}/{year}" => stats::page;
    get "/api/v1/checklists/{variant}" => checklists::json;
    get "/api/v1/stats/{scope}/{year}" => stats::json;
    get "/api/openapi.json" => stats::openapi;
    get "/login" => workflow::signin::login_page;
    post "/login" => workflow::signin::login;
    get "/login/totp" => workflow::second_factor::login_page;
    post "/login/totp" => workflow::second_factor::login_post;
    get "/account/totp" => workflow::second_factor::enrol_page;
    post "/account/totp" => workflow::second_factor::enrol_post;
    post "/logout" => workflow::signin::logout;
    get "/password" => workflow::signin::password_page;
    post "/password" => workflow::signin::password_change;
    get "/home" => workflow::home::home;
    post "/notices/read" => workflow::home::notices_read;
    get "/answers/{org}/{year}" => workflow::answers::sheet_page;
    post "/answers/{org}/{year}" => workflow::answers::sheet_post;
    get "/answers/{org}/{year}/print" => workflow::answers::print;
    get "/answers/{org}/{year}/history" => workflow::history::history_page;
    get "/answers/{org}/{year}/form.xlsx" => workflow::excel::form_download;
    post "/answers/{org}/{year}/upload" => workflow::excel::form_upload;
    post "/answers/{org}/{year}/carry" => workflow::answers::carry_post;
    get "/exports/plans/{scope}/{year}" => workflow::excel::plans_download;
    get "/review/{org}/{year}" => workflow::review::review_page;
    post "/review/{org}/{year}" => workflow::review::review_post;
    get "/plans/{org}/{year}" => workflow::review::plans_page;
    post "/plans/{org}/{year}" => workflow::review::plans_post;
    get "/prefectures/{pref}/{year}" => workflow::review::prefecture_status;
    get "/national/{year}" => workflow::ministry::national;
    get "/national/{year}/board" => workflow::ministry::season_board;
    get "/national/{year}/board.xlsx" => workflow::ministry::season_board_xlsx;
    get "/rounds" => workflow::ministry::rounds_page;
    post "/rounds" => workflow::ministry::rounds_open;
    post "/rounds/{variant}/{year}/close" => workflow::ministry::rounds_close;
    get "/agencies" => workflow::ministry::agencies_page;
    post "/agencies" => workflow::ministry::agencies_add;
    get "/admin/users" => workflow::accounts::users_page;
    post "/admin/users" => workflow::accounts::users_add;
    get "/admin/users/review" => workflow::accounts::review_page;
    get "/admin/users/{id}" => workflow::account::user_page;
    post "/admin/users/{id}/unlock" => workflow::accounts::users_unlock;
    post "/admin/users/{id}/reset" => workflow::accounts::users_reset;
    post "/admin/users/{id}/disable" => workflow::account::users_disable;
    post "/admin/users/{id}/enable" => workflow::account::users_enable;
    post "/admin/users/{id}/valid-until" => workflow::account::users_valid_until;
    post "/admin/users/{id}/totp-reset" => workflow::account::users_totp_reset;
    post "/admin/users/{id}/email" => workflow::account::users_email;
    get "/oplog" => workflow::oplog::oplog_page;
}

/// The methods the table has for `path` (GET implies HEAD), as an `Allow`
/// value; empty when no route matches the path.
pub fn allowed_methods(path: &str) -> String {
    static DEFS: OnceLock<Vec<(bool, ResourceDef)>> = OnceLock::new();
    let defs = DEFS.get_or_init(|| {
        ROUTES
            .iter()
            .map(|(m, p)| (*m == "get", ResourceDef::new(*p)))
            .collect()
    });
    let mut get = false;
    let mut post = false;
    for (is_get, def) in defs {
        if def.is_match(path) {
            if *is_get {
                get = true;
            } else {
                post = true;
            }
        }
    }
    let mut out = Vec::new();
    if get {
        out.extend(["GET", "HEAD"]);
    }
    if post {
        out.push("POST");
    }
    out.join(", ")
}

/// No route took the request: 405 with `Allow` when the path has routes
/// for other methods (RFC 9110 §15.5.6), else 404.
async fn fallback(req: HttpRequest) -> HttpResponse {
    let allow = allowed_methods(req.match_info().as_str());
    if allow.is_empty() {
        HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("ページが見つかりません")
    } else {
        HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, allow))
            .content_type("text/plain; charset=utf-8")
            .body(format!("このアドレスは {} を受け付けません", req.method()))
    }
}

/// Headers on every response: a CSP that allows no inline script or style,
/// no framing, no MIME sniffing, no referrer to other sites.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
        ))
        .add(("X-Frame-Options", "DENY"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
}

/// An xlsx download (RFC 6266 / RFC 5987): a plain ASCII `filename` for old
/// clients and the Japanese name as a UTF-8 `filename*`, stripped of
/// characters no file name may hold.
pub(crate) fn xlsx_download(bytes: Vec<u8>, ascii_name: &str, name: &str) -> HttpResponse {
    let name: String = name
        .chars()
        .filter(|c| !c.is_control() && !"/\\:*?\"<>|".contains(*c))
        .collect();
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii_name.to_string()),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: name.into_bytes(),
            }),
        ],
    };
    HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header(disposition)
        .body(bytes)
}
