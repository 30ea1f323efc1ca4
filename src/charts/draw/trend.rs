//! (a) and (b): averages over years, as lines, the subject's values printed.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::super::{colors, ItemTrend, OverallTrend, TrendSeries};
use super::frame::{box_key, frame, line_key, series_color, shorten, year_label, Key, GRID};
use super::{average_range, colored, fixed, range_text, text, DrawResult, SCALE_DESC};
use crate::domain::FiscalYear;

fn trend_keys(series: &[TrendSeries], marks: bool) -> Vec<Key> {
    let mut keys: Vec<Key> = series
        .iter()
        .enumerate()
        .map(|(i, s)| line_key(s.label.clone(), series_color(i)))
        .collect();
    if marks {
        keys.push(box_key("重要点検項目の年度", colors::PRIORITY));
    }
    keys
}

/// (a) and (b): lines of averages over years, the subject's values printed.
fn trend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    series: &[TrendSeries],
    range: (f64, f64),
    marks: &[FiscalYear],
    decimals: usize,
) -> DrawResult<DB> {
    let (first, last) = year_span(series);
    let x = (f64::from(first) - 0.5)..(f64::from(last) + 0.5);
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(48)
        .y_label_area_size(78)
        .build_cartesian_2d(x, range.0..range.1)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .x_labels((last - first + 1).clamp(2, 24) as usize)
        .y_labels(8)
        .x_label_formatter(&year_label)
        .y_label_formatter(&|v| format!("{v:.2}"))
        .x_desc("年度")
        .y_desc(SCALE_DESC)
        .label_style(text(14.0))
        .axis_desc_style(text(14.0))
        .draw()?;

    chart.draw_series(marked_years(marks, first, last).map(|y| {
        Rectangle::new(
            [(y - 0.42, range.0), (y + 0.42, range.1)],
            colors::PRIORITY.filled(),
        )
    }))?;
    for (i, s) in series.iter().enumerate().rev() {
        let color = series_color(i);
        let points: Vec<(f64, f64)> = s
            .points
            .iter()
            .map(|(fy, v)| (f64::from(fy.year()), *v))
            .collect();
        chart.draw_series(LineSeries::new(points.clone(), color.stroke_width(3)))?;
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 5, color.filled())))?;
        if i == 0 {
            chart.draw_series(points.iter().map(|&(x, v)| {
                EmptyElement::at((x, v))
                    + Text::new(
                        fixed(v, decimals),
                        (0, -10),
                        colored(13.0, color).pos(Pos::new(HPos::Center, VPos::Bottom)),
                    )
            }))?;
        }
    }
    Ok(())
}

fn year_span(series: &[TrendSeries]) -> (i32, i32) {
    let years = series
        .iter()
        .flat_map(|s| s.points.iter().map(|(fy, _)| fy.year()));
    let first = years.clone().min().unwrap_or(2003);
    (first, years.max().unwrap_or(first))
}

fn marked_years(marks: &[FiscalYear], first: i32, last: i32) -> impl Iterator<Item = f64> + '_ {
    marks
        .iter()
        .map(|fy| fy.year())
        .filter(move |y| (first..=last).contains(y))
        .map(f64::from)
}

fn all_values(series: &[TrendSeries]) -> impl Iterator<Item = f64> + '_ {
    series.iter().flat_map(|s| s.points.iter().map(|(_, v)| *v))
}

pub(super) fn overall<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    t: &OverallTrend,
) -> DrawResult<DB> {
    let range = average_range(all_values(&t.series));
    let keys = trend_keys(&t.series, false);
    let area = frame(root, title, &[range_text(range)], &keys, &t.note)?;
    trend(&area, &t.series, range, &[], 2)
}

pub(super) fn item<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    t: &ItemTrend,
) -> DrawResult<DB> {
    let range = average_range(all_values(&t.series));
    let (first, last) = year_span(&t.series);
    let marked = marked_years(&t.priority.years, first, last)
        .next()
        .is_some();
    let keys = trend_keys(&t.series, marked);
    let lines = [shorten(&t.text, 56), range_text(range)];
    let area = frame(root, title, &lines, &keys, &t.note)?;
    trend(&area, &t.series, range, &t.priority.years, 3)
}
