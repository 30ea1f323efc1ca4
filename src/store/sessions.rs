//! Sessions in the database, so that any instance can serve any request.
//! A row holds the SHA-256 of the cookie's token, never the token.

use diesel::prelude::*;

use crate::db::schema::{organisations as o, sessions as s, users as u};
use crate::db::{now, DbConnection};
use crate::error::AppResult;
use crate::store::organisations::Organisation;
use crate::store::users::User;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = s)]
pub struct Session {
    pub id: i32,
    pub token_hash: String,
    pub user_id: i32,
    pub csrf_token: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub address: String,
}

pub fn create(
    conn: &mut DbConnection,
    user_id: i32,
    token_hash: &str,
    csrf_token: &str,
    address: &str,
) -> AppResult<()> {
    let stamp = now();
    diesel::insert_into(s::table)
        .values((
            s::token_hash.eq(token_hash),
            s::user_id.eq(user_id),
            s::csrf_token.eq(csrf_token),
            s::created_at.eq(&stamp),
            s::last_seen_at.eq(&stamp),
            s::address.eq(address),
        ))
        .execute(conn)?;
    Ok(())
}

/// The session of a token digest with its account and organisation.
pub fn lookup(
    conn: &mut DbConnection,
    token_hash: &str,
) -> AppResult<Option<(Session, User, Organisation)>> {
    Ok(s::table
        .inner_join(u::table.inner_join(o::table))
        .filter(s::token_hash.eq(token_hash))
        .select((
            Session::as_select(),
            User::as_select(),
            Organisation::as_select(),
        ))
        .first(conn)
        .optional()?)
}

pub fn touch(conn: &mut DbConnection, id: i32, at: &str) -> AppResult<()> {
    diesel::update(s::table.find(id))
        .set(s::last_seen_at.eq(at))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, id: i32) -> AppResult<()> {
    diesel::delete(s::table.find(id)).execute(conn)?;
    Ok(())
}

pub fn delete_by_hash(conn: &mut DbConnection, token_hash: &str) -> AppResult<()> {
    diesel::delete(s::table.filter(s::token_hash.eq(token_hash))).execute(conn)?;
    Ok(())
}

/// Ends every session of an account (after a password change or reset),
/// except `keep`.
pub fn delete_for_user(
    conn: &mut DbConnection,
    user_id: i32,
    keep: Option<i32>,
) -> AppResult<usize> {
    let q = s::table.filter(s::user_id.eq(user_id));
    Ok(match keep {
        Some(k) => diesel::delete(q.filter(s::id.ne(k))).execute(conn)?,
        None => diesel::delete(q).execute(conn)?,
    })
}

/// Removes sessions idle since before `idle_before` or created before
/// `created_before`; run now and then so the table stays small.
pub fn purge(conn: &mut DbConnection, idle_before: &str, created_before: &str) -> AppResult<usize> {
    Ok(diesel::delete(
        s::table.filter(
            s::last_seen_at
                .lt(idle_before)
                .or(s::created_at.lt(created_before)),
        ),
    )
    .execute(conn)?)
}
