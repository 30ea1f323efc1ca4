//! Feeding the engine from the database, with a cache that is always
//! checked against it.
//!
//! The answers of a fiscal year are read once into a dense matrix
//! (organisations × items, one byte per answer: 1,741 × 126 bytes a year).
//! Every write of answers or sheets appends (year, organisation) to the
//! change log `stats_changes` in the writer's transaction
//! (`store::generations`); no row is updated by every write. A request reads
//! the log's highest id — one small SELECT — and, when it moved, the rows
//! after the last one applied, then re-reads only the changed
//! organisations' rows (a whole year after a bulk load). A computed table
//! is kept with this instance's version of every year it used, and its
//! rendered parts (the 集計表 workbook, the page's sub-item tables) are
//! built once per table and kept beside it. Several instances behind one
//! PostgreSQL thus never serve a table older than the last committed write.
//!
//! Files: this one the cache, its computed tables and the years known;
//! `rows.rs` a year's answers read into the dense matrix; `changes.rs`
//! what an instance has read and how it follows `stats_changes`;
//! `counting.rs` the scope resolved to organisations, who is counted, the
//! standing.

mod changes;
mod counting;
mod rows;

use changes::Loaded;
use counting::{counting, resolve, standing_of};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use diesel::prelude::*;

use super::engine::{self, OrgAnswers, RankBy, YearAnswers};
use super::model::{Basis, Summary};
use super::scope::Scope;
use super::standing;
use crate::checklists::Catalog;
use crate::db::DbConnection;
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::store::generations;

/// Computed tables kept at most; past that the cache starts afresh.
const MAX_TABLES: usize = 4096;

/// A computed table with the versions of the data it was computed from.
#[derive(Debug)]
pub struct CachedSummary {
    versions: Vec<(i32, u64)>,
    pub summary: Summary,
    json: OnceLock<String>,
    /// The 集計表 workbook, built once per table: `[0]` with the names of
    /// organisations that fall short, `[1]` without (what a viewer without
    /// the right to see them gets).
    workbooks: [OnceLock<Arc<Vec<u8>>>; 2],
    /// The page's table part (`templates/stats_table.html`), rendered once
    /// per table in the same two variants as `workbooks`.
    page_tables: [OnceLock<Arc<str>>; 2],
}

impl CachedSummary {
    /// The table as JSON, serialised once.
    pub fn json(&self) -> AppResult<&str> {
        if let Some(j) = self.json.get() {
            return Ok(j);
        }
        let text = serde_json::to_string(&self.summary)
            .map_err(|e| AppError::internal_from("summary to JSON", e))?;
        Ok(self.json.get_or_init(|| text))
    }

    /// The table's workbook, built by `build` the first time it is asked
    /// for and served from memory until the table changes (a changed table
    /// is a new `CachedSummary`). `with_names`: the variant that names the
    /// organisations falling short.
    pub fn workbook(
        &self,
        with_names: bool,
        build: impl FnOnce() -> AppResult<Vec<u8>>,
    ) -> AppResult<Arc<Vec<u8>>> {
        let [named, anonymous] = &self.workbooks;
        let slot = if with_names { named } else { anonymous };
        if let Some(bytes) = slot.get() {
            return Ok(bytes.clone());
        }
        let bytes = Arc::new(build()?);
        Ok(slot.get_or_init(|| bytes).clone())
    }

    /// The page's table part (everything below the per-viewer header),
    /// rendered by `build` the first time and served from memory until the
    /// table changes, like [`workbook`](Self::workbook).
    pub fn page_table(
        &self,
        with_names: bool,
        build: impl FnOnce() -> AppResult<String>,
    ) -> AppResult<Arc<str>> {
        let [named, anonymous] = &self.page_tables;
        let slot = if with_names { named } else { anonymous };
        if let Some(html) = slot.get() {
            return Ok(html.clone());
        }
        let html: Arc<str> = Arc::from(build()?);
        Ok(slot.get_or_init(|| html).clone())
    }

