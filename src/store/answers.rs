//! Answers of organisations: one score (0–3) and a comment per organisation,
//! fiscal year and sub-item.

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::answers as a;
use crate::db::{now, DbConnection, BATCH_ROWS};
use crate::domain::{FiscalYear, Score};
use crate::error::AppResult;
use crate::store::generations;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = a)]
pub struct Answer {
    pub id: i32,
    pub organisation_id: i32,
    pub fiscal_year: i32,
    pub item_code: String,
    pub item_id: i32,
    pub score: i32,
    pub comment: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = a)]
pub struct NewAnswer {
    pub organisation_id: i32,
    pub fiscal_year: i32,
    pub item_code: String,
    pub item_id: i32,
    pub score: i32,
    pub comment: String,
    pub updated_at: String,
}

impl NewAnswer {
    pub fn new(
        organisation_id: i32,
        fy: FiscalYear,
        item_code: &str,
        item_id: i32,
        score: Score,
        comment: &str,
    ) -> Self {
        Self {
            organisation_id,
            fiscal_year: fy.year(),
            item_code: item_code.to_string(),
            item_id,
            score: i32::from(score.value()),
            comment: comment.to_string(),
            updated_at: now(),
        }
    }
}

/// Inserts one answer; the database refuses a second answer for the same
/// organisation, year and item, and a score outside 0–3.
pub fn insert(conn: &mut DbConnection, answer: &NewAnswer) -> AppResult<()> {
    insert_row(conn, answer)?;
    generations::bump(conn, answer.fiscal_year, Some(answer.organisation_id))
}

fn insert_row(conn: &mut DbConnection, answer: &NewAnswer) -> AppResult<()> {
    diesel::insert_into(a::table).values(answer).execute(conn)?;
    Ok(())
}

/// Inserts many answers with multi-row INSERTs of [`BATCH_ROWS`] rows (the
/// bulk path of `tenken import answers`); `progress` is told how many rows
/// each chunk wrote. Like every write, it bumps the generation of each year
/// it touches. Run it inside the caller's transaction.
pub fn insert_many(
    conn: &mut DbConnection,
    rows: &[NewAnswer],
    progress: &mut dyn FnMut(usize),
) -> AppResult<usize> {
    let mut written = 0;
    for chunk in rows.chunks(BATCH_ROWS) {
        let n = crate::batch_insert!(&mut *conn, a::table, chunk)?;
        written += n;
        progress(n);
    }
    let mut years: Vec<i32> = rows.iter().map(|r| r.fiscal_year).collect();
    years.sort_unstable();
    years.dedup();
    for y in years {
        generations::bump(conn, y, None)?;
    }
    Ok(written)
}

/// Deletes every answer of the given organisations in one fiscal year
/// (`tenken import answers --replace`). Returns the number deleted.
pub fn delete_of_orgs(
    conn: &mut DbConnection,
    fy: FiscalYear,
    organisation_ids: &[i32],
) -> AppResult<usize> {
    let mut deleted = 0;
    for chunk in organisation_ids.chunks(BATCH_ROWS) {
        deleted += diesel::delete(
            a::table
                .filter(a::fiscal_year.eq(fy.year()))
                .filter(a::organisation_id.eq_any(chunk)),
        )
        .execute(conn)?;
    }
    if deleted > 0 {
        generations::bump(conn, fy.year(), None)?;
    }
    Ok(deleted)
}

/// The scores of `fy` of the organisations `ids` (any number, read in
/// batches), as (organisation id, item code, score); with `scored_only`
/// only the scores 1–3 (0 = 該当しない left out).
pub fn scores_of_orgs(
    conn: &mut DbConnection,
    fy: FiscalYear,
    ids: &[i32],
    scored_only: bool,
) -> AppResult<Vec<(i32, String, i32)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(BATCH_ROWS) {
        let mut q = a::table
            .filter(a::fiscal_year.eq(fy.year()))
            .filter(a::organisation_id.eq_any(chunk))
            .select((a::organisation_id, a::item_code, a::score))
            .into_boxed();
        if scored_only {
            q = q.filter(a::score.eq_any([1, 2, 3]));
        }
        out.extend(q.load::<(i32, String, i32)>(conn)?);
    }
    Ok(out)
}

pub fn of_org_year(
    conn: &mut DbConnection,
    organisation_id: i32,
    fy: FiscalYear,
) -> AppResult<Vec<Answer>> {
    Ok(a::table
        .filter(a::organisation_id.eq(organisation_id))
        .filter(a::fiscal_year.eq(fy.year()))
        .select(Answer::as_select())
        .load(conn)?)
}

