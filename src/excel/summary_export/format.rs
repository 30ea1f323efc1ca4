//! The cell formats of the 集計表 workbook and the helpers every sheet uses.

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Worksheet, XlsxError};

use super::{FMT_AVERAGE, FMT_OVERALL, FMT_SHARE, NONE};
use crate::error::AppError;
use crate::excel::form_export::escape_header;
use crate::stats::{Figure, Source, Summary};

const FMT_CHANGE: &str = "+0.00;-0.00;0.00";

/// The cell formats of every sheet.
pub(super) struct Formats {
    pub(super) title: Format,
    pub(super) subtitle: Format,
    pub(super) label: Format,
    pub(super) note: Format,
    pub(super) header: Format,
    pub(super) major: Format,
    pub(super) goal: Format,
    pub(super) goal_no: Format,
    pub(super) code: Format,
    pub(super) text: Format,
    pub(super) prio_code: Format,
    pub(super) prio_text: Format,
    pub(super) tag_now: Format,
    pub(super) tag_past: Format,
    pub(super) average: Format,
    pub(super) goal_average: Format,
    pub(super) share: Format,
    pub(super) overall: Format,
    pub(super) change: Format,
    pub(super) dash: Format,
    pub(super) remark: Format,
    pub(super) plain: Format,
    pub(super) year: Format,
    pub(super) count: Format,
}

impl Formats {
    pub(super) fn new() -> Self {
        let base = Format::new()
            .set_align(FormatAlign::VerticalCenter)
            .set_border(FormatBorder::Thin);
        let grey = Color::RGB(0xD9D9D9);
        let goal_fill = Color::RGB(0xF2F2F2);
        let prio_fill = Color::RGB(0xFFF2CC);
        let num = |f: &str| base.clone().set_num_format(f).set_align(FormatAlign::Right);
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            subtitle: Format::new().set_font_size(11),
            label: base.clone().set_bold().set_background_color(grey),
            note: Format::new()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_font_size(9),
            header: base
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_background_color(grey),
            major: base
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_background_color(Color::RGB(0xDDEBF7)),
            goal: base
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_background_color(goal_fill),
            goal_no: base
                .clone()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_background_color(goal_fill),
            code: base.clone().set_align(FormatAlign::Center),
            text: base.clone().set_text_wrap(),
            prio_code: base
                .clone()
                .set_align(FormatAlign::Center)
                .set_background_color(prio_fill),
            prio_text: base.clone().set_text_wrap().set_background_color(prio_fill),
            tag_now: Format::new()
                .set_bold()
                .set_font_color(Color::RGB(0xC00000)),
            tag_past: Format::new().set_font_color(Color::RGB(0x595959)),
            average: num(FMT_AVERAGE),
            goal_average: num(FMT_AVERAGE).set_bold().set_background_color(goal_fill),
            share: num(FMT_SHARE),
            overall: num(FMT_OVERALL).set_bold(),
            change: num(FMT_CHANGE).set_bold(),
            dash: base.clone().set_align(FormatAlign::Center),
            remark: base.clone().set_text_wrap().set_font_size(9),
            plain: base.clone(),
            year: base.clone().set_align(FormatAlign::Center),
            count: base.set_num_format("0").set_align(FormatAlign::Right),
        }
    }
}

pub(super) fn xlsx_error(e: XlsxError) -> AppError {
    AppError::internal_from("writing the 集計表 workbook", e)
}

/// What a figure cell shows: its number format and scale.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    Average,
    /// A 管理目標's or 大分類's average, bold on grey.
    GroupAverage,
    /// Percent in the table, a fraction in the cell.
    Share,
    Overall,
    Change,
}

/// Writes a figure as its kind says, or `-`.
pub(super) fn put(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    fig: Option<&Figure>,
    kind: Kind,
    f: &Formats,
) -> Result<(), XlsxError> {
    let (fmt, scale) = match kind {
        Kind::Average => (&f.average, 1.0),
        Kind::GroupAverage => (&f.goal_average, 1.0),
        Kind::Share => (&f.share, 0.01),
        Kind::Overall => (&f.overall, 1.0),
        Kind::Change => (&f.change, 1.0),
    };
    match fig {
        Some(v) => ws.write_number_with_format(row, col, v.value * scale, fmt)?,
        None => ws.write_string_with_format(row, col, NONE, &f.dash)?,
    };
    Ok(())
}

/// A4 landscape, one page wide, `header_row` on every page, the scope and
/// year in the page header.
pub(super) fn print_setup(
    ws: &mut Worksheet,
    s: &Summary,
    header_row: Option<u32>,
) -> Result<(), XlsxError> {
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    if let Some(r) = header_row {
        ws.set_repeat_rows(r, r)?;
    }
    ws.set_header(format!(
        "&L{}&R{}",
        escape_header(&s.scope.name),
        escape_header(&s.fiscal_year_label)
    ));
    ws.set_footer("&C&P / &N");
    Ok(())
}

/// `H15平均値（公表値）` for a year of published figures.
pub(super) fn year_title(short: &str, source: Option<Source>, what: &str) -> String {
    match source {
        Some(Source::Published) => format!("{short}{what}\n（公表値）"),
        _ => format!("{short}{what}"),
    }
}
