//! Feeding the engine from the database, with a cache that is always
//! checked against it.
//!
//! The answers of a fiscal year are read once into a dense matrix
//! (organisations × items, one byte per answer: 1,741 × 126 bytes a year)
//! and kept with the generation counter of that year (`stats_generations`,
//! bumped by every write of answers in the writer's transaction). A
//! computed table is kept with the counters of every year it used. A
//! request reads those counters — one small SELECT — and reuses the table
//! when none moved; otherwise only the years whose counter moved are read
//! again. Several instances behind one PostgreSQL thus never serve a table
//! older than the last committed write.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use diesel::prelude::*;

use super::engine::{self, OrgAnswers, RankBy, YearAnswers, MISSING};
use super::model::{Basis, Counting, ScopeInfo, StatusTally, Summary};
use super::scope::Scope;
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

/// The answers of one variant in one year: a row of scores per organisation.
#[derive(Debug, Default)]
struct Matrix {
    items: Vec<String>,
    orgs: Vec<(i32, Vec<u8>)>,
}

/// How an organisation's sheet of the year stands, for the counts of what a
/// table counts. No entry: no sheet (results loaded in bulk, or nothing).
#[derive(Debug, Clone, Copy)]
struct SheetState {
    status: Status,
    /// Whether a submitted snapshot exists (counted by the official table).
    submitted_once: bool,
}

#[derive(Debug)]
struct YearData {
    generation: i64,
    municipal: Matrix,
    agency: Matrix,
    /// The 重要機能室 answer (and any other condition) per organisation,
    /// as the counted answers were given.
    conditions: HashMap<i32, BTreeMap<String, bool>>,
    sheets: HashMap<i32, SheetState>,
}

impl YearData {
    fn matrix(&self, variant: Variant) -> &Matrix {
        match variant {
            Variant::Municipal => &self.municipal,
            Variant::NationalAgency => &self.agency,
        }
    }

    /// Reads the year as `basis` counts it; `None` when an answer names an
    /// organisation missing from `roster` (the roster is then read again).
    ///
    /// Official: the answers of organisations without a sheet (loaded in
    /// bulk) and the last submitted snapshot of every sheet. Provisional:
    /// every stored answer, drafts included.
    fn load(
        conn: &mut DbConnection,
        catalog: &Catalog,
        roster: &Roster,
        fy: FiscalYear,
        basis: Basis,
        generation: i64,
    ) -> AppResult<Option<Self>> {
        let subs = submissions::of_year(conn, fy)?;
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
        type Scores = Vec<(i32, String, i32)>;
        let (answers, conditions): (Scores, HashMap<i32, Option<bool>>) = match basis {
            Basis::Provisional => (
                a::table
                    .filter(a::fiscal_year.eq(fy.year()))
                    .select((a::organisation_id, a::item_code, a::score))
                    .load(conn)?,
                subs.iter()
                    .map(|(org, sub)| (*org, sub.has_critical_room))
                    .collect(),
            ),
            Basis::Official => {
                let mut rows: Vec<(i32, String, i32)> = a::table
                    .filter(a::fiscal_year.eq(fy.year()))
                    .select((a::organisation_id, a::item_code, a::score))
                    .load::<(i32, String, i32)>(conn)?
                    .into_iter()
                    .filter(|(org, _, _)| !subs.contains_key(org))
                    .collect();
                rows.extend(snapshots::counted_scores(conn, fy)?);
                (rows, snapshots::counted_conditions(conn, fy)?)
            }
        };
        let conditions = conditions
            .into_iter()
            .map(|(org, room)| (org, crate::workflow::conditions(room)))
            .collect();
        let columns = |v: Variant| -> (Vec<String>, HashMap<String, usize>) {
            let items: Vec<String> = catalog
                .checklist(v)
                .items_in(fy)
                .map(|i| i.code.clone())
                .collect();
            let index = items
                .iter()
                .enumerate()
                .map(|(i, c)| (c.clone(), i))
                .collect();
            (items, index)
        };
        let (m_items, m_index) = columns(Variant::Municipal);
        let (g_items, g_index) = columns(Variant::NationalAgency);
        let mut rows: [HashMap<i32, Vec<u8>>; 2] = [HashMap::new(), HashMap::new()];
        for (org, item, score) in answers {
            let Some(info) = roster.orgs.get(&org) else {
                return Ok(None);
            };
            let (slot, index, width) = match info.variant {
                Some(Variant::Municipal) => (0, &m_index, m_items.len()),
                Some(Variant::NationalAgency) => (1, &g_index, g_items.len()),
                None => continue,
            };
            if let (Some(col), Ok(s)) = (index.get(&item), u8::try_from(score)) {
                rows[slot]
                    .entry(org)
                    .or_insert_with(|| vec![MISSING; width])[*col] = s;
            }
        }
        let [m_rows, g_rows] = rows;
        let matrix = |items: Vec<String>, rows: HashMap<i32, Vec<u8>>| {
            let mut orgs: Vec<(i32, Vec<u8>)> = rows.into_iter().collect();
            orgs.sort_by_key(|(id, _)| *id);
            Matrix { items, orgs }
        };
        Ok(Some(Self {
            generation,
            municipal: matrix(m_items, m_rows),
            agency: matrix(g_items, g_rows),
            conditions,
            sheets,
        }))
    }
}

