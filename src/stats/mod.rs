//! The national tables (集計表): per-item averages, answer shares, earlier
//! years and 向上値, per goal, per 大分類 and overall, priority items,
//! rankings and seed 004's view, for a scope and a fiscal year.
//!
//! - [`engine`]: pure functions from answers to a [`Summary`].
//! - [`exact`]: exact values and the one rounding rule.
//! - [`data`]: reading answers from the database, and the cache checked
//!   against `stats_generations` on every request.
//! - [`scope`]: `national`, `pref:CODE`, `agencies`, `org:CODE`.
//!
//! Call [`Cache::summary`] (the app keeps one in `AppState::stats`) or
//! [`summary`] for a one-off table.

pub mod bench;
pub mod data;
pub mod engine;
pub mod exact;
pub mod import;
pub mod model;
pub mod report;
pub mod scope;
pub mod standing;

pub use data::{summary, Cache, CachedSummary};
pub use exact::{Exact, Figure};
pub use model::*;
pub use scope::{Scope, ScopeError};

// Its hand-built answers serve the chart tests too.
#[cfg(test)]
pub(crate) mod tests;
