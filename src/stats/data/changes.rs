//! What an instance has read, and how far it has followed the change log
//! `stats_changes`: new rows re-read only the changed organisations;
//! ids missing below the highest seen are waited for, then skipped.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::super::model::Basis;
use super::rows::{Roster, Rows, YearData};
use crate::checklists::Catalog;
use crate::db::DbConnection;
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::store::generations;

/// How long an id below the highest seen may stay missing before it is
/// taken for a rolled-back write (PostgreSQL identities commit out of
/// order and roll back with gaps; SQLite's never do).
pub(super) const GAP_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);
/// More missing ids than this at once: start afresh instead.
pub(super) const MAX_GAPS: i64 = 10_000;

/// What an instance has read, and how far it has followed `stats_changes`.
#[derive(Default)]
pub(super) struct Loaded {
    pub(super) roster: Option<Arc<Roster>>,
    pub(super) years: HashMap<(i32, Basis), YearData>,
    /// Bumped whenever this instance's data of a year (or of the roster,
    /// [`generations::ROSTER`]) changes: what cached tables are checked by.
    pub(super) versions: HashMap<i32, u64>,
    /// The highest change id applied.
    pub(super) seen: i64,
    /// Ids below `seen` not yet seen, with when they were first missed.
    pub(super) gaps: BTreeMap<i64, std::time::Instant>,
}

impl Loaded {
    pub(super) fn bump(&mut self, year: i32) {
        *self.versions.entry(year).or_insert(0) += 1;
    }

    pub(super) fn version(&self, year: i32) -> u64 {
        self.versions.get(&year).copied().unwrap_or(0)
    }

    pub(super) fn roster(&self) -> AppResult<Arc<Roster>> {
        self.roster
            .clone()
            .ok_or_else(|| AppError::internal("roster not loaded"))
    }

    /// Forgets everything: the next table reads all it needs afresh.
    pub(super) fn reset(&mut self, conn: &mut DbConnection) -> AppResult<()> {
        self.seen = generations::last_id(conn)?;
        self.gaps.clear();
        self.years.clear();
        self.roster = Some(Arc::new(Roster::load(conn)?));
        let years: Vec<i32> = self.versions.keys().copied().collect();
        for y in years {
            self.bump(y);
        }
        self.bump(generations::ROSTER);
        Ok(())
    }

    /// Brings the data up to the last committed change: one small SELECT
    /// when nothing changed; otherwise the changed organisations' rows are
    /// read again (a whole year only after a bulk load).
    pub(super) fn sync(&mut self, conn: &mut DbConnection) -> AppResult<()> {
        if self.roster.is_none() {
            return self.reset(conn);
        }
        let last = generations::last_id(conn)?;
        if last == self.seen && self.gaps.is_empty() {
            return Ok(());
        }
        if last - self.seen > MAX_GAPS {
            return self.reset(conn);
        }
        let from = self
            .gaps
            .keys()
            .next()
            .map_or(self.seen, |g| (g - 1).min(self.seen));
        let changes = generations::since(conn, from)?;
        let mut whole: std::collections::BTreeSet<i32> = Default::default();
        let mut some: BTreeMap<i32, std::collections::BTreeSet<i32>> = BTreeMap::new();
        let mut roster_changed = false;
        let mut present = std::collections::HashSet::new();
        let mut high = self.seen;
        for c in changes {
            let fresh = c.id > self.seen || self.gaps.remove(&c.id).is_some();
            present.insert(c.id);
            high = high.max(c.id);
            if !fresh {
                continue;
            }
            match (c.fiscal_year, c.organisation) {
                (generations::ROSTER, _) => roster_changed = true,
                (y, None) => {
                    whole.insert(y);
                }
                (y, Some(org)) => {
                    some.entry(y).or_default().insert(org);
                }
            }
        }
        let now = std::time::Instant::now();
        for id in self.seen + 1..=high {
            if !present.contains(&id) {
                self.gaps.insert(id, now);
            }
        }
        self.gaps
            .retain(|_, since| now.duration_since(*since) < GAP_PATIENCE);
        self.seen = high;
        if roster_changed {
            self.roster = Some(Arc::new(Roster::load(conn)?));
            self.bump(generations::ROSTER);
        }
        for y in &whole {
            self.years.retain(|(year, _), _| year != y);
            self.bump(*y);
        }
        for (y, orgs) in some {
            if whole.contains(&y) {
                continue;
            }
            let orgs: Vec<i32> = orgs.into_iter().collect();
            let fy = FiscalYear::new(y)?;
            let bases: Vec<Basis> = self
                .years
                .keys()
                .filter(|(year, _)| *year == y)
                .map(|(_, b)| *b)
                .collect();
            for basis in bases {
                let rows = Rows::read(conn, fy, basis, Some(&orgs))?;
                let roster = self.roster()?;
                let applied = self
                    .years
                    .get_mut(&(y, basis))
                    .is_some_and(|d| d.apply(&roster, Some(&orgs), rows));
                if !applied {
                    // An organisation this instance has not read yet.
                    self.roster = Some(Arc::new(Roster::load(conn)?));
                    self.years.remove(&(y, basis));
                }
            }
            self.bump(y);
        }
        Ok(())
    }

    /// Reads the years `first..=last` of `basis` that are not in memory.
    pub(super) fn ensure(
        &mut self,
        conn: &mut DbConnection,
        catalog: &Catalog,
        first: i32,
        last: i32,
        basis: Basis,
    ) -> AppResult<()> {
        for y in first..=last {
            if self.years.contains_key(&(y, basis)) {
                continue;
            }
            let fy = FiscalYear::new(y)?;
            let mut data = YearData::new(catalog, fy);
            let rows = Rows::read(conn, fy, basis, None)?;
            if !data.apply(&*self.roster()?, None, rows) {
                // Answers of organisations added since the roster was read.
                self.roster = Some(Arc::new(Roster::load(conn)?));
                self.bump(generations::ROSTER);
                let rows = Rows::read(conn, fy, basis, None)?;
                data = YearData::new(catalog, fy);
                if !data.apply(&*self.roster()?, None, rows) {
                    return Err(AppError::internal(format!(
                        "answers of {y} name an organisation not in the roster"
                    )));
                }
            }
            self.years.insert((y, basis), data);
        }
        Ok(())
    }
}
