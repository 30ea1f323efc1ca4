//! In-app notices to organisations (every account of the organisation sees
//! them). Each event has a unique key, so a notice is created at most once,
//! whoever runs first (the operation that caused it, the server's daily run
//! or `tenken notify`).

use std::collections::HashSet;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use crate::checklists::Variant;
use crate::db::schema::{notices as n, organisations as o, submissions as s};
use crate::db::{now, DbConnection};
use crate::domain::FiscalYear;
use crate::error::AppResult;
use crate::store::rounds;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = n)]
pub struct Notice {
    pub id: i32,
    pub organisation_id: i32,
    pub kind: String,
    pub text: String,
    pub link: String,
    pub created_at: String,
    pub read_at: Option<String>,
    pub event_key: String,
}

/// Creates the notice unless one with the same key exists. Returns whether
/// it was created. The key is looked up first, so that a repeat never hits
/// the unique constraint (which would spoil a PostgreSQL transaction).
pub fn create(
    conn: &mut DbConnection,
    organisation_id: i32,
    kind: &str,
    text: &str,
    link: &str,
    key: &str,
) -> AppResult<bool> {
    let exists: i64 = n::table
        .filter(n::event_key.eq(key))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(n::table)
        .values((
            n::organisation_id.eq(organisation_id),
            n::kind.eq(kind),
            n::text.eq(text),
            n::link.eq(link),
            n::created_at.eq(now()),
            n::event_key.eq(key),
        ))
        .execute(conn)?;
    Ok(true)
}

/// The newest notices of an organisation (at most `limit`).
pub fn list(conn: &mut DbConnection, organisation_id: i32, limit: i64) -> AppResult<Vec<Notice>> {
    Ok(n::table
        .filter(n::organisation_id.eq(organisation_id))
        .order(n::id.desc())
        .limit(limit)
        .select(Notice::as_select())
        .load(conn)?)
}

