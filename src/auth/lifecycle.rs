//! The account lifecycle (checklist 11-x; seed 004's incident was a retired
//! employee's credential never returned): an account is disabled with a
//! reason and enabled again; an account may carry an end date (利用期限, the
//! last day it may be used, Japan time) after which it counts as disabled —
//! checked at login and on every request by the session middleware, so no
//! scheduler is needed; accounts unused for `Settings::account_review_after`
//! are listed for the administrators' periodic review. Every change ends the
//! account's sessions where it must and is logged in the same transaction.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{parse_stamp, Actor};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::store::users::{self, User};
use crate::store::{oplog, sessions};

/// Reasons offered when disabling an account: (key, label).
pub const REASONS: &[(&str, &str)] = &[
    ("retired", "退職"),
    ("transferred", "異動"),
    ("leave", "休職"),
    ("unused", "長期間未使用"),
    ("other", "その他"),
];

/// Longest free-text note of a reason.
pub const MAX_NOTE: usize = 200;

/// Japan's offset from UTC (no summer time).
const JST_HOURS: i64 = 9;

/// Whether an account may be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    Active,
    /// Disabled by an administrator (or on its end date), with the reason.
    Disabled(String),
    /// Past its end date but not yet marked disabled.
    Expired(String),
}

/// Reads an end date `YYYY-MM-DD` (also `YYYY/M/D`); the message names the field.
pub fn parse_end_date(text: &str) -> AppResult<NaiveDate> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%Y/%m/%d"))
        .map_err(|_| {
            AppError::BadRequest(format!(
                "利用期限「{t}」は日付として読めません（例: 2027-03-31）"
            ))
        })
}

/// The instant an end date has passed: the start of the next day in Japan.
pub fn end_instant(valid_until: &str) -> Option<DateTime<Utc>> {
    let date = parse_end_date(valid_until).ok()?;
    let next = date.succ_opt()?.and_hms_opt(0, 0, 0)?;
    Some(next.and_utc() - Duration::hours(JST_HOURS))
}

pub fn standing(user: &User, now: DateTime<Utc>) -> Standing {
    if user.disabled_at.is_some() {
        return Standing::Disabled(user.disabled_reason.clone());
    }
    match &user.valid_until {
        // An unreadable end date counts as passed: never more access than meant.
        Some(d) if end_instant(d).is_none_or(|end| now >= end) => Standing::Expired(d.clone()),
        _ => Standing::Active,
    }
}

/// The account that acts when the application itself disables an account
/// on its end date.
fn system_actor(user: &User) -> Actor {
    Actor {
        user_id: Some(user.id),
        login: user.login.clone(),
        org_code: String::new(),
        address: "tenken".into(),
    }
}

/// Marks an account past its end date as disabled, ends its sessions and
/// logs it. The caller holds the transaction.
fn expire(conn: &mut DbConnection, user: &User, date: &str) -> AppResult<()> {
    users::disable(conn, user.id, &format!("利用期限（{date}）の経過"))?;
    sessions::delete_for_user(conn, user.id, None)?;
    oplog::record(
        conn,
        &system_actor(user),
        "user_expired",
        "",
        None,
        &format!("{}: 利用期限 {date} を過ぎたため無効化", user.login),
    )
}

/// At login, after the lock check: `true` refuses the login (and logs why).
pub fn refuse_login(
    conn: &mut DbConnection,
    actor: &Actor,
    user: &User,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    use diesel::Connection;
    match standing(user, now) {
        Standing::Active => Ok(false),
        Standing::Disabled(reason) => {
            oplog::record(
                conn,
                actor,
                "login_disabled",
                "",
                None,
                &format!("無効なアカウント（{reason}）"),
            )?;
            Ok(true)
        }
        Standing::Expired(date) => {
            conn.transaction(|conn| {
                expire(conn, user, &date)?;
                oplog::record(
                    conn,
                    actor,
                    "login_disabled",
                    "",
                    None,
                    &format!("利用期限 {date} を過ぎたアカウント"),
                )
            })?;
            Ok(true)
        }
    }
}

/// For the session middleware: whether the session's account may still be
/// used. An account past its end date is disabled now; a disabled one's
/// sessions end.
pub fn session_allowed(
    conn: &mut DbConnection,
    user: &User,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    use diesel::Connection;
    match standing(user, now) {
        Standing::Active => Ok(true),
        Standing::Disabled(_) => {
            sessions::delete_for_user(conn, user.id, None)?;
            Ok(false)
        }
        Standing::Expired(date) => {
            conn.transaction(|conn| expire(conn, user, &date))?;
            Ok(false)
        }
    }
}

/// The reason text stored for a key of [`REASONS`] and a note. `other`
/// needs a note.
pub fn reason_text(key: &str, note: &str) -> AppResult<String> {
    let note = note.trim();
    if note.chars().count() > MAX_NOTE {
        return Err(AppError::BadRequest(format!(
            "無効にする理由の補足は{MAX_NOTE}文字までです（{}文字あります）",
            note.chars().count()
        )));
    }
    let Some((_, label)) = REASONS.iter().find(|(k, _)| *k == key.trim()) else {
        return Err(AppError::BadRequest(
            "無効にする理由を選んでください（退職、異動、休職、長期間未使用、その他）".into(),
        ));
    };
    match (key.trim(), note.is_empty()) {
        ("other", true) => Err(AppError::BadRequest(
            "理由が「その他」のときは補足を書いてください".into(),
        )),
        (_, true) => Ok((*label).to_string()),
        (_, false) => Ok(format!("{label}：{note}")),
    }
}

