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

use std::ops::Deref;
use std::sync::Arc;

use crate::checklists::{Catalog, Variant};
use crate::db::DbConnection;
use crate::domain::{FiscalYear, OrgCode};
use crate::error::{AppError, AppResult};
use crate::stats::{self, exact, CachedSummary, Exact, Figure, HistoryCell, Source, Summary};

use super::{
    ChartKind, ChartSpec, GoalComparison, ItemTrend, OverallTrend, PriorityMarks, RankEntry,
    Ranking, Scope, ShareBars, StandingComparison, TrendSeries,
};

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

    /// (a) The 総平均点 per year up to `req.year`; a prefecture or an
    /// organisation against the nation.
    fn overall(&mut self, req: &ChartRequest) -> AppResult<OverallTrend> {
        let subject = self.get(&req.scope, req.year)?;
        let points = overall_points(&subject);
        if points.is_empty() {
            return Err(nothing_up_to(&subject, req.year));
        }
        let mut all: Vec<&Point> = points.iter().collect();
        let mut series = vec![series(label(&subject), &points)];
        let reference = self.reference(&req.scope, &subject, req.year)?;
        let ref_points = reference.as_deref().map(overall_points);
        if let (Some(r), Some(points)) = (&reference, &ref_points) {
            all.extend(points.iter());
            series.push(self::series(label(r), points));
        }
        let published_overall = year_list(
            all.iter()
                .filter(|p| p.source == Some(Source::Published))
                .filter(|p| self.catalog.published.overall.contains_key(&p.year))
                .map(|p| p.year),
        );
        let mut note = format!(
            "{}。総平均点は小項目の平均点の単純平均",
            source_note(all.iter().map(|p| (p.year, p.source)))
        );
        if !published_overall.is_empty() {
            note.push_str(&format!("（{published_overall} は公表された総平均点）"));
        }
        Ok(OverallTrend {
            scope: label(&subject),
            series,
            note,
        })
    }

    /// (b) One sub-item's average per year up to `req.year`, with the years
    /// it was a 重要点検項目; a prefecture or organisation against the nation.
    fn item(&mut self, req: &ChartRequest) -> AppResult<ItemTrend> {
        let code = req.item.as_deref().map(str::trim).ok_or_else(|| {
            AppError::BadRequest("小項目のグラフには --item / item（例 18-1）が要ります".into())
        })?;
        let subject = self.get(&req.scope, req.year)?;
        let variant = subject.scope.variant;
        let list = self.catalog.checklist(variant);
        let item = list.item(code).ok_or_else(|| {
            AppError::NotFound(format!(
                "小項目「{code}」は{}の調査票にありません（例 18-1）",
                list.name
            ))
        })?;
        let not_asked = || {
            AppError::NotFound(format!(
                "小項目 {} は{}の調査票にありません",
                item.code, req.year
            ))
        };
        let points = item_points(&subject, &item.code).ok_or_else(not_asked)?;
        if points.is_empty() {
            return Err(nothing_up_to(&subject, req.year));
        }
        let mut all: Vec<(FiscalYear, Option<Source>)> =
            points.iter().map(|p| (p.year, p.source)).collect();
        let mut series = vec![series(label(&subject), &points)];
        if let Some(r) = self.reference(&req.scope, &subject, req.year)? {
            let points = item_points(&r, &item.code).unwrap_or_default();
            all.extend(points.iter().map(|p| (p.year, p.source)));
            series.push(self::series(label(&r), &points));
        }
        Ok(ItemTrend {
            item: item.code.clone(),
            text: item.text_in(req.year).to_string(),
            scope: label(&subject),
            series,
            priority: PriorityMarks {
                years: self
                    .catalog
                    .priorities
                    .years_of(variant, &item.code, req.year),
            },
            note: source_note(all.into_iter()),
        })
    }

    /// (c) Shares of 3 / 2 / 1 per 大分類 in one year: the answers of all
    /// the 大分類's sub-items pooled (each answer weighs the same). A
    /// national year without answers keeps the published shares.
    fn shares(&mut self, req: &ChartRequest) -> AppResult<ShareBars> {
        let s = self.get(&req.scope, req.year)?;
        match s.source {
            Some(Source::Answers) => {}
            _ if req.scope == Scope::National => return published_shares(self.catalog, req.year),
            _ => return Err(no_answers(&s, req.year)),
        }
        let mut majors = Vec::new();
        for major in &s.majors {
            let [mut three, mut two, mut one] = [0_u64; 3];
            for c in major
                .goals
                .iter()
                .flat_map(|g| g.items.iter())
                .filter_map(|i| i.counts)
            {
                three += c.three;
                two += c.two;
                one += c.one;
            }
            let respondents = (three + two + one) as i64;
            let share = |n: u64| {
                Exact::ratio(n as i64 * 100, respondents).map(|e| e.figure(exact::SHARE_DECIMALS))
            };
            if let (Some(a), Some(b), Some(c)) = (share(three), share(two), share(one)) {
                majors.push((
                    format!("{} {}", major.no, major.name),
                    [a.value, b.value, c.value],
                ));
            }
        }
        Ok(ShareBars {
            year: req.year,
            scope: label(&s),
            levels: levels(self.catalog),
            majors,
            note: format!(
                "{}。大分類ごとに全小項目の回答数を合算した割合",
                answers_note(&s)
            ),
        })
    }

    /// (d) The members of a scope ranked by overall average, as the engine
    /// ranks them: the prefectures of the nation, the municipalities of a
    /// prefecture, the national agencies.
    fn ranking(&mut self, req: &ChartRequest) -> AppResult<Ranking> {
        if let Scope::Organisation(code) = &req.scope {
            return Err(AppError::BadRequest(format!(
                "順位のグラフは national（都道府県の順位）、都道府県（例 130001: その市区町村の順位）か agencies（国の行政機関等の順位）について描きます。{code} は 1 団体です"
            )));
        }
        let s = self.get(&req.scope, req.year)?;
        let ranking = s
            .ranking
            .as_ref()
            .filter(|r| !r.rows.is_empty())
            .ok_or_else(|| no_answers(&s, req.year))?;
        let unit = match ranking.kind {
            "prefectures" => "都道府県",
            "municipalities" => "市区町村",
            _ => "機関",
        };
        Ok(Ranking {
            year: req.year,
            scope: label(&s),
            unit: unit.into(),
            entries: ranking
                .rows
                .iter()
                .map(|r| RankEntry {
                    rank: r.rank,
                    name: r.name.clone(),
                    average: r.average.value,
                })
                .collect(),
            reference: s.overall.average.as_ref().map(|a| (label(&s), a.value)),
            note: format!("{}。総平均点は小項目の平均点の単純平均", answers_note(&s)),
        })
    }

    /// (e) The goal averages of one organisation (or of a prefecture's
    /// municipalities) against the nation's (the agencies' for an agency).
    fn goals(&mut self, req: &ChartRequest) -> AppResult<GoalComparison> {
        if matches!(req.scope, Scope::National | Scope::Agencies) {
            return Err(AppError::BadRequest(
                "管理目標別の比較には団体か都道府県の scope が要ります（例 scope=131016、scope=130001）".into(),
            ));
        }
        let s = self.get(&req.scope, req.year)?;
        if s.source != Some(Source::Answers) {
            return Err(no_answers(&s, req.year));
        }
        let reference = self
            .reference(&req.scope, &s, req.year)?
            .ok_or_else(|| AppError::internal("no reference scope"))?;
        let goal_values = |t: &Summary| -> Vec<(u32, Option<f64>)> {
            t.majors
                .iter()
                .flat_map(|m| m.goals.iter())
                .map(|g| (g.no, value(&g.average)))
                .collect()
        };
        let theirs = goal_values(&reference);
        let goals = goal_values(&s)
            .into_iter()
            .filter_map(|(no, own)| {
                let r = theirs
                    .iter()
                    .find(|(n, _)| *n == no)
                    .and_then(|(_, v)| *v)?;
                Some((no, own, r))
            })
            .collect();
        Ok(GoalComparison {
            year: req.year,
            organisation: label(&s),
            reference: label(&reference),
            goals,
            note: format!(
                "{}。管理目標の平均点は小項目の平均点の単純平均",
                source_note([(req.year, s.source), (req.year, reference.source)].into_iter())
            ),
        })
    }
}

