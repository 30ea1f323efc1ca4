//! Trend charts (PNG and SVG) for the ministry's and prefectures' reports.
//!
//! The drawing knows nothing of the database: each kind is drawn from a plain
//! input struct ([`ChartSpec`]), which [`source`] fills from the aggregation
//! engine's tables (`stats`), for every scope. [`render`] turns a spec into
//! PNG or SVG bytes; [`etag`] names the bytes by the spec's data, so a cached
//! chart changes when the data does.
//!
//! All text is drawn with the IPAex Gothic font compiled into the binary
//! ([`font`]); a character that font lacks is an error, not a box.

mod backend;
pub mod cache;
mod draw;
pub mod font;
pub mod source;

#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::rc::Rc;

use plotters::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};

pub use crate::stats::Scope;
pub use source::ChartRequest;

/// Bumped whenever the drawing changes, so cached charts are redrawn.
pub const STYLE_VERSION: u32 = 2;

/// The series colours, exact RGB: tests look for these pixels in the PNGs.
pub mod colors {
    use plotters::style::RGBColor;

    /// The subject of a chart: the nation, a prefecture, an organisation.
    pub const MAIN: RGBColor = RGBColor(0x1F, 0x5F, 0xBF);
    /// The national figures a subject is compared with.
    pub const NATIONAL: RGBColor = RGBColor(0xD9, 0x5F, 0x02);
    /// The band behind a year in which an item was a 重要点検項目.
    pub const PRIORITY: RGBColor = RGBColor(0xFF, 0xE2, 0x8A);
    /// Shares of the answers 3, 2 and 1.
    /// The prefecture and the type an organisation is compared with
    /// (chart `standing`).
    pub const PREFECTURE: RGBColor = RGBColor(0x2E, 0x8B, 0x57);
    pub const TYPE: RGBColor = RGBColor(0x7B, 0x3F, 0x9E);
    pub const SHARE: [RGBColor; 3] = [
        RGBColor(0x2E, 0x8B, 0x57),
        RGBColor(0xF2, 0xB7, 0x05),
        RGBColor(0xC8, 0x32, 0x32),
    ];
}

/// One line of averages over fiscal years.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendSeries {
    /// Shown in the legend: `全国`, `東京都`.
    pub label: String,
    pub points: Vec<(FiscalYear, f64)>,
}

/// (a) The overall average (総平均点) per fiscal year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverallTrend {
    /// What the chart is about, in the title: `全国`, `東京都`.
    pub scope: String,
    /// The subject first; a comparison (the nation) may follow.
    pub series: Vec<TrendSeries>,
    /// Where the figures come from, printed small under the chart.
    pub note: String,
}

/// The fiscal years in which an item was a 重要点検項目.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PriorityMarks {
    pub years: Vec<FiscalYear>,
}

/// (b) One sub-item's average per fiscal year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemTrend {
    /// `18-1`.
    pub item: String,
    /// The item's text, shown under the title.
    pub text: String,
    pub scope: String,
    pub series: Vec<TrendSeries>,
    pub priority: PriorityMarks,
    pub note: String,
}

/// (c) Shares of the answers 3 / 2 / 1 per 大分類 in one year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShareBars {
    pub year: FiscalYear,
    pub scope: String,
    /// The labels of 3, 2 and 1: `3 運用している` …
    pub levels: [String; 3],
    /// Per 大分類 (`1 体制・規程等の整備`): percent of 3, 2 and 1.
    pub majors: Vec<(String, [f64; 3])>,
    pub note: String,
}

/// (d) The prefectures of the nation (or the municipalities of a
/// prefecture, or the national agencies) ranked by overall average.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranking {
    pub year: FiscalYear,
    /// Whose members are ranked: `全国`, `東京都`, `国の行政機関等`.
    pub scope: String,
    /// What one bar is: `都道府県`, `市区町村`, `機関`.
    pub unit: String,
    /// Best first, ranked as the engine ranks (equal averages share a rank).
    pub entries: Vec<RankEntry>,
    /// The scope's own overall average, drawn as a line: (`全国`, 2.99).
    pub reference: Option<(String, f64)>,
    pub note: String,
}

/// One bar of a [`Ranking`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankEntry {
    pub rank: usize,
    pub name: String,
    /// The overall average (mean of the sub-item averages).
    pub average: f64,
}

