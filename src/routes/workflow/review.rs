//! Review by the prefecture (municipalities) or the ministry (national
//! agencies): the status list, advice, return and acceptance, and the
//! follow-up of improvement plans.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::answers::{load_sheet, render_sheet, show_stored, Conflict};
use super::common::{field, missing_version, notice, render, see_other, year, NoticeQuery};
use super::confirm;
use crate::auth::{can_read_org, can_review, can_view_prefecture, require, CurrentUser};
use crate::domain::sheet::parse_date;
use crate::domain::FieldProblem;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::submissions::{progress_label, Progress, Status};
use crate::workflow::fields::{self, name};
use crate::workflow::form::Problem;
use crate::workflow::ops::{self, ReviewAction, Reviewed};
use crate::workflow::view::{Mode, Shown};
use crate::workflow::{plan_follow, status, Sheet};

pub async fn review_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    q: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    let (code, y) = path.into_inner();
    let sheet = load_sheet(&state, &user, code, &y, can_review, Some("review_view")).await?;
    show_stored(
        &state,
        &user,
        &sheet,
        Mode::Review,
        notice(q.done.as_deref()),
    )
}

/// What the confirmation of 確認済にする says: whose sheet, and that it is
/// final (no more advice or return), with the advice that goes with it.
fn accept_confirmation<'a>(
    sheet: &Sheet,
    advice: &HashMap<String, String>,
    note: &str,
) -> confirm::Confirmation<'a> {
    let status = sheet.status();
    confirm::Confirmation {
        heading: "確認済にする前の確認",
        facts: vec![
            confirm::fact("団体", sheet.org.name.clone()),
            confirm::fact("年度", sheet.fy.to_string()),
            confirm::fact("回答の状況", status.label()),
            confirm::fact("小項目への助言", format!("{} 件", advice.len())),
            confirm::fact(
                "全体への所見",
                if note.trim().is_empty() { "なし" } else { "あり" },
            ),
        ],
        consequence: format!(
            "確認済にすると、{} の {} の回答は確定し、差し戻すことも助言を変えることもできなくなります。",
            sheet.org.name, sheet.fy
        ),
        action: format!("/review/{}/{}", sheet.org.code, sheet.fy.year()),
        button: "確認済にする",
        back: None,
    }
}

pub async fn review_post(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let (code, y) = path.into_inner();
    let sheet = load_sheet(&state, &user, code, &y, can_review, None).await?;
    let input = read_review_form(&state, &sheet, &form)?;
    let problems = input.problems();
    if !problems.is_empty() {
        return show_typed(
            &state,
            &user,
            &sheet,
            &input,
            &problems,
            StatusCode::BAD_REQUEST,
        );
    }
    if confirm::went_back(&form) {
        return show_typed(&state, &user, &sheet, &input, &[], StatusCode::OK);
    }
    if input.action == ReviewAction::Accept && !confirm::confirmed(&form) {
        let c = accept_confirmation(&sheet, &input.written_advice(), &input.note);
        return confirm::page(&state, &user, &c, &form);
    }
    let actor = user.actor();
    let (org, fy) = (sheet.org.clone(), sheet.fy);
    let posted = input.clone();
    let outcome = state
        .db(move |conn| ops::review(conn, &actor, &org, fy, &posted))
        .await?;
    match outcome {
        Reviewed::Done { .. } => Ok(after_review(&sheet, input.action)),
        Reviewed::Conflict => show_conflict(&state, &user, &sheet, &input).await,
    }
}

/// The posted review form: the version it was loaded at, the action, the
/// overall remark and the advice of every sub-item of the year.
fn read_review_form(
    state: &AppState,
    sheet: &Sheet,
    form: &[(String, String)],
) -> AppResult<ops::ReviewInput> {
    let version: i32 = field(form, "version")
        .trim()
        .parse()
        .map_err(|_| missing_version())?;
    let action = ReviewAction::parse(field(form, "action")).ok_or_else(|| {
        AppError::BadRequest("操作（助言の保存・差戻し・確認）を選んでください".into())
    })?;
    let advice = state
        .catalog
        .checklist(sheet.variant)
        .items_in(sheet.fy)
        .map(|i| {
            let text = field(form, &name(fields::ADVICE, &i.code)).replace("\r\n", "\n");
            (i.code.clone(), text)
        })
        .collect();
    Ok(ops::ReviewInput {
        version,
        action,
        advice,
        note: field(form, "review_note").replace("\r\n", "\n"),
    })
}

/// The review page again with what the reviewer typed (after a problem or
/// 戻る on the confirmation).
fn show_typed(
    state: &AppState,
    user: &CurrentUser,
    sheet: &Sheet,
    input: &ops::ReviewInput,
    problems: &[Problem],
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let entries = sheet.entries(state.catalog.checklist(sheet.variant));
    render_sheet(
        state,
        user,
        sheet,
        Shown {
            mode: Mode::Review,
            entries: &entries,
            advice: &input.written_advice(),
            review_note: &input.note,
            problems,
        },
        None,
        None,
        status,
    )
}

