//! Who may see which table of the engine, for the stats and chart
//! handlers; views of one organisation's or one prefecture's figures are
//! written to the operation log.

use crate::auth::{policy, CurrentUser};
use crate::db::DbConnection;
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::stats::Scope;
use crate::store::{oplog, organisations};

/// How much of a table the viewer may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Everything, including lists that name organisations.
    Full,
    /// The aggregated figures only: lists naming organisations (the priority
    /// shortfalls) are removed.
    Aggregate,
}

/// Every stats and chart handler asks here whether `viewer` may see `scope`
/// (least privilege, the same rules as the answer pages in `auth::policy`):
/// - national: anyone sees the aggregated figures; only the ministry also
///   sees which organisations fall short;
/// - agencies: the ministry;
/// - pref:CODE: the ministry and that prefecture's staff (the table ranks
///   its municipalities);
/// - org:CODE: whoever may read that organisation's answers.
///
/// Views that show one organisation's or one prefecture's municipalities'
/// figures are written to the operation log.
pub fn authorize_scope(
    conn: &mut DbConnection,
    viewer: Option<&CurrentUser>,
    scope: &Scope,
    fy: Option<FiscalYear>,
) -> AppResult<Access> {
    let national = viewer.is_some_and(policy::can_view_national);
    if *scope == Scope::National {
        return Ok(if national {
            Access::Full
        } else {
            Access::Aggregate
        });
    }
    let user = viewer.ok_or(AppError::Unauthorized)?;
    let logged_code = match scope {
        // National returned above; the agencies' table is the ministry's.
        Scope::National | Scope::Agencies => {
            policy::require(national)?;
            "agencies".to_string()
        }
        Scope::Prefecture(code) => {
            policy::require(policy::can_view_prefecture(user, code.as_str()))?;
            code.to_string()
        }
        Scope::Organisation(code) => {
            // The ministry may read every answering organisation; the engine
            // explains codes that name none. For anyone else an unknown code
            // and a forbidden one answer the same, so the existence of an
            // organisation is not revealed.
            if !national {
                let org = organisations::find(conn, code.as_str())?.ok_or(AppError::Forbidden)?;
                policy::require(policy::can_read_org(user, &org))?;
            }
            code.to_string()
        }
    };
    oplog::record(
        conn,
        &user.actor(),
        "stats_view",
        &logged_code,
        fy.map(|y| y.year()),
        &scope.key(),
    )?;
    Ok(Access::Full)
}