/// (e) One organisation's (or prefecture's) goal averages against those of
/// the nation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoalComparison {
    pub year: FiscalYear,
    pub organisation: String,
    /// What it is compared with: `全国`, or `国の行政機関等` for an agency.
    pub reference: String,
    /// (管理目標 number, the organisation's average or None where all its
    /// answers were 0, the reference's average).
    pub goals: Vec<(u32, Option<f64>, f64)>,
    pub note: String,
}

/// One 大分類 of a [`StandingComparison`]: its number, the organisation's
/// average, the groups' averages and its national 偏差値 as printed.
pub type StandingMajor = (String, Option<f64>, [Option<f64>; 3], Option<String>);

/// (f) One organisation's 大分類 averages against its prefecture's, its
/// type's and the nation's, with its 偏差値 (chart `standing`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StandingComparison {
    pub year: FiscalYear,
    pub organisation: String,
    /// The groups compared with, in the order of `majors`' values:
    /// `[prefecture, type, nation]` labels (`東京都`, `特別区`, `全国`).
    pub groups: [String; 3],
    /// (大分類 number, the organisation's average, the groups' averages,
    /// its national 偏差値 as printed).
    pub majors: Vec<StandingMajor>,
    pub note: String,
}

/// What to draw: one struct per kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChartSpec {
    Overall(OverallTrend),
    Item(ItemTrend),
    Shares(ShareBars),
    Ranking(Ranking),
    Goals(GoalComparison),
    Standing(StandingComparison),
}

/// The kinds, as written on the command line and in URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartKind {
    Overall,
    Item,
    Shares,
    Ranking,
    Goals,
    Standing,
}

impl ChartKind {
    pub const ALL: [ChartKind; 6] = [
        ChartKind::Overall,
        ChartKind::Item,
        ChartKind::Shares,
        ChartKind::Ranking,
        ChartKind::Goals,
        ChartKind::Standing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChartKind::Overall => "overall",
            ChartKind::Item => "item",
            ChartKind::Shares => "shares",
            ChartKind::Ranking => "ranking",
            ChartKind::Goals => "goals",
            ChartKind::Standing => "standing",
        }
    }

    pub fn parse(s: &str) -> AppResult<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "グラフの種類「{s}」はありません（overall: 総平均点の推移 / item: 小項目の推移 / shares: 大分類別の回答割合 / ranking: 都道府県の順位 / goals: 団体と全国の管理目標別比較 / standing: 団体と都道府県・同類型・全国の大分類別比較）"
                ))
            })
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Png,
    Svg,
}

impl Format {
    /// From a file name or URL extension: `png` or `svg`.
    pub fn from_extension(ext: &str) -> AppResult<Self> {
        match ext.trim().to_ascii_lowercase().as_str() {
            "png" => Ok(Format::Png),
            "svg" => Ok(Format::Svg),
            other => Err(AppError::BadRequest(format!(
                "グラフの形式「{other}」には対応していません（png か svg）"
            ))),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Svg => "image/svg+xml",
        }
    }
}

impl ChartSpec {
    pub fn kind(&self) -> ChartKind {
        match self {
            ChartSpec::Overall(_) => ChartKind::Overall,
            ChartSpec::Item(_) => ChartKind::Item,
            ChartSpec::Shares(_) => ChartKind::Shares,
            ChartSpec::Ranking(_) => ChartKind::Ranking,
            ChartSpec::Goals(_) => ChartKind::Goals,
            ChartSpec::Standing(_) => ChartKind::Standing,
        }
    }

    /// The title printed at the top of the chart (and the SVG's `<title>`).
    pub fn title(&self) -> String {
        match self {
            ChartSpec::Overall(t) => format!("総平均点の推移（{}）", t.scope),
            ChartSpec::Item(t) => format!("小項目 {} の平均点の推移（{}）", t.item, t.scope),
            ChartSpec::Shares(s) => {
                format!("大分類別の回答の割合（{}・{}）", s.year, s.scope)
            }
            ChartSpec::Ranking(r) => {
                format!("{}別の総平均点（{}・{}）", r.unit, r.year, r.scope)
            }
            ChartSpec::Goals(g) => format!(
                "管理目標別の平均点（{}と{}・{}）",
                g.organisation, g.reference, g.year
            ),
            ChartSpec::Standing(g) => {
                format!("大分類別の平均点と偏差値（{}・{}）", g.organisation, g.year)
            }
        }
    }

    /// Pixel size of the picture.
    pub fn size(&self) -> (u32, u32) {
        match self {
            // 22 pixels a row: 47 prefectures make 1,274.
            ChartSpec::Ranking(r) => (960, (240 + 22 * r.entries.len() as u32).max(560)),
            _ => (960, 560),
        }
    }

