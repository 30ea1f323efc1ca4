//! Drawing each kind of chart on any plotters backend.
//!
//! Categories (years, 大分類, prefectures, goals) sit at whole numbers of an
//! f64 axis, each owning the band ±0.5 around it; tick labels are printed
//! only at whole numbers. Averages get a y axis that fits the data
//! ([`average_range`]), stated in the subtitle.
//!
//! Files: this one the shared scales and text styles, `validate` and the
//! dispatch `draw`; `frame.rs` the title, legend, note and axis labels every
//! chart shares; `trend.rs` (a) and (b), the lines over years; `bars.rs`
//! the shares and the ranking; `compare.rs` the goals and the standing.

mod bars;
mod compare;
mod frame;
mod trend;

use bars::{ranking, shares};
use compare::{goals, standing};
use trend::{item, overall};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::font::FAMILY;
use super::{ChartSpec, TrendSeries};
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
