//! Charts: decoded PNGs (size, series colours, the title's glyphs compared
//! with the shipped font), SVG titles and glyph outlines, the glyph check,
//! the y range, the figures taken from the published tables.

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

#[test]
fn every_kind_renders_a_png_of_its_size_with_its_series_drawn() {
    for spec in all_specs() {
        let png = render(&spec, Format::Png).expect("render");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let img = decode(&png);
        assert_eq!(img.dimensions(), spec.size(), "{}", spec.title());
        for c in series_colours(&spec) {
            let (n, _, _) = pixels_of(&img, c);
            assert!(n > 100, "{}: {n} pixels of {c:?}", spec.title());
        }
    }
    assert_eq!(ChartSpec::Ranking(synthetic_ranking()).size(), (960, 1274));
}

#[test]
fn averages_near_three_are_not_a_flat_line_on_the_top_edge() {
    // National overall averages 2.826 (FY2003) … 2.99 (FY2007): the y axis
    // runs 2.75–3.05, so the line climbs over most of the plot's height.
    let spec = published(ChartKind::Overall, None);
    let img = decode(&render(&spec, Format::Png).expect("render"));
    let (_, top, bottom) = pixels_of(&img, colors::MAIN);
    assert!(bottom - top > 200, "line spans rows {top}..{bottom}");
    // Its points are labelled with the averages.
    let ChartSpec::Overall(t) = &spec else {
        panic!("overall")
    };
    let values: Vec<String> = t.series[0]
        .points
        .iter()
        .map(|(_, v)| fixed(*v, 2))
        .collect();
    assert_eq!(values, ["2.83", "2.88", "2.94", "2.97", "2.99"]);
    let svg = String::from_utf8(render(&spec, Format::Svg).expect("svg")).expect("utf-8");
    for v in &values {
        assert!(svg.contains(&format!("aria-label=\"{v}\"")), "{v}");
    }
    assert!(svg.contains("aria-label=\"縦軸：評価点（1〜3、3が満点）の 2.75〜3.05 を表示\""));
    assert!(svg.contains("aria-label=\"H15\"") && svg.contains("aria-label=\"H19\""));
}

#[test]
fn average_range_fits_the_data_within_one_to_three() {
    assert_eq!(average_range([2.826, 2.985]), (2.75, 3.05));
    assert_eq!(average_range([3.0, 3.0]), (2.95, 3.05));
    assert_eq!(average_range([2.96]), (2.9, 3.05));
    assert_eq!(average_range([1.0, 2.0]), (1.0, 3.05));
    assert_eq!(average_range([]), (2.95, 3.05));
}

#[test]
fn every_svg_holds_its_japanese_title_and_draws_glyphs_as_outlines() {
    for spec in all_specs() {
        let svg = String::from_utf8(render(&spec, Format::Svg).expect("render")).expect("utf-8");
        let title = spec.title();
        assert!(svg.contains(&format!("<title>{title}</title>")), "{title}");
        assert!(svg.contains(&format!("aria-label=\"{title}\"")), "{title}");
        // No <text>: nothing is left to the viewer's fonts.
        assert!(!svg.contains("<text"), "{title}");
        assert!(svg.contains("<use xlink:href=\"#g"), "{title}");
        let face = font::font().expect("font");
        let id = face.glyph_id(title.chars().next().expect("a character")).0;
        assert!(
            svg.contains(&format!("<path id=\"g{id}\" d=\"M")),
            "{title}"
        );
        for c in series_colours(&spec) {
            let hex = format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
            assert!(svg.contains(&hex), "{title}: {hex}");
        }
    }
    let svg = render(&published(ChartKind::Overall, None), Format::Svg).expect("svg");
    assert!(String::from_utf8(svg)
        .expect("utf-8")
        .starts_with("<svg width=\"960\" height=\"560\""));
}

/// Ink of the text as the shipped font draws it, set by advance and
/// kerning: a mask of coverage > 0.5 on its own canvas.
fn reference_mask(text: &str, size: f32) -> Vec<(i32, i32)> {
    let face = font::font().expect("font");
    let scale = PxScale::from(size);
    let scaled = face.as_scaled(scale);
    let mut ink = Vec::new();
    let mut pen = 0.0f32;
    let mut prev: Option<GlyphId> = None;
    for c in text.chars() {
        let id = face.glyph_id(c);
        if let Some(p) = prev {
            pen += scaled.kern(p, id);
        }
        prev = Some(id);
        let glyph = id.with_scale_and_position(scale, point(pen, 100.0));
        if let Some(outlined) = face.outline_glyph(glyph) {
            let b = outlined.px_bounds();
            outlined.draw(|x, y, cov| {
                if cov > 0.5 {
                    ink.push((b.min.x as i32 + x as i32, b.min.y as i32 + y as i32));
                }
            });
        }
        pen += scaled.h_advance(id);
    }
    normalise(ink)
}

