//! The confirmation step of an irreversible action (提出する, 確認済にする,
//! 締め切る, パスワード再発行). A POST without `confirm=1` changes nothing
//! and answers a page in the layout that says what will happen, carrying the
//! posted form in hidden fields, with a button that posts it again with
//! `confirm=1` and a link back. With JavaScript, `app.js` asks in a
//! `<dialog>` instead and posts `confirm=1` itself.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::Serialize;

use super::common::{field, render};
use crate::auth::{CurrentUser, CSRF_FIELD};
use crate::error::AppResult;
use crate::state::AppState;

/// The field that says the user has confirmed.
pub const FIELD: &str = "confirm";

/// Whether the posted form carries `confirm=1`.
pub fn confirmed(form: &[(String, String)]) -> bool {
    field(form, FIELD).trim() == "1"
}

#[derive(Serialize)]
pub struct Fact {
    pub label: String,
    pub value: String,
}

pub fn fact(label: &str, value: impl Into<String>) -> Fact {
    Fact {
        label: label.to_string(),
        value: value.into(),
    }
}

#[derive(Serialize)]
struct Hidden<'a> {
    name: &'a str,
    value: &'a str,
}

/// What a confirmation page shows.
pub struct Confirmation<'a> {
    /// The page's heading and title, e.g. 「提出の確認」.
    pub heading: &'a str,
    /// What the action applies to and what is in it.
    pub facts: Vec<Fact>,
    /// What will happen and what can no longer be done afterwards.
    pub consequence: String,
    /// Where the form posts (the action's own URL).
    pub action: String,
    /// The label of the confirming button (the action's own words).
    pub button: &'a str,
    /// Where 戻る leads: a link, or `None` when 戻る posts the carried form
    /// back with `back=1` so that the page shows what was typed, unsaved.
    pub back: Option<String>,
}

/// The field of 戻る when it posts the form back.
pub const BACK: &str = "back";

/// Whether the form was posted by 戻る of a confirmation page.
pub fn went_back(form: &[(String, String)]) -> bool {
    field(form, BACK).trim() == "1"
}

#[derive(Serialize)]
struct View<'a> {
    heading: &'a str,
    facts: &'a [Fact],
    consequence: &'a str,
    action: &'a str,
    button: &'a str,
    back: Option<&'a str>,
    hidden: Vec<Hidden<'a>>,
}

/// The confirmation page: `form` (without its CSRF token and `confirm`) is
/// carried in hidden fields, so that nothing typed is lost.
pub fn page(
    state: &AppState,
    user: &CurrentUser,
    c: &Confirmation<'_>,
    form: &[(String, String)],
) -> AppResult<HttpResponse> {
    let hidden = form
        .iter()
        .filter(|(k, _)| k != CSRF_FIELD && k != FIELD && k != BACK)
        .map(|(name, value)| Hidden { name, value })
        .collect();
    render(
        state,
        Some(user),
        "confirm.html",
        c.heading,
        None,
        StatusCode::OK,
        View {
            heading: c.heading,
            facts: &c.facts,
            consequence: &c.consequence,
            action: &c.action,
            button: c.button,
            back: c.back.as_deref(),
            hidden,
        },
    )
}
