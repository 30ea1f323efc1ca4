//! Organisations: the roster of local governments, national agencies, the
//! ministry and the designated information processing body.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;

use crate::checklists::Variant;
use crate::db::schema::organisations as o;
use crate::db::{now, DbConnection, BATCH_ROWS};
use crate::domain::OrgCode;
use crate::error::{AppError, AppResult};
use crate::roster::RosterEntry;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = o)]
pub struct Organisation {
    pub id: i32,
    pub code: String,
    pub kind: String,
    pub name: String,
    pub name_kana: String,
    pub prefecture_code: Option<String>,
    pub variant: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = o)]
struct NewOrganisation<'a> {
    code: &'a str,
    kind: &'a str,
    name: &'a str,
    name_kana: &'a str,
    prefecture_code: Option<&'a str>,
    variant: Option<&'a str>,
    created_at: &'a str,
}

#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct RosterSummary {
    pub added: usize,
    pub renamed: usize,
    pub unchanged: usize,
}

/// Adds the roster's missing organisations and renames changed ones, all in
/// one transaction. Organisations are never deleted: answers refer to them.
pub fn import_roster(conn: &mut DbConnection, entries: &[RosterEntry]) -> AppResult<RosterSummary> {
    conn.transaction(|conn| {
        let existing: HashMap<String, (String, String)> = o::table
            .select((o::code, o::name, o::name_kana))
            .load::<(String, String, String)>(conn)?
            .into_iter()
            .map(|(c, n, k)| (c, (n, k)))
            .collect();
        let mut summary = RosterSummary::default();
        let created = now();
        let mut new_rows: Vec<(&RosterEntry, crate::domain::LgCode)> = Vec::new();
        for e in entries {
            let code = e.code.as_str();
            match existing.get(code) {
                Some((name, kana)) if *name == e.name && *kana == e.kana => summary.unchanged += 1,
                Some(_) => {
                    diesel::update(o::table.filter(o::code.eq(code)))
                        .set((o::name.eq(&e.name), o::name_kana.eq(&e.kana)))
                        .execute(conn)?;
                    summary.renamed += 1;
                }
                None => new_rows.push((e, e.code.prefecture_code())),
            }
        }
        let rows: Vec<NewOrganisation> = new_rows
            .iter()
            .map(|(e, pref)| NewOrganisation {
                code: e.code.as_str(),
                kind: if e.is_prefecture {
                    "prefecture"
                } else {
                    "municipality"
                },
                name: &e.name,
                name_kana: &e.kana,
                prefecture_code: Some(pref.as_str()),
                variant: (!e.is_prefecture).then_some(Variant::Municipal.as_str()),
                created_at: &created,
            })
            .collect();
        for chunk in rows.chunks(BATCH_ROWS) {
            summary.added += crate::batch_insert!(conn, o::table, chunk)?;
        }
        if summary.added + summary.renamed > 0 {
            // Names shown in cached statistics (rankings) must follow.
            crate::store::generations::bump(conn, crate::store::generations::ROSTER, None)?;
        }
        Ok::<_, AppError>(summary)
    })
}

/// The ministry (総務省) and the designated information processing body
/// (指定情報処理機関) exist in every installation.
pub fn ensure_fixed(conn: &mut DbConnection) -> AppResult<()> {
    for (code, kind, name) in [
        ("MIC", "ministry", "総務省"),
        ("JLIS", "designated_body", "指定情報処理機関"),
    ] {
        if find(conn, code)?.is_none() {
            diesel::insert_into(o::table)
                .values(NewOrganisation {
                    code,
                    kind,
                    name,
                    name_kana: "",
                    prefecture_code: None,
                    variant: None,
                    created_at: &now(),
                })
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Adds a national agency (国の行政機関等), answering the agency variant.
pub fn add_agency(conn: &mut DbConnection, code: &str, name: &str) -> AppResult<Organisation> {
    let code = match OrgCode::parse(code).map_err(|e| AppError::BadRequest(e.to_string()))? {
        OrgCode::Agency(c) => c,
        other => {
            return Err(AppError::BadRequest(format!(
                "国の行政機関等のコードは G と4桁の数字です（「{other}」は使えません）"
            )))
        }
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::BadRequest("機関名が空です".into()));
    }
    if find(conn, &code)?.is_some() {
        return Err(AppError::Conflict(format!(
            "コード {code} は既に使われています"
        )));
    }
    diesel::insert_into(o::table)
        .values(NewOrganisation {
            code: &code,
            kind: "agency",
            name,
            name_kana: "",
            prefecture_code: None,
            variant: Some(Variant::NationalAgency.as_str()),
            created_at: &now(),
        })
        .execute(conn)?;
    find(conn, &code)?.ok_or_else(|| AppError::internal("agency vanished after insert"))
}

pub fn find(conn: &mut DbConnection, code: &str) -> AppResult<Option<Organisation>> {
    Ok(o::table
        .filter(o::code.eq(code))
        .select(Organisation::as_select())
        .first(conn)
        .optional()?)
}

pub fn count_by_kind(conn: &mut DbConnection) -> AppResult<Vec<(String, i64)>> {
    Ok(o::table
        .group_by(o::kind)
        .select((o::kind, diesel::dsl::count_star()))
        .order(o::kind)
        .load(conn)?)
}

/// The municipalities of one prefecture (by the prefecture's code), in code order.
pub fn municipalities_of(
    conn: &mut DbConnection,
    prefecture_code: &str,
) -> AppResult<Vec<Organisation>> {
    Ok(o::table
        .filter(o::prefecture_code.eq(prefecture_code))
        .filter(o::kind.eq("municipality"))
        .order(o::code)
        .select(Organisation::as_select())
        .load(conn)?)
}

pub fn prefectures(conn: &mut DbConnection) -> AppResult<Vec<Organisation>> {
    Ok(o::table
        .filter(o::kind.eq("prefecture"))
        .order(o::code)
        .select(Organisation::as_select())
        .load(conn)?)
}

pub fn find_by_id(conn: &mut DbConnection, id: i32) -> AppResult<Option<Organisation>> {
    Ok(o::table
        .find(id)
        .select(Organisation::as_select())
        .first(conn)
        .optional()?)
}

/// The organisation of a code (in a URL, a scope): `NotFound` when none.
pub fn get(conn: &mut DbConnection, code: &str) -> AppResult<Organisation> {
    find(conn, code)?
        .ok_or_else(|| AppError::NotFound(format!("組織コード {code} の組織はありません")))
}

/// The checklist an organisation answers: `NotFound` for one that answers
/// none (a prefecture's or the ministry's own organisation).
pub fn variant_of(org: &Organisation) -> AppResult<Variant> {
    org.variant
        .as_deref()
        .and_then(Variant::parse)
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "{}（{}）は調査票に回答する組織ではありません",
                org.name, org.code
            ))
        })
}

/// Every organisation of a kind (`municipality`, `agency` …), in code order.
pub fn of_kind(conn: &mut DbConnection, kind: &str) -> AppResult<Vec<Organisation>> {
    Ok(o::table
        .filter(o::kind.eq(kind))
        .order(o::code)
        .select(Organisation::as_select())
        .load(conn)?)
}

/// Every municipality's id and prefecture code.
pub fn municipality_prefectures(conn: &mut DbConnection) -> AppResult<Vec<(i32, Option<String>)>> {
    Ok(o::table
        .filter(o::kind.eq("municipality"))
        .select((o::id, o::prefecture_code))
        .load(conn)?)
}
