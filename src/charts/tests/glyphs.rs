//! The PNG title's glyphs compared with the shipped font's, and the check
//! that refuses a character the font lacks.

use super::*;

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
