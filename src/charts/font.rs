//! The one font of every chart: IPAex Gothic, compiled into the binary
//! (`templates/fonts/ipaexg.ttf`, licence beside it). Nothing is looked up on
//! the machine: plotters gets the font registered under its family names, and
//! every text is checked against the font's glyphs before it is drawn, so a
//! character the font lacks is an error naming it, never a box.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, GlyphId, OutlineCurve};
use plotters::style::{register_font, FontStyle};

use crate::error::{AppError, AppResult};

/// The shipped font file (IPA Font License v1.0).
pub static FONT_BYTES: &[u8] = include_bytes!("../../templates/fonts/ipaexg.ttf");

/// The family name charts ask plotters for.
pub const FAMILY: &str = "IPAexGothic";
/// What the font is called in messages.
pub const FONT_NAME: &str = "IPAexゴシック";

/// The parsed font. An unreadable font file is an error, reported once per call.
pub fn font() -> AppResult<&'static FontRef<'static>> {
    static FONT: OnceLock<Result<FontRef<'static>, String>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| {
            AppError::internal_from(format!("同梱フォント {FONT_NAME} を読めません"), e.clone())
        })
}

/// Registers the font with plotters, once, under [`FAMILY`] and the generic
/// names plotters uses by default, so no text can fall back to a font of the
/// machine.
pub fn ensure_registered() -> AppResult<()> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            for family in [FAMILY, "sans-serif", "serif", "monospace"] {
                for style in [FontStyle::Normal, FontStyle::Bold] {
                    register_font(family, style, FONT_BYTES)
                        .map_err(|_| format!("plotters に {FONT_NAME} を登録できません"))?;
                }
            }
            Ok(())
        })
        .clone()
        .map_err(AppError::internal)
}

/// A character the shipped font has no glyph for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingGlyph {
    pub ch: char,
    pub text: String,
}

impl std::fmt::Display for MissingGlyph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "グラフの文字「{}」(U+{:04X}) は同梱フォント {FONT_NAME} にないため描けません（文字列「{}」）",
            self.ch, self.ch as u32, self.text
        )
    }
}

impl std::error::Error for MissingGlyph {}

impl From<MissingGlyph> for AppError {
    fn from(e: MissingGlyph) -> Self {
        AppError::internal(e.to_string())
    }
}

/// Every character of `text` must have a glyph in the font (glyph id 0 is
/// the font's "missing" box). Control characters are refused as well.
pub fn check_text(font: &FontRef<'_>, text: &str) -> Result<(), MissingGlyph> {
    match text
        .chars()
        .find(|&c| c.is_control() || font.glyph_id(c) == GlyphId(0))
    {
        Some(ch) => Err(MissingGlyph {
            ch,
            text: text.to_string(),
        }),
        None => Ok(()),
    }
}

/// The outline of a glyph as SVG path data, in font units (y up).
pub fn glyph_path(font: &FontRef<'_>, id: GlyphId) -> String {
    let Some(outline) = font.outline(id) else {
        return String::new();
    };
    let mut d = String::new();
    let mut last: Option<ab_glyph::Point> = None;
    // A curve that does not continue the previous one starts a new contour.
    fn start(d: &mut String, p: ab_glyph::Point, last: &Option<ab_glyph::Point>) {
        if *last != Some(p) {
            if last.is_some() {
                d.push('Z');
            }
            d.push('M');
            push_point(d, p);
        }
    }
    for curve in &outline.curves {
        match curve {
            OutlineCurve::Line(p0, p1) => {
                start(&mut d, *p0, &last);
                d.push('L');
                push_point(&mut d, *p1);
                last = Some(*p1);
            }
            OutlineCurve::Quad(p0, p1, p2) => {
                start(&mut d, *p0, &last);
                d.push('Q');
                push_point(&mut d, *p1);
                d.push(' ');
                push_point(&mut d, *p2);
                last = Some(*p2);
            }
            OutlineCurve::Cubic(p0, p1, p2, p3) => {
                start(&mut d, *p0, &last);
                d.push('C');
                push_point(&mut d, *p1);
                d.push(' ');
                push_point(&mut d, *p2);
                d.push(' ');
                push_point(&mut d, *p3);
                last = Some(*p3);
            }
        }
    }
    if last.is_some() {
        d.push('Z');
    }
    d
}

fn push_point(d: &mut String, p: ab_glyph::Point) {
    d.push_str(&num(p.x));
    d.push(' ');
    d.push_str(&num(p.y));
}

/// A number for SVG: at most two decimals, no trailing zeros.
pub fn num(v: f32) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}
