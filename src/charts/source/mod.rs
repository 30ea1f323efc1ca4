//! Where the figures of a chart come from: the one seam between the charts
//! and the data.
//!
//! Every chart is built from the aggregation engine's tables
//! ([`Summary`], read through the engine's cache, so a chart is as fresh as
//! the table at `/stats/...`): the same exact values, the same fallback to
//! the published national figures (`checklists/published/`) for years
//! without answers, the same ranking. [`spec_for`] is what the CLI
//! (`tenken chart`) and the `/charts/...` routes call; [`spec_from`] takes
//! any source of tables (the unit tests feed it tables built by hand).
//!
//! One table carries a whole trend: its `history` holds the figures of every
//! earlier year with figures, so a trend up to a year needs one table per
//! series.
//!
//! Files: this one the request, the seam and the notes shared by every kind;
//! `trends.rs` (a) and (b), the figures over years; `bars.rs` (c) to (f),
//! the figures of one year, and the published shares.

mod bars;
mod trends;

pub use bars::published_shares;

use std::ops::Deref;
use std::sync::Arc;

use crate::checklists::{Catalog, Variant};
use crate::db::DbConnection;
use crate::domain::{FiscalYear, OrgCode};
use crate::error::{AppError, AppResult};
use crate::stats::{self, CachedSummary, Figure, Source, Summary};

use super::{ChartKind, ChartSpec, Scope};

/// What a user asks for: a kind, a year, whose figures, which item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartRequest {
    pub kind: ChartKind,
    /// The year of a one-year chart; the last year of a trend.
    pub year: FiscalYear,
    pub scope: Scope,
    pub item: Option<String>,
}

/// A chart's scope as people type it: `national` (or empty, or 全国),
/// `agencies`, `pref:130001` / `org:131016` as in `/stats/...`, or a bare
/// code: a prefecture's (`130001`, its municipalities) or an
/// organisation's (`131016`, `G0001`).
pub fn parse_scope(input: Option<&str>) -> AppResult<Scope> {
    let s = input.map(str::trim).unwrap_or("");
    if s.is_empty() || s == "national" || s == "全国" {
        return Ok(Scope::National);
    }
    if s == "agencies" || s.contains(':') {
        return Ok(Scope::parse(s)?);
    }
    match OrgCode::parse(s).map_err(|e| {
        AppError::BadRequest(format!(
            "--scope / scope は national、agencies、都道府県のコード（例 130001 か pref:130001）か団体のコード（例 131016 か org:131016）です: {e}"
        ))
    })? {
        OrgCode::LocalGovernment(lg) if lg.is_prefecture() => Ok(Scope::Prefecture(lg)),
        other => Ok(Scope::Organisation(other)),
    }
}

/// THE data seam: the figures of the requested chart, from the engine's
/// cached tables.
pub fn spec_for(
    conn: &mut DbConnection,
    catalog: &Catalog,
    cache: &stats::Cache,
    req: &ChartRequest,
) -> AppResult<ChartSpec> {
    spec_from(catalog, req, |scope, fy| {
        cache.summary(conn, catalog, scope, fy).map(Held)
    })
}

/// A cached table, seen as the table.
struct Held(Arc<CachedSummary>);

impl Deref for Held {
    type Target = Summary;
    fn deref(&self) -> &Summary {
        &self.0.summary
    }
}

/// The figures of the requested chart, from the tables `table(scope, year)`
/// gives.
pub fn spec_from<T, F>(catalog: &Catalog, req: &ChartRequest, table: F) -> AppResult<ChartSpec>
where
    T: Deref<Target = Summary>,
    F: FnMut(&Scope, FiscalYear) -> AppResult<T>,
{
    let mut tables = Tables { catalog, table };
    match req.kind {
        ChartKind::Overall => tables.overall(req).map(ChartSpec::Overall),
        ChartKind::Item => tables.item(req).map(ChartSpec::Item),
        ChartKind::Shares => tables.shares(req).map(ChartSpec::Shares),
        ChartKind::Ranking => tables.ranking(req).map(ChartSpec::Ranking),
        ChartKind::Goals => tables.goals(req).map(ChartSpec::Goals),
        ChartKind::Standing => tables.standing(req).map(ChartSpec::Standing),
    }
}

/// The note under every chart drawn from the published figures.
const PUBLISHED_NOTE: &str = "出典: 総務省 点検結果集計表（公表値）";

struct Tables<'a, F> {
    catalog: &'a Catalog,
    table: F,
}

/// One point of a trend, with where its figure comes from.
struct Point {
    year: FiscalYear,
    value: f64,
    source: Option<Source>,
}

