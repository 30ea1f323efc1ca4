//! Bars: the shares of the answers per 大分類, and the ranking of averages.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::super::{colors, Ranking, ShareBars};
use super::frame::{box_key, frame, line_key, row_label, shorten, Key, GRID};
use super::{average_range, colored, fixed, range_text, text, DrawResult, SCALE_DESC};

pub(super) fn shares<DB: DrawingBackend>(
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

pub(super) fn ranking<DB: DrawingBackend>(
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
