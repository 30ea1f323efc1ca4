//! The answer sheet: reading it, saving a draft, submitting, printing.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::common::{field, missing_version, notice, render, see_other, year, NoticeQuery};
use super::confirm;
use crate::auth::{can_answer, can_read_org, CurrentUser};
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::users;
use crate::workflow::form;
use crate::workflow::ops::{self, Saved};
use crate::workflow::view::{self, ConflictRow, Mode, Shown};
use crate::workflow::{Entries, Sheet};

/// The conflict part of the page: what the other person saved against what
/// was typed here.
#[derive(Serialize)]
pub struct Conflict {
    pub message: String,
    pub rows: Vec<ConflictRow>,
    pub updated_at: String,
    pub updated_by: String,
}

#[derive(Serialize)]
struct SheetPage {
    sheet: view::SheetView,
    conflict: Option<Conflict>,
    /// The form's field names (`workflow::fields`).
    fields: &'static crate::workflow::fields::Names,
}

/// Renders the sheet page as `shown` says.
pub fn render_sheet(
    state: &AppState,
    user: &CurrentUser,
    sheet: &Sheet,
    shown: Shown<'_>,
    conflict: Option<Conflict>,
    notice: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let mode = shown.mode;
    let view = view::build(&state.catalog, sheet, shown);
    let (template, title) = match mode {
        Mode::Print => ("print.html", "回答票（印刷用）"),
        Mode::Review => ("sheet.html", "回答の確認"),
        _ => ("sheet.html", "調査票への回答"),
    };
    render(
        state,
        Some(user),
        template,
        title,
        notice,
        status,
        SheetPage {
            sheet: view,
            conflict,
            fields: &crate::workflow::fields::NAMES,
        },
    )
}

/// Loads the sheet of `code` and `fy` after `allowed` said yes, and logs the view.
pub async fn load_sheet(
    state: &AppState,
    user: &CurrentUser,
    code: String,
    year_param: &str,
    allowed: fn(&CurrentUser, &crate::store::organisations::Organisation) -> bool,
    logged_as: Option<&'static str>,
) -> AppResult<Sheet> {
    let fy = year(year_param)?;
    let u = user.clone();
    state
        .db(move |conn| Sheet::open(conn, &u, &code, fy, allowed, logged_as))
        .await
}

fn answer_mode(user: &CurrentUser, sheet: &Sheet) -> Mode {
    if can_answer(user, &sheet.org) && sheet.round_open() && sheet.status().is_editable() {
        Mode::Answer
    } else {
        Mode::Read
    }
}

/// The sheet as stored, shown in `mode`.
pub fn show_stored(
    state: &AppState,
    user: &CurrentUser,
    sheet: &Sheet,
    mode: Mode,
    notice: Option<String>,
) -> AppResult<HttpResponse> {
    let entries = sheet.entries(state.catalog.checklist(sheet.variant));
    let note = sheet.review_note();
    let shown = Shown {
        mode,
        entries: &entries,
        advice: &sheet.advice,
        review_note: &note,
        problems: &[],
    };
    render_sheet(state, user, sheet, shown, None, notice, StatusCode::OK)
}

pub async fn sheet_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    q: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    let (code, y) = path.into_inner();
    let sheet = load_sheet(&state, &user, code, &y, can_read_org, Some("answers_view")).await?;
    let mode = answer_mode(&user, &sheet);
    show_stored(&state, &user, &sheet, mode, notice(q.done.as_deref()))
}

pub async fn print(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (code, y) = path.into_inner();
    let sheet = load_sheet(&state, &user, code, &y, can_read_org, Some("answers_print")).await?;
    show_stored(&state, &user, &sheet, Mode::Print, None)
}