/// One answer to write.
#[derive(Debug, Clone)]
pub struct AnswerInput {
    pub item_code: String,
    pub item_id: i32,
    pub score: Score,
    pub comment: String,
}

/// Sets answers of one organisation and year: inserts the new items and
/// updates the changed ones; items not in `inputs` are left alone. This is
/// the one way answers are written (forms, workbook imports, bulk loads go
/// through here or `replace`), so anything that must follow a write (counts,
/// cache generations) is done here. Run it inside the caller's transaction.
/// Returns the number of answers inserted or changed.
///
/// One SELECT of what is stored, one multi-row INSERT of the new items, and
/// an UPDATE per changed item only (a save that changes nothing writes
/// nothing).
pub fn upsert(
    conn: &mut DbConnection,
    organisation_id: i32,
    fy: FiscalYear,
    inputs: &[AnswerInput],
) -> AppResult<usize> {
    let stored = of_org_year(conn, organisation_id, fy)?;
    write(conn, organisation_id, fy, inputs, &stored, false)
}

/// Sets the answers of one organisation and year to exactly `inputs`:
/// stored answers of other items are deleted, the rest as [`upsert`].
pub fn replace(
    conn: &mut DbConnection,
    organisation_id: i32,
    fy: FiscalYear,
    inputs: &[AnswerInput],
) -> AppResult<usize> {
    let stored = of_org_year(conn, organisation_id, fy)?;
    write(conn, organisation_id, fy, inputs, &stored, true)
}

/// The one writer behind [`upsert`] and [`replace`], given what is stored.
pub fn write(
    conn: &mut DbConnection,
    organisation_id: i32,
    fy: FiscalYear,
    inputs: &[AnswerInput],
    stored: &[Answer],
    remove_others: bool,
) -> AppResult<usize> {
    let existing: std::collections::HashMap<&str, &Answer> =
        stored.iter().map(|a| (a.item_code.as_str(), a)).collect();
    let mut changed = 0;
    if remove_others {
        let wanted: std::collections::HashSet<&str> =
            inputs.iter().map(|i| i.item_code.as_str()).collect();
        let gone: Vec<i32> = stored
            .iter()
            .filter(|a| !wanted.contains(a.item_code.as_str()))
            .map(|a| a.id)
            .collect();
        for chunk in gone.chunks(BATCH_ROWS) {
            changed += diesel::delete(a::table.filter(a::id.eq_any(chunk))).execute(conn)?;
        }
    }
    let stamp = now();
    let mut new_rows = Vec::new();
    for input in inputs {
        let score = i32::from(input.score.value());
        match existing.get(input.item_code.as_str()) {
            Some(old) => {
                if old.score != score
                    || old.comment != input.comment
                    || old.item_id != input.item_id
                {
                    diesel::update(a::table.find(old.id))
                        .set((
                            a::score.eq(score),
                            a::comment.eq(&input.comment),
                            a::item_id.eq(input.item_id),
                            a::updated_at.eq(&stamp),
                        ))
                        .execute(conn)?;
                    changed += 1;
                }
            }
            None => new_rows.push(NewAnswer::new(
                organisation_id,
                fy,
                &input.item_code,
                input.item_id,
                input.score,
                &input.comment,
            )),
        }
    }
    for chunk in new_rows.chunks(BATCH_ROWS) {
        changed += crate::batch_insert!(&mut *conn, a::table, chunk)?;
    }
    if changed > 0 {
        generations::bump(conn, fy.year(), Some(organisation_id))?;
    }
    Ok(changed)
}

/// Deletes the answers of the named items of one organisation and year (an
/// uploaded workbook made them not applicable). Returns the number deleted.
pub fn remove_items(
    conn: &mut DbConnection,
    organisation_id: i32,
    fy: FiscalYear,
    item_codes: &[String],
) -> AppResult<usize> {
    if item_codes.is_empty() {
        return Ok(0);
    }
    let deleted = diesel::delete(
        a::table
            .filter(a::organisation_id.eq(organisation_id))
            .filter(a::fiscal_year.eq(fy.year()))
            .filter(a::item_code.eq_any(item_codes)),
    )
    .execute(conn)?;
    if deleted > 0 {
        generations::bump(conn, fy.year(), Some(organisation_id))?;
    }
    Ok(deleted)
}