impl<T, F> Tables<'_, F>
where
    T: Deref<Target = Summary>,
    F: FnMut(&Scope, FiscalYear) -> AppResult<T>,
{
    fn get(&mut self, scope: &Scope, fy: FiscalYear) -> AppResult<T> {
        (self.table)(scope, fy)
    }

    /// The table of the scope a subject is compared with (the nation of its
    /// checklist), if it has one.
    fn reference(
        &mut self,
        scope: &Scope,
        subject: &Summary,
        fy: FiscalYear,
    ) -> AppResult<Option<T>> {
        match reference_scope(scope, subject) {
            Some(r) => self.get(&r, fy).map(Some),
            None => Ok(None),
        }
    }
}

/// The nation a scope is compared with: the municipalities for a
/// prefecture or a municipality, the agencies for an agency.
fn reference_scope(scope: &Scope, subject: &Summary) -> Option<Scope> {
    match scope {
        Scope::National | Scope::Agencies => None,
        Scope::Prefecture(_) | Scope::Organisation(_) => Some(match subject.scope.variant {
            Variant::Municipal => Scope::National,
            Variant::NationalAgency => Scope::Agencies,
        }),
    }
}

/// The name in titles and legends: `全国`, `東京都`, `千代田区`.
fn label(s: &Summary) -> String {
    if s.scope.kind == "national" {
        "全国".into()
    } else {
        s.scope.name.clone()
    }
}

fn value(f: &Option<Figure>) -> Option<f64> {
    f.as_ref().map(|f| f.value)
}

/// `H15〜H17・H19`: runs of consecutive years.
fn year_list(years: impl Iterator<Item = FiscalYear>) -> String {
    let mut years: Vec<FiscalYear> = years.collect();
    years.sort();
    years.dedup();
    let mut runs: Vec<(FiscalYear, FiscalYear)> = Vec::new();
    for y in years {
        match runs.last_mut() {
            Some((_, last)) if last.year() + 1 == y.year() => *last = y,
            _ => runs.push((y, y)),
        }
    }
    runs.iter()
        .map(|(a, b)| {
            if a == b {
                a.short()
            } else {
                format!("{}〜{}", a.short(), b.short())
            }
        })
        .collect::<Vec<_>>()
        .join("・")
}

/// `出典: …` naming the answers and the published figures behind the
/// points, with their years when both are used.
fn source_note(points: impl Iterator<Item = (FiscalYear, Option<Source>)>) -> String {
    let points: Vec<(FiscalYear, Option<Source>)> = points.collect();
    let of = |source: Source| {
        year_list(
            points
                .iter()
                .filter(|(_, s)| *s == Some(source))
                .map(|(y, _)| *y),
        )
    };
    let (answers, published) = (of(Source::Answers), of(Source::Published));
    match (answers.is_empty(), published.is_empty()) {
        (false, true) => "出典: 登録された回答の集計".into(),
        (true, false) => PUBLISHED_NOTE.into(),
        _ => format!(
            "出典: 登録された回答の集計（{answers}）、総務省 点検結果集計表の公表値（{published}）"
        ),
    }
}

/// `出典: 登録された回答の集計（3団体）`.
/// When sheets of the workflow are involved, what the table counts:
/// `出典: 提出済・確認済の回答の集計（5団体。入力中の回答は含まない）`
/// (without the number of drafts, so that a draft leaves the chart and its
/// ETag as they were).
fn answers_note(s: &Summary) -> String {
    if let Some(c) = s
        .counting
        .as_ref()
        .filter(|c| c.counted.imported < c.counted.total || c.excluded.total > 0)
    {
        return if s.basis.is_provisional() {
            format!(
                "出典: 速報（入力中を含む {}団体、公式の集計ではありません）",
                c.counted.total
            )
        } else {
            format!(
                "出典: 提出済・確認済の回答の集計（{}団体。入力中の回答は含まない）",
                c.counted.total
            )
        };
    }
    match s.organisations {
        Some(n) => format!("出典: 登録された回答の集計（{n}団体）"),
        None => "出典: 登録された回答の集計".into(),
    }
}

fn nothing_up_to(s: &Summary, upto: FiscalYear) -> AppError {
    if s.scope.kind == "national" {
        AppError::NotFound(format!(
            "{}までの平均点の公表値も登録された回答もありません",
            upto
        ))
    } else {
        AppError::NotFound(format!(
            "{}の{}までの回答が登録されていません",
            s.scope.name, upto
        ))
    }
}

fn no_answers(s: &Summary, year: FiscalYear) -> AppError {
    AppError::NotFound(format!(
        "{}の{}の回答が登録されていません",
        s.scope.name, year
    ))
}

fn levels(catalog: &Catalog) -> [String; 3] {
    let level = |v: u8| format!("{v} {}", catalog.scale.label(v));
    [level(3), level(2), level(1)]
}