pub fn unread_count(conn: &mut DbConnection, organisation_id: i32) -> AppResult<i64> {
    Ok(n::table
        .filter(n::organisation_id.eq(organisation_id))
        .filter(n::read_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Marks every unread notice of the organisation read; returns how many.
pub fn mark_all_read(conn: &mut DbConnection, organisation_id: i32) -> AppResult<usize> {
    Ok(diesel::update(
        n::table
            .filter(n::organisation_id.eq(organisation_id))
            .filter(n::read_at.is_null()),
    )
    .set(n::read_at.eq(Some(now())))
    .execute(conn)?)
}

fn org_by_code(conn: &mut DbConnection, code: &str) -> AppResult<Option<(i32, String)>> {
    Ok(o::table
        .filter(o::code.eq(code))
        .select((o::id, o::name))
        .first(conn)
        .optional()?)
}

/// A municipality submitted: its prefecture is told.
pub fn on_submit(
    conn: &mut DbConnection,
    org_code: &str,
    org_name: &str,
    prefecture_code: Option<&str>,
    fy: FiscalYear,
    version: i32,
) -> AppResult<()> {
    let Some(pref) = prefecture_code else {
        return Ok(());
    };
    if let Some((pref_id, _)) = org_by_code(conn, pref)? {
        create(
            conn,
            pref_id,
            "municipality_submitted",
            &format!("{org_name}（{org_code}）が {fy} の回答を提出しました"),
            &format!("/review/{org_code}/{}", fy.year()),
            &format!("submitted:{org_code}:{}:{version}", fy.year()),
        )?;
    }
    Ok(())
}

/// A sheet was returned (with the number of items advised) or accepted.
pub fn on_review(
    conn: &mut DbConnection,
    org_id: i32,
    org_code: &str,
    fy: FiscalYear,
    returned: bool,
    advised: usize,
    version: i32,
) -> AppResult<()> {
    let (kind, text) = if returned {
        (
            "sheet_returned",
            format!("{fy} の回答が差し戻されました（助言 {advised} 件）"),
        )
    } else {
        ("sheet_accepted", format!("{fy} の回答が確認されました"))
    };
    create(
        conn,
        org_id,
        kind,
        &text,
        &format!("/answers/{org_code}/{}", fy.year()),
        &format!("{kind}:{org_code}:{}:{version}", fy.year()),
    )?;
    Ok(())
}

/// An answering organisation: id, code, name, prefecture code.
type Answerer = (i32, String, String, Option<String>);

/// Organisations that answer a variant.
fn answering(conn: &mut DbConnection, variant: Variant) -> AppResult<Vec<Answerer>> {
    Ok(o::table
        .filter(o::variant.eq(variant.as_str()))
        .filter(o::kind.ne("prefecture"))
        .order(o::code)
        .select((o::id, o::code, o::name, o::prefecture_code))
        .load(conn)?)
}

/// A round was opened: every organisation answering it is told.
pub fn on_round_open(
    conn: &mut DbConnection,
    variant: Variant,
    fy: FiscalYear,
    deadline: Option<&str>,
) -> AppResult<usize> {
    let until = deadline
        .map(|d| format!("（締切 {d}）"))
        .unwrap_or_default();
    let mut made = 0;
    for (id, code, _, _) in answering(conn, variant)? {
        if create(
            conn,
            id,
            "round_opened",
            &format!("{fy} の点検が始まりました{until}"),
            &format!("/answers/{code}/{}", fy.year()),
            &format!("round_opened:{}:{}:{code}", variant.as_str(), fy.year()),
        )? {
            made += 1;
        }
    }
    Ok(made)
}

/// Organisations of the variant that submitted (提出済 or 確認済) the year.
fn submitted(conn: &mut DbConnection, fy: FiscalYear) -> AppResult<HashSet<i32>> {
    Ok(s::table
        .filter(s::fiscal_year.eq(fy.year()))
        .filter(s::status.eq_any(["submitted", "accepted"]))
        .select(s::organisation_id)
        .load::<i32>(conn)?
        .into_iter()
        .collect())
}

/// The daily run: deadline reminders 14, 7 and 1 days before (only to those
/// not yet submitted), and after the deadline the missing municipalities to
/// their prefecture and the prefectures with missing municipalities to the
/// ministry. Returns the number of notices created; a second run on the same
/// day creates none.
pub fn daily(conn: &mut DbConnection, today: NaiveDate) -> AppResult<usize> {
    let mut made = 0;
    for round in rounds::list(conn)? {
        if !round.is_open() {
            continue;
        }
        let (Some(variant), Some(deadline)) = (
            Variant::parse(&round.variant),
            round
                .deadline
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
        ) else {
            continue;
        };
        let fy = FiscalYear::new(round.fiscal_year)?;
        let days = (deadline - today).num_days();
        let done = submitted(conn, fy)?;
        let missing: Vec<_> = answering(conn, variant)?
            .into_iter()
            .filter(|(id, ..)| !done.contains(id))
            .collect();
        if days >= 0 {
            // The nearest step not yet passed: a day without a run still
            // gets its reminder the next day, never three at once.
            let Some(step) = [1, 7, 14].into_iter().find(|s| days <= *s) else {
                continue;
            };
            for (id, code, _, _) in &missing {
                made += usize::from(create(
                    conn,
                    *id,
                    "deadline",
                    &format!("{fy} の点検の締切（{deadline}）まであと {days} 日です。回答がまだ提出されていません"),
                    &format!("/answers/{code}/{}", fy.year()),
                    &format!("deadline:{}:{}:{step}:{code}", variant.as_str(), fy.year()),
                )?);
            }
        } else if variant == Variant::Municipal {
            let mut by_pref: std::collections::BTreeMap<String, Vec<String>> = Default::default();
            for (_, code, name, pref) in &missing {
                if let Some(p) = pref {
                    by_pref
                        .entry(p.clone())
                        .or_default()
                        .push(format!("{name}（{code}）"));
                }
            }
            let mut pref_names = Vec::new();
            for (pref, names) in &by_pref {
                let Some((pid, pname)) = org_by_code(conn, pref)? else {
                    continue;
                };
                pref_names.push(format!("{pname}（{} 団体）", names.len()));
                made += usize::from(create(
                    conn,
                    pid,
                    "missing_after_deadline",
                    &format!(
                        "{fy} の締切（{deadline}）を過ぎて未提出の市区町村 {} 団体: {}",
                        names.len(),
                        names.join("、")
                    ),
                    &format!("/prefectures/{pref}/{}", fy.year()),
                    &format!("missing:{}:{pref}", fy.year()),
                )?);
            }
            if !pref_names.is_empty() {
                if let Some((mid, _)) = org_by_code(conn, "MIC")? {
                    made += usize::from(create(
                        conn,
                        mid,
                        "prefectures_missing",
                        &format!(
                            "{fy} の締切（{deadline}）を過ぎて未提出の市区町村がある都道府県 {} 件: {}",
                            pref_names.len(),
                            pref_names.join("、")
                        ),
                        &format!("/national/{}", fy.year()),
                        &format!("prefectures_missing:{}", fy.year()),
                    )?);
                }
            }
        }
    }
    made += plan_targets_passed(conn, today)?;
    Ok(made)
}

/// Plans of submitted or accepted sheets whose target date (目標期日) has
/// passed without progress 完了: one notice to the organisation per plan
/// and target date (a new target date gives a new notice).
fn plan_targets_passed(conn: &mut DbConnection, today: NaiveDate) -> AppResult<usize> {
    use crate::db::schema::improvement_plans as p;
    let rows: Vec<(i32, i32, String, String, String, String, String)> = p::table
        .inner_join(s::table.inner_join(o::table))
        .filter(s::status.eq_any(["submitted", "accepted"]))
        .filter(p::progress.ne("done"))
        .filter(p::target_date.ne(""))
        .select((
            s::organisation_id,
            s::fiscal_year,
            o::code,
            p::item_code,
            p::target_date,
            p::measure,
            p::progress,
        ))
        .load(conn)?;
    let mut made = 0;
    for (org_id, year, code, item, target, measure, progress) in rows {
        let Some(date) = crate::domain::sheet::parse_date(&target) else {
            continue;
        };
        // The rule the status lists count by (目標期日を過ぎた計画).
        if !crate::domain::plan_result::past_target(Some(date), &progress, today) {
            continue;
        }
        let Ok(fy) = FiscalYear::new(year) else {
            continue;
        };
        made += usize::from(create(
            conn,
            org_id,
            "plan_target_passed",
            &format!(
                "{fy} の改善計画（小項目 {item}「{measure}」）の目標期日（{date}）を過ぎましたが、完了の記録がありません"
            ),
            &format!("/plans/{code}/{year}"),
            &format!("plan_target:{year}:{code}:{item}:{date}"),
        )?);
    }
    Ok(made)
}

/// A notice not yet e-mailed, with its organisation's code and the
/// addresses of its accounts in use that have one.
#[derive(Debug, Clone)]
pub struct PendingMail {
    pub notice: Notice,
    pub org_code: String,
    pub recipients: Vec<String>,
}

/// Notices whose e-mail step has not run yet (`emailed_at` empty), oldest
/// first.
pub fn pending_mail(conn: &mut DbConnection) -> AppResult<Vec<PendingMail>> {
    use crate::db::schema::users as u;
    let rows: Vec<(Notice, String)> = n::table
        .inner_join(o::table)
        .filter(n::emailed_at.is_null())
        .order(n::id)
        .select((Notice::as_select(), o::code))
        .load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for (notice, org_code) in rows {
        let recipients: Vec<Option<String>> = u::table
            .filter(u::organisation_id.eq(notice.organisation_id))
            .filter(u::disabled_at.is_null())
            .filter(u::email.is_not_null())
            .order(u::id)
            .select(u::email)
            .load(conn)?;
        let mut recipients: Vec<String> = recipients
            .into_iter()
            .flatten()
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .collect();
        recipients.dedup();
        out.push(PendingMail {
            notice,
            org_code,
            recipients,
        });
    }
    Ok(out)
}

/// The e-mail step of a notice has run (sent, or nobody to send it to).
pub fn mark_emailed(conn: &mut DbConnection, id: i32) -> AppResult<()> {
    diesel::update(n::table.find(id))
        .set(n::emailed_at.eq(Some(now())))
        .execute(conn)?;
    Ok(())
}
