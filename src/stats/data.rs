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

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use diesel::prelude::*;

use super::engine::{self, OrgAnswers, RankBy, YearAnswers, MISSING};
use super::model::{Basis, Counting, ScopeInfo, StatusTally, Summary};
use super::scope::Scope;
use super::standing;
use crate::checklists::{Catalog, Variant};
use crate::db::schema::{answers as a, organisations as o};
use crate::db::DbConnection;
use crate::domain::{FiscalYear, OrgCode};
use crate::error::{AppError, AppResult};
use crate::store::submissions::{self, Status};
use crate::store::{generations, snapshots};

/// Computed tables kept at most; past that the cache starts afresh.
const MAX_TABLES: usize = 4096;

#[derive(Debug, Clone)]
struct OrgInfo {
    code: String,
    name: String,
    kind: String,
    prefecture_code: Option<String>,
    variant: Option<Variant>,
}

#[derive(Debug, Default)]
struct Roster {
    orgs: HashMap<i32, OrgInfo>,
    by_code: HashMap<String, i32>,
    prefecture_names: BTreeMap<String, String>,
}

impl Roster {
    fn load(conn: &mut DbConnection) -> AppResult<Self> {
        type Row = (i32, String, String, String, Option<String>, Option<String>);
        let rows: Vec<Row> = o::table
            .select((
                o::id,
                o::code,
                o::name,
                o::kind,
                o::prefecture_code,
                o::variant,
            ))
            .load(conn)?;
        let mut roster = Self::default();
        for (id, code, name, kind, pref, variant) in rows {
            if kind == "prefecture" {
                roster.prefecture_names.insert(code.clone(), name.clone());
            }
            roster.by_code.insert(code.clone(), id);
            roster.orgs.insert(
                id,
                OrgInfo {
                    code,
                    name,
                    kind,
                    prefecture_code: pref,
                    variant: variant.as_deref().and_then(Variant::parse),
                },
            );
        }
        Ok(roster)
    }
}

/// The answers of one variant in one year: a row of scores per organisation
/// (sorted by organisation id).
#[derive(Debug, Default)]
struct Matrix {
    items: Vec<String>,
    index: HashMap<String, usize>,
    orgs: Vec<(i32, Vec<u8>)>,
}

impl Matrix {
    fn new(catalog: &Catalog, variant: Variant, fy: FiscalYear) -> Self {
        let items: Vec<String> = catalog
            .checklist(variant)
            .items_in(fy)
            .map(|i| i.code.clone())
            .collect();
        let index = items
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), i))
            .collect();
        Self {
            items,
            index,
            orgs: Vec::new(),
        }
    }

    fn remove(&mut self, org: i32) {
        if let Ok(at) = self.orgs.binary_search_by_key(&org, |(id, _)| *id) {
            self.orgs.remove(at);
        }
    }

    fn set(&mut self, org: i32, item: &str, score: i32) {
        let (Some(&col), Ok(score)) = (self.index.get(item), u8::try_from(score)) else {
            return;
        };
        let at = match self.orgs.binary_search_by_key(&org, |(id, _)| *id) {
            Ok(at) => at,
            Err(at) => {
                self.orgs.insert(at, (org, vec![MISSING; self.items.len()]));
                at
            }
        };
        if let Some(cell) = self.orgs.get_mut(at).and_then(|(_, row)| row.get_mut(col)) {
            *cell = score;
        }
    }
}

/// How an organisation's sheet of the year stands, for the counts of what a
/// table counts. No entry: no sheet (results loaded in bulk, or nothing).
#[derive(Debug, Clone, Copy)]
struct SheetState {
    status: Status,
    /// Whether a submitted snapshot exists (counted by the official table).
    submitted_once: bool,
}

/// One fiscal year as one basis counts it, for every organisation.
#[derive(Debug)]
struct YearData {
    municipal: Matrix,
    agency: Matrix,
    /// The 重要機能室 answer (and any other condition) per organisation,
    /// as the counted answers were given.
    conditions: HashMap<i32, BTreeMap<String, bool>>,
    sheets: HashMap<i32, SheetState>,
}

