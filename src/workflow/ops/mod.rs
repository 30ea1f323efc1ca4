//! Changes to a sheet. Each is one transaction whose first statement is the
//! version guard (`submissions::advance`, or the creation of the sheet), so
//! that of two people saving from the same version the later one gets a
//! conflict instead of silently overwriting, and the operation log entry is
//! written in the same transaction as the change.
//!
//! Files: this one the rollback and the round checks every change shares;
//! `save.rs` saving (and submitting) a sheet and writing its entries;
//! `carry.rs` starting a sheet from last year's answers; `review.rs` the
//! reviewer's decision and the plans' progress.

mod carry;
mod review;
mod save;

pub use carry::start_from_last_year;
pub use review::{
    record_progress, review, ReviewAction, ReviewInput, Reviewed, RETURN_NEEDS_ADVICE,
};
pub use save::{save, unconfirmed_problems, Posting, Saved};

use crate::db::DbConnection;
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::store::organisations::{variant_of, Organisation};
use crate::store::rounds;

/// Why a sheet's transaction rolled back: the version it started from no
/// longer matches (an outcome, not a fault), or an error.
enum Rollback {
    Stale,
    App(AppError),
}

impl From<AppError> for Rollback {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl From<diesel::result::Error> for Rollback {
    fn from(e: diesel::result::Error) -> Self {
        Self::App(e.into())
    }
}

fn closed_message(fy: FiscalYear) -> String {
    format!("{fy} の点検は受付を締め切ったため、変更できません")
}

/// Refuses a submission after the deadline of a round that does not accept
/// late ones (inside the transaction).
fn require_in_time(conn: &mut DbConnection, org: &Organisation, fy: FiscalYear) -> AppResult<()> {
    let variant = variant_of(org)?;
    match rounds::find(conn, variant, fy)? {
        Some(r) if !r.accept_late && r.deadline_passed(crate::domain::sheet::today_jst()) => {
            Err(AppError::Conflict(format!(
                "締切（{}）を過ぎています。{fy} の点検では締切後の提出を受け付けていません。提出については総務省にお問い合わせください",
                r.deadline.as_deref().unwrap_or("")
            )))
        }
        _ => Ok(()),
    }
}

/// Checks that the round of the sheet is open (inside the transaction).
pub fn require_open_round(
    conn: &mut DbConnection,
    org: &Organisation,
    fy: FiscalYear,
) -> AppResult<()> {
    let variant = variant_of(org)?;
    match rounds::find(conn, variant, fy)? {
        Some(r) if r.is_open() => Ok(()),
        Some(_) => Err(AppError::Conflict(closed_message(fy))),
        None => Err(AppError::NotFound(format!(
            "{fy} の点検は開始されていません"
        ))),
    }
}
