//! The second factor's tables: `second_factors` (an account's TOTP), single-use
//! recovery codes (SHA-256 only) and pending login challenges (the SHA-256
//! of the browser's token only).

use diesel::prelude::*;

use crate::db::schema::{login_challenges as c, recovery_codes as r, second_factors as f};
use crate::db::{now, DbConnection};
use crate::error::AppResult;

/// An enrolled account's TOTP.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = f)]
pub struct Factor {
    pub user_id: i32,
    /// Base32.
    pub secret: String,
    pub enabled_at: String,
    /// The last time step accepted.
    pub last_step: i32,
}

pub fn find(conn: &mut DbConnection, user_id: i32) -> AppResult<Option<Factor>> {
    Ok(f::table
        .find(user_id)
        .select(Factor::as_select())
        .first(conn)
        .optional()?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = c)]
pub struct Challenge {
    pub id: i32,
    pub token_hash: String,
    pub user_id: i32,
    pub created_at: String,
    pub address: String,
}

/// Records a pending challenge; earlier ones of the account end.
pub fn create_challenge(
    conn: &mut DbConnection,
    user_id: i32,
    token_hash: &str,
    address: &str,
) -> AppResult<()> {
    diesel::delete(c::table.filter(c::user_id.eq(user_id))).execute(conn)?;
    diesel::insert_into(c::table)
        .values((
            c::token_hash.eq(token_hash),
            c::user_id.eq(user_id),
            c::created_at.eq(now()),
            c::address.eq(address),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find_challenge(conn: &mut DbConnection, token_hash: &str) -> AppResult<Option<Challenge>> {
    Ok(c::table
        .filter(c::token_hash.eq(token_hash))
        .select(Challenge::as_select())
        .first(conn)
        .optional()?)
}

pub fn delete_challenges(conn: &mut DbConnection, user_id: i32) -> AppResult<()> {
    diesel::delete(c::table.filter(c::user_id.eq(user_id))).execute(conn)?;
    Ok(())
}

/// Removes challenges created before `before` (abandoned logins).
pub fn purge_challenges(conn: &mut DbConnection, before: &str) -> AppResult<()> {
    diesel::delete(c::table.filter(c::created_at.lt(before))).execute(conn)?;
    Ok(())
}

/// Enrols the account: its secret, and the hashes of its new recovery codes
/// (earlier codes are removed).
pub fn enrol(
    conn: &mut DbConnection,
    user_id: i32,
    secret: &str,
    step: i32,
    code_hashes: &[String],
) -> AppResult<()> {
    diesel::delete(f::table.find(user_id)).execute(conn)?;
    diesel::insert_into(f::table)
        .values((
            f::user_id.eq(user_id),
            f::secret.eq(secret),
            f::enabled_at.eq(now()),
            f::last_step.eq(step),
        ))
        .execute(conn)?;
    diesel::delete(r::table.filter(r::user_id.eq(user_id))).execute(conn)?;
    for h in code_hashes {
        diesel::insert_into(r::table)
            .values((r::user_id.eq(user_id), r::code_hash.eq(h)))
            .execute(conn)?;
    }
    Ok(())
}

/// Removes the account's second factor and recovery codes (an
/// administrator's reset).
pub fn reset(conn: &mut DbConnection, user_id: i32) -> AppResult<()> {
    diesel::delete(f::table.find(user_id)).execute(conn)?;
    diesel::delete(r::table.filter(r::user_id.eq(user_id))).execute(conn)?;
    delete_challenges(conn, user_id)
}

/// Takes the time step of an accepted code, only if it is later than the
/// last one taken (a code is accepted once). `false`: already used.
pub fn take_step(conn: &mut DbConnection, user_id: i32, step: i32) -> AppResult<bool> {
    let n = diesel::update(f::table.find(user_id).filter(f::last_step.lt(step)))
        .set(f::last_step.eq(step))
        .execute(conn)?;
    Ok(n == 1)
}

/// Marks the unused recovery code with this hash as used. `false`: no such
/// unused code.
pub fn use_recovery_code(conn: &mut DbConnection, user_id: i32, hash: &str) -> AppResult<bool> {
    let n = diesel::update(
        r::table
            .filter(r::user_id.eq(user_id))
            .filter(r::code_hash.eq(hash))
            .filter(r::used_at.is_null()),
    )
    .set(r::used_at.eq(now()))
    .execute(conn)?;
    Ok(n >= 1)
}

/// Unused recovery codes of the account.
pub fn recovery_codes_left(conn: &mut DbConnection, user_id: i32) -> AppResult<i64> {
    Ok(r::table
        .filter(r::user_id.eq(user_id))
        .filter(r::used_at.is_null())
        .count()
        .get_result(conn)?)
}

/// The accounts that have a second factor.
pub fn enrolled_ids(conn: &mut DbConnection) -> AppResult<Vec<i32>> {
    Ok(f::table.select(f::user_id).load(conn)?)
}
