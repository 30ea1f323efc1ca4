//! Accounts: one organisation and one role each, an argon2id hash, and the
//! lockout state (checklist item 12-2).

use diesel::prelude::*;
use serde::Serialize;

use crate::auth::Role;
use crate::db::schema::{organisations as o, users as u};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::store::organisations::{self, Organisation};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = u)]
pub struct User {
    pub id: i32,
    pub login: String,
    pub organisation_id: i32,
    pub role: String,
    #[serde(skip)]
    pub password_hash: String,
    pub must_change_password: bool,
    pub failed_attempts: i32,
    pub locked_until: Option<String>,
    pub created_at: String,
    pub password_changed_at: String,
    pub last_login_at: Option<String>,
    /// When the account was disabled (`None`: in use).
    pub disabled_at: Option<String>,
    pub disabled_reason: String,
    /// 利用期限: the last day (Japan time, `YYYY-MM-DD`) it may be used.
    pub valid_until: Option<String>,
    /// When it was last enabled again after being disabled.
    pub enabled_at: Option<String>,
    /// Where the notices of the organisation are e-mailed (`None`: not).
    pub email: Option<String>,
}

/// Checks a login name: 3 to 64 characters of `A-Z a-z 0-9 . _ - @`.
pub fn check_login(login: &str) -> AppResult<()> {
    let ok = (3..=64).contains(&login.len())
        && login
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_@".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(AppError::BadRequest(format!(
            "ログインID「{login}」は使えません（英数字と . _ - @ で3〜64文字）"
        )))
    }
}

/// Checks that an account of `role` may belong to `org`.
pub fn check_role_fits(role: Role, org: &Organisation) -> AppResult<()> {
    match role.org_kind() {
        Some(kind) if kind != org.kind => Err(AppError::BadRequest(format!(
            "{}のアカウントは{}に属する必要があります（{} {} は{}です）",
            role.label(),
            kind_label(kind),
            org.code,
            org.name,
            kind_label(&org.kind)
        ))),
        _ => Ok(()),
    }
}

pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "municipality" => "市区町村",
        "prefecture" => "都道府県",
        "ministry" => "総務省",
        "agency" => "国の行政機関等",
        "designated_body" => "指定情報処理機関",
        _ => "不明な種別",
    }
}

