//! Reading a filled 調査票 workbook back.
//!
//! Three steps, each of which may refuse the workbook as a whole:
//! 1. `read_grid`: the bytes pass `limits::check` (size, format, zip bomb,
//!    encryption), then calamine reads the cells of sheet `調査票`.
//! 2. `parse_form`: the cells are mapped by the keys in the hidden column A
//!    and the column titles; every problem is collected, each naming its
//!    sheet and cell in Japanese (`調査票!F37: 「4」は 0〜3 のいずれでもありません`).
//! 3. `import_form`: in one transaction, the organisation, its variant and
//!    the round are checked, and the answers are written through
//!    `store::answers::upsert`. Any problem rolls everything back.
//!
//! Files: `grid.rs` step 1 (bytes to cells), `parse.rs` step 2 (the header,
//! the conditions, the problem list), `items.rs` step 2 for the item rows,
//! `write.rs` step 3 (the transaction and the `ImportReport`).

mod grid;
mod items;
mod parse;
mod write;

use diesel::Connection;

use super::limits::Limits;
use crate::checklists::{Catalog, Variant};
use crate::db::DbConnection;
use crate::domain::FiscalYear;
use crate::error::AppError;

pub use grid::{read_grid, Grid, Value};
pub use parse::{parse_form, FilledForm, FilledItem, PlanInput};
pub use write::{AnswerChange, ImportReport, YearChange};

/// Why a workbook was not imported. Nothing of it was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportRefusal {
    /// Not a workbook that can be read safely: empty, not xlsx, encrypted,
    /// too large, a zip bomb, broken, or not a tenken form.
    #[error("{0}")]
    File(String),
    /// Read, but wrong: each problem names its sheet and cell.
    #[error("{}", .0.join("\n"))]
    Form(Vec<String>),
    /// The round of this variant and fiscal year is not open.
    #[error("{0}")]
    Closed(String),
    /// Storage failed.
    #[error(transparent)]
    Internal(#[from] AppError),
}

impl From<diesel::result::Error> for ImportRefusal {
    fn from(e: diesel::result::Error) -> Self {
        ImportRefusal::Internal(AppError::Database(e))
    }
}

impl From<ImportRefusal> for AppError {
    fn from(r: ImportRefusal) -> Self {
        match r {
            ImportRefusal::File(m) | ImportRefusal::Closed(m) => AppError::BadRequest(m),
            ImportRefusal::Form(problems) => AppError::Invalid(problems),
            ImportRefusal::Internal(e) => e,
        }
    }
}

impl ImportRefusal {
    /// The problems, one per line.
    pub fn lines(&self) -> Vec<String> {
        match self {
            ImportRefusal::Form(p) => p.clone(),
            other => vec![other.to_string()],
        }
    }
}

/// What the caller knows about the upload.
#[derive(Debug, Clone, Copy)]
pub struct ImportRules<'a> {
    /// The organisation the workbook must be for (web upload: the user's own).
    pub expected_org: Option<&'a str>,
    /// The fiscal year the workbook must be for.
    pub expected_year: Option<FiscalYear>,
    pub limits: Limits,
}

impl Default for ImportRules<'_> {
    fn default() -> Self {
        Self {
            expected_org: None,
            expected_year: None,
            limits: Limits::DEFAULT,
        }
    }
}

/// Questions the import asks of tables that live elsewhere (rounds,
/// improvement plans). Both run inside the import's transaction.
pub trait ImportHooks {
    /// Whether answers of `variant` for `fy` may be written now.
    fn round_open(
        &self,
        _conn: &mut DbConnection,
        _variant: Variant,
        _fy: FiscalYear,
    ) -> Result<bool, AppError> {
        Ok(true)
    }

    /// Whether an improvement plan (改善計画書) is on file for this item.
    fn has_plan(
        &self,
        _conn: &mut DbConnection,
        _organisation_id: i32,
        _fy: FiscalYear,
        _item_code: &str,
    ) -> Result<bool, AppError> {
        Ok(false)
    }
}

/// No round check, no plans on file: what the command line uses today.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHooks;

impl ImportHooks for NoHooks {}

/// Steps 1–3: reads `bytes` and imports the form whole, or refuses it and
/// writes nothing.
pub fn import_form(
    conn: &mut DbConnection,
    catalog: &Catalog,
    bytes: &[u8],
    rules: &ImportRules<'_>,
    hooks: &dyn ImportHooks,
) -> Result<ImportReport, ImportRefusal> {
    let grid = read_grid(bytes, &rules.limits)?;
    let form = parse_form(&grid, catalog, rules.expected_org, rules.expected_year)?;
    conn.transaction(|conn| write::store_form(conn, catalog, form, hooks))
}

/// The warning about answers on file for items the workbook says do not
/// apply (an import leaves them; the web upload removes them).
pub fn stale_answers_warning(codes: &[&str]) -> String {
    format!(
        "対象外になった項目 {} の以前の回答が残っています",
        codes.join("、")
    )
}
