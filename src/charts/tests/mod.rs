//! Charts: decoded PNGs (size, series colours, the title's glyphs compared
//! with the shipped font), SVG titles and glyph outlines, the glyph check,
//! the y range, the figures taken from the published tables.
//!
//! This file holds the fixtures (tables, requests, synthetic specs, image
//! decoding); the tests are by topic: `render.rs` PNG and SVG output,
//! `glyphs.rs` the title's glyphs against the shipped font, `figures.rs` the
//! figures taken from the tables, `served.rs` the checks before drawing and
//! what is served besides the picture.

mod figures;
mod glyphs;
mod render;
mod served;

use ab_glyph::{point, Font, GlyphId, PxScale, ScaleFont};
use plotters::prelude::*;

use std::sync::OnceLock;

use super::draw::{average_range, fixed, validate};
use super::*;
use crate::checklists::{self, Catalog, Sources, Variant};
use crate::stats::engine::{self, RankBy, YearAnswers};
use crate::stats::tests::Year;
use crate::stats::{ScopeInfo, Summary};

fn fy(y: i32) -> FiscalYear {
    FiscalYear::new(y).expect("year")
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| checklists::load_catalog(None).expect("embedded catalog"))
}

fn scope_info(scope: &Scope) -> ScopeInfo {
    let (name, variant) = match scope {
        Scope::National => ("全国（市区町村）", Variant::Municipal),
        Scope::Agencies => ("国の行政機関等", Variant::NationalAgency),
        Scope::Prefecture(_) => ("東京都", Variant::Municipal),
        Scope::Organisation(_) => ("千代田区", Variant::Municipal),
    };
    ScopeInfo {
        key: scope.key(),
        kind: scope.kind(),
        code: None,
        name: name.into(),
        variant,
    }
}

/// The engine's table of `scope` from `years` of answers (the nation also
/// from the published figures), as the database would give it.
fn table(scope: &Scope, year: FiscalYear, years: Vec<YearAnswers>) -> Box<Summary> {
    Box::new(engine::build(&engine::Input {
        catalog: catalog(),
        scope: scope_info(scope),
        fiscal_year: year,
        years,
        use_published: *scope == Scope::National,
        rank_by: RankBy::Nothing,
    }))
}

fn request(kind: ChartKind, scope: Scope, item: Option<&str>, year: i32) -> ChartRequest {
    ChartRequest {
        kind,
        year: fy(year),
        scope,
        item: item.map(String::from),
    }
}

/// A chart of a database without answers: the published national figures.
fn ask(req: &ChartRequest) -> AppResult<ChartSpec> {
    source::spec_from(catalog(), req, |scope, year| {
        Ok(table(scope, year, Vec::new()))
    })
}

fn published(kind: ChartKind, item: Option<&str>) -> ChartSpec {
    ask(&request(kind, Scope::National, item, 2007)).expect("published spec")
}

fn prefectures() -> Vec<String> {
    let sources = Sources::embedded();
    crate::roster::parse("roster", sources.get(checklists::ROSTER))
        .expect("roster")
        .into_iter()
        .filter(|e| e.is_prefecture)
        .map(|e| e.name)
        .collect()
}

/// 47 prefectures at 2.96, 2.95, … 2.50 in roster order; the nation at 2.80.
fn synthetic_ranking() -> Ranking {
    Ranking {
        year: fy(2007),
        scope: "全国".into(),
        unit: "都道府県".into(),
        entries: prefectures()
            .into_iter()
            .enumerate()
            .map(|(i, name)| RankEntry {
                rank: i + 1,
                name,
                average: 2.96 - i as f64 * 0.01,
            })
            .collect(),
        reference: Some(("全国".into(), 2.80)),
        note: "試験用の数値".into(),
    }
}

/// Goals 1–43: the organisation at 2.0–2.9 (goal 5 not applicable), the
/// nation at 2.95.
fn synthetic_goals() -> GoalComparison {
    GoalComparison {
        year: fy(2007),
        organisation: "千代田区".into(),
        reference: "全国".into(),
        goals: (1..=43)
            .map(|no| {
                let org = (no != 5).then(|| 2.0 + f64::from(no % 10) * 0.1);
                (no, org, 2.95)
            })
            .collect(),
        note: "試験用の数値".into(),
    }
}

/// 大分類 1–4: the organisation at 2.4–2.7 against its prefecture, type
/// and nation.
fn synthetic_standing() -> StandingComparison {
    StandingComparison {
        year: fy(2007),
        organisation: "千代田区".into(),
        groups: ["東京都".into(), "特別区".into(), "全国".into()],
        majors: (1..=4)
            .map(|no| {
                let v = 2.3 + f64::from(no) * 0.1;
                (
                    no.to_string(),
                    Some(v),
                    [Some(2.5), Some(2.6), Some(2.8)],
                    Some(format!("{:.1}", 45.0 + f64::from(no))),
                )
            })
            .collect(),
        note: "試験用の数値".into(),
    }
}

fn synthetic_shares() -> ShareBars {
    ShareBars {
        year: fy(2007),
        scope: "東京都".into(),
        levels: [
            "3 運用している".into(),
            "2 整備している".into(),
            "1 整備していない".into(),
        ],
        majors: vec![
            ("1 体制・規程等の整備".into(), [60.0, 25.0, 15.0]),
            ("2 環境及び設備".into(), [40.0, 30.0, 30.0]),
        ],
        note: String::new(),
    }
}

fn all_specs() -> Vec<ChartSpec> {
    vec![
        published(ChartKind::Overall, None),
        published(ChartKind::Item, Some("18-1")),
        published(ChartKind::Shares, None),
        ChartSpec::Shares(synthetic_shares()),
        ChartSpec::Ranking(synthetic_ranking()),
        ChartSpec::Goals(synthetic_goals()),
        ChartSpec::Standing(synthetic_standing()),
    ]
}

fn decode(bytes: &[u8]) -> image::RgbImage {
    image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .expect("a PNG")
        .to_rgb8()
}

/// Pixels of exactly this colour: how many, and the rows they span.
fn pixels_of(img: &image::RgbImage, c: RGBColor) -> (usize, u32, u32) {
    let mut n = 0;
    let (mut top, mut bottom) = (u32::MAX, 0);
    for (_, y, p) in img.enumerate_pixels() {
        if p.0 == [c.0, c.1, c.2] {
            n += 1;
            top = top.min(y);
            bottom = bottom.max(y);
        }
    }
    (n, top, bottom)
}

fn series_colours(spec: &ChartSpec) -> Vec<RGBColor> {
    match spec {
        ChartSpec::Overall(_) => vec![colors::MAIN],
        ChartSpec::Item(_) => vec![colors::MAIN, colors::PRIORITY],
        // The published share of 1 is at most 0.13 %: less than a pixel.
        ChartSpec::Shares(s) if s.scope == "全国" => vec![colors::SHARE[0], colors::SHARE[1]],
        ChartSpec::Shares(_) => colors::SHARE.to_vec(),
        ChartSpec::Ranking(_) | ChartSpec::Goals(_) => vec![colors::MAIN, colors::NATIONAL],
        ChartSpec::Standing(_) => vec![
            colors::MAIN,
            colors::PREFECTURE,
            colors::TYPE,
            colors::NATIONAL,
        ],
    }
}