/// A computed table with the counters it was computed at.
#[derive(Debug)]
pub struct CachedSummary {
    generations: Vec<(i32, i64)>,
    pub summary: Summary,
    json: OnceLock<String>,
}

impl CachedSummary {
    /// The table as JSON, serialised once.
    pub fn json(&self) -> AppResult<&str> {
        if let Some(j) = self.json.get() {
            return Ok(j);
        }
        let text = serde_json::to_string(&self.summary)
            .map_err(|e| AppError::Internal(format!("summary to JSON: {e}")))?;
        Ok(self.json.get_or_init(|| text))
    }
}

#[derive(Default)]
struct Loaded {
    roster: Option<(i64, Arc<Roster>)>,
    years: HashMap<(i32, Basis), Arc<YearData>>,
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
    /// table and the 速報 are kept apart), computed or reused.
    pub fn summary_of(
        &self,
        conn: &mut DbConnection,
        catalog: &Catalog,
        scope: &Scope,
        fy: FiscalYear,
        basis: Basis,
    ) -> AppResult<Arc<CachedSummary>> {
        let key = (scope.key(), fy.year(), basis);
        let gens = generations::up_to(conn, fy.year())?;
        if let Some(hit) = lock(&self.tables).get(&key) {
            if hit.generations == gens {
                return Ok(hit.clone());
            }
        }
        let mut loaded = lock(&self.loaded);
        let computed = conn.transaction(|conn| {
            // Counters first, then the rows: rows newer than their counter
            // only cause one more reload later, never a stale table.
            let gens = generations::up_to(conn, fy.year())?;
            let summary = compute(conn, catalog, &mut loaded, &gens, scope, fy, basis)?;
            Ok::<_, AppError>(Arc::new(CachedSummary {
                generations: gens,
                summary,
                json: OnceLock::new(),
            }))
        })?;
        drop(loaded);
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

fn generation_of(gens: &[(i32, i64)], year: i32) -> i64 {
    gens.iter().find(|(y, _)| *y == year).map_or(0, |(_, g)| *g)
}

fn compute(
    conn: &mut DbConnection,
    catalog: &Catalog,
    loaded: &mut Loaded,
    gens: &[(i32, i64)],
    scope: &Scope,
    fy: FiscalYear,
    basis: Basis,
) -> AppResult<Summary> {
    let first = catalog
        .checklists()
        .iter()
        .map(|c| c.first_year.year())
        .min()
        .unwrap_or(fy.year());
    let roster_gen = generation_of(gens, generations::ROSTER);
    let stale_roster = !matches!(&loaded.roster, Some((g, _)) if *g == roster_gen);
    let stale_years: Vec<i32> = (first..=fy.year())
        .filter(|y| {
            loaded
                .years
                .get(&(*y, basis))
                .is_none_or(|d| d.generation != generation_of(gens, *y))
        })
        .collect();
    if stale_roster || !stale_years.is_empty() {
        // New answers may come from organisations added since.
        loaded.roster = Some((roster_gen, Arc::new(Roster::load(conn)?)));
    }
    let roster = loaded
        .roster
        .as_ref()
        .map(|(_, r)| r.clone())
        .ok_or_else(|| AppError::Internal("roster not loaded".into()))?;
    for y in stale_years {
        let year = FiscalYear::new(y)?;
        let data = YearData::load(conn, catalog, &roster, year, basis, generation_of(gens, y))?
            .ok_or_else(|| {
                AppError::Internal(format!("answers of {y} name an organisation not read"))
            })?;
        loaded.years.insert((y, basis), Arc::new(data));
    }
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
    if summary.source == Some(super::model::Source::Answers) {
        if let Some(data) = loaded.years.get(&(fy.year(), basis)) {
            summary.counting = Some(counting(&roster, &view, data, basis));
        }
    }
    Ok(summary)
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
                .ok_or_else(|| AppError::Internal("roster index out of step".into()))?;
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
    use crate::db::schema::stats_generations as g;
    let written: Option<i32> = g::table
        .filter(g::fiscal_year.gt(generations::ROSTER))
        .select(diesel::dsl::max(g::fiscal_year))
        .first(conn)?;
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
/// figures, years with answers written (a generation counter), and years
/// with a round of either variant. Year navigation offers only these, and a
/// table of any other year does not exist (404).
pub fn known_years(
    conn: &mut DbConnection,
    catalog: &Catalog,
) -> AppResult<std::collections::BTreeSet<FiscalYear>> {
    use crate::db::schema::{fiscal_rounds as r, stats_generations as g};
    let written: Vec<i32> = g::table
        .filter(g::fiscal_year.gt(generations::ROSTER))
        .select(g::fiscal_year)
        .load(conn)?;
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