/// Where a done review leads: the review page with its notice.
fn after_review(sheet: &Sheet, action: ReviewAction) -> HttpResponse {
    let done = match action {
        ReviewAction::SaveAdvice => "advice",
        ReviewAction::Return => "return",
        ReviewAction::Accept => "accept",
    };
    see_other(&format!(
        "/review/{}/{}?done={done}",
        sheet.org.code,
        sheet.fy.year()
    ))
}

/// The sheet changed since the form was loaded: nothing was done; the
/// fresh sheet is shown with the advice typed, and why.
async fn show_conflict(
    state: &AppState,
    user: &CurrentUser,
    sheet: &Sheet,
    input: &ops::ReviewInput,
) -> AppResult<HttpResponse> {
    let fresh = load_sheet(
        state,
        user,
        sheet.org.code.clone(),
        &sheet.fy.year().to_string(),
        can_review,
        None,
    )
    .await?;
    let message = format!(
        "この画面を開いた後に、回答は変わりました（今は「{}」）。操作は行われていません。入力した助言はフォームに残っています。",
        fresh.status().label()
    );
    let fresh_entries = fresh.entries(state.catalog.checklist(fresh.variant));
    render_sheet(
        state,
        user,
        &fresh,
        Shown {
            mode: Mode::Review,
            entries: &fresh_entries,
            advice: &input.written_advice(),
            review_note: &input.note,
            problems: &[],
        },
        Some(Conflict {
            message,
            rows: Vec::new(),
            updated_at: fresh
                .submission
                .as_ref()
                .map(|s| s.updated_at.clone())
                .unwrap_or_default(),
            updated_by: String::new(),
        }),
        None,
        StatusCode::CONFLICT,
    )
}

#[derive(Serialize)]
struct PlanRow {
    code: String,
    text: String,
    score_label: String,
    present_state: String,
    measure: String,
    person_in_charge: String,
    target_date: String,
    progress: String,
    progress_label: &'static str,
    started_on: String,
    completed_on: String,
    note: String,
    progress_updated_at: String,
}

#[derive(Serialize)]
struct PlansView {
    /// The form's field names (`workflow::fields`).
    fields: &'static fields::Names,
    org_code: String,
    org_name: String,
    fiscal_year: i32,
    fiscal_year_label: String,
    status_label: &'static str,
    editable: bool,
    rows: Vec<PlanRow>,
    problems: Vec<FieldProblem>,
    progress_options: Vec<(&'static str, &'static str)>,
}

const PROGRESS: [&str; 3] = ["not_started", "in_progress", "done"];

fn plans_view(
    state: &AppState,
    user: &CurrentUser,
    sheet: &Sheet,
    typed: Option<&[Progress]>,
    problems: Vec<FieldProblem>,
) -> PlansView {
    let list = state.catalog.checklist(sheet.variant);
    let scale = &state.catalog.scale;
    let mut rows: Vec<PlanRow> = list
        .items_in(sheet.fy)
        .filter_map(|item| {
            let p = sheet.plans.get(&item.code)?;
            let t = typed.and_then(|t| t.iter().find(|x| x.item_code == item.code));
            let score = sheet.answers.get(&item.code).map(|a| a.score);
            let progress = t.map_or(p.progress.clone(), |t| t.progress.clone());
            Some(PlanRow {
                code: item.code.clone(),
                text: item.text_in(sheet.fy).to_string(),
                score_label: score
                    .and_then(|s| u8::try_from(s).ok())
                    .map(|s| format!("{s} {}", scale.label(s)))
                    .unwrap_or_default(),
                present_state: p.present_state.clone(),
                measure: p.measure.clone(),
                person_in_charge: p.person_in_charge.clone(),
                target_date: p.target_date.clone(),
                progress_label: progress_label(&progress),
                progress,
                started_on: t
                    .map_or(p.started_on.clone(), |t| t.started_on.clone())
                    .unwrap_or_default(),
                completed_on: t
                    .map_or(p.completed_on.clone(), |t| t.completed_on.clone())
                    .unwrap_or_default(),
                note: t.map_or(p.progress_note.clone(), |t| t.note.clone()),
                progress_updated_at: p.progress_updated_at.clone().unwrap_or_default(),
            })
        })
        .collect();
    rows.sort_by_key(|r| {
        let (g, i) = r.code.split_once('-').unwrap_or((&r.code, "0"));
        (g.parse::<u32>().unwrap_or(0), i.parse::<u32>().unwrap_or(0))
    });
    PlansView {
        fields: &fields::NAMES,
        org_code: sheet.org.code.clone(),
        org_name: sheet.org.name.clone(),
        fiscal_year: sheet.fy.year(),
        fiscal_year_label: sheet.fy.to_string(),
        status_label: sheet.status().label(),
        editable: can_review(user, &sheet.org)
            && matches!(sheet.status(), Status::Submitted | Status::Accepted),
        rows,
        problems,
        progress_options: PROGRESS.iter().map(|p| (*p, progress_label(p))).collect(),
    }
}

