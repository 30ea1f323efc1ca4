//! Drawing each kind of chart on any plotters backend.
//!
//! Categories (years, 大分類, prefectures, goals) sit at whole numbers of an
//! f64 axis, each owning the band ±0.5 around it; tick labels are printed
//! only at whole numbers. Averages get a y axis that fits the data
//! ([`average_range`]), stated in the subtitle.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::colors;
use super::font::FAMILY;
use super::{
    ChartSpec, GoalComparison, ItemTrend, OverallTrend, Ranking, ShareBars, StandingComparison,
    TrendSeries,
};
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// What the y axis of averages measures.
pub const SCALE_DESC: &str = "評価点（1〜3、3が満点）";
const GREY: RGBColor = RGBColor(0x55, 0x55, 0x55);
const TOP: f64 = 3.05;

/// The y range of a chart of averages: from a little under the lowest value
/// (rounded down to 0.05) to 3.05, within [1, 3.05], at least 0.1 high.
pub fn average_range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let min = values.into_iter().fold(3.0_f64, f64::min).max(1.0);
    let lo = ((min - 0.05) * 20.0 + 1e-9).floor() / 20.0;
    (lo.clamp(1.0, 2.95), TOP)
}

/// A figure as the tables print it: rounded half away from zero (Rust's
/// `{:.N}` rounds an exact half to even: 2.0625 would print 2.062 where the
/// table prints 2.063). The values are exact fractions given as f64; one
/// within 1e-7 of a half (in units of the last place) is taken as the half.
pub fn fixed(v: f64, decimals: usize) -> String {
    let scale = 10_f64.powi(decimals as i32);
    let scaled = v * scale;
    let rounded = (scaled + scaled.signum() * 1e-7).round();
    format!("{:.decimals$}", rounded / scale)
}

pub fn range_text((lo, hi): (f64, f64)) -> String {
    format!("縦軸：{SCALE_DESC}の {lo:.2}〜{hi:.2} を表示")
}

fn text(size: f64) -> TextStyle<'static> {
    colored(size, BLACK)
}

fn colored(size: f64, color: RGBColor) -> TextStyle<'static> {
    let mut style = TextStyle::from((FAMILY, size).into_font());
    style.color = color.to_backend_color();
    style
}

fn grey(size: f64) -> TextStyle<'static> {
    colored(size, GREY)
}

/// Refuses data that cannot make a truthful chart, with a message naming it.
pub fn validate(spec: &ChartSpec) -> AppResult<()> {
    let mut problems = Vec::new();
    let mut average = |what: String, v: f64| {
        if !(1.0..=3.0).contains(&v) {
            problems.push(format!("{what} の平均点 {v} は 1〜3 の範囲にありません"));
        }
    };
    let series_ok = |series: &[TrendSeries], average: &mut dyn FnMut(String, f64)| {
        for s in series {
            for (fy, v) in &s.points {
                average(format!("{} {}", s.label, fy), *v);
            }
        }
        series.iter().any(|s| !s.points.is_empty())
    };
    let has_data = match spec {
        ChartSpec::Overall(t) => series_ok(&t.series, &mut average),
        ChartSpec::Item(t) => series_ok(&t.series, &mut average),
        ChartSpec::Shares(s) => {
            for (major, shares) in &s.majors {
                let sum: f64 = shares.iter().sum();
                if shares.iter().any(|v| !(0.0..=100.0).contains(v)) || (sum - 100.0).abs() > 1.0 {
                    problems.push(format!(
                        "{major} の割合 {shares:?} は 0〜100% で合計 100% になっていません"
                    ));
                }
            }
            !s.majors.is_empty()
        }
        ChartSpec::Ranking(r) => {
            for e in &r.entries {
                average(e.name.clone(), e.average);
            }
            if let Some((label, v)) = &r.reference {
                average(label.clone(), *v);
            }
            let ranks_ok = r
                .entries
                .iter()
                .enumerate()
                .all(|(i, e)| e.rank >= 1 && e.rank <= i + 1)
                && r.entries
                    .iter()
                    .zip(r.entries.iter().skip(1))
                    .all(|(a, b)| a.rank <= b.rank);
            if !ranks_ok {
                problems.push("順位が 1 から始まる上位順になっていません".into());
            }
            !r.entries.is_empty()
        }
        ChartSpec::Goals(g) => {
            for (no, org, reference) in &g.goals {
                if let Some(v) = org {
                    average(format!("{} 管理目標{no}", g.organisation), *v);
                }
                average(format!("{} 管理目標{no}", g.reference), *reference);
            }
            !g.goals.is_empty()
        }
        ChartSpec::Standing(g) => {
            for (no, org, groups) in g.majors.iter().map(|m| (&m.0, m.1, m.2)) {
                if let Some(v) = org {
                    average(format!("{} 大分類{no}", g.organisation), v);
                }
                for (label, v) in g.groups.iter().zip(groups) {
                    if let Some(v) = v {
                        average(format!("{label} 大分類{no}"), v);
                    }
                }
            }
            !g.majors.is_empty()
        }
    };
    if !has_data {
        problems.push(format!("「{}」に描くデータがありません", spec.title()));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(problems))
    }
}

pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, spec: &ChartSpec) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let title = spec.title();
    match spec {
        ChartSpec::Overall(t) => overall(root, &title, t),
        ChartSpec::Item(t) => item(root, &title, t),
        ChartSpec::Shares(s) => shares(root, &title, s),
        ChartSpec::Ranking(r) => ranking(root, &title, r),
        ChartSpec::Goals(g) => goals(root, &title, g),
        ChartSpec::Standing(g) => standing(root, &title, g),
    }
}

/// An entry of the legend: a line or a box of the colour, and its label.
struct Key {
    label: String,
    color: RGBColor,
    line: bool,
}

fn line_key(label: impl Into<String>, color: RGBColor) -> Key {
    Key {
        label: label.into(),
        color,
        line: true,
    }
}

fn box_key(label: impl Into<String>, color: RGBColor) -> Key {
    Key {
        label: label.into(),
        color,
        line: false,
    }
}

/// Title, subtitle lines, the legend in one row under them (never over the
/// data) and the note; returns the area left for the plot.
fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    lines: &[String],
    keys: &[Key],
    note: &str,
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, h) = root.dim_in_pixel();
    let centre = Pos::new(HPos::Center, VPos::Top);
    root.draw(&Text::new(
        title.to_string(),
        (w as i32 / 2, 12),
        text(24.0).pos(centre),
    ))?;
    let mut y = 46;
    for line in lines.iter().filter(|l| !l.is_empty()) {
        root.draw(&Text::new(
            line.clone(),
            (w as i32 / 2, y),
            grey(15.0).pos(centre),
        ))?;
        y += 22;
    }
    if !keys.is_empty() {
        let style = text(14.0);
        let mut widths = Vec::with_capacity(keys.len());
        for k in keys {
            widths.push(root.estimate_text_size(&k.label, &style)?.0 as i32);
        }
        let total: i32 = widths.iter().map(|w| w + 28 + 24).sum::<i32>() - 24;
        let mut x = (w as i32 - total) / 2;
        let mid = y + 10;
        for (k, width) in keys.iter().zip(widths) {
            if k.line {
                root.draw(&PathElement::new(
                    vec![(x, mid), (x + 22, mid)],
                    k.color.stroke_width(3),
                ))?;
            } else {
                root.draw(&Rectangle::new(
                    [(x, mid - 7), (x + 22, mid + 7)],
                    k.color.filled(),
                ))?;
            }
            root.draw(&Text::new(
                k.label.clone(),
                (x + 28, mid),
                style.pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += 28 + width + 24;
        }
        y += 26;
    }
    if !note.is_empty() {
        root.draw(&Text::new(
            note.to_string(),
            (14, h as i32 - 8),
            grey(12.0).pos(Pos::new(HPos::Left, VPos::Bottom)),
        ))?;
    }
    Ok(root.margin(y + 6, 26, 14, 24))
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// A label at whole numbers only.
fn at_whole(v: f64) -> Option<i64> {
    let r = v.round();
    ((v - r).abs() < 1e-6).then_some(r as i64)
}

fn year_label(v: &f64) -> String {
    at_whole(*v)
        .and_then(|y| i32::try_from(y).ok())
        .and_then(|y| FiscalYear::new(y).ok())
        .map(|fy| fy.short())
        .unwrap_or_default()
}

fn series_color(i: usize) -> RGBColor {
    if i == 0 {
        colors::MAIN
    } else {
        colors::NATIONAL
    }
}

/// The grid: bold lines at the labels, no light lines in between.
const GRID: RGBColor = RGBColor(0xD8, 0xD8, 0xD8);

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

fn overall<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    t: &OverallTrend,
) -> DrawResult<DB> {
    let range = average_range(all_values(&t.series));
    let keys = trend_keys(&t.series, false);
    let area = frame(root, title, &[range_text(range)], &keys, &t.note)?;
    trend(&area, &t.series, range, &[], 2)
}

fn item<DB: DrawingBackend>(
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

/// The name of the category at a whole number of the axis, top first.
fn row_label(names: &[String], v: f64) -> String {
    at_whole(v)
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| names.len().checked_sub(i + 1))
        .and_then(|i| names.get(i))
        .cloned()
        .unwrap_or_default()
}

fn shares<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    s: &ShareBars,
) -> DrawResult<DB> {
    let keys: Vec<Key> = s
        .levels
        .iter()
        .zip(colors::SHARE)
        .map(|(level, color)| box_key(level.clone(), color))
        .collect();
    let lines = ["回答 3・2・1 の割合（0 該当しない を除く）".to_string()];
    let area = frame(root, title, &lines, &keys, &s.note)?;
    let n = s.majors.len();
    let names: Vec<String> = s.majors.iter().map(|(m, _)| shorten(m, 14)).collect();
    let mut chart = ChartBuilder::on(&area)
        .x_label_area_size(48)
        .y_label_area_size(210)
        .margin_right(12)
        .build_cartesian_2d(0.0..100.0, -0.5..(n as f64 - 0.5))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .x_labels(11)
        .y_labels(n.max(2))
        .x_label_formatter(&|v| format!("{v:.0}%"))
        .y_label_formatter(&|v| row_label(&names, *v))
        .x_desc("回答の割合（%）")
        .label_style(text(14.0))
        .axis_desc_style(text(14.0))
        .draw()?;
    for (level, color) in colors::SHARE.into_iter().enumerate() {
        chart.draw_series(s.majors.iter().enumerate().map(|(i, (_, v))| {
            let row = (n - 1 - i) as f64;
            let x0: f64 = v.iter().take(level).sum();
            let width = v.get(level).copied().unwrap_or(0.0);
            Rectangle::new([(x0, row - 0.32), (x0 + width, row + 0.32)], color.filled())
        }))?;
    }
    // The figures, inside the bar where the share of 3 leaves room.
    chart.draw_series(s.majors.iter().enumerate().map(|(i, (_, v))| {
        let row = (n - 1 - i) as f64;
        let figures = format!(
            "3: {}%　2: {}%　1: {}%",
            fixed(v[0], 1),
            fixed(v[1], 1),
            fixed(v[2], 1)
        );
        let (x, color) = if v[0] >= 50.0 {
            (1.0, WHITE)
        } else {
            ((v[0] + v[1] + 1.0).min(60.0), BLACK)
        };
        Text::new(
            figures,
            (x, row),
            colored(14.0, color).pos(Pos::new(HPos::Left, VPos::Center)),
        )
    }))?;
    Ok(())
}