/// Disables `target` for `reason`: its sessions end at once; logged. The
/// caller holds the transaction.
pub fn disable(
    conn: &mut DbConnection,
    actor: &Actor,
    target: &User,
    reason: &str,
) -> AppResult<()> {
    if reason.trim().is_empty() {
        return Err(AppError::BadRequest(
            "無効にする理由を書いてください".into(),
        ));
    }
    if target.disabled_at.is_some() {
        return Err(AppError::Conflict(format!(
            "アカウント「{}」は既に無効です",
            target.login
        )));
    }
    users::disable(conn, target.id, reason)?;
    let ended = sessions::delete_for_user(conn, target.id, None)?;
    oplog::record(
        conn,
        actor,
        "user_disable",
        "",
        None,
        &format!("{}: {reason}（終了したセッション {ended}）", target.login),
    )
}

/// Enables `target` again with a new end date (`None`: none); logged. An
/// end date already past is refused. The caller holds the transaction.
pub fn enable(
    conn: &mut DbConnection,
    actor: &Actor,
    target: &User,
    valid_until: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if standing(target, now) == Standing::Active {
        return Err(AppError::Conflict(format!(
            "アカウント「{}」は無効になっていません",
            target.login
        )));
    }
    let until = valid_until.map(|d| d.format("%Y-%m-%d").to_string());
    check_future(until.as_deref(), now)?;
    users::enable(conn, target.id, until.as_deref())?;
    oplog::record(
        conn,
        actor,
        "user_enable",
        "",
        None,
        &format!(
            "{}: 有効化（利用期限 {}）",
            target.login,
            until.as_deref().unwrap_or("なし")
        ),
    )
}

fn check_future(until: Option<&str>, now: DateTime<Utc>) -> AppResult<()> {
    match until {
        Some(d) if end_instant(d).is_none_or(|end| now >= end) => Err(AppError::BadRequest(
            format!("利用期限 {d} は既に過ぎています。今日以降の日付を指定してください"),
        )),
        _ => Ok(()),
    }
}

/// Sets or clears the end date of an account in use; logged.
pub fn set_end_date(
    conn: &mut DbConnection,
    actor: &Actor,
    target: &User,
    valid_until: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let until = valid_until.map(|d| d.format("%Y-%m-%d").to_string());
    check_future(until.as_deref(), now)?;
    users::set_valid_until(conn, target.id, until.as_deref())?;
    oplog::record(
        conn,
        actor,
        "user_valid_until",
        "",
        None,
        &format!(
            "{}: 利用期限 {}",
            target.login,
            until.as_deref().unwrap_or("なし")
        ),
    )
}

/// Sets or clears the address the account's organisation's notices are
/// e-mailed to; logged. The address is checked (`name@domain`).
pub fn set_email(
    conn: &mut DbConnection,
    actor: &Actor,
    target: &User,
    email: &str,
) -> AppResult<()> {
    let email = email.trim();
    let email = if email.is_empty() {
        None
    } else {
        email.parse::<lettre::Address>().map_err(|_| {
            AppError::BadRequest(format!(
                "メールアドレス「{email}」が正しくありません（例: tenken@example.lg.jp）"
            ))
        })?;
        Some(email)
    };
    users::set_email(conn, target.id, email)?;
    oplog::record(
        conn,
        actor,
        "user_email",
        "",
        None,
        &format!(
            "{}: メールアドレス {}",
            target.login,
            email.unwrap_or("なし")
        ),
    )
}

/// When the account was last used or (re)started: the latest of its last
/// login, creation and re-enabling.
pub fn last_use(user: &User) -> DateTime<Utc> {
    [
        Some(&user.created_at),
        user.last_login_at.as_ref(),
        user.enabled_at.as_ref(),
    ]
    .into_iter()
    .flatten()
    .map(|s| parse_stamp(s))
    .max()
    .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Accounts in use that nobody used for `after`, for the periodic review.
pub fn unused(user: &User, after: std::time::Duration, now: DateTime<Utc>) -> bool {
    let after = Duration::from_std(after).unwrap_or(Duration::MAX);
    standing(user, now) == Standing::Active && now - last_use(user) > after
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_end_date_lasts_to_the_end_of_that_day_in_japan() {
        let end = end_instant("2027-03-31").expect("date");
        assert_eq!(super::super::stamp(end), "2027-03-31T15:00:00Z");
        assert_eq!(end_instant("2027/3/31"), Some(end));
        assert_eq!(end_instant("31.3.2027"), None);
    }

    #[test]
    fn reasons_need_a_known_key_and_other_needs_a_note() {
        assert_eq!(reason_text("retired", "").ok().as_deref(), Some("退職"));
        assert_eq!(
            reason_text("transferred", " 総務課へ ").ok().as_deref(),
            Some("異動：総務課へ")
        );
        assert!(reason_text("other", "").is_err());
        assert!(reason_text("fired", "").is_err());
        assert!(reason_text("retired", &"x".repeat(201)).is_err());
    }
}
