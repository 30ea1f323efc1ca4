//! The routes of accounts and the self-check workflow. Every protected
//! handler takes a [`CurrentUser`](crate::auth::CurrentUser) and asks
//! `auth::policy` before reading or changing anything; the session middleware
//! has already refused state-changing requests without their CSRF token.

mod accounts;
mod answers;
mod common;
mod excel;
mod history;
mod home;
mod ministry;
mod review;
mod second_factor;
mod signin;

use actix_web::http::Method;
use actix_web::{guard, web};

/// Forms of a whole answer sheet are far larger than actix's 16 KiB default.
const FORM_LIMIT: usize = 4 * 1024 * 1024;

fn method_guard(m: &str) -> impl guard::Guard {
    guard::Method(if m == "post" {
        Method::POST
    } else {
        Method::GET
    })
}

macro_rules! routes {
    ($($method:ident $path:literal => $handler:path;)*) => {
        /// Every route added here, as (method, path pattern). The role ×
        /// route matrix test walks this list, so a new route cannot be left
        /// out of it.
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        pub fn register(cfg: &mut web::ServiceConfig) {
            $(
                cfg.service(
                    web::resource($path)
                        .guard(method_guard(stringify!($method)))
                        .app_data(web::FormConfig::default().limit(FORM_LIMIT))
                        .route(web::$method().to($handler)),
                );
            )*
        }
    };
}

routes! {
    get "/static/app.js" => common::script;
    get "/login" => signin::login_page;
    post "/login" => signin::login;
    get "/login/totp" => second_factor::login_page;
    post "/login/totp" => second_factor::login_post;
    get "/account/totp" => second_factor::enrol_page;
    post "/account/totp" => second_factor::enrol_post;
    post "/logout" => signin::logout;
    get "/password" => signin::password_page;
    post "/password" => signin::password_change;
    get "/home" => home::home;
    post "/notices/read" => home::notices_read;
    get "/answers/{org}/{year}" => answers::sheet_page;
    post "/answers/{org}/{year}" => answers::sheet_post;
    get "/answers/{org}/{year}/print" => answers::print;
    get "/answers/{org}/{year}/history" => history::history_page;
    get "/answers/{org}/{year}/form.xlsx" => excel::form_download;
    post "/answers/{org}/{year}/upload" => excel::form_upload;
    post "/answers/{org}/{year}/carry" => answers::carry_post;
    get "/exports/plans/{scope}/{year}" => excel::plans_download;
    get "/review/{org}/{year}" => review::review_page;
    post "/review/{org}/{year}" => review::review_post;
    get "/plans/{org}/{year}" => review::plans_page;
    post "/plans/{org}/{year}" => review::plans_post;
    get "/prefectures/{pref}/{year}" => review::prefecture_status;
    get "/national/{year}" => ministry::national;
    get "/rounds" => ministry::rounds_page;
    post "/rounds" => ministry::rounds_open;
    post "/rounds/{variant}/{year}/close" => ministry::rounds_close;
    get "/agencies" => ministry::agencies_page;
    post "/agencies" => ministry::agencies_add;
    get "/admin/users" => accounts::users_page;
    post "/admin/users" => accounts::users_add;
    get "/admin/users/review" => accounts::review_page;
    get "/admin/users/{id}" => accounts::user_page;
    post "/admin/users/{id}/unlock" => accounts::users_unlock;
    post "/admin/users/{id}/reset" => accounts::users_reset;
    post "/admin/users/{id}/disable" => accounts::users_disable;
    post "/admin/users/{id}/enable" => accounts::users_enable;
    post "/admin/users/{id}/valid-until" => accounts::users_valid_until;
    post "/admin/users/{id}/totp-reset" => accounts::users_totp_reset;
    get "/oplog" => accounts::oplog_page;
}
