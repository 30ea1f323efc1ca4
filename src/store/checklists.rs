//! Keeps the checklist tables in step with the data files.
//!
//! Every text an item has had is a row of `checklist_items` keyed by
//! (variant, code, valid_from). A text edited in place in the files updates
//! its row only while no answer points at it; once answered, a change must be
//! written as a `[[item.revision]]` so the old answers keep their text.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::checklists::{Catalog, Checklist, Variant};
use crate::db::schema::{answers as a, checklist_items as ci, checklist_versions as cv};
use crate::db::{now, DbConnection};
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};

#[derive(Debug, Insertable)]
#[diesel(table_name = ci)]
struct NewItem<'a> {
    variant: &'a str,
    code: &'a str,
    goal_no: i32,
    item_no: i32,
    text: &'a str,
    valid_from: i32,
    valid_to: Option<i32>,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SyncSummary {
    pub inserted: usize,
    pub updated: usize,
    pub new_versions: usize,
}

pub fn sync(conn: &mut DbConnection, catalog: &Catalog) -> AppResult<SyncSummary> {
    conn.transaction(|conn| {
        let mut summary = SyncSummary::default();
        for list in catalog.checklists() {
            sync_one(conn, list, &mut summary)?;
        }
        Ok::<_, AppError>(summary)
    })
}

fn sync_one(conn: &mut DbConnection, list: &Checklist, summary: &mut SyncSummary) -> AppResult<()> {
    let variant = list.variant.as_str();
    let known: i64 = cv::table
        .filter(cv::variant.eq(variant))
        .filter(cv::digest.eq(&list.digest))
        .count()
        .get_result(conn)?;
    if known > 0 {
        return Ok(());
    }
    let rows: HashMap<(String, i32), (i32, String, Option<i32>)> = ci::table
        .filter(ci::variant.eq(variant))
        .select((ci::code, ci::valid_from, ci::id, ci::text, ci::valid_to))
        .load::<(String, i32, i32, String, Option<i32>)>(conn)?
        .into_iter()
        .map(|(c, f, id, t, to)| ((c, f), (id, t, to)))
        .collect();
    for item in &list.items {
        for (from, to, text) in item.versions() {
            let key = (item.code.clone(), from.year());
            let to = to.map(|t| t.year());
            match rows.get(&key) {
                None => {
                    diesel::insert_into(ci::table)
                        .values(NewItem {
                            variant,
                            code: &item.code,
                            goal_no: item.goal_no as i32,
                            item_no: item.item_no as i32,
                            text,
                            valid_from: from.year(),
                            valid_to: to,
                        })
                        .execute(conn)?;
                    summary.inserted += 1;
                }
                Some((id, old_text, old_to)) if old_text != text || *old_to != to => {
                    if old_text != text {
                        let answered: i64 = a::table
                            .filter(a::item_id.eq(id))
                            .count()
                            .get_result(conn)?;
                        if answered > 0 {
                            return Err(AppError::Conflict(format!(
                                "{variant} {} の {}年度からの文言は既に {answered} 件の回答に使われています。文言を変えるときは [[item.revision]] で新しい年度からの文言として追加してください",
                                item.code,
                                from.year()
                            )));
                        }
                    }
                    diesel::update(ci::table.find(id))
                        .set((ci::text.eq(text), ci::valid_to.eq(to)))
                        .execute(conn)?;
                    summary.updated += 1;
                }
                Some(_) => {}
            }
        }
    }
    diesel::insert_into(cv::table)
        .values((
            cv::variant.eq(variant),
            cv::digest.eq(&list.digest),
            cv::loaded_at.eq(now()),
        ))
        .execute(conn)?;
    summary.new_versions += 1;
    Ok(())
}

/// The row id of the text of `code` in force in `fy`.
pub fn item_id(
    conn: &mut DbConnection,
    variant: Variant,
    code: &str,
    fy: FiscalYear,
) -> AppResult<Option<i32>> {
    Ok(ci::table
        .filter(ci::variant.eq(variant.as_str()))
        .filter(ci::code.eq(code))
        .filter(ci::valid_from.le(fy.year()))
        .filter(ci::valid_to.is_null().or(ci::valid_to.ge(fy.year())))
        .order(ci::valid_from.desc())
        .select(ci::id)
        .first(conn)
        .optional()?)
}

/// Every item row id in force in `fy`, by code.
pub fn item_ids(
    conn: &mut DbConnection,
    variant: Variant,
    fy: FiscalYear,
) -> AppResult<HashMap<String, i32>> {
    let rows: Vec<(String, i32, i32)> = ci::table
        .filter(ci::variant.eq(variant.as_str()))
        .filter(ci::valid_from.le(fy.year()))
        .filter(ci::valid_to.is_null().or(ci::valid_to.ge(fy.year())))
        .order(ci::valid_from.asc())
        .select((ci::code, ci::id, ci::valid_from))
        .load(conn)?;
    // Later valid_from wins: ordered ascending, later rows overwrite.
    Ok(rows.into_iter().map(|(c, id, _)| (c, id)).collect())
}
