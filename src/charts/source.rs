//! Where the figures of a chart come from: the one seam between the charts
//! and the data.
//!
//! Today [`spec_for`] reads the published national figures of the catalog
//! (`checklists/published/`): per-item national averages FY2003–FY2007 and
//! the FY2007 answer shares. Charts of a prefecture or an organisation need
//! the platform's own answers; until the aggregation engine feeds this
//! function they are refused with a plain message. To switch, replace the
//! body of [`spec_for`] (it may take a database connection then) and keep
//! its callers: the CLI (`tenken chart`) and the `/charts/...` routes.

use crate::checklists::{Catalog, Variant};
use crate::domain::{FiscalYear, LgCode, OrgCode};
use crate::error::{AppError, AppResult};

use super::{ChartKind, ChartSpec, ItemTrend, OverallTrend, PriorityMarks, ShareBars, TrendSeries};

/// Whose figures a chart shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    National,
    Prefecture(LgCode),
    Organisation(OrgCode),
}

impl Scope {
    /// `national` (or empty, or 全国), a prefecture's code (`130001`) or an
    /// organisation's code (`131016`, `G0001`).
    pub fn parse(input: Option<&str>) -> AppResult<Self> {
        let s = input.map(str::trim).unwrap_or("");
        if s.is_empty() || s == "national" || s == "全国" {
            return Ok(Scope::National);
        }
        match OrgCode::parse(s).map_err(|e| {
            AppError::BadRequest(format!(
                "--scope / scope は national、都道府県のコード（例 130001）か団体のコードです: {e}"
            ))
        })? {
            OrgCode::LocalGovernment(lg) if lg.is_prefecture() => Ok(Scope::Prefecture(lg)),
            other => Ok(Scope::Organisation(other)),
        }
    }
}

/// What a user asks for: a kind, a year, whose figures, which item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartRequest {
    pub kind: ChartKind,
    pub year: FiscalYear,
    pub scope: Scope,
    pub item: Option<String>,
}

/// The note under every chart drawn from the published figures.
const PUBLISHED_NOTE: &str = "出典: 総務省 点検結果集計表（公表値）";

/// THE data seam: the figures of the requested chart.
pub fn spec_for(catalog: &Catalog, req: &ChartRequest) -> AppResult<ChartSpec> {
    match (req.kind, &req.scope) {
        (ChartKind::Overall, Scope::National) => overall(catalog, req.year).map(ChartSpec::Overall),
        (ChartKind::Item, Scope::National) => {
            let item = req.item.as_deref().ok_or_else(|| {
                AppError::BadRequest("小項目のグラフには --item / item（例 18-1）が要ります".into())
            })?;
            item_trend(catalog, item, req.year).map(ChartSpec::Item)
        }
        (ChartKind::Shares, Scope::National) => shares(catalog, req.year).map(ChartSpec::Shares),
        (kind, _) => Err(AppError::NotFound(format!(
            "このグラフ（{}）には都道府県・団体ごとの回答の集計が必要です。今描けるのは公表された全国の数値のグラフ（overall・item・shares、scope は national）だけです",
            kind.as_str()
        ))),
    }
}

/// The latest year of the published figures: the default year of charts.
pub fn latest_year(catalog: &Catalog) -> Option<FiscalYear> {
    catalog.published.years().last().copied()
}

fn no_data(what: &str, year: FiscalYear) -> AppError {
    AppError::NotFound(format!("{}までの{what}の公表値がありません", year.wareki()))
}

/// The published years up to `upto` that have a figure, with it.
fn published_points(
    catalog: &Catalog,
    upto: FiscalYear,
    figure: impl Fn(FiscalYear) -> Option<f64>,
) -> Vec<(FiscalYear, f64)> {
    catalog
        .published
        .years()
        .into_iter()
        .filter(|fy| *fy <= upto)
        .filter_map(|fy| figure(fy).map(|v| (fy, v)))
        .collect()
}

/// The one series of a national chart.
fn national(points: Vec<(FiscalYear, f64)>) -> Vec<TrendSeries> {
    vec![TrendSeries {
        label: "全国".into(),
        points,
    }]
}

/// (a) national: the mean of the published item averages of each year up to
/// `upto` (each item weighs the same; the published 総平均点 weighs answers).
pub fn overall(catalog: &Catalog, upto: FiscalYear) -> AppResult<OverallTrend> {
    let points = published_points(catalog, upto, |fy| {
        let values: Vec<f64> = catalog
            .published
            .items
            .values()
            .filter(|f| f.fiscal_year == fy)
            .map(|f| f.average)
            .collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    });
    if points.is_empty() {
        return Err(no_data("平均点", upto));
    }
    Ok(OverallTrend {
        scope: "全国".into(),
        series: national(points),
        note: format!("{PUBLISHED_NOTE}。各年度の小項目別全国平均点の単純平均"),
    })
}

/// (b) national: one item's published average per year up to `upto`, with
/// the years it was a 重要点検項目.
pub fn item_trend(catalog: &Catalog, code: &str, upto: FiscalYear) -> AppResult<ItemTrend> {
    let item = catalog.municipal.item(code.trim()).ok_or_else(|| {
        AppError::NotFound(format!(
            "小項目「{code}」は市区町村版の調査票にありません（例 18-1）"
        ))
    })?;
    let points = published_points(catalog, upto, |fy| {
        catalog.published.figure(&item.code, fy).map(|f| f.average)
    });
    if points.is_empty() {
        return Err(no_data(&format!("小項目 {} の平均点", item.code), upto));
    }
    Ok(ItemTrend {
        item: item.code.clone(),
        text: item.text_in(upto).to_string(),
        scope: "全国".into(),
        series: national(points),
        priority: PriorityMarks {
            years: catalog
                .priorities
                .years_of(Variant::Municipal, &item.code, upto),
        },
        note: PUBLISHED_NOTE.into(),
    })
}

/// (c) national: per 大分類, the mean of the published shares of 3 / 2 / 1 of
/// its items in `year`.
pub fn shares(catalog: &Catalog, year: FiscalYear) -> AppResult<ShareBars> {
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
        let mean = |k: usize| shares.iter().map(|s| s[k]).sum::<f64>() / n;
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
            .map(|f| f.fiscal_year.wareki())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        return Err(AppError::NotFound(format!(
            "{}の回答割合は公表値にありません（公表値があるのは {}）",
            year.wareki(),
            with_shares.join("、")
        )));
    }
    let level = |v: u8| format!("{v} {}", catalog.scale.label(v));
    Ok(ShareBars {
        year,
        scope: "全国".into(),
        levels: [level(3), level(2), level(1)],
        majors,
        note: format!("{PUBLISHED_NOTE}。大分類ごとに小項目の回答割合を単純平均"),
    })
}
