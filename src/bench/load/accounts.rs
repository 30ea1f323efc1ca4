//! The database the benchmark prepares, and its accounts: municipal writers
//! and ministry readers, made or reset with a fresh password.

use rand::Rng;

use super::LoadOptions;

use crate::auth::{password, Role};
use crate::checklists::{Catalog, Variant};
use crate::config::Settings;
use crate::db::{self, DatabaseUrl, DbConnection};
use crate::error::{AppError, AppResult};
use crate::store::{load_bench, organisations, rounds, submissions, users};

/// The accounts of a run.
pub(super) struct Accounts {
    pub(super) password: String,
    /// Login and organisation code of each municipal account.
    pub(super) writers: Vec<(String, String)>,
    pub(super) readers: Vec<String>,
    pub(super) ids: Vec<i32>,
}

pub(super) fn open_database(settings: &Settings, catalog: &Catalog) -> AppResult<DbConnection> {
    let migrated = crate::bootstrap::prepare_as_owner(settings, catalog)?;
    let mut conn = db::establish(&DatabaseUrl::parse(&settings.database_url)?)?;
    if !migrated {
        crate::bootstrap::prepare(&mut conn, catalog)?;
    }
    Ok(conn)
}

/// Makes `login` an enabled, unlocked account of `org` with `hash`.
pub(super) fn account(
    conn: &mut DbConnection,
    login: &str,
    org: &str,
    role: Role,
    hash: &str,
) -> AppResult<i32> {
    match users::find_by_login(conn, login)? {
        Some(u) => {
            users::set_password(conn, u.id, hash, false)?;
            users::enable(conn, u.id, None)?;
            Ok(u.id)
        }
        None => Ok(users::create(conn, login, org, role, hash, false)?.id),
    }
}

/// N municipal accounts on the first municipalities whose sheet of `fy`
/// can still be edited, R ministry accounts, one fresh random password;
/// the round of `fy` opened when it is not.
pub(super) fn prepare_accounts(
    conn: &mut DbConnection,
    catalog: &Catalog,
    opts: &LoadOptions,
) -> AppResult<Accounts> {
    let fy = opts.year;
    let mut rng = rand::rng();
    let word: String = (0..20)
        .map(|_| char::from(rng.sample(rand::distr::Alphanumeric)))
        .collect();
    let password = format!("{word}-7a");
    let hash = password::hash(&password)?;
    let all = load_bench::municipalities(conn)?;
    let ids: Vec<i32> = all.iter().map(|o| o.id).collect();
    let sheets = submissions::of_orgs(conn, fy, &ids)?;
    let editable: Vec<_> = all
        .iter()
        .filter(|o| submissions::status_of(sheets.get(&o.id)).is_editable())
        .take(opts.accounts)
        .collect();
    if editable.len() < opts.accounts {
        return Err(AppError::BadRequest(format!(
            "{fy} の回答票を編集できる市区町村が {} 団体しかありません（--accounts {}）",
            editable.len(),
            opts.accounts
        )));
    }
    let mut out = Accounts {
        password,
        writers: Vec::new(),
        readers: Vec::new(),
        ids: Vec::new(),
    };
    for org in editable {
        let login = format!("bench-load-{}", org.code);
        out.ids
            .push(account(conn, &login, &org.code, Role::Municipality, &hash)?);
        out.writers.push((login, org.code.clone()));
    }
    let ministry = organisations::find(conn, "MIC")?
        .ok_or_else(|| AppError::NotFound("総務省（MIC）の組織がありません".into()))?;
    for i in 0..opts.readers {
        let login = format!("bench-load-reader-{:02}", i + 1);
        out.ids.push(account(
            conn,
            &login,
            &ministry.code,
            Role::Ministry,
            &hash,
        )?);
        out.readers.push(login);
    }
    let open = rounds::find(conn, Variant::Municipal, fy)?.is_some_and(|r| r.is_open());
    if !open {
        let version = catalog.checklist(Variant::Municipal).version_label();
        rounds::open(conn, Variant::Municipal, fy, None, &version, &[])?;
    }
    Ok(out)
}
