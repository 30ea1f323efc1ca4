//! What every chart shares: the frame (title, subtitle lines, legend, note),
//! the grid colour, the series colours and the labels of the axes.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::super::colors;
use super::{grey, text};
use crate::domain::FiscalYear;

/// An entry of the legend: a line or a box of the colour, and its label.
pub(super) struct Key {
    pub(super) label: String,
    pub(super) color: RGBColor,
    pub(super) line: bool,
}

pub(super) fn line_key(label: impl Into<String>, color: RGBColor) -> Key {
    Key {
        label: label.into(),
        color,
        line: true,
    }
}

pub(super) fn box_key(label: impl Into<String>, color: RGBColor) -> Key {
    Key {
        label: label.into(),
        color,
        line: false,
    }
}

/// Title, subtitle lines, the legend in one row under them (never over the
/// data) and the note; returns the area left for the plot.
pub(super) fn frame<DB: DrawingBackend>(
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

pub(super) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// A label at whole numbers only.
pub(super) fn at_whole(v: f64) -> Option<i64> {
    let r = v.round();
    ((v - r).abs() < 1e-6).then_some(r as i64)
}

pub(super) fn year_label(v: &f64) -> String {
    at_whole(*v)
        .and_then(|y| i32::try_from(y).ok())
        .and_then(|y| FiscalYear::new(y).ok())
        .map(|fy| fy.short())
        .unwrap_or_default()
}

pub(super) fn series_color(i: usize) -> RGBColor {
    if i == 0 {
        colors::MAIN
    } else {
        colors::NATIONAL
    }
}

/// The grid: bold lines at the labels, no light lines in between.
pub(super) const GRID: RGBColor = RGBColor(0xD8, 0xD8, 0xD8);

/// The name of the category at a whole number of the axis, top first.
pub(super) fn row_label(names: &[String], v: f64) -> String {
    at_whole(v)
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| names.len().checked_sub(i + 1))
        .and_then(|i| names.get(i))
        .cloned()
        .unwrap_or_default()
}
