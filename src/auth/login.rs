//! Signing in: the password is checked against its argon2id hash; 5 failures
//! in a row lock the account for 15 minutes (both from `Settings`); every
//! attempt is logged. A successful login starts a new session (a new token:
//! the session is renewed at login) and ends the one the browser came with.

use chrono::Utc;
use diesel::Connection;

use super::{password, stamp, token, Actor};
use crate::config::Settings;
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::users::User;
use crate::store::{self, oplog};

/// What a successful login hands to the browser.
#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub must_change_password: bool,
    /// The password was right but a second factor is due: `token` is the
    /// login challenge's (`second_factor`), not a session's.
    pub second_factor: bool,
}

/// Tries a login. `Ok(None)` is a refusal (unknown login, wrong password or
/// locked account: the browser is told the same in every case).
pub async fn attempt(
    state: &AppState,
    login: &str,
    password_given: &str,
    address: &str,
    previous_token: Option<String>,
) -> AppResult<Option<NewSession>> {
    let login: String = login.trim().chars().take(64).collect();
    let found = {
        let login = login.clone();
        state
            .db(move |conn| store::users::find_by_login(conn, &login))
            .await?
    };
    let stored = found
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| password::dummy_hash().to_string());
    let given = password_given.to_string();
    let matches = state
        .hashing
        .run(move || password::verify(&given, &stored))
        .await?;

    let settings = state.settings.clone();
    let address = address.to_string();
    state
        .db(move |conn| {
            let mut actor = Actor {
                user_id: None,
                login: login.clone(),
                org_code: String::new(),
                address: address.clone(),
            };
            let Some(user) = found else {
                oplog::record(
                    conn,
                    &actor,
                    "login_failed",
                    "",
                    None,
                    "存在しないログインID",
                )?;
                return Ok(None);
            };
            let org = store::organisations::find_by_id(conn, user.organisation_id)?;
            actor.user_id = Some(user.id);
            actor.org_code = org.map(|o| o.code).unwrap_or_default();
            let now = Utc::now();
            // The decision is taken in one transaction on the row as it is
            // after hashing: its first statement writes the row, so the
            // attempts of one account are decided one after the other, each
            // failure counted and logged with its number before the next.
            conn.transaction(|conn| {
                let unlocked = store::users::claim_unlocked(conn, user.id, &stamp(now))?;
                let Some(user) = store::users::find(conn, user.id)? else {
                    return Ok(None);
                };
                if !unlocked {
                    let until = user.locked_until.clone().unwrap_or_default();
                    oplog::record(
                        conn,
                        &actor,
                        "login_locked",
                        "",
                        None,
                        &format!("{until} までロック中"),
                    )?;
                    return Ok(None);
                }
                if super::lifecycle::refuse_login(conn, &actor, &user, now)? {
                    return Ok(None);
                }
                if !matches {
                    let n = store::users::count_failure(conn, user.id)?;
                    oplog::record(
                        conn,
                        &actor,
                        "login_failed",
                        "",
                        None,
                        &format!("パスワード誤り（連続{n}回目）"),
                    )?;
                    if n >= settings.lockout_threshold {
                        let lock = chrono::Duration::from_std(settings.lockout_duration)
                            .unwrap_or_default();
                        let until = stamp(now + lock);
                        store::users::lock(conn, user.id, &until)?;
                        oplog::record(
                            conn,
                            &actor,
                            "account_locked",
                            "",
                            None,
                            &format!("連続{n}回の失敗により {until} までロック"),
                        )?;
                    }
                    return Ok(None);
                }
                success(
                    conn,
                    &actor,
                    &user,
                    &settings,
                    now,
                    previous_token.as_deref(),
                    &address,
                )
            })
        })
        .await
}

/// The right password on an unlocked account, inside the decision's
/// transaction: the second step when a factor is enrolled, else a session.
fn success(
    conn: &mut DbConnection,
    actor: &Actor,
    user: &User,
    settings: &Settings,
    now: chrono::DateTime<Utc>,
    previous_token: Option<&str>,
    address: &str,
) -> AppResult<Option<NewSession>> {
    // An enrolled account gets no session before its code.
    if let Some(challenge) = super::second_factor::begin(conn, actor, user)? {
        return Ok(Some(challenge));
    }
    // Sessions abandoned without logout are removed now and then.
    let idle = chrono::Duration::from_std(settings.session_idle).unwrap_or_default();
    let life = chrono::Duration::from_std(settings.session_lifetime).unwrap_or_default();
    store::sessions::purge(conn, &stamp(now - idle), &stamp(now - life))?;
    if let Some(prev) = previous_token {
        store::sessions::delete_by_hash(conn, &token::digest(prev))?;
    }
    if !store::users::record_login(conn, user.id)? {
        return Ok(None);
    }
    let new_token = token::random_token();
    store::sessions::create(
        conn,
        user.id,
        &token::digest(&new_token),
        &token::random_token(),
        address,
    )?;
    oplog::record(conn, actor, "login", "", None, "")?;
    Ok(Some(NewSession {
        token: new_token,
        must_change_password: user.must_change_password
            || super::password_expired(&user.password_changed_at, settings.password_max_age, now),
        second_factor: false,
    }))
}