    /// Every text the chart draws from its data, for the glyph check done
    /// before drawing (the backend checks every drawn text again).
    fn texts(&self) -> Vec<String> {
        let mut out = vec![self.title()];
        match self {
            ChartSpec::Overall(t) => {
                out.push(t.note.clone());
                out.extend(t.series.iter().map(|s| s.label.clone()));
            }
            ChartSpec::Item(t) => {
                out.extend([t.text.clone(), t.note.clone()]);
                out.extend(t.series.iter().map(|s| s.label.clone()));
            }
            ChartSpec::Shares(s) => {
                out.push(s.note.clone());
                out.extend(s.levels.iter().cloned());
                out.extend(s.majors.iter().map(|(m, _)| m.clone()));
            }
            ChartSpec::Ranking(r) => {
                out.push(r.note.clone());
                out.extend(r.entries.iter().map(|e| e.name.clone()));
                out.extend(r.reference.iter().map(|(label, _)| label.clone()));
            }
            ChartSpec::Goals(g) => out.extend([g.note.clone(), g.organisation.clone()]),
            ChartSpec::Standing(g) => {
                out.extend([g.note.clone(), g.organisation.clone()]);
                out.extend(g.groups.iter().cloned());
                out.extend(
                    g.majors
                        .iter()
                        .map(|m| format!("{} 偏差値 {}", m.0, m.3.clone().unwrap_or_default())),
                );
            }
        }
        out
    }
}

/// Draws a chart. Every character of every text must be in the shipped font.
pub fn render(spec: &ChartSpec, format: Format) -> AppResult<Vec<u8>> {
    font::ensure_registered()?;
    let face = font::font()?;
    for text in spec.texts() {
        font::check_text(face, &text)?;
    }
    draw::validate(spec)?;
    let size = spec.size();
    match format {
        Format::Png => {
            let (w, h) = size;
            let mut pixels = vec![0u8; w as usize * h as usize * 3];
            {
                let backend = backend::Checked::new(
                    BitMapBackend::with_buffer(&mut pixels, size),
                    face,
                    backend::TextMode::Raster,
                );
                let root = backend.into_drawing_area();
                draw::draw(&root, spec).map_err(drawing_error)?;
                root.present().map_err(drawing_error)?;
            }
            encode_png(&pixels, size)
        }
        Format::Svg => {
            let sink = Rc::new(RefCell::new(backend::SvgText::default()));
            let mut svg = String::new();
            {
                let backend = backend::Checked::new(
                    SVGBackend::with_string(&mut svg, size),
                    face,
                    backend::TextMode::Paths(Rc::clone(&sink)),
                );
                let root = backend.into_drawing_area();
                draw::draw(&root, spec).map_err(drawing_error)?;
                root.present().map_err(drawing_error)?;
            }
            let text = sink.borrow().markup();
            Ok(finish_svg(svg, &spec.title(), &text)?.into_bytes())
        }
    }
}

/// Chart (a) as PNG: what the 集計表 export puts beside its native chart.
pub fn overall_png(trend: &OverallTrend) -> AppResult<Vec<u8>> {
    render(&ChartSpec::Overall(trend.clone()), Format::Png)
}

/// A strong validator of the bytes [`render`] makes from `spec`: it changes
/// when the data, the format or the drawing ([`STYLE_VERSION`]) changes.
pub fn etag(spec: &ChartSpec, format: Format) -> AppResult<String> {
    let data =
        serde_json::to_vec(spec).map_err(|e| AppError::internal_from("chart spec to JSON", e))?;
    let mut h = Sha256::new();
    h.update(STYLE_VERSION.to_le_bytes());
    h.update(format.extension().as_bytes());
    h.update(font::FONT_BYTES.len().to_le_bytes());
    h.update(&data);
    let digest = h.finalize();
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    Ok(format!("\"{hex}\""))
}

fn drawing_error<E: std::error::Error + Send + Sync + 'static>(
    e: DrawingAreaErrorKind<E>,
) -> AppError {
    // A missing glyph travels up as a font error: keep its message whole.
    if let DrawingAreaErrorKind::BackendError(plotters_backend::DrawingErrorKind::FontError(f)) = &e
    {
        if let Some(missing) = f.downcast_ref::<font::MissingGlyph>() {
            return AppError::from(missing.clone());
        }
    }
    AppError::internal_from("グラフを描けませんでした", e)
}