/// What the database holds of a year for some organisations (or all).
struct Rows {
    scores: Vec<(i32, String, i32)>,
    conditions: HashMap<i32, Option<bool>>,
    sheets: HashMap<i32, SheetState>,
}

impl Rows {
    /// Reads the year as `basis` counts it, for `orgs` (all with `None`).
    ///
    /// Official: the answers of organisations without a sheet (loaded in
    /// bulk) and the last submitted snapshot of every sheet. Provisional:
    /// every stored answer, drafts included.
    fn read(
        conn: &mut DbConnection,
        fy: FiscalYear,
        basis: Basis,
        orgs: Option<&[i32]>,
    ) -> AppResult<Self> {
        let subs = match orgs {
            None => submissions::of_year(conn, fy)?,
            Some(ids) => submissions::of_orgs(conn, fy, ids)?,
        };
        let sheets: HashMap<i32, SheetState> = subs
            .iter()
            .map(|(org, sub)| {
                Ok((
                    *org,
                    SheetState {
                        status: sub.checked_status()?,
                        submitted_once: sub.snapshot_id.is_some(),
                    },
                ))
            })
            .collect::<AppResult<_>>()?;
        let mut answers = a::table
            .filter(a::fiscal_year.eq(fy.year()))
            .select((a::organisation_id, a::item_code, a::score))
            .into_boxed();
        if let Some(ids) = orgs {
            answers = answers.filter(a::organisation_id.eq_any(ids.to_vec()));
        }
        let answers: Vec<(i32, String, i32)> = answers.load(conn)?;
        let (scores, conditions) = match basis {
            Basis::Provisional => (
                answers,
                subs.iter()
                    .map(|(org, sub)| (*org, sub.has_critical_room))
                    .collect(),
            ),
            Basis::Official => {
                let mut rows: Vec<(i32, String, i32)> = answers
                    .into_iter()
                    .filter(|(org, _, _)| !subs.contains_key(org))
                    .collect();
                rows.extend(snapshots::counted_scores(conn, fy, orgs)?);
                (rows, snapshots::counted_conditions(conn, fy, orgs)?)
            }
        };
        Ok(Self {
            scores,
            conditions,
            sheets,
        })
    }
}

impl YearData {
    fn new(catalog: &Catalog, fy: FiscalYear) -> Self {
        Self {
            municipal: Matrix::new(catalog, Variant::Municipal, fy),
            agency: Matrix::new(catalog, Variant::NationalAgency, fy),
            conditions: HashMap::new(),
            sheets: HashMap::new(),
        }
    }

    fn matrix(&self, variant: Variant) -> &Matrix {
        match variant {
            Variant::Municipal => &self.municipal,
            Variant::NationalAgency => &self.agency,
        }
    }

    /// Replaces what is known of `orgs` (every organisation with `None`)
    /// by `rows`. `false` when a row names an organisation missing from
    /// `roster` (the roster is then read again).
    fn apply(&mut self, roster: &Roster, orgs: Option<&[i32]>, rows: Rows) -> bool {
        if rows
            .scores
            .iter()
            .any(|(org, _, _)| !roster.orgs.contains_key(org))
        {
            return false;
        }
        if let Some(ids) = orgs {
            for id in ids {
                self.municipal.remove(*id);
                self.agency.remove(*id);
                self.conditions.remove(id);
                self.sheets.remove(id);
            }
        }
        for (org, item, score) in &rows.scores {
            let matrix = match roster.orgs.get(org).and_then(|i| i.variant) {
                Some(Variant::Municipal) => &mut self.municipal,
                Some(Variant::NationalAgency) => &mut self.agency,
                None => continue,
            };
            matrix.set(*org, item, *score);
        }
        self.conditions.extend(
            rows.conditions
                .into_iter()
                .map(|(org, room)| (org, crate::workflow::conditions(room))),
        );
        self.sheets.extend(rows.sheets);
        true
    }
}

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

