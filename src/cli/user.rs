//! `tenken user add|disable|enable`: accounts from the command line.

use super::UserCommand;
use crate::checklists;
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::{bootstrap, db, store};

pub(super) fn user(cmd: UserCommand, settings: &Settings) -> AppResult<()> {
    let (login, org, role) = match cmd {
        UserCommand::Add { login, org, role } => (login, org, role),
        UserCommand::Disable { login, reason } => return user_disable(settings, &login, &reason),
        UserCommand::Enable { login, valid_until } => {
            return user_enable(settings, &login, valid_until.as_deref())
        }
    };
    user_add(settings, login, org, role)
}

/// The account of `login` on a migrated database.
fn cli_account(
    settings: &Settings,
    login: &str,
) -> AppResult<(db::DbConnection, store::users::User)> {
    let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
    let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
    bootstrap::prepare(&mut conn, &catalog)?;
    let user = store::users::find_by_login(&mut conn, login.trim())?.ok_or_else(|| {
        AppError::NotFound(format!(
            "ログインID「{}」のアカウントはありません",
            login.trim()
        ))
    })?;
    Ok((conn, user))
}

fn user_disable(settings: &Settings, login: &str, reason: &str) -> AppResult<()> {
    use diesel::Connection;
    let reason = reason.trim();
    if reason.chars().count() > crate::auth::lifecycle::MAX_NOTE {
        return Err(AppError::BadRequest(format!(
            "--reason は{}文字までです",
            crate::auth::lifecycle::MAX_NOTE
        )));
    }
    let (mut conn, user) = cli_account(settings, login)?;
    conn.transaction(|conn| {
        crate::auth::lifecycle::disable(conn, &crate::auth::Actor::cli(), &user, reason)
    })?;
    println!("user {} disabled: {reason}", user.login);
    Ok(())
}

fn user_enable(settings: &Settings, login: &str, valid_until: Option<&str>) -> AppResult<()> {
    use diesel::Connection;
    let until = valid_until
        .map(crate::auth::lifecycle::parse_end_date)
        .transpose()?;
    let (mut conn, user) = cli_account(settings, login)?;
    conn.transaction(|conn| {
        crate::auth::lifecycle::enable(
            conn,
            &crate::auth::Actor::cli(),
            &user,
            until,
            chrono::Utc::now(),
        )
    })?;
    println!("user {} enabled", user.login);
    Ok(())
}

fn user_add(settings: &Settings, login: String, org: String, role: String) -> AppResult<()> {
    use std::io::{IsTerminal, Read};
    let role = crate::auth::Role::parse(&role).ok_or_else(|| {
        AppError::BadRequest(format!(
            "役割「{role}」はありません（municipality, prefecture, ministry, agency, admin）"
        ))
    })?;
    let mut given = String::new();
    if !std::io::stdin().is_terminal() {
        std::io::stdin()
            .read_to_string(&mut given)
            .map_err(|e| AppError::io("stdin", e))?;
    }
    let given = given.lines().next().unwrap_or("").to_string();
    let generated = given.is_empty();
    let password = if generated {
        crate::auth::password::generate(&login)
    } else {
        crate::auth::password::check_policy(&login, &given)?;
        given
    };
    let hash = crate::auth::password::hash(&password)?;
    let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
    let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
    bootstrap::prepare(&mut conn, &catalog)?;
    let created = store::users::create(&mut conn, &login, &org, role, &hash, generated)?;
    let actor = crate::auth::Actor::cli();
    store::oplog::record(
        &mut conn,
        &actor,
        "user_add",
        &org,
        None,
        &format!("{}（{}）", created.login, role.label()),
    )?;
    println!("user {} ({}, {}) added", created.login, role, org);
    if generated {
        println!("password (shown once; must be changed at first login): {password}");
    }
    Ok(())
}
