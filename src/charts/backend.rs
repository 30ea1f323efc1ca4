//! A drawing backend around plotters' PNG or SVG backend that owns every
//! text: it refuses a character the shipped font lacks, sets the glyphs of
//! the shipped font itself (advances, kerning and side bearings; the em box
//! centred in the text box plotters measured with the registered font), and
//! then either rasterises them into the bitmap or, in SVG, writes their
//! outlines as paths (each text keeps its string in an `aria-label`), so a
//! viewer without Japanese fonts still sees the glyphs.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;

use ab_glyph::{point, Font, FontRef, GlyphId, PxScale, ScaleFont};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontTransform,
};

use super::font::{self, glyph_path, num};

/// Where the text goes.
pub enum TextMode {
    /// Rasterised by plotters with the registered font (PNG).
    Raster,
    /// Written as glyph outlines into this sink (SVG).
    Paths(Rc<RefCell<SvgText>>),
}

/// The text of one SVG: the glyph outlines used, once each, and their uses.
#[derive(Default)]
pub struct SvgText {
    glyphs: BTreeMap<u16, String>,
    body: String,
}

impl SvgText {
    /// The markup to put at the end of the document, above everything else.
    pub fn markup(&self) -> String {
        let mut out =
            String::from("<g class=\"text\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"><defs>");
        for (id, d) in &self.glyphs {
            let _ = write!(out, "<path id=\"g{id}\" d=\"{d}\"/>");
        }
        out.push_str("</defs>");
        out.push_str(&self.body);
        out.push_str("</g>\n");
        out
    }
}

pub struct Checked<B> {
    inner: B,
    font: &'static FontRef<'static>,
    mode: TextMode,
}

impl<B> Checked<B> {
    pub fn new(inner: B, font: &'static FontRef<'static>, mode: TextMode) -> Self {
        Self { inner, font, mode }
    }
}

fn font_error<E: std::error::Error + Send + Sync>(
    e: impl std::error::Error + Send + Sync + 'static,
) -> DrawingErrorKind<E> {
    DrawingErrorKind::FontError(Box::new(e))
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One glyph set on the line: its pen position on the baseline, relative to
/// the anchor point, before any rotation.
struct Placed {
    id: GlyphId,
    x: f32,
    y: f32,
}

impl<B: DrawingBackend> Checked<B> {
    fn layout<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<Vec<Placed>, DrawingErrorKind<B::ErrorType>> {
        let ((min_x, min_y), (max_x, max_y)) = style.layout_box(text).map_err(font_error)?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let scaled = self.font.as_scaled(style.size() as f32);
        let baseline = dy as f32 + (height as f32 - scaled.height()) / 2.0 + scaled.ascent();
        let mut pen = dx as f32;
        let mut prev = None;
        let mut out = Vec::with_capacity(text.len());
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                pen += scaled.kern(p, id);
            }
            prev = Some(id);
            out.push(Placed {
                id,
                x: pen,
                y: baseline,
            });
            pen += scaled.h_advance(id);
        }
        Ok(out)
    }

    /// Coverage of each glyph, blended into the bitmap in the text's colour.
    fn raster<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        let placed = self.layout(text, style)?;
        let scale = PxScale::from(style.size() as f32);
        let scaled = self.font.as_scaled(scale);
        let color = style.color();
        let trans = style.transform();
        let (w, h) = self.inner.get_size();
        let mut pixels = Vec::new();
        for g in placed {
            let glyph = g.id.with_scale_and_position(scale, point(g.x, g.y));
            if let Some(outlined) = scaled.outline_glyph(glyph) {
                let bounds = outlined.px_bounds();
                outlined.draw(|gx, gy, coverage| {
                    if coverage > 0.0 {
                        let (x, y) = trans.transform(
                            bounds.min.x as i32 + gx as i32,
                            bounds.min.y as i32 + gy as i32,
                        );
                        pixels.push((pos.0 + x, pos.1 + y, coverage.min(1.0)));
                    }
                });
            }
        }
        for (x, y, coverage) in pixels {
            if x >= 0 && y >= 0 && (x as u32) < w && (y as u32) < h {
                self.inner.draw_pixel(
                    (x, y),
                    BackendColor {
                        alpha: color.alpha * f64::from(coverage),
                        rgb: color.rgb,
                    },
                )?;
            }
        }
        Ok(())
    }

    /// The glyphs as `<use>` of their outlines, defined once per document.
    fn record<S: BackendTextStyle>(
        &self,
        sink: &RefCell<SvgText>,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        let placed = self.layout(text, style)?;
        let rotate = match style.transform() {
            FontTransform::None => "",
            FontTransform::Rotate90 => " rotate(90)",
            FontTransform::Rotate180 => " rotate(180)",
            FontTransform::Rotate270 => " rotate(270)",
        };
        let color = style.color();
        let (r, g, b) = color.rgb;
        let factor = self.font.as_scaled(style.size() as f32).scale_factor();
        let mut sink = sink.borrow_mut();
        let mut out = format!(
            "<g aria-label=\"{}\" fill=\"#{r:02X}{g:02X}{b:02X}\"",
            escape(text)
        );
        if color.alpha < 1.0 {
            let _ = write!(out, " fill-opacity=\"{}\"", num(color.alpha as f32));
        }
        let _ = write!(
            out,
            " transform=\"translate({} {}){rotate}\">",
            pos.0, pos.1
        );
        for p in placed {
            if self.font.outline(p.id).is_none() {
                continue; // a space
            }
            sink.glyphs
                .entry(p.id.0)
                .or_insert_with(|| glyph_path(self.font, p.id));
            let _ = write!(
                out,
                "<use xlink:href=\"#g{}\" transform=\"translate({} {}) scale({} {})\"/>",
                p.id.0,
                num(p.x),
                num(p.y),
                factor.horizontal,
                -factor.vertical
            );
        }
        out.push_str("</g>");
        sink.body.push_str(&out);
        Ok(())
    }
}

impl<B: DrawingBackend> DrawingBackend for Checked<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        font::check_text(self.font, text).map_err(font_error)?;
        if style.color().alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        match &self.mode {
            TextMode::Raster => self.raster(text, style, pos),
            TextMode::Paths(sink) => self.record(sink, text, style, pos),
        }
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.inner.estimate_text_size(text, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (iw, ih): (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, (iw, ih), src)
    }
}