/// How long an id below the highest seen may stay missing before it is
/// taken for a rolled-back write (PostgreSQL identities commit out of
/// order and roll back with gaps; SQLite's never do).
const GAP_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);
/// More missing ids than this at once: start afresh instead.
const MAX_GAPS: i64 = 10_000;

/// What an instance has read, and how far it has followed `stats_changes`.
#[derive(Default)]
struct Loaded {
    roster: Option<Arc<Roster>>,
    years: HashMap<(i32, Basis), YearData>,
    /// Bumped whenever this instance's data of a year (or of the roster,
    /// [`generations::ROSTER`]) changes: what cached tables are checked by.
    versions: HashMap<i32, u64>,
    /// The highest change id applied.
    seen: i64,
    /// Ids below `seen` not yet seen, with when they were first missed.
    gaps: BTreeMap<i64, std::time::Instant>,
}

impl Loaded {
    fn bump(&mut self, year: i32) {
        *self.versions.entry(year).or_insert(0) += 1;
    }

    fn version(&self, year: i32) -> u64 {
        self.versions.get(&year).copied().unwrap_or(0)
    }

    fn roster(&self) -> AppResult<Arc<Roster>> {
        self.roster
            .clone()
            .ok_or_else(|| AppError::internal("roster not loaded"))
    }

