//! The bulk path of `tenken import answers`: the reference rows the checker
//! needs in memory (organisations, checklist items), the stored answers of
//! a year (to name conflicts), and the load itself with each backend's fast
//! path — PostgreSQL `COPY answers FROM STDIN` (text format, through
//! diesel's copy support on the PostgreSQL connection), SQLite one cached
//! prepared INSERT stepped per row. Rows arrive from a feed, one at a time,
//! so nothing here holds the file. Run inside the caller's transaction.

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::Write;

use diesel::prelude::*;

use crate::db::schema::{answers as a, checklist_items as ci, organisations as o};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};

/// An organisation as the checker sees it.
#[derive(Debug, Clone)]
pub struct OrgRow {
    pub code: String,
    pub id: i32,
    /// `None`: does not answer the 調査票 (the ministry).
    pub variant: Option<String>,
    pub name: String,
}

pub fn organisations(conn: &mut DbConnection) -> AppResult<Vec<OrgRow>> {
    Ok(o::table
        .select((o::code, o::id, o::variant, o::name))
        .load::<(String, i32, Option<String>, String)>(conn)?
        .into_iter()
        .map(|(code, id, variant, name)| OrgRow {
            code,
            id,
            variant,
            name,
        })
        .collect())
}

/// A checklist item row with the years it is in force.
#[derive(Debug, Clone)]
pub struct ItemRow {
    pub variant: String,
    pub code: String,
    pub id: i32,
    pub valid_from: i32,
    pub valid_to: Option<i32>,
}

/// Every checklist item row (a few hundred), ordered by `valid_from` so
/// that a later version overrides an earlier one, as
/// `store::checklists::item_ids` does.
pub fn checklist_items(conn: &mut DbConnection) -> AppResult<Vec<ItemRow>> {
    Ok(ci::table
        .order((ci::valid_from.asc(), ci::id.asc()))
        .select((ci::variant, ci::code, ci::id, ci::valid_from, ci::valid_to))
        .load::<(String, String, i32, i32, Option<i32>)>(conn)?
        .into_iter()
        .map(|(variant, code, id, valid_from, valid_to)| ItemRow {
            variant,
            code,
            id,
            valid_from,
            valid_to,
        })
        .collect())
}

/// The (organisation, item code) of every answer stored for `year`.
pub fn stored_keys(conn: &mut DbConnection, year: i32) -> AppResult<Vec<(i32, String)>> {
    Ok(a::table
        .filter(a::fiscal_year.eq(year))
        .select((a::organisation_id, a::item_code))
        .load(conn)?)
}

/// One answer to load, borrowed from the reader's buffer.
#[derive(Debug, Clone)]
pub struct LoadRow<'a> {
    pub organisation_id: i32,
    pub fiscal_year: i32,
    pub item_code: &'a str,
    pub item_id: i32,
    pub score: i32,
    pub comment: Cow<'a, str>,
}

#[derive(Insertable)]
#[diesel(table_name = a)]
struct NewRow<'a> {
    organisation_id: i32,
    fiscal_year: i32,
    item_code: &'a str,
    item_id: i32,
    score: i32,
    comment: &'a str,
    updated_at: &'a str,
}

/// Where a feed hands its rows.
pub type Emit<'e> = dyn FnMut(&LoadRow<'_>) -> AppResult<()> + 'e;

/// Loads what `feed` emits, stamped `updated_at`; returns the number of rows
/// written. `feed` is called once and calls its argument for every row.
/// A unique violation (an answer already stored) comes back as
/// [`AppError::Database`] with `DatabaseErrorKind::UniqueViolation`.
pub fn load(
    conn: &mut DbConnection,
    updated_at: &str,
    feed: &mut dyn FnMut(&mut Emit<'_>) -> AppResult<()>,
) -> AppResult<usize> {
    match conn {
        DbConnection::Postgresql(pg) => copy_in(pg, updated_at, feed),
        DbConnection::Sqlite(lite) => {
            // A larger page cache for the index inserts of this load only.
            diesel::sql_query("PRAGMA cache_size = -65536").execute(lite)?;
            let mut written = 0_usize;
            let result = feed(&mut |row| {
                diesel::insert_into(a::table)
                    .values(NewRow {
                        organisation_id: row.organisation_id,
                        fiscal_year: row.fiscal_year,
                        item_code: row.item_code,
                        item_id: row.item_id,
                        score: row.score,
                        comment: &row.comment,
                        updated_at,
                    })
                    .execute(lite)?;
                written += 1;
                Ok(())
            });
            diesel::sql_query("PRAGMA cache_size = -2000").execute(lite)?;
            result.map(|()| written)
        }
    }
}

/// `COPY answers (…) FROM STDIN` in text format: one line per row, tab
/// separated, the comment escaped.
fn copy_in(
    pg: &mut diesel::PgConnection,
    updated_at: &str,
    feed: &mut dyn FnMut(&mut Emit<'_>) -> AppResult<()>,
) -> AppResult<usize> {
    // diesel calls the writer through `Fn`.
    let feed = RefCell::new(feed);
    // An error of the feed (a file that cannot be read) aborts the COPY;
    // diesel then reports the server's "COPY failed", so the cause is kept
    // here and returned instead.
    let failure: RefCell<Option<AppError>> = RefCell::new(None);
    let stamp = escaped(updated_at).into_owned();
    let n = diesel::copy_from(a::table)
        .from_raw_data(
            (
                a::organisation_id,
                a::fiscal_year,
                a::item_code,
                a::item_id,
                a::score,
                a::comment,
                a::updated_at,
            ),
            |sink| -> Result<(), AppError> {
                let mut out = std::io::BufWriter::with_capacity(1 << 16, sink);
                let io = |e: std::io::Error| AppError::internal_from("COPY", e);
                let mut feed = feed
                    .try_borrow_mut()
                    .map_err(|_| AppError::internal("COPY feed called twice"))?;
                let fed = (*feed)(&mut |row| {
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        row.organisation_id,
                        row.fiscal_year,
                        escaped(row.item_code),
                        row.item_id,
                        row.score,
                        escaped(&row.comment),
                        stamp
                    )
                    .map_err(io)
                });
                match fed {
                    Ok(()) => out.flush().map_err(io),
                    Err(e) => {
                        let shown = e.to_string();
                        failure.replace(Some(e));
                        Err(AppError::internal(shown))
                    }
                }
            },
        )
        .execute(pg);
    match failure.into_inner() {
        Some(e) => Err(e),
        None => Ok(n?),
    }
}

/// A value in COPY's text format: backslash, tab, newline and carriage
/// return escaped.
fn escaped(s: &str) -> Cow<'_, str> {
    if !s.contains(['\\', '\t', '\n', '\r']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn copy_text_escapes_what_copy_reads_specially() {
        assert_eq!(super::escaped("規程あり"), "規程あり");
        assert_eq!(super::escaped("a\\b\tc\nd\re"), "a\\\\b\\tc\\nd\\re");
    }
}