fn encode_png(pixels: &[u8], (w, h): (u32, u32)) -> AppResult<Vec<u8>> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(pixels, w, h, image::ColorType::Rgb8)
        .map_err(|e| AppError::internal_from("PNG を書けませんでした", e))?;
    Ok(out)
}

/// Puts the title into the SVG as `<title>` (for search, screen readers and
/// the tests) and the glyph outlines on top of the drawing.
fn finish_svg(svg: String, title: &str, text: &str) -> AppResult<String> {
    let broken = || AppError::internal("SVG の出力が想定と違います");
    let open_end = svg
        .find("<svg")
        .and_then(|i| svg[i..].find('>').map(|j| i + j + 1))
        .ok_or_else(broken)?;
    let close = svg.rfind("</svg>").ok_or_else(broken)?;
    if close < open_end {
        return Err(broken());
    }
    let mut out = String::with_capacity(svg.len() + text.len() + 200);
    out.push_str(&svg[..open_end]);
    out.push_str("\n<title>");
    out.push_str(&backend::escape(title));
    out.push_str("</title>\n");
    out.push_str(&svg[open_end..close]);
    out.push_str(text);
    out.push_str(&svg[close..]);
    Ok(out)
}

/// A chart's figures as a table, the text alternative shown beside it:
/// the same figures the picture prints, rounded the same way.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataTable {
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl ChartSpec {
    pub fn data_table(&self) -> DataTable {
        let dash = || "—".to_string();
        match self {
            ChartSpec::Overall(OverallTrend { series, .. })
            | ChartSpec::Item(ItemTrend { series, .. }) => {
                let decimals = if matches!(self, ChartSpec::Overall(_)) {
                    2
                } else {
                    3
                };
                let mut years: Vec<FiscalYear> = series
                    .iter()
                    .flat_map(|s| s.points.iter().map(|(y, _)| *y))
                    .collect();
                years.sort();
                years.dedup();
                let mut head = vec!["年度".to_string()];
                head.extend(series.iter().map(|s| s.label.clone()));
                let rows = years
                    .iter()
                    .map(|y| {
                        let mut row = vec![y.to_string()];
                        row.extend(series.iter().map(|s| {
                            s.points
                                .iter()
                                .find(|(py, _)| py == y)
                                .map_or_else(dash, |(_, v)| draw::fixed(*v, decimals))
                        }));
                        row
                    })
                    .collect();
                DataTable { head, rows }
            }
            ChartSpec::Shares(s) => {
                let mut head = vec!["大分類".to_string()];
                head.extend(s.levels.iter().map(|l| format!("{l}（%）")));
                let rows = s
                    .majors
                    .iter()
                    .map(|(m, v)| {
                        let mut row = vec![m.clone()];
                        row.extend(v.iter().map(|x| draw::fixed(*x, 1)));
                        row
                    })
                    .collect();
                DataTable { head, rows }
            }
            ChartSpec::Ranking(r) => {
                let mut rows: Vec<Vec<String>> = r
                    .entries
                    .iter()
                    .map(|e| {
                        vec![
                            e.rank.to_string(),
                            e.name.clone(),
                            draw::fixed(e.average, 3),
                        ]
                    })
                    .collect();
                if let Some((label, v)) = &r.reference {
                    rows.push(vec![dash(), label.clone(), draw::fixed(*v, 3)]);
                }
                DataTable {
                    head: vec!["順位".into(), r.unit.clone(), "総平均点".into()],
                    rows,
                }
            }
            ChartSpec::Standing(st) => {
                let mut head = vec!["大分類".to_string(), st.organisation.clone()];
                head.extend(st.groups.iter().cloned());
                head.push("偏差値（全国）".into());
                let avg = |v: &Option<f64>| v.map_or_else(dash, |v| draw::fixed(v, 2));
                let rows = st
                    .majors
                    .iter()
                    .map(|(major, own, groups, deviation)| {
                        let mut row = vec![major.clone(), avg(own)];
                        row.extend(groups.iter().map(avg));
                        row.push(deviation.clone().unwrap_or_else(dash));
                        row
                    })
                    .collect();
                DataTable { head, rows }
            }
            ChartSpec::Goals(g) => DataTable {
                head: vec![
                    "管理目標".into(),
                    g.organisation.clone(),
                    g.reference.clone(),
                ],
                rows: g
                    .goals
                    .iter()
                    .map(|(no, own, reference)| {
                        vec![
                            no.to_string(),
                            own.map_or_else(dash, |v| draw::fixed(v, 2)),
                            draw::fixed(*reference, 2),
                        ]
                    })
                    .collect(),
            },
        }
    }
}