    /// Forgets everything: the next table reads all it needs afresh.
    fn reset(&mut self, conn: &mut DbConnection) -> AppResult<()> {
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
    fn sync(&mut self, conn: &mut DbConnection) -> AppResult<()> {
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
    fn ensure(
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

/// The peer standing of an organisation or a prefecture among the
/// answering organisations of the year.
fn standing_of(
    catalog: &Catalog,
    roster: &Roster,
    data: &YearData,
    view: &View,
    scope: &Scope,
) -> Option<standing::Standing> {
    let variant = view.info.variant;
    let matrix = data.matrix(variant);
    let members: Vec<standing::Member> = matrix
        .orgs
        .iter()
        .filter_map(|(id, scores)| {
            let info = roster.orgs.get(id)?;
            (info.variant == Some(variant) && standing::has_answers(scores)).then(|| {
                standing::Member {
                    code: &info.code,
                    prefecture: info.prefecture_code.as_deref(),
                    kind: catalog
                        .municipality_types
                        .get(&info.code)
                        .map(|t| t.kind.as_str()),
                    scores,
                }
            })
        })
        .collect();
    let list = catalog.checklist(variant);
    match scope {
        Scope::Organisation(code) => {
            standing::of_organisation(list, &matrix.items, &members, code.as_str())
        }
        Scope::Prefecture(code) => {
            standing::of_prefecture(list, &matrix.items, &members, code.as_str())
        }
        _ => None,
    }
}

/// What the table of `view` counts this year, by the status of each sheet.
fn counting(roster: &Roster, view: &View, data: &YearData, basis: Basis) -> Counting {
    let matrix = data.matrix(view.info.variant);
    let answered: std::collections::HashSet<i32> = matrix
        .orgs
        .iter()
        .filter(|(_, scores)| scores.iter().any(|s| *s <= 3))
        .map(|(id, _)| *id)
        .collect();
    let mut counted = StatusTally::default();
    let mut excluded = StatusTally::default();
    let tally = |t: &mut StatusTally, status: Option<Status>| {
        t.total += 1;
        match status {
            None => t.imported += 1,
            Some(Status::Submitted) => t.submitted += 1,
            Some(Status::Accepted) => t.accepted += 1,
            Some(Status::Returned) => t.returned += 1,
            Some(Status::Draft | Status::NotStarted) => t.draft += 1,
        }
    };
    for (id, info) in &roster.orgs {
        if !view.includes(*id, info) {
            continue;
        }
        let sheet = data.sheets.get(id);
        let status = sheet.map(|s| s.status);
        if answered.contains(id) {
            tally(&mut counted, status);
        } else if let Some(sheet) = sheet {
            // A sheet the table leaves out: a draft never submitted, or
            // (official) anything not yet submitted once.
            if basis == Basis::Official && !sheet.submitted_once || basis == Basis::Provisional {
                tally(&mut excluded, status);
            }
        }
    }
    let label = counting_label(&counted, &excluded, basis);
    Counting {
        counted,
        excluded,
        label,
    }
}

/// 「集計対象：提出済・確認済 N 団体（入力中 M 団体は含まない）」 and its 速報 form.
fn counting_label(counted: &StatusTally, excluded: &StatusTally, basis: Basis) -> String {
    match basis {
        Basis::Official => {
            let sheets = counted.total - counted.imported;
            let head = match (sheets, counted.imported) {
                (_, 0) => format!("集計対象：提出済・確認済 {} 団体", counted.total),
                (0, n) => format!("集計対象：一括登録の確定値 {n} 団体"),
                (s, n) => format!("集計対象：提出済・確認済 {s} 団体と一括登録の確定値 {n} 団体"),
            };
            let mut notes = Vec::new();
            if counted.returned > 0 {
                notes.push(format!(
                    "差戻し中 {} 団体は前回提出の回答で集計",
                    counted.returned
                ));
            }
            if excluded.total > 0 {
                notes.push(format!("入力中 {} 団体は含まない", excluded.total));
            }
            if notes.is_empty() {
                head
            } else {
                format!("{head}（{}）", notes.join("。"))
            }
        }
        Basis::Provisional => format!(
            "速報（公式の集計ではありません）：入力中を含む {} 団体（提出済 {}・確認済 {}・差戻し中 {}・入力中 {}・一括登録 {}）",
            counted.total,
            counted.submitted,
            counted.accepted,
            counted.returned,
            counted.draft,
            counted.imported
        ),
    }
}

/// Which organisations a scope takes, checked against the roster.
struct View {
    info: ScopeInfo,
    filter: Filter,
}

enum Filter {
    Kind(&'static str),
    Prefecture(String),
    One(i32),
}

impl View {
    fn includes(&self, id: i32, info: &OrgInfo) -> bool {
        match &self.filter {
            Filter::Kind(kind) => info.kind == *kind,
            Filter::Prefecture(p) => {
                info.kind == "municipality" && info.prefecture_code.as_deref() == Some(p)
            }
            Filter::One(one) => id == *one,
        }
    }
}

fn resolve(roster: &Roster, scope: &Scope) -> AppResult<View> {
    let info = |code: Option<String>, name: String, variant| ScopeInfo {
        key: scope.key(),
        kind: scope.kind(),
        code,
        name,
        variant,
    };
    Ok(match scope {
        Scope::National => View {
            info: info(None, "全国（市区町村）".into(), Variant::Municipal),
            filter: Filter::Kind("municipality"),
        },
        Scope::Agencies => View {
            info: info(None, "国の行政機関等".into(), Variant::NationalAgency),
            filter: Filter::Kind("agency"),
        },
        Scope::Prefecture(code) => {
            let name = roster.prefecture_names.get(code.as_str()).ok_or_else(|| {
                AppError::NotFound(format!("都道府県コード {code} は登録されていません"))
            })?;
            View {
                info: info(Some(code.to_string()), name.clone(), Variant::Municipal),
                filter: Filter::Prefecture(code.to_string()),
            }
        }
        Scope::Organisation(code) => {
            let id = roster.by_code.get(code.as_str()).ok_or_else(|| {
                AppError::NotFound(format!("組織コード {code} は登録されていません"))
            })?;
            let org = roster
                .orgs
                .get(id)
                .ok_or_else(|| AppError::internal("roster index out of step"))?;
            let variant = org.variant.ok_or_else(|| {
                AppError::BadRequest(format!(
                    "{}（{}）は調査票に回答しない組織です（集計できるのは市区町村と国の行政機関等）",
                    org.name,
                    OrgCode::parse(&org.code).map_or(org.code.clone(), |c| c.to_string())
                ))
            })?;
            View {
                info: info(Some(org.code.clone()), org.name.clone(), variant),
                filter: Filter::One(*id),
            }
        }
    })
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