/// Adds an account with an already computed hash. The login, the
/// organisation and the role are checked; a login in use is a conflict.
pub fn create(
    conn: &mut DbConnection,
    login: &str,
    org_code: &str,
    role: Role,
    password_hash: &str,
    must_change_password: bool,
) -> AppResult<User> {
    check_login(login)?;
    let org = organisations::find(conn, org_code)?
        .ok_or_else(|| AppError::BadRequest(format!("組織コード {org_code} はありません")))?;
    check_role_fits(role, &org)?;
    // Without regard to case: `DEMO-MIC` is taken when `demo-mic` is.
    if let Some(taken) = find_by_login(conn, login)? {
        return Err(AppError::Conflict(format!(
            "ログインID「{login}」は既に使われています（大文字と小文字は区別しません。使用中: {}）",
            taken.login
        )));
    }
    let stamp = now();
    diesel::insert_into(u::table)
        .values((
            u::login.eq(login),
            u::organisation_id.eq(org.id),
            u::role.eq(role.as_str()),
            u::password_hash.eq(password_hash),
            u::must_change_password.eq(must_change_password),
            u::failed_attempts.eq(0),
            u::created_at.eq(&stamp),
            u::password_changed_at.eq(&stamp),
        ))
        .execute(conn)?;
    find_by_login(conn, login)?.ok_or_else(|| AppError::internal("account vanished after insert"))
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// The account of a login id, without regard to case: ids are unique that
/// way (the index `users_login_lower` on both backends; ids are ASCII, which
/// SQLite's and PostgreSQL's `lower` fold alike).
pub fn find_by_login(conn: &mut DbConnection, login: &str) -> AppResult<Option<User>> {
    Ok(u::table
        .filter(lower(u::login).eq(login.to_ascii_lowercase()))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut DbConnection, id: i32) -> AppResult<Option<User>> {
    Ok(u::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// Every account with its organisation's code and name, by login.
pub fn list(conn: &mut DbConnection) -> AppResult<Vec<(User, String, String)>> {
    Ok(u::table
        .inner_join(o::table)
        .order(u::login)
        .select((User::as_select(), o::code, o::name))
        .load(conn)?)
}

/// Counts one more failed attempt and returns the new count. The increment
/// is done by the database (`failed_attempts = failed_attempts + 1`), and the
/// row stays locked by this write until the caller's transaction ends, so
/// concurrent attempts count one after the other and each reads its own
/// number.
pub fn count_failure(conn: &mut DbConnection, id: i32) -> AppResult<i32> {
    conn.transaction(|conn| {
        diesel::update(u::table.find(id))
            .set(u::failed_attempts.eq(u::failed_attempts + 1))
            .execute(conn)?;
        Ok(u::table.find(id).select(u::failed_attempts).first(conn)?)
    })
}

/// The first statement of a login decision, inside its transaction: a write
/// on the account's row that clears a lock ended before `now` and tells
/// whether the account is unlocked. Being a write, it holds the row
/// (PostgreSQL) or the database (SQLite) until the transaction ends, so
/// nobody locks the account between this check and the decision, and the
/// decision is taken on the row as it is now, not as it was before the
/// password was hashed. Stamps are fixed-width UTC text, so they compare as
/// text.
pub fn claim_unlocked(conn: &mut DbConnection, id: i32, now: &str) -> AppResult<bool> {
    let n = diesel::update(
        u::table
            .find(id)
            .filter(u::locked_until.is_null().or(u::locked_until.le(now))),
    )
    .set(u::locked_until.eq(None::<String>))
    .execute(conn)?;
    Ok(n == 1)
}

/// Locks the account until `until` and starts counting afresh.
pub fn lock(conn: &mut DbConnection, id: i32, until: &str) -> AppResult<()> {
    diesel::update(u::table.find(id))
        .set((u::locked_until.eq(until), u::failed_attempts.eq(0)))
        .execute(conn)?;
    Ok(())
}

/// A successful login clears the failures. It never clears a lock: a lock
/// set by another attempt stays (`claim_unlocked` has cleared an ended one);
/// `false` when the account is locked, and nothing is changed then.
pub fn record_login(conn: &mut DbConnection, id: i32) -> AppResult<bool> {
    let n = diesel::update(u::table.find(id).filter(u::locked_until.is_null()))
        .set((u::failed_attempts.eq(0), u::last_login_at.eq(now())))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn unlock(conn: &mut DbConnection, id: i32) -> AppResult<()> {
    diesel::update(u::table.find(id))
        .set((u::failed_attempts.eq(0), u::locked_until.eq(None::<String>)))
        .execute(conn)?;
    Ok(())
}

/// How many passwords may not be chosen again: the current one and the 4
/// before it.
pub const PASSWORD_HISTORY: i64 = 5;

/// The hashes of the account's last `PASSWORD_HISTORY` passwords, the
/// current one first.
pub fn recent_password_hashes(conn: &mut DbConnection, id: i32) -> AppResult<Vec<String>> {
    use crate::db::schema::password_history as h;
    let mut out = Vec::new();
    if let Some(user) = find(conn, id)? {
        out.push(user.password_hash);
    }
    let older: Vec<String> = h::table
        .filter(h::user_id.eq(id))
        .order(h::id.desc())
        .limit(PASSWORD_HISTORY - 1)
        .select(h::password_hash)
        .load(conn)?;
    out.extend(older);
    Ok(out)
}

/// Sets a new password; the one it replaces goes into `password_history`.
pub fn set_password(
    conn: &mut DbConnection,
    id: i32,
    password_hash: &str,
    must_change_password: bool,
) -> AppResult<()> {
    use crate::db::schema::password_history as h;
    if let Some(user) = find(conn, id)? {
        diesel::insert_into(h::table)
            .values((
                h::user_id.eq(id),
                h::password_hash.eq(&user.password_hash),
                h::replaced_at.eq(now()),
            ))
            .execute(conn)?;
    }
    diesel::update(u::table.find(id))
        .set((
            u::password_hash.eq(password_hash),
            u::must_change_password.eq(must_change_password),
            u::password_changed_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Disables the account (with the reason shown to administrators).
pub fn disable(conn: &mut DbConnection, id: i32, reason: &str) -> AppResult<()> {
    diesel::update(u::table.find(id))
        .set((u::disabled_at.eq(now()), u::disabled_reason.eq(reason)))
        .execute(conn)?;
    Ok(())
}

/// Enables a disabled account again, with its new end date (`None`: none).
pub fn enable(conn: &mut DbConnection, id: i32, valid_until: Option<&str>) -> AppResult<()> {
    diesel::update(u::table.find(id))
        .set((
            u::disabled_at.eq(None::<String>),
            u::disabled_reason.eq(""),
            u::enabled_at.eq(now()),
            u::valid_until.eq(valid_until),
            u::failed_attempts.eq(0),
            u::locked_until.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sets or clears the account's end date (利用期限).
/// Sets or clears the e-mail address notices are sent to.
pub fn set_email(conn: &mut DbConnection, id: i32, email: Option<&str>) -> AppResult<()> {
    diesel::update(u::table.find(id))
        .set(u::email.eq(email))
        .execute(conn)?;
    Ok(())
}

pub fn set_valid_until(
    conn: &mut DbConnection,
    id: i32,
    valid_until: Option<&str>,
) -> AppResult<()> {
    diesel::update(u::table.find(id))
        .set(u::valid_until.eq(valid_until))
        .execute(conn)?;
    Ok(())
}