/// The conflict page: the stored sheet against what was typed. While the
/// sheet is still editable the form comes back with the typed values and the
/// current version, so saving again is a deliberate overwrite.
async fn conflict_page(
    state: &AppState,
    user: &CurrentUser,
    sheet: Sheet,
    typed: &Entries,
    message: String,
) -> AppResult<HttpResponse> {
    let stored = sheet.entries(state.catalog.checklist(sheet.variant));
    let rows = view::differences(&state.catalog, &sheet, &stored, typed);
    let by = sheet.submission.as_ref().and_then(|s| s.updated_by);
    let updated_by = match by {
        Some(id) => state
            .db(move |conn| users::find(conn, id))
            .await?
            .map(|u| u.login)
            .unwrap_or_default(),
        None => String::new(),
    };
    let conflict = Conflict {
        message,
        rows,
        updated_at: sheet
            .submission
            .as_ref()
            .map(|s| s.updated_at.clone())
            .unwrap_or_default(),
        updated_by,
    };
    let mode = answer_mode(user, &sheet);
    let shown = if mode == Mode::Answer { typed } else { &stored };
    render_sheet(
        state,
        user,
        &sheet,
        Shown {
            mode,
            entries: shown,
            advice: &sheet.advice,
            review_note: "",
            problems: &[],
        },
        Some(conflict),
        None,
        StatusCode::CONFLICT,
    )
}

async fn reload(state: &AppState, user: &CurrentUser, sheet: &Sheet) -> AppResult<Sheet> {
    let y = sheet.fy.year().to_string();
    load_sheet(state, user, sheet.org.code.clone(), &y, can_answer, None).await
}