fn ranking<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    r: &Ranking,
) -> DrawResult<DB> {
    let reference = r.reference.as_ref().map(|(_, v)| *v);
    let range = average_range(r.entries.iter().map(|e| e.average).chain(reference));
    let mut keys = vec![box_key(format!("{}の総平均点", r.unit), colors::MAIN)];
    if let Some((label, v)) = &r.reference {
        keys.push(line_key(
            format!("{label} {}", fixed(*v, 2)),
            colors::NATIONAL,
        ));
    }
    let lines = [range_text(range).replace("縦軸", "横軸")];
    let area = frame(root, title, &lines, &keys, &r.note)?;
    let rows = &r.entries;
    let n = rows.len();
    let names: Vec<String> = rows
        .iter()
        .map(|e| format!("{}. {}", e.rank, shorten(&e.name, 8)))
        .collect();
    let mut chart = ChartBuilder::on(&area)
        .x_label_area_size(48)
        .y_label_area_size(130)
        .margin_right(16)
        .build_cartesian_2d(range.0..range.1, -0.5..(n as f64 - 0.5))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .x_labels(8)
        .y_labels(n.max(2))
        .x_label_formatter(&|v| format!("{v:.2}"))
        .y_label_formatter(&|v| row_label(&names, *v))
        .x_desc(SCALE_DESC)
        .label_style(text(13.0))
        .axis_desc_style(text(14.0))
        .draw()?;
    chart.draw_series(rows.iter().enumerate().map(|(i, e)| {
        let row = (n - 1 - i) as f64;
        Rectangle::new(
            [(range.0, row - 0.36), (e.average, row + 0.36)],
            colors::MAIN.filled(),
        )
    }))?;
    // Three decimals, as the tables print a ranking.
    chart.draw_series(rows.iter().enumerate().map(|(i, e)| {
        let row = (n - 1 - i) as f64;
        EmptyElement::at((e.average, row))
            + Text::new(
                fixed(e.average, 3),
                (4, 0),
                text(12.0).pos(Pos::new(HPos::Left, VPos::Center)),
            )
    }))?;
    if let Some(v) = reference {
        chart.draw_series(DashedLineSeries::new(
            [(v, -0.5), (v, n as f64 - 0.5)],
            8,
            5,
            colors::NATIONAL.stroke_width(2),
        ))?;
    }
    Ok(())
}

