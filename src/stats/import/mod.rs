//! `tenken import answers FILE`: answers in long format, one row per
//! organisation, fiscal year and sub-item, from CSV (UTF-8) or an xlsx
//! sheet with the header `org_code,fiscal_year,item,score[,comment][,reason]`
//! (`reason`: why an answer 0 (該当しない) was given; optional, since past
//! years' results may lack one; stored at the head of the comment).
//!
//! Every row is checked (organisation known and answering, code well
//! formed, year readable, item in that year's checklist of the
//! organisation's variant, score 0–3, no organisation/year/item twice, no
//! existing answer unless `--replace`); every problem is reported with its
//! line (CSV) or sheet and cell (xlsx) (the first [`MAX_LISTED`], with the
//! count of the rest), and nothing is written when any row is bad.
//!
//! The file is streamed ([`read`]): each row is checked ([`check`]) and,
//! while no row has failed, handed to the backend's bulk path
//! (`store::answer_load`: PostgreSQL `COPY FROM STDIN`, SQLite one prepared
//! INSERT) inside one transaction; a bad row stops the writing, the rest is
//! still checked, and the transaction is rolled back. An answer already
//! stored is caught by the database's UNIQUE constraint; the import then
//! rolls back and reads the file once more to name every such row.
//! `--replace` reads the file twice: once to check it and learn which
//! organisations and years it replaces (deleted first), once to write.

mod check;
pub mod read;

use diesel::Connection;

pub use check::MAX_LISTED;
use check::{Checker, Problems, Reference};
pub use read::{read_csv, read_file, Cell, FileSource, Place, RawRow, Row, Source, HEADER};

use crate::checklists::Catalog;
use crate::db::{now, DbConnection};
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::store::{answer_load, answers, generations};

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub inserted: usize,
    /// Answers deleted by `--replace` before inserting.
    pub replaced: usize,
    pub organisations: usize,
    pub years: Vec<i32>,
}

/// Why the writing transaction ended without committing.
enum Stop {
    App(AppError),
    /// The database refused an answer already stored: name the rows.
    Stored(AppError),
}

impl From<diesel::result::Error> for Stop {
    fn from(e: diesel::result::Error) -> Self {
        Self::App(e.into())
    }
}

impl From<AppError> for Stop {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

fn is_unique_violation(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Database(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _
        ))
    )
}

fn reference(conn: &mut DbConnection) -> AppResult<Reference> {
    Ok(Reference::new(
        answer_load::organisations(conn)?,
        answer_load::checklist_items(conn)?,
    ))
}

/// Checks every row and, when all are good, writes them in one transaction.
/// `progress(rows read, rows written)` is called every 10,000 rows.
pub fn import<S: Source + ?Sized>(
    conn: &mut DbConnection,
    catalog: &Catalog,
    source: &S,
    replace: bool,
    progress: &mut dyn FnMut(usize, usize),
) -> AppResult<ImportReport> {
    let written = conn.transaction(|conn| -> Result<ImportReport, Stop> {
        let reference = reference(conn)?;
        let mut report = ImportReport::default();
        if replace {
            let mut checker = Checker::new(catalog, &reference);
            let mut problems = Problems::default();
            source.each(&mut |row| checker.check(row, None, &mut problems).map(drop))?;
            if !problems.is_empty() {
                return Err(Stop::App(problems.into_error()));
            }
            for (year, ids) in checker.touched() {
                let ids: Vec<i32> = ids.into_iter().collect();
                report.replaced += answers::delete_of_orgs(
                    conn,
                    FiscalYear::new(year).map_err(AppError::from)?,
                    &ids,
                )?;
            }
        }
        let mut checker = Checker::new(catalog, &reference);
        let mut problems = Problems::default();
        let mut rows = 0_usize;
        let mut sent = 0_usize;
        // SQLite refuses a stored answer at its row, PostgreSQL's COPY at
        // the end: either way the rest is still checked, so that the other
        // problems come first on both.
        let mut refused: Option<AppError> = None;
        let loaded = answer_load::load(conn, &now(), &mut |emit| {
            source.each(&mut |row| {
                rows += 1;
                let good = checker.check(row, None, &mut problems)?;
                if let (Some(good), true, None) = (good, problems.is_empty(), &refused) {
                    match emit(&good) {
                        Ok(()) => sent += 1,
                        Err(e) if is_unique_violation(&e) => refused = Some(e),
                        Err(e) => return Err(e),
                    }
                }
                if rows.is_multiple_of(10_000) {
                    progress(rows, sent);
                }
                Ok(())
            })
        });
        if !problems.is_empty() {
            return Err(Stop::App(problems.into_error()));
        }
        report.inserted = match (loaded, refused) {
            (_, Some(e)) if !replace => return Err(Stop::Stored(e)),
            (_, Some(e)) => return Err(Stop::App(e)),
            (Ok(n), None) => n,
            (Err(e), None) if is_unique_violation(&e) && !replace => return Err(Stop::Stored(e)),
            (Err(e), None) => return Err(Stop::App(e)),
        };
        progress(rows, report.inserted);
        let touched = checker.touched();
        for year in touched.keys() {
            generations::bump(conn, *year, None)?;
        }
        report.rows = rows;
        report.years = touched.keys().copied().collect();
        report.organisations = touched
            .values()
            .flatten()
            .collect::<std::collections::HashSet<_>>()
            .len();
        Ok(report)
    });
    match written {
        Ok(report) => Ok(report),
        Err(Stop::App(e)) => Err(e),
        Err(Stop::Stored(refused)) => Err(name_stored(conn, catalog, source, refused)),
    }
}

/// After the database refused an answer already stored: reads the file
/// again, checking every row against the stored answers of its year, and
/// lists the rows (or, when none is found — a writer came in between —
/// says so).
fn name_stored<S: Source + ?Sized>(
    conn: &mut DbConnection,
    catalog: &Catalog,
    source: &S,
    refused: AppError,
) -> AppError {
    let checked = conn.transaction(|conn| -> AppResult<Problems> {
        let reference = reference(conn)?;
        let mut checker = Checker::new(catalog, &reference);
        let mut problems = Problems::default();
        let mut stored = |year: i32| answer_load::stored_keys(conn, year);
        source.each(&mut |row| {
            checker
                .check(row, Some(&mut stored), &mut problems)
                .map(drop)
        })?;
        Ok(problems)
    });
    match checked {
        Ok(problems) if !problems.is_empty() => problems.into_error(),
        Ok(_) => {
            tracing::warn!(error = %refused.chain(), "import refused by a unique constraint");
            AppError::Conflict(
                "取り込みの途中で同じ団体・年度・小項目の回答が書き込まれました。何も取り込んでいません。もう一度実行してください"
                    .into(),
            )
        }
        Err(e) => e,
    }
}

/// A terminal progress bar on stderr, or nothing when stderr is no terminal.
/// With `total` 0 (a streamed file), a spinner with the count.
pub fn progress_bar(total: u64, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let (bar, template) = if total == 0 {
        (
            indicatif::ProgressBar::new_spinner(),
            "{spinner} {msg} {pos} 行 ({per_sec})",
        )
    } else {
        (
            indicatif::ProgressBar::new(total),
            "{msg} [{bar:40}] {pos}/{len} ({per_sec}, 残り {eta})",
        )
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}