    /// The page's table part if it has been rendered (for tests and
    /// diagnostics).
    pub fn rendered_page_table(&self, with_names: bool) -> Option<Arc<str>> {
        let [named, anonymous] = &self.page_tables;
        let slot = if with_names { named } else { anonymous };
        slot.get().cloned()
    }
}

/// The statistics cache of one application instance (kept in `AppState`).
#[derive(Default)]
pub struct Cache {
    tables: Mutex<HashMap<(String, i32, Basis), Arc<CachedSummary>>>,
    /// Held while reading from the database: one reader at a time.
    loaded: Mutex<Loaded>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn first_year(catalog: &Catalog, fy: FiscalYear) -> i32 {
    catalog
        .checklists()
        .iter()
        .map(|c| c.first_year.year())
        .min()
        .unwrap_or(fy.year())
        .min(fy.year())
}

impl Cache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The official table of `scope` for `fy`, computed or reused.
    pub fn summary(
        &self,
        conn: &mut DbConnection,
        catalog: &Catalog,
        scope: &Scope,
        fy: FiscalYear,
    ) -> AppResult<Arc<CachedSummary>> {
        self.summary_of(conn, catalog, scope, fy, Basis::Official)
    }

    /// The table of `scope` for `fy` as `basis` counts it (the official
    /// table and the 速報 are kept apart), computed or reused. The data is
    /// first brought up to the last committed change (see
    /// [`Loaded::sync`]), so no table older than the last write is served.
    pub fn summary_of(
        &self,
        conn: &mut DbConnection,
        catalog: &Catalog,
        scope: &Scope,
        fy: FiscalYear,
        basis: Basis,
    ) -> AppResult<Arc<CachedSummary>> {
        let key = (scope.key(), fy.year(), basis);
        let first = first_year(catalog, fy);
        let mut loaded = lock(&self.loaded);
        loaded.sync(conn)?;
        let versions: Vec<(i32, u64)> = std::iter::once(generations::ROSTER)
            .chain(first..=fy.year())
            .map(|y| (y, loaded.version(y)))
            .collect();
        if let Some(hit) = lock(&self.tables).get(&key) {
            if hit.versions == versions {
                return Ok(hit.clone());
            }
        }
        loaded.ensure(conn, catalog, first, fy.year(), basis)?;
        // Reading may have found new organisations.
        let versions: Vec<(i32, u64)> = std::iter::once(generations::ROSTER)
            .chain(first..=fy.year())
            .map(|y| (y, loaded.version(y)))
            .collect();
        let summary = compute(catalog, &loaded, scope, fy, basis)?;
        drop(loaded);
        let computed = Arc::new(CachedSummary {
            versions,
            summary,
            json: OnceLock::new(),
            workbooks: Default::default(),
            page_tables: Default::default(),
        });
        let mut tables = lock(&self.tables);
        if tables.len() >= MAX_TABLES {
            tables.clear();
        }
        tables.insert(key, computed.clone());
        Ok(computed)
    }
}

/// The table of `scope` for `fy`, computed afresh (no cache kept): for
/// one-off callers such as the command line.
pub fn summary(
    conn: &mut DbConnection,
    catalog: &Catalog,
    scope: &Scope,
    fy: FiscalYear,
) -> AppResult<Summary> {
    summary_of(conn, catalog, scope, fy, Basis::Official)
}

/// [`summary`] as `basis` counts it.
pub fn summary_of(
    conn: &mut DbConnection,
    catalog: &Catalog,
    scope: &Scope,
    fy: FiscalYear,
    basis: Basis,
) -> AppResult<Summary> {
    let cached = Cache::new().summary_of(conn, catalog, scope, fy, basis)?;
    Ok(cached.summary.clone())
}

