//! (a) and (b): the figures of a trend, one table per series, each table's
//! `history` holding the earlier years.

use std::ops::Deref;

use super::super::{ItemTrend, OverallTrend, PriorityMarks, Scope, TrendSeries};
use super::{label, nothing_up_to, source_note, value, year_list, ChartRequest, Point, Tables};
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::stats::{Figure, HistoryCell, Source, Summary};

impl<T, F> Tables<'_, F>
where
    T: Deref<Target = Summary>,
    F: FnMut(&Scope, FiscalYear) -> AppResult<T>,
{
    /// (a) The 総平均点 per year up to `req.year`; a prefecture or an
    /// organisation against the nation.
    pub(super) fn overall(&mut self, req: &ChartRequest) -> AppResult<OverallTrend> {
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
    pub(super) fn item(&mut self, req: &ChartRequest) -> AppResult<ItemTrend> {
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
}

/// The earlier years' cells and this year's figure, where there is one.
pub(super) fn points(
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

pub(super) fn overall_points(s: &Summary) -> Vec<Point> {
    points(&s.overall.history, &s.overall.average, s.overall.source, s)
}

/// `None` when the item is not in the table's year.
pub(super) fn item_points(s: &Summary, code: &str) -> Option<Vec<Point>> {
    let row = s.item(code)?;
    Some(points(&row.history, &row.average, row.source, s))
}

pub(super) fn series(label: String, points: &[Point]) -> TrendSeries {
    TrendSeries {
        label,
        points: points.iter().map(|p| (p.year, p.value)).collect(),
    }
}