/// Moves a set of points so its bounding box starts at (0, 0).
fn normalise(mut ink: Vec<(i32, i32)>) -> Vec<(i32, i32)> {
    let x0 = ink.iter().map(|p| p.0).min().unwrap_or(0);
    let y0 = ink.iter().map(|p| p.1).min().unwrap_or(0);
    for p in &mut ink {
        *p = (p.0 - x0, p.1 - y0);
    }
    ink.sort_unstable();
    ink.dedup();
    ink
}

/// How well two ink masks agree, allowing each pixel to be one pixel off
/// (anti-aliasing at another sub-pixel phase): the smaller of the shares of
/// each mask's pixels that have a pixel of the other within one pixel.
fn agreement(a: &[(i32, i32)], b: &[(i32, i32)]) -> f64 {
    fn near(of: &[(i32, i32)], to: &[(i32, i32)]) -> f64 {
        let to: std::collections::HashSet<_> = to.iter().copied().collect();
        let hits = of
            .iter()
            .filter(|(x, y)| (-1..=1).any(|dx| (-1..=1).any(|dy| to.contains(&(x + dx, y + dy)))))
            .count();
        hits as f64 / of.len().max(1) as f64
    }
    near(a, b).min(near(b, a))
}

/// Dark pixels (luminance < 128) of a band of the picture, columns `xs`.
fn png_mask(
    img: &image::RgbImage,
    rows: std::ops::Range<u32>,
    xs: std::ops::Range<u32>,
) -> Vec<(i32, i32)> {
    let mut ink = Vec::new();
    for y in rows {
        for x in xs.clone() {
            let p = img.get_pixel(x, y).0;
            let lum =
                (u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000;
            if lum < 128 {
                ink.push((x as i32, y as i32));
            }
        }
    }
    normalise(ink)
}

#[test]
fn png_title_shows_the_shipped_fonts_glyphs_not_boxes() {
    let spec = published(ChartKind::Overall, None);
    let title = spec.title();
    assert_eq!(title, "総平均点の推移（全国）");
    let img = decode(&render(&spec, Format::Png).expect("render"));
    // The title is drawn at 24 px, centred, in the band above the subtitle.
    let drawn = png_mask(&img, 0..42, 0..img.width());
    let expected = reference_mask(&title, 24.0);
    let score = agreement(&drawn, &expected);
    assert!(score > 0.98, "title matches the font's glyphs: {score:.3}");
    // Boxes (the font's glyph 0, drawn for a missing character) would not.
    let face = font::font().expect("font");
    let notdef: String = title.chars().map(|_| '\u{10FFFF}').collect();
    assert_eq!(face.glyph_id('\u{10FFFF}'), GlyphId(0));
    let boxes = agreement(&drawn, &reference_mask(&notdef, 24.0));
    assert!(boxes < 0.7, "not boxes: {boxes:.3}");

    // Character by character: the first glyph's columns match 総, not 平.
    let x0 = (0..img.width())
        .find(|&x| (0..42).any(|y| img.get_pixel(x, y).0[0] < 128))
        .expect("ink in the title band");
    let advance = face.as_scaled(24.0).h_advance(face.glyph_id('総')).floor() as u32;
    let first = png_mask(&img, 0..42, x0..x0 + advance - 1);
    let sou = agreement(&first, &reference_mask("総", 24.0));
    let hei = agreement(&first, &reference_mask("平", 24.0));
    assert!(sou > 0.98 && hei < 0.7, "総 {sou:.3}, 平 {hei:.3}");
}

#[test]
fn a_character_missing_from_the_font_fails_loudly() {
    let face = font::font().expect("font");
    // An emoji and the last character of CJK Extension B: not in IPAex Gothic.
    for ch in ['😀', '\u{2A6D6}'] {
        assert_eq!(face.glyph_id(ch), GlyphId(0), "{ch}");
        let mut spec = published(ChartKind::Overall, None);
        if let ChartSpec::Overall(t) = &mut spec {
            t.series[0].label = format!("全国{ch}");
        }
        for format in [Format::Png, Format::Svg] {
            let err = render(&spec, format).expect_err("missing glyph");
            assert_eq!(
                err.to_string(),
                format!(
                    "グラフの文字「{ch}」(U+{:04X}) は同梱フォント IPAexゴシック にないため描けません（文字列「全国{ch}」）",
                    ch as u32
                )
            );
        }
    }
    // Text that only the drawing produces is checked by the backend itself.
    font::ensure_registered().expect("font");
    let mut pixels = vec![0u8; 100 * 40 * 3];
    let result = {
        let backend = backend::Checked::new(
            BitMapBackend::with_buffer(&mut pixels, (100, 40)),
            face,
            backend::TextMode::Raster,
        );
        let root = backend.into_drawing_area();
        root.draw(&Text::new(
            "平成😀",
            (0, 0),
            (font::FAMILY, 14.0).into_font(),
        ))
    };
    let err = drawing_error(result.expect_err("missing glyph"));
    assert!(err.to_string().contains("「😀」(U+1F600)"), "{err}");
}

#[test]
fn published_figures_feed_the_national_charts() {
    let ChartSpec::Overall(t) = published(ChartKind::Overall, None) else {
        panic!("overall")
    };
    let points = &t.series[0].points;
    assert_eq!(points.len(), 5);
    assert_eq!((points[0].0, points[4].0), (fy(2003), fy(2007)));
    // The engine's 総平均点: FY2003 the mean of its 123 published item
    // averages; FY2006 and FY2007 as published (2.97, 2.99).
    assert!((points[0].1 - 2.826_350).abs() < 1e-5, "{}", points[0].1);
    assert_eq!((points[3].1, points[4].1), (2.97, 2.99));
    assert_eq!(
        t.note,
        "出典: 総務省 点検結果集計表（公表値）。総平均点は小項目の平均点の単純平均（H18〜H19 は公表された総平均点）"
    );

    let ChartSpec::Item(i) = published(ChartKind::Item, Some("18-1")) else {
        panic!("item")
    };
    assert_eq!(i.text, "操作履歴をチェックしている");
    let values: Vec<f64> = i.series[0].points.iter().map(|(_, v)| *v).collect();
    assert_eq!(values, [2.623, 2.712, 2.806, 2.897, 3.0]);
    assert_eq!(i.priority.years, [fy(2007)]);
    assert_eq!(i.note, "出典: 総務省 点検結果集計表（公表値）");

    let ChartSpec::Shares(s) = published(ChartKind::Shares, None) else {
        panic!("shares")
    };
    assert_eq!(
        s.levels,
        ["3 運用している", "2 整備している", "1 整備していない"]
    );
    let names: Vec<&str> = s.majors.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(
        names,
        [
            "1 体制・規程等の整備",
            "2 環境及び設備",
            "3 システムの管理",
            "4 既設ネットワークとの接続",
            "5 住民基本台帳カードの管理"
        ]
    );
    // 大分類 4: the 20 items' published shares averaged (the published
    // tables give no counts to pool).
    let four = s.majors[3].1;
    for (got, want) in four.iter().zip([97.41, 2.525, 0.055]) {
        assert!((got - want).abs() < 1e-9, "{four:?}");
    }
    assert!(
        s.note.ends_with("大分類ごとに小項目の回答割合を単純平均"),
        "{}",
        s.note
    );
}

#[test]
fn shares_of_a_year_with_answers_pool_the_answers_of_each_major() {
    // 千代田区 1-1: 3, 1-2: 3, 2-1: 1; 中央区 1-1: 2, 1-2: 0 (N/A).
    // 大分類 1 pools four answers 1–3: two 3s, one 2, one 1 → 50 / 25 / 25 %
    // (the mean of the item shares would give 50 / 16.7 / 33.3).
    let answers = Year::new(
        catalog(),
        2007,
        &[
            ("131016", "千代田区", &[("1-1", 3), ("1-2", 3), ("2-1", 1)]),
            ("131024", "中央区", &[("1-1", 2), ("1-2", 0)]),
        ],
    );
    let spec = source::spec_from(
        catalog(),
        &request(ChartKind::Shares, Scope::National, None, 2007),
        |scope, year| Ok(table(scope, year, vec![answers.view()])),
    )
    .expect("shares");
    let ChartSpec::Shares(s) = &spec else {
        panic!("shares")
    };
    assert_eq!(
        s.majors,
        vec![("1 体制・規程等の整備".to_string(), [50.0, 25.0, 25.0])]
    );
    assert_eq!(
        s.note,
        "出典: 登録された回答の集計（2団体）。大分類ごとに全小項目の回答数を合算した割合"
    );
    let png = decode(&render(&spec, Format::Png).expect("png"));
    for c in colors::SHARE {
        assert!(pixels_of(&png, c).0 > 1000, "{c:?}");
    }

    // The trend: FY2003–FY2006 published, FY2007 from the answers: the
    // mean of 1-1 (5/2), 1-2 (3) and 2-1 (1) = 13/6.
    let spec = source::spec_from(
        catalog(),
        &request(ChartKind::Overall, Scope::National, None, 2007),
        |scope, year| Ok(table(scope, year, vec![answers.view()])),
    )
    .expect("overall");
    let ChartSpec::Overall(t) = spec else {
        panic!("overall")
    };
    let (year, v) = t.series[0].points[4];
    assert_eq!(year, fy(2007));
    assert!((v - 13.0 / 6.0).abs() < 1e-12, "{v}");
    assert_eq!(
        t.note,
        "出典: 登録された回答の集計（H19）、総務省 点検結果集計表の公表値（H15〜H18）。総平均点は小項目の平均点の単純平均（H18 は公表された総平均点）"
    );
}

#[test]
fn charts_that_cannot_be_drawn_say_why() {
    let err = |req: ChartRequest| ask(&req).expect_err("refused").to_string();
    let tokyo = source::parse_scope(Some("130001")).expect("scope");
    assert!(matches!(tokyo, Scope::Prefecture(_)));
    assert_eq!(
        err(request(ChartKind::Ranking, Scope::National, None, 2007)),
        "全国（市区町村）の平成19年度（2007年度）の回答が登録されていません"
    );
    assert_eq!(
        err(request(ChartKind::Overall, tokyo.clone(), None, 2007)),
        "東京都の平成19年度（2007年度）までの回答が登録されていません"
    );
    assert_eq!(
        err(request(ChartKind::Shares, tokyo.clone(), None, 2007)),
        "東京都の平成19年度（2007年度）の回答が登録されていません"
    );
    assert!(err(request(ChartKind::Goals, Scope::National, None, 2007))
        .starts_with("管理目標別の比較には団体か都道府県の scope が要ります"));
    assert!(err(request(
        ChartKind::Ranking,
        source::parse_scope(Some("org:131016")).expect("scope"),
        None,
        2007
    ))
    .starts_with("順位のグラフは national（都道府県の順位）"));
    assert_eq!(
        err(request(ChartKind::Shares, Scope::National, None, 2006)),
        "平成18年度（2006年度）の回答割合は公表値にありません（公表値があるのは 平成19年度（2007年度））"
    );
    assert_eq!(
        err(request(
            ChartKind::Item,
            Scope::National,
            Some("99-9"),
            2007
        )),
        "小項目「99-9」は市区町村版の調査票にありません（例 18-1）"
    );
    assert_eq!(
        err(request(ChartKind::Item, Scope::National, None, 2007)),
        "小項目のグラフには --item / item（例 18-1）が要ります"
    );
    assert_eq!(
        err(request(ChartKind::Overall, Scope::National, None, 2002)),
        "平成14年度（2002年度）までの平均点の公表値も登録された回答もありません"
    );
}

#[test]
fn scopes_parse_as_typed_or_as_in_the_tables() {
    let parse = |s: Option<&str>| source::parse_scope(s).map(|s| s.key());
    assert_eq!(parse(None).ok().as_deref(), Some("national"));
    assert_eq!(parse(Some("全国")).ok().as_deref(), Some("national"));
    assert_eq!(parse(Some(" agencies ")).ok().as_deref(), Some("agencies"));
    assert_eq!(parse(Some("130001")).ok().as_deref(), Some("pref:130001"));
    assert_eq!(
        parse(Some("pref:130001")).ok().as_deref(),
        Some("pref:130001")
    );
    assert_eq!(parse(Some("131016")).ok().as_deref(), Some("org:131016"));
    assert_eq!(parse(Some("G0001")).ok().as_deref(), Some("org:G0001"));
    assert!(parse(Some("tokyo"))
        .expect_err("bad")
        .to_string()
        .starts_with("--scope / scope は national、agencies、"));
    assert!(parse(Some("pref:131016"))
        .expect_err("a city")
        .to_string()
        .contains("131016 は都道府県のコードではありません"));
}

#[test]
fn untruthful_data_is_refused_with_what_is_wrong() {
    let mut r = synthetic_ranking();
    r.entries[0].average = 3.5;
    let err = validate(&ChartSpec::Ranking(r)).expect_err("refused");
    assert_eq!(
        err.to_string(),
        "入力に 1 件の問題があります:\n北海道 の平均点 3.5 は 1〜3 の範囲にありません"
    );
    let mut r = synthetic_ranking();
    r.entries[1].rank = 3;
    let err = validate(&ChartSpec::Ranking(r)).expect_err("refused");
    assert!(
        err.to_string()
            .contains("順位が 1 から始まる上位順になっていません"),
        "{err}"
    );
    let mut s = synthetic_shares();
    s.majors[1].1 = [40.0, 30.0, 20.0];
    let err = validate(&ChartSpec::Shares(s)).expect_err("refused");
    assert!(err.to_string().contains("2 環境及び設備 の割合"), "{err}");
    let empty = ChartSpec::Overall(OverallTrend {
        scope: "全国".into(),
        series: vec![],
        note: String::new(),
    });
    assert_eq!(
        render(&empty, Format::Png).expect_err("empty").to_string(),
        "入力に 1 件の問題があります:\n「総平均点の推移（全国）」に描くデータがありません"
    );
}

#[test]
fn figures_are_printed_as_the_tables_print_them() {
    // Half away from zero, where `{:.3}` would round 2.0625 to even.
    assert_eq!(format!("{:.3}", 2.0625), "2.062");
    assert_eq!(fixed(2.0625, 3), "2.063");
    assert_eq!(fixed(33.25, 1), "33.3");
    assert_eq!(fixed(2.0005, 3), "2.001");
    assert_eq!(fixed(8.0 / 3.0, 3), "2.667");
    assert_eq!(fixed(2.9949, 2), "2.99");
    assert_eq!(fixed(50.0, 1), "50.0");
    assert_eq!(prefectures().len(), 47);
}

#[test]
fn etag_follows_the_data_and_the_format() {
    let a = published(ChartKind::Overall, None);
    let mut b = a.clone();
    if let ChartSpec::Overall(t) = &mut b {
        t.series[0].points[4].1 = 2.98;
    }
    let tag = |s: &ChartSpec, f| etag(s, f).expect("etag");
    assert_eq!(tag(&a, Format::Png), tag(&a.clone(), Format::Png));
    assert_ne!(tag(&a, Format::Png), tag(&b, Format::Png));
    assert_ne!(tag(&a, Format::Png), tag(&a, Format::Svg));
    assert_eq!(tag(&a, Format::Png).len(), 34);
    assert!(tag(&a, Format::Png).starts_with('"'));
    // overall_png is render() of chart (a).
    let ChartSpec::Overall(t) = &a else {
        panic!("overall")
    };
    assert_eq!(
        overall_png(t).expect("png"),
        render(&a, Format::Png).expect("png")
    );
}

#[test]
fn kinds_and_formats_parse_from_what_people_type() {
    assert_eq!(ChartKind::parse("shares").ok(), Some(ChartKind::Shares));
    assert!(ChartKind::parse("pie")
        .expect_err("unknown")
        .to_string()
        .starts_with("グラフの種類「pie」はありません"));
    assert_eq!(Format::from_extension("PNG").ok(), Some(Format::Png));
    assert_eq!(
        Format::from_extension("gif").expect_err("gif").to_string(),
        "グラフの形式「gif」には対応していません（png か svg）"
    );
}

#[test]
fn the_data_table_holds_the_figures_the_chart_prints() {
    let spec = ChartSpec::Overall(OverallTrend {
        scope: "東京都".into(),
        series: vec![
            TrendSeries {
                label: "東京都".into(),
                points: vec![(fy(2006), 2.0625), (fy(2007), 2.5)],
            },
            TrendSeries {
                label: "全国".into(),
                points: vec![(fy(2007), 2.841)],
            },
        ],
        note: String::new(),
    });
    let t = spec.data_table();
    assert_eq!(t.head, ["年度", "東京都", "全国"]);
    assert_eq!(
        t.rows,
        [
            vec![
                "平成18年度（2006年度）".to_string(),
                "2.06".into(),
                "—".into()
            ],
            vec![
                "平成19年度（2007年度）".to_string(),
                "2.50".into(),
                "2.84".into()
            ],
        ]
    );
    let shares = ChartSpec::Shares(ShareBars {
        year: fy(2007),
        scope: "全国".into(),
        levels: ["3".into(), "2".into(), "1".into()],
        majors: vec![("1 組織".into(), [62.25, 30.0, 7.75])],
        note: String::new(),
    });
    assert_eq!(
        shares.data_table().rows,
        [vec![
            "1 組織".to_string(),
            "62.3".into(),
            "30.0".into(),
            "7.8".into()
        ]]
    );
}