pub async fn plans_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    q: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    let (code, y) = path.into_inner();
    let sheet = load_sheet(&state, &user, code, &y, can_read_org, Some("plans_view")).await?;
    let view = plans_view(&state, &user, &sheet, None, Vec::new());
    render(
        &state,
        Some(&user),
        "plans.html",
        "改善計画の進捗",
        notice(q.done.as_deref()),
        StatusCode::OK,
        view,
    )
}

pub async fn plans_post(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let (code, y) = path.into_inner();
    let sheet = load_sheet(&state, &user, code, &y, can_review, None).await?;
    let mut problems = Vec::new();
    let mut entries = Vec::new();
    let mut codes: Vec<&String> = sheet.plans.keys().collect();
    codes.sort();
    for c in codes {
        let progress = field(&form, &name(fields::PROGRESS, c)).trim().to_string();
        if progress.is_empty() {
            continue;
        }
        if !PROGRESS.contains(&progress.as_str()) {
            problems.push(FieldProblem::on(
                name(fields::PROGRESS, c),
                format!("小項目 {c} の進捗「{progress}」は選べる値ではありません"),
            ));
            continue;
        }
        let date = |prefix: &str, label: &str, problems: &mut Vec<FieldProblem>| {
            let v = field(&form, &name(prefix, c)).trim().to_string();
            if v.is_empty() {
                return None;
            }
            match parse_date(&v) {
                Some(d) => Some(d.format("%Y-%m-%d").to_string()),
                None => {
                    problems.push(FieldProblem::on(
                        name(prefix, c),
                        format!(
                            "小項目 {c} の{label}「{v}」は日付として読めません（例: 2008-03-31）"
                        ),
                    ));
                    None
                }
            }
        };
        let started_on = date(fields::STARTED, "着手日", &mut problems);
        let completed_on = date(fields::COMPLETED, "完了日", &mut problems);
        if progress == "in_progress" && started_on.is_none() {
            problems.push(FieldProblem::on(
                name(fields::STARTED, c),
                format!("小項目 {c} を「実施中」にするには着手日を書いてください"),
            ));
        }
        if progress == "done" && completed_on.is_none() {
            problems.push(FieldProblem::on(
                name(fields::COMPLETED, c),
                format!("小項目 {c} を「完了」にするには完了日を書いてください"),
            ));
        }
        entries.push(Progress {
            item_code: c.clone(),
            progress,
            started_on,
            completed_on,
            note: field(&form, &name(fields::PROGRESS_NOTE, c)).replace("\r\n", "\n"),
        });
    }
    if !problems.is_empty() {
        let view = plans_view(&state, &user, &sheet, Some(&entries), problems);
        return render(
            &state,
            Some(&user),
            "plans.html",
            "改善計画の進捗",
            None,
            StatusCode::BAD_REQUEST,
            view,
        );
    }
    let actor = user.actor();
    let org = sheet.org.clone();
    let fy = sheet.fy;
    state
        .db(move |conn| ops::record_progress(conn, &actor, &org, fy, &entries))
        .await?;
    Ok(see_other(&format!(
        "/plans/{}/{}?done=progress",
        sheet.org.code,
        fy.year()
    )))
}

#[derive(Serialize)]
struct PrefectureView {
    pref_code: String,
    pref_name: String,
    fiscal_year: i32,
    fiscal_year_label: String,
    round_label: &'static str,
    deadline: Option<String>,
    reviewer: bool,
    rows: Vec<status::OrgRow>,
    counts: Vec<status::StatusCount>,
    /// The municipalities' plan tallies summed.
    plans_total: crate::domain::PlanTally,
    result_rule: &'static str,
    past_target_rule: &'static str,
}

pub async fn prefecture_status(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (pref, y) = path.into_inner();
    let fy = year(&y)?;
    require(can_view_prefecture(&user, &pref))?;
    let catalog = state.catalog.clone();
    let actor = user.actor();
    let view = state
        .db(move |conn| status::prefecture_viewed(conn, &catalog, &actor, &pref, fy))
        .await?;
    let (org, round, rows) = (view.prefecture, view.round, view.rows);
    let view = PrefectureView {
        pref_code: org.code,
        pref_name: org.name,
        fiscal_year: fy.year(),
        fiscal_year_label: fy.to_string(),
        round_label: round.as_ref().map_or("未開始", |r| r.status_label()),
        deadline: round.and_then(|r| r.deadline),
        reviewer: user.role == crate::auth::Role::Prefecture,
        counts: status::counts(&rows),
        plans_total: rows.iter().fold(Default::default(), |mut t, r| {
            t.absorb(&r.plans);
            t
        }),
        result_rule: plan_follow::RESULT_RULE,
        past_target_rule: plan_follow::PAST_TARGET_RULE,
        rows,
    };
    render(
        &state,
        Some(&user),
        "prefecture.html",
        "市区町村の回答状況",
        None,
        StatusCode::OK,
        view,
    )
}