pub async fn sheet_post(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let (code, y) = path.into_inner();
    let sheet = load_sheet(&state, &user, code, &y, can_answer, None).await?;
    let fy = sheet.fy;
    let list = state.catalog.checklist(sheet.variant);
    let posted = form::parse_sheet(list, fy, &form);
    let version = posted.version.ok_or_else(missing_version)?;
    let typed = posted.entries;
    if !posted.problems.is_empty() {
        let mode = answer_mode(&user, &sheet);
        return render_sheet(
            &state,
            &user,
            &sheet,
            Shown {
                mode,
                entries: &typed,
                advice: &sheet.advice,
                review_note: "",
                problems: &posted.problems,
            },
            None,
            None,
            StatusCode::BAD_REQUEST,
        );
    }
    if confirm::went_back(&form) {
        // 戻る of the confirmation: the form again as typed, nothing saved.
        return render_sheet(
            &state,
            &user,
            &sheet,
            Shown {
                mode: answer_mode(&user, &sheet),
                entries: &typed,
                advice: &sheet.advice,
                review_note: "",
                problems: &[],
            },
            None,
            Some("まだ提出していません。入力した内容は保存されていません。".into()),
            StatusCode::OK,
        );
    }
    if !sheet.round_open() {
        let message = if sheet.round.is_some() {
            format!("{fy} の点検は受付を締め切ったため、保存できませんでした。入力した内容は下の表の「あなたの入力」にあります。")
        } else {
            format!("{fy} の点検は開始されていないため、保存できませんでした。")
        };
        return conflict_page(&state, &user, sheet, &typed, message).await;
    }
    let submit = posted.action == "submit";
    if submit
        && !confirm::confirmed(&form)
        && form::submission_problems(list, fy, &typed).is_empty()
    {
        // Complete and not yet confirmed: say what 提出 does, change nothing.
        return confirm::page(
            &state,
            &user,
            &submit_confirmation(&sheet, list, &typed),
            &form,
        );
    }
    let actor = user.actor();
    let org = sheet.org.clone();
    let catalog = state.catalog.clone();
    let entries = typed.clone();
    let outcome = state
        .db(move |conn| {
            let list = catalog.checklist(crate::store::organisations::variant_of(&org)?);
            let posting = ops::Posting {
                version,
                entries: &entries,
                submit,
            };
            ops::save(conn, &actor, &org, fy, list, posting)
        })
        .await?;
    let here = format!("/answers/{}/{}", sheet.org.code, fy.year());
    match outcome {
        Saved::Draft { .. } => Ok(see_other(&format!("{here}?done=draft"))),
        Saved::Submitted { .. } => Ok(see_other(&format!("{here}?done=submitted"))),
        Saved::Incomplete { problems, .. } => {
            let fresh = reload(&state, &user, &sheet).await?;
            render_sheet(&state, &user, &fresh, Shown { mode: answer_mode(&user, &fresh), entries: &typed, advice: &fresh.advice, review_note: "", problems: &problems }, None, Some("下書きを保存しましたが、まだ提出できません。下の点を直してから、もう一度「提出する」を押してください。".into()), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Saved::Conflict => {
            let fresh = reload(&state, &user, &sheet).await?;
            let same_account =
                fresh.submission.as_ref().and_then(|s| s.updated_by) == Some(user.user_id);
            let message = if fresh.status().is_editable() && same_account {
                "この画面を開いた後に、同じアカウント（あなた）が別のタブまたはウィンドウでこの回答を保存しました。この画面の入力はまだ保存されていません。下の表で保存済みの内容とこの画面の入力を比べ、フォームを直してから保存し直してください（フォームにはこの画面の入力が残っています）。".to_string()
            } else if fresh.status().is_editable() {
                "この画面を開いた後に、他の職員がこの回答を保存しました。あなたの入力はまだ保存されていません。下の表で相手の保存内容とあなたの入力を比べ、フォームを直してから保存し直してください（フォームにはあなたの入力が残っています）。".to_string()
            } else {
                format!("この画面を開いた後に、回答は「{}」になったため、保存できませんでした。あなたの入力は下の表の「あなたの入力」にあります。", fresh.status().label())
            };
            conflict_page(&state, &user, fresh, &typed, message).await
        }
    }
}

/// What the confirmation of 提出 says: how much is answered, the items at 1
/// and 2 and their plans, and that the sheet is read-only until returned.
fn submit_confirmation<'a>(
    sheet: &Sheet,
    list: &crate::checklists::Checklist,
    typed: &Entries,
) -> confirm::Confirmation<'a> {
    let applicable = list.applicable_items(sheet.fy, &typed.conditions());
    let scores: Vec<(u8, bool)> = applicable
        .iter()
        .filter_map(|i| {
            let e = typed.get(&i.code);
            e.score.map(|s| (s.value(), e.plan.is_complete()))
        })
        .collect();
    let at = |v: u8| scores.iter().filter(|(s, _)| *s == v).count();
    let planned = scores
        .iter()
        .filter(|(s, p)| (*s == 1 || *s == 2) && *p)
        .count();
    let reviewer = match sheet.variant {
        crate::checklists::Variant::Municipal => "都道府県",
        crate::checklists::Variant::NationalAgency => "総務省",
    };
    let here = format!("/answers/{}/{}", sheet.org.code, sheet.fy.year());
    confirm::Confirmation {
        heading: "提出の確認",
        facts: vec![
            confirm::fact("団体", sheet.org.name.clone()),
            confirm::fact("年度", sheet.fy.to_string()),
            confirm::fact(
                "回答済みの小項目",
                format!("{} / {} 件", scores.len(), applicable.len()),
            ),
            confirm::fact("評価 3", format!("{} 件", at(3))),
            confirm::fact("評価 2", format!("{} 件", at(2))),
            confirm::fact("評価 1", format!("{} 件", at(1))),
            confirm::fact("該当しない（0）", format!("{} 件", at(0))),
            confirm::fact(
                "改善計画書",
                format!("評価1・2の {} 件のうち {planned} 件に記入済み", at(1) + at(2)),
            ),
        ],
        consequence: format!(
            "提出すると、{reviewer}が差し戻すまで回答は読み取り専用になり、変更できません。{reviewer}に提出の通知が届きます。"
        ),
        action: here,
        button: "提出する",
        back: None,
    }
}

/// 「前年度の回答から始める」: a sheet not yet started is prefilled with
/// last year's answers, each 未確認 (`ops::start_from_last_year`).
pub async fn carry_post(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let (code, y) = path.into_inner();
    let sheet = load_sheet(&state, &user, code, &y, can_answer, None).await?;
    let version: i32 = field(&form, "version")
        .trim()
        .parse()
        .map_err(|_| missing_version())?;
    let fy = sheet.fy;
    let actor = user.actor();
    let org = sheet.org.clone();
    let catalog = state.catalog.clone();
    state
        .db(move |conn| {
            let list = catalog.checklist(crate::store::organisations::variant_of(&org)?);
            ops::start_from_last_year(conn, &actor, &org, fy, list, version)
        })
        .await?;
    Ok(see_other(&format!(
        "/answers/{}/{}?done=carried",
        sheet.org.code,
        fy.year()
    )))
}
