//! Changes to accounts, by administrators and by the account holder. Each
//! is one transaction that writes the change and its operation-log entry
//! together; the handlers in `routes::workflow::accounts`, `account` and
//! `signin` parse the form, call one of these and render the outcome.

use diesel::Connection;

use crate::auth::lifecycle;
use crate::auth::Role;
use crate::auth::{can_change_account_of, require, second_factor as totp, Actor, CurrentUser};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::store::chain::{self, ChainState};
use crate::store::oplog::{self, Filter, LogEntry};
use crate::store::{organisations, sessions, users};

/// Adds an account of `role` in the organisation `org_code` with the
/// (already hashed) initial password, which must be changed at first login.
/// A ministry account only by the ministry's administrators.
pub fn add(
    conn: &mut DbConnection,
    adder: &CurrentUser,
    login: &str,
    org_code: &str,
    role: Role,
    hash: &str,
) -> AppResult<()> {
    let actor = adder.actor();
    conn.transaction(|conn| {
        let kind = organisations::find(conn, org_code)?.map(|o| o.kind);
        require(can_change_account_of(adder, kind.as_deref().unwrap_or("")))?;
        let created = users::create(conn, login, org_code, role, hash, true)?;
        oplog::record(
            conn,
            &actor,
            "user_add",
            org_code,
            None,
            &format!("{}（{}）", created.login, role.label()),
        )
    })
}

/// The account `id`, when `user` may change it (a ministry account only by
/// the ministry's administrators).
pub fn changeable(conn: &mut DbConnection, user: &CurrentUser, id: i32) -> AppResult<users::User> {
    let target = users::find(conn, id)?
        .ok_or_else(|| AppError::NotFound(format!("アカウント {id} はありません")))?;
    let kind = organisations::find_by_id(conn, target.organisation_id)?
        .map(|o| o.kind)
        .unwrap_or_default();
    require(can_change_account_of(user, &kind))?;
    Ok(target)
}

/// Lifts the lock of `target` after failed logins.
pub fn unlock(conn: &mut DbConnection, actor: &Actor, target: &users::User) -> AppResult<()> {
    conn.transaction(|conn| {
        users::unlock(conn, target.id)?;
        oplog::record(conn, actor, "user_unlock", "", None, &target.login)
    })
}

/// Gives `target` a new initial password (already hashed): unlocked, its
/// sessions ended, the password to be changed at the next login.
pub fn reset_password(
    conn: &mut DbConnection,
    actor: &Actor,
    target: &users::User,
    hash: &str,
) -> AppResult<()> {
    conn.transaction(|conn| {
        users::set_password(conn, target.id, hash, true)?;
        users::unlock(conn, target.id)?;
        sessions::delete_for_user(conn, target.id, None)?;
        oplog::record(conn, actor, "user_reset", "", None, &target.login)
    })
}

/// A change of an account's standing, as posted on its page.
#[derive(Debug, Clone)]
pub enum LifecycleChange {
    /// 無効にする: a reason key of `lifecycle::REASONS` and a free note.
    Disable { reason: String, note: String },
    /// 有効に戻す with a new end date (empty: none).
    Enable { until: String },
    /// A new end date (empty: none).
    EndDate { until: String },
    /// The notice address (empty clears it).
    Email(String),
    /// Removes the second factor so that it is set up again.
    ResetSecondFactor,
}

impl LifecycleChange {
    /// The `done` notice shown after the change.
    pub fn done(&self) -> &'static str {
        match self {
            Self::Disable { .. } => "disabled",
            Self::Enable { .. } => "enabled",
            Self::EndDate { .. } => "valid_until",
            Self::Email(_) => "email",
            Self::ResetSecondFactor => "totp_reset",
        }
    }
}

/// The end date of a form: empty is none.
fn end_date(text: &str) -> AppResult<Option<chrono::NaiveDate>> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        lifecycle::parse_end_date(text).map(Some)
    }
}

/// Applies `change` to `target` with its log entry. A refusal is
/// `BadRequest` (the input) or `Conflict` (the account's state).
pub fn change_lifecycle(
    conn: &mut DbConnection,
    actor: &Actor,
    target: &users::User,
    change: &LifecycleChange,
) -> AppResult<()> {
    conn.transaction(|conn| match change {
        LifecycleChange::Disable { reason, note } => {
            let reason = lifecycle::reason_text(reason, note)?;
            lifecycle::disable(conn, actor, target, &reason)
        }
        LifecycleChange::Enable { until } => {
            lifecycle::enable(conn, actor, target, end_date(until)?, chrono::Utc::now())
        }
        LifecycleChange::EndDate { until } => {
            lifecycle::set_end_date(conn, actor, target, end_date(until)?, chrono::Utc::now())
        }
        LifecycleChange::Email(email) => lifecycle::set_email(conn, actor, target, email),
        LifecycleChange::ResetSecondFactor => totp::reset(conn, actor, target),
    })
}

/// Ends the session `session_id` (logout).
pub fn sign_out(conn: &mut DbConnection, actor: &Actor, session_id: i32) -> AppResult<()> {
    conn.transaction(|conn| {
        sessions::delete(conn, session_id)?;
        oplog::record(conn, actor, "logout", "", None, "")
    })
}

/// Stores the account holder's new password (already checked and hashed)
/// and ends their other sessions; `session_id`, the one in use, stays.
pub fn change_own_password(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: i32,
    session_id: i32,
    hash: &str,
) -> AppResult<()> {
    conn.transaction(|conn| {
        users::set_password(conn, user_id, hash, false)?;
        sessions::delete_for_user(conn, user_id, Some(session_id))?;
        oplog::record(conn, actor, "password_change", "", None, "")
    })
}

/// Searches the operation log (when `search`) after walking its hash
/// chain; the search itself is logged.
pub fn search_log(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &Filter,
    search: bool,
    limit: i64,
) -> AppResult<(Vec<LogEntry>, ChainState)> {
    // The chain is walked before this view is logged.
    let chain = chain::verify(conn)?;
    if !search {
        return Ok((Vec::new(), chain));
    }
    let rows = oplog::search(conn, filter, limit)?;
    let detail = format!(
        "ログインID={} 組織={} 操作={} 期間={}〜{}",
        filter.login, filter.org, filter.action, filter.from, filter.to
    );
    oplog::record(conn, actor, "oplog_view", "", None, &detail)?;
    Ok((rows, chain))
}