/// The table from the data in memory (`loaded` holds every year needed).
fn compute(
    catalog: &Catalog,
    loaded: &Loaded,
    scope: &Scope,
    fy: FiscalYear,
    basis: Basis,
) -> AppResult<Summary> {
    let first = first_year(catalog, fy);
    let roster = loaded.roster()?;
    let view = resolve(&roster, scope)?;
    let years: Vec<YearAnswers> = (first..=fy.year())
        .filter_map(|y| {
            let data = loaded.years.get(&(y, basis))?;
            let matrix = data.matrix(view.info.variant);
            let fiscal_year = FiscalYear::new(y).ok()?;
            let orgs = matrix
                .orgs
                .iter()
                .filter_map(|(id, scores)| {
                    let info = roster.orgs.get(id)?;
                    view.includes(*id, info).then(|| OrgAnswers {
                        code: &info.code,
                        name: &info.name,
                        group: info.prefecture_code.as_deref(),
                        scores,
                        conditions: data.conditions.get(id).unwrap_or(&engine::NO_CONDITIONS),
                    })
                })
                .collect();
            Some(YearAnswers {
                fiscal_year,
                items: &matrix.items,
                orgs,
            })
        })
        .collect();
    let rank_by = match scope {
        Scope::National => RankBy::Groups {
            kind: "prefectures",
            names: &roster.prefecture_names,
        },
        Scope::Prefecture(_) => RankBy::Organisations("municipalities"),
        Scope::Agencies => RankBy::Organisations("agencies"),
        Scope::Organisation(_) => RankBy::Nothing,
    };
    let mut summary = engine::build(&engine::Input {
        catalog,
        scope: view.info.clone(),
        fiscal_year: fy,
        years,
        use_published: matches!(scope, Scope::National),
        rank_by,
    });
    summary.basis = basis;
    if matches!(scope, Scope::National | Scope::Prefecture(_)) {
        summary.improvements = standing::improvements(&summary);
    }
    if summary.source == Some(super::model::Source::Answers) {
        if let Some(data) = loaded.years.get(&(fy.year(), basis)) {
            summary.standing = standing_of(catalog, &roster, data, &view, scope);
            summary.counting = Some(counting(&roster, &view, data, basis));
        }
    }
    Ok(summary)
}

/// The latest fiscal year with figures: with answers written, or published.
pub fn latest_year(conn: &mut DbConnection, catalog: &Catalog) -> AppResult<FiscalYear> {
    let written = generations::years(conn)?.last().copied();
    let published = catalog.published.years().last().copied();
    let first = catalog.municipal.first_year;
    let year = written
        .and_then(|y| FiscalYear::new(y).ok())
        .into_iter()
        .chain(published)
        .max()
        .unwrap_or(first);
    Ok(year)
}

/// The fiscal years that have figures or a round: published national
/// figures, years with answers written, and years with a round of either
/// variant. Year navigation offers only these, and a table of any other
/// year does not exist (404).
pub fn known_years(
    conn: &mut DbConnection,
    catalog: &Catalog,
) -> AppResult<std::collections::BTreeSet<FiscalYear>> {
    use crate::db::schema::fiscal_rounds as r;
    let written = generations::years(conn)?;
    let rounds: Vec<i32> = r::table.select(r::fiscal_year).load(conn)?;
    Ok(written
        .into_iter()
        .chain(rounds)
        .filter_map(|y| FiscalYear::new(y).ok())
        .chain(catalog.published.years())
        .collect())
}

/// The year a table route names (`2007`, `H19`, `latest`, …), if that year
/// has figures or a round; otherwise a Japanese 404 naming the years there
/// are. Never an error of any other kind for a bad year.
pub fn table_year(
    conn: &mut DbConnection,
    catalog: &Catalog,
    input: &str,
) -> AppResult<FiscalYear> {
    let input = input.trim();
    if input == "latest" {
        return latest_year(conn, catalog);
    }
    let known = known_years(conn, catalog)?;
    let listed = || {
        known
            .iter()
            .map(|y| y.short())
            .collect::<Vec<_>>()
            .join("・")
    };
    match FiscalYear::parse(input) {
        Ok(fy) if known.contains(&fy) => Ok(fy),
        Ok(fy) => Err(AppError::NotFound(format!(
            "{fy} の集計はありません（集計がある年度: {}）",
            listed()
        ))),
        Err(e) => Err(AppError::NotFound(format!(
            "{e}。その年度の集計はありません（集計がある年度: {}）",
            listed()
        ))),
    }
}