fn goals<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    g: &GoalComparison,
) -> DrawResult<DB> {
    let range = average_range(
        g.goals
            .iter()
            .flat_map(|(_, org, national)| org.iter().copied().chain([*national])),
    );
    let keys = [
        box_key(g.organisation.clone(), colors::MAIN),
        line_key(g.reference.clone(), colors::NATIONAL),
    ];
    let lines = [
        range_text(range),
        "— は全て「該当しない」の管理目標".to_string(),
    ];
    let lines = if g.goals.iter().any(|(_, org, _)| org.is_none()) {
        &lines[..]
    } else {
        &lines[..1]
    };
    let area = frame(root, title, lines, &keys, &g.note)?;
    let n = g.goals.len();
    let numbers: Vec<u32> = g.goals.iter().map(|(no, _, _)| *no).collect();
    let goal_label = |v: &f64| {
        at_whole(*v)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| numbers.get(i))
            .map(|no| no.to_string())
            .unwrap_or_default()
    };
    let mut chart = ChartBuilder::on(&area)
        .x_label_area_size(48)
        .y_label_area_size(78)
        .build_cartesian_2d(-0.5..(n as f64 - 0.5), range.0..range.1)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .x_labels(n.max(2))
        .y_labels(8)
        .x_label_formatter(&goal_label)
        .y_label_formatter(&|v| format!("{v:.2}"))
        .x_desc("管理目標")
        .y_desc(SCALE_DESC)
        .label_style(text(12.0))
        .axis_desc_style(text(14.0))
        .draw()?;
    chart.draw_series(g.goals.iter().enumerate().filter_map(|(i, (_, org, _))| {
        org.map(|v| {
            let x = i as f64;
            Rectangle::new([(x - 0.34, range.0), (x + 0.34, v)], colors::MAIN.filled())
        })
    }))?;
    // A goal where all the organisation's answers were 0 (該当しない).
    chart.draw_series(
        g.goals
            .iter()
            .enumerate()
            .filter(|(_, (_, org, _))| org.is_none())
            .map(|(i, _)| {
                Text::new(
                    "—",
                    (i as f64, range.0),
                    text(12.0).pos(Pos::new(HPos::Center, VPos::Bottom)),
                )
            }),
    )?;
    let national: Vec<(f64, f64)> = g
        .goals
        .iter()
        .enumerate()
        .map(|(i, (_, _, v))| (i as f64, *v))
        .collect();
    chart.draw_series(LineSeries::new(
        national.clone(),
        colors::NATIONAL.stroke_width(2),
    ))?;
    chart.draw_series(
        national
            .iter()
            .map(|&p| Circle::new(p, 4, colors::NATIONAL.filled())),
    )?;
    Ok(())
}

fn standing<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    g: &StandingComparison,
) -> DrawResult<DB> {
    let range = average_range(
        g.majors
            .iter()
            .flat_map(|(_, org, groups, _)| org.iter().chain(groups.iter().flatten()).copied()),
    );
    let line_colors = [colors::PREFECTURE, colors::TYPE, colors::NATIONAL];
    let mut keys = vec![box_key(g.organisation.clone(), colors::MAIN)];
    keys.extend(
        g.groups
            .iter()
            .zip(line_colors)
            .map(|(label, c)| line_key(label.clone(), c)),
    );
    let lines = [range_text(range)];
    let area = frame(root, title, &lines, &keys, &g.note)?;
    let n = g.majors.len();
    let labels: Vec<String> = g
        .majors
        .iter()
        .map(|(no, _, _, dev)| match dev {
            Some(d) => format!("{no}（偏差値 {d}）"),
            None => no.clone(),
        })
        .collect();
    let major_label = |v: &f64| {
        at_whole(*v)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| labels.get(i))
            .cloned()
            .unwrap_or_default()
    };
    let mut chart = ChartBuilder::on(&area)
        .x_label_area_size(48)
        .y_label_area_size(78)
        .build_cartesian_2d(-0.5..(n as f64 - 0.5), range.0..range.1)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .x_labels(n.max(2))
        .y_labels(8)
        .x_label_formatter(&major_label)
        .y_label_formatter(&|v| format!("{v:.2}"))
        .x_desc("大分類")
        .y_desc(SCALE_DESC)
        .label_style(text(12.0))
        .axis_desc_style(text(14.0))
        .draw()?;
    chart.draw_series(
        g.majors
            .iter()
            .enumerate()
            .filter_map(|(i, (_, org, _, _))| {
                org.map(|v| {
                    let x = i as f64;
                    Rectangle::new([(x - 0.34, range.0), (x + 0.34, v)], colors::MAIN.filled())
                })
            }),
    )?;
    for (k, color) in line_colors.into_iter().enumerate() {
        let points: Vec<(f64, f64)> = g
            .majors
            .iter()
            .enumerate()
            .filter_map(|(i, (_, _, groups, _))| {
                groups.get(k).copied().flatten().map(|v| (i as f64, v))
            })
            .collect();
        chart.draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?;
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
    }
    Ok(())
}
