//! Side-by-side bars: the goals of the subject against a reference, and an
//! organisation's standing against its group.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::super::{colors, GoalComparison, StandingComparison};
use super::frame::{at_whole, box_key, frame, line_key, GRID};
use super::{average_range, range_text, text, DrawResult, SCALE_DESC};

pub(super) fn goals<DB: DrawingBackend>(
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

pub(super) fn standing<DB: DrawingBackend>(
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
