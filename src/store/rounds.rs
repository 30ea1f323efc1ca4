//! Fiscal rounds: the ministry opens a round of one variant and fiscal year
//! (with the checklist version and the round's priority items) and closes it.
//! Answers change only while their round is open.

use diesel::prelude::*;
use serde::Serialize;

use crate::checklists::Variant;
use crate::db::schema::{fiscal_rounds as r, round_settings as rs};
use crate::db::{now, DbConnection};
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};

/// The variant as named on pages.
pub fn variant_label(variant: Variant) -> &'static str {
    match variant {
        Variant::Municipal => "市区町村版",
        Variant::NationalAgency => "国の行政機関等版",
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Round {
    pub id: i32,
    pub variant: String,
    pub fiscal_year: i32,
    pub status: String,
    pub deadline: Option<String>,
    pub opened_at: String,
    pub closed_at: Option<String>,
    pub checklist_version: String,
    pub priority_items: Vec<String>,
    /// Submissions after the deadline are accepted (the ministry's choice).
    pub accept_late: bool,
}

impl Round {
    pub fn is_open(&self) -> bool {
        self.status == "open"
    }

    /// Whether the deadline has passed on `today` (Japan's date).
    pub fn deadline_passed(&self, today: chrono::NaiveDate) -> bool {
        self.deadline
            .as_deref()
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .is_some_and(|d| today > d)
    }

    pub fn status_label(&self) -> &'static str {
        if self.is_open() {
            "受付中"
        } else {
            "締切済"
        }
    }
}

type Row = (
    i32,
    String,
    i32,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
);

fn from_row(row: Row) -> Round {
    let (id, variant, fiscal_year, status, deadline, opened_at, closed_at, version, prio, late) =
        row;
    Round {
        id,
        variant,
        fiscal_year,
        status,
        deadline,
        opened_at,
        closed_at,
        checklist_version: version.unwrap_or_default(),
        priority_items: prio
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        accept_late: late,
    }
}

/// Sets whether the round accepts submissions after its deadline.
pub fn set_accept_late(
    conn: &mut DbConnection,
    variant: Variant,
    fy: FiscalYear,
    accept: bool,
) -> AppResult<()> {
    diesel::update(
        r::table
            .filter(r::variant.eq(variant.as_str()))
            .filter(r::fiscal_year.eq(fy.year())),
    )
    .set(r::accept_late.eq(accept))
    .execute(conn)?;
    Ok(())
}

macro_rules! rounds_query {
    () => {
        r::table.left_join(rs::table).select((
            r::id,
            r::variant,
            r::fiscal_year,
            r::status,
            r::deadline,
            r::opened_at,
            r::closed_at,
            rs::checklist_version.nullable(),
            rs::priority_items.nullable(),
            r::accept_late,
        ))
    };
}

pub fn find(conn: &mut DbConnection, variant: Variant, fy: FiscalYear) -> AppResult<Option<Round>> {
    Ok(rounds_query!()
        .filter(r::variant.eq(variant.as_str()))
        .filter(r::fiscal_year.eq(fy.year()))
        .first::<Row>(conn)
        .optional()?
        .map(from_row))
}

/// Every round, newest year first.
pub fn list(conn: &mut DbConnection) -> AppResult<Vec<Round>> {
    Ok(rounds_query!()
        .order((r::fiscal_year.desc(), r::variant))
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect())
}

/// Opens the round (or opens a closed one again) and records its settings.
pub fn open(
    conn: &mut DbConnection,
    variant: Variant,
    fy: FiscalYear,
    deadline: Option<&str>,
    checklist_version: &str,
    priority_items: &[String],
) -> AppResult<Round> {
    conn.transaction(|conn| {
        let stamp = now();
        let existing = find(conn, variant, fy)?;
        let id = match &existing {
            Some(round) => {
                diesel::update(r::table.find(round.id))
                    .set((
                        r::status.eq("open"),
                        r::deadline.eq(deadline),
                        r::closed_at.eq(None::<String>),
                    ))
                    .execute(conn)?;
                round.id
            }
            None => diesel::insert_into(r::table)
                .values((
                    r::variant.eq(variant.as_str()),
                    r::fiscal_year.eq(fy.year()),
                    r::status.eq("open"),
                    r::deadline.eq(deadline),
                    r::opened_at.eq(&stamp),
                ))
                .returning(r::id)
                .get_result(conn)?,
        };
        let prio = priority_items.join(" ");
        let updated = diesel::update(rs::table.filter(rs::round_id.eq(id)))
            .set((
                rs::checklist_version.eq(checklist_version),
                rs::priority_items.eq(&prio),
            ))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(rs::table)
                .values((
                    rs::round_id.eq(id),
                    rs::checklist_version.eq(checklist_version),
                    rs::priority_items.eq(&prio),
                ))
                .execute(conn)?;
        }
        find(conn, variant, fy)?.ok_or_else(|| AppError::internal("round vanished after insert"))
    })
}

pub fn close(conn: &mut DbConnection, variant: Variant, fy: FiscalYear) -> AppResult<Round> {
    let round = find(conn, variant, fy)?.ok_or_else(|| {
        AppError::NotFound(format!(
            "{fy} の{}の点検はありません",
            variant_label(variant)
        ))
    })?;
    if !round.is_open() {
        return Err(AppError::Conflict(format!(
            "{fy} の点検は既に締め切られています"
        )));
    }
    diesel::update(r::table.find(round.id))
        .set((r::status.eq("closed"), r::closed_at.eq(now())))
        .execute(conn)?;
    find(conn, variant, fy)?.ok_or_else(|| AppError::internal("round vanished"))
}
