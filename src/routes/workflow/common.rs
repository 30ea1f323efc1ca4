//! What the workflow handlers share: rendering with the layout's session,
//! redirects, path parameters.

use actix_web::http::header;
use actix_web::HttpResponse;

use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};

const SCRIPT: &str = include_str!("../../../templates/app.js");

/// The small progressive enhancement of the answer form (no inline script:
/// the CSP allows only this file).
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(SCRIPT)
}

pub use crate::routes::page::render;

/// 303 See Other: the answer to a successful POST.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

/// A fiscal year in a path: `2007`, `H19`, `令和7` …
pub fn year(s: &str) -> AppResult<FiscalYear> {
    FiscalYear::parse(s).map_err(|e| AppError::NotFound(e.to_string()))
}

/// The value of a field of a posted form.
pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The refusal of a form that lost its hidden version field.
pub fn missing_version() -> AppError {
    AppError::BadRequest("フォームの版（version）がありません。ページを開き直してください".into())
}

/// The message shown after a redirect, from a fixed list (never echoed).
pub fn notice(key: Option<&str>) -> Option<String> {
    let text = match key? {
        "draft" => "下書きを保存しました。",
        "carried" => "前年度の回答を引き継ぎました。「未確認」の小項目を1つずつ確認するか、回答を変更してください（すべて確認するまで提出できません）。",
        "submitted" => "提出しました。都道府県（国の行政機関等は総務省）の確認をお待ちください。",
        "advice" => "助言を保存しました。",
        "return" => "差し戻しました。",
        "accept" => "確認済にしました。",
        "progress" => "改善計画の進捗を記録しました。",
        "password" => "パスワードを変更しました。",
        "opened" => "点検を開始しました。",
        "closed" => "点検を締め切りました。",
        "agency" => "国の行政機関等を追加しました。",
        "unlocked" => "ロックを解除しました。",
        "disabled" => "アカウントを無効にしました。そのアカウントのセッションは終了しました。",
        "enabled" => "アカウントを有効にしました。",
        "valid_until" => "利用期限を保存しました。",
        "email" => "メールアドレスを保存しました。",
        "totp_reset" => "二要素認証をリセットしました。次のログインで設定し直します。",
        _ => return None,
    };
    Some(text.to_string())
}

#[derive(serde::Deserialize)]
pub struct NoticeQuery {
    pub done: Option<String>,
}