impl<T, F> Tables<'_, F>
where
    T: Deref<Target = Summary>,
    F: FnMut(&Scope, FiscalYear) -> AppResult<T>,
{
    /// (f) One organisation's 大分類 averages against its prefecture's, its
    /// type's and the nation's, from the `standing` of its table.
    fn standing(&mut self, req: &ChartRequest) -> AppResult<StandingComparison> {
        if !matches!(req.scope, Scope::Organisation(_)) {
            return Err(AppError::BadRequest(
                "偏差値の比較には団体の scope が要ります（例 scope=131016）".into(),
            ));
        }
        let s = self.get(&req.scope, req.year)?;
        if s.source != Some(Source::Answers) {
            return Err(no_answers(&s, req.year));
        }
        let standing = s.standing.as_ref().ok_or_else(|| {
            AppError::NotFound(format!(
                "{}の{}の偏差値を出す回答がありません",
                label(&s),
                req.year
            ))
        })?;
        let prefecture = s
            .scope
            .code
            .as_deref()
            .and_then(|c| self.catalog.municipality_types.get(c))
            .map(|t| t.prefecture.clone())
            .unwrap_or_else(|| "都道府県".into());
        let type_name = standing
            .kind
            .as_ref()
            .map_or_else(|| "同類型".to_string(), |k| k.name.clone());
        let majors = standing
            .majors
            .iter()
            .map(|m| {
                (
                    m.no.clone(),
                    value(&m.average),
                    [
                        value(&m.prefecture_average),
                        value(&m.type_average),
                        value(&m.national_average),
                    ],
                    m.deviation.as_ref().map(|d| d.printed.clone()),
                )
            })
            .collect();
        Ok(StandingComparison {
            year: req.year,
            organisation: label(&s),
            groups: [prefecture, type_name, "全国".into()],
            majors,
            note: "大分類の平均点は小項目の平均点の単純平均。偏差値は全国の団体の中での値（50 + 10 ×（平均点 − 全国の団体の平均）÷ 標準偏差）".into(),
        })
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

/// The earlier years' cells and this year's figure, where there is one.
fn points(
    history: &[HistoryCell],
    now: &Option<Figure>,
    now_source: Option<Source>,
    s: &Summary,
) -> Vec<Point> {
    let mut out: Vec<Point> = history
        .iter()
        .filter_map(|c| {
            Some(Point {
                year: FiscalYear::new(c.fiscal_year).ok()?,
                value: value(&c.average)?,
                source: c.source,
            })
        })
        .collect();
    if let (Some(v), Ok(year)) = (value(now), FiscalYear::new(s.fiscal_year)) {
        out.push(Point {
            year,
            value: v,
            source: now_source,
        });
    }
    out
}

fn overall_points(s: &Summary) -> Vec<Point> {
    points(&s.overall.history, &s.overall.average, s.overall.source, s)
}

/// `None` when the item is not in the table's year.
fn item_points(s: &Summary, code: &str) -> Option<Vec<Point>> {
    let row = s.item(code)?;
    Some(points(&row.history, &row.average, row.source, s))
}

fn series(label: String, points: &[Point]) -> TrendSeries {
    TrendSeries {
        label,
        points: points.iter().map(|p| (p.year, p.value)).collect(),
    }
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

/// (c) for a national year without answers: per 大分類, the mean of the
/// published shares of 3 / 2 / 1 of its items (the published tables give
/// shares per item, not the counts behind them).
pub fn published_shares(catalog: &Catalog, year: FiscalYear) -> AppResult<ShareBars> {
    let checklist = &catalog.municipal;
    let mut majors = Vec::new();
    for major in checklist.majors() {
        let shares: Vec<[f64; 3]> = checklist
            .items_in(year)
            .filter(|i| {
                checklist
                    .goal(i.goal_no)
                    .is_some_and(|g| g.major() == major.no)
            })
            .filter_map(|i| {
                catalog
                    .published
                    .figure(&i.code, year)
                    .and_then(|f| f.shares)
            })
            .collect();
        if shares.is_empty() {
            continue;
        }
        let n = shares.len() as f64;
        let mean = |k: usize| shares.iter().filter_map(|s| s.get(k)).sum::<f64>() / n;
        majors.push((
            format!("{} {}", major.no, major.name),
            [mean(0), mean(1), mean(2)],
        ));
    }
    if majors.is_empty() {
        let with_shares: Vec<String> = catalog
            .published
            .items
            .values()
            .filter(|f| f.shares.is_some())
            .map(|f| f.fiscal_year.to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        return Err(AppError::NotFound(format!(
            "{}の回答割合は公表値にありません（公表値があるのは {}）",
            year,
            with_shares.join("、")
        )));
    }
    Ok(ShareBars {
        year,
        scope: "全国".into(),
        levels: levels(catalog),
        majors,
        note: format!("{PUBLISHED_NOTE}。大分類ごとに小項目の回答割合を単純平均"),
    })
}
