//! The 点検結果集計表 workbook (seed 003's layout) of one scope and fiscal
//! year, written from the aggregation engine's [`Summary`] only: no figure is
//! computed here.
//!
//! Three sheets:
//!
//! - `集計表`: the title with 集計団体数, the 総平均点, the scale legend, then
//!   per 大分類 (column A, merged down its rows) each 管理目標 and its
//!   sub-items: code, text with the priority tag, this year's average, the
//!   shares of 回答3 / 回答2 / 回答1, the earlier years' averages, 向上値 and
//!   備考; a row with the 大分類's average after each, and the 総平均点 over
//!   the years at the end. Years of published figures say （公表値） in
//!   their heading.
//! - `重要点検項目`: this year's priority items with their results, and the
//!   organisations that do not score 3 on every one.
//! - `グラフ`: the data of the charts (years × 総平均点, years × each
//!   priority item's average), a native Excel line chart of each, and the
//!   PNG of chart (a) beside the first.
//!
//! Every figure is a number cell holding the engine's exact value (a share
//! as a fraction: 99.2% is 0.992), formatted [`FMT_AVERAGE`],
//! [`FMT_SHARE`] or [`FMT_OVERALL`]; a missing figure is the text `-`, as in
//! seed 003.

use rust_xlsxwriter::{
    Chart, ChartEmptyCells, ChartFont, ChartLegendPosition, ChartMarker, ChartMarkerType,
    ChartType, Color, DocProperties, Format, FormatAlign, FormatBorder, Image, Workbook, Worksheet,
    XlsxError,
};

use super::form_export::{escape_header, row_height};
use crate::charts::{self, OverallTrend, TrendSeries};
use crate::checklists::Catalog;
use crate::db::DbConnection;
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::stats::{self, Figure, HistoryCell, ItemRow, Scope, Source, Summary};

pub const SHEET_TABLE: &str = "集計表";
pub const SHEET_PRIORITY: &str = "重要点検項目";
pub const SHEET_CHARTS: &str = "グラフ";

/// Averages and 向上値 (3 decimals, as seed 003 prints them).
pub const FMT_AVERAGE: &str = "0.000";
/// Shares of the answers: the cell holds the fraction.
pub const FMT_SHARE: &str = "0.0%";
/// The 総平均点 and its change (2 decimals).
pub const FMT_OVERALL: &str = "0.00";
const FMT_CHANGE: &str = "+0.00;-0.00;0.00";

/// Shown where a year has no figure.
pub const NONE: &str = "-";

const FONT: &str = "ＭＳ Ｐゴシック";

/// The header row of `集計表`, by title: `調査項目` is the text column.
pub const TITLE_CODE: &str = "小項目";
pub const TITLE_TEXT: &str = "調査項目";
/// On `重要点検項目`: how many organisations answered the item 1 or 2.
pub const NOT_AT_3: &str = "回答1・2の団体数";

/// The columns of `集計表` (0-based) for a table with `years` earlier years.
#[derive(Debug, Clone, Copy)]
struct Cols {
    years: u16,
}

impl Cols {
    const MAJOR: u16 = 0;
    const CODE: u16 = 1;
    const TEXT: u16 = 2;
    const AVERAGE: u16 = 3;
    const SHARE3: u16 = 4;
    const SHARE2: u16 = 5;
    const SHARE1: u16 = 6;
    fn history(self, i: usize) -> u16 {
        7 + i as u16
    }
    fn improvement(self) -> u16 {
        7 + self.years
    }
    fn remark(self) -> u16 {
        8 + self.years
    }
}

/// The 集計表 workbook of `scope` for `fy`, from a fresh table of the engine,
/// with chart (a) drawn beside its native chart.
pub fn export_summary(
    conn: &mut DbConnection,
    catalog: &Catalog,
    scope: &Scope,
    fy: FiscalYear,
    basis: stats::Basis,
) -> AppResult<(Summary, Vec<u8>)> {
    let summary = stats::data::summary_of(conn, catalog, scope, fy, basis)?;
    let bytes = summary_workbook(&summary, catalog)?;
    Ok((summary, bytes))
}

/// The workbook of a table already computed (the web app takes it from its
/// cache): draws chart (a) when the table has a 総平均点 and writes the book.
pub fn summary_workbook(summary: &Summary, catalog: &Catalog) -> AppResult<Vec<u8>> {
    let png = match overall_trend(summary) {
        Some(trend) => Some(charts::overall_png(&trend)?),
        None => None,
    };
    write_summary(summary, catalog, png.as_deref())
}

/// Chart (a), 総平均点の推移, from the table's own 総平均点 of every year
/// shown; `None` when no year has one.
pub fn overall_trend(summary: &Summary) -> Option<OverallTrend> {
    let points: Vec<(FiscalYear, f64)> = overall_by_year(summary)
        .into_iter()
        .filter_map(|(fy, f, _)| Some((fy, f?.value)))
        .collect();
    if points.is_empty() {
        return None;
    }
    Some(OverallTrend {
        scope: summary.scope.name.clone(),
        series: vec![TrendSeries {
            label: summary.scope.name.clone(),
            points,
        }],
        note: format!(
            "点検結果集計表（{}）の総平均点。{}",
            summary.fiscal_year_label,
            sources_note(summary)
        ),
    })
}

/// Which years are published figures and which are computed from answers.
fn sources_note(summary: &Summary) -> String {
    let mut published: Vec<String> = summary
        .years
        .iter()
        .filter(|y| y.source == Source::Published)
        .map(|y| y.short.clone())
        .collect();
    if summary.source == Some(Source::Published) {
        published.push(summary.fiscal_year_short.clone());
    }
    if published.is_empty() {
        "各団体の回答から集計".into()
    } else {
        format!(
            "{} は総務省の公表値、その他は各団体の回答から集計",
            published.join("・")
        )
    }
}

/// The 総平均点 of every year shown, oldest first, with its source.
fn overall_by_year(s: &Summary) -> Vec<(FiscalYear, Option<&Figure>, Option<Source>)> {
    s.overall
        .history
        .iter()
        .map(|h| (h.fiscal_year, h.average.as_ref(), h.source))
        .chain(std::iter::once((
            s.fiscal_year,
            s.overall.average.as_ref(),
            s.overall.source,
        )))
        .filter_map(|(y, f, src)| FiscalYear::new(y).ok().map(|fy| (fy, f, src)))
        .collect()
}

/// An item's average of every year shown, oldest first.
fn item_by_year(i: &ItemRow) -> Vec<Option<&Figure>> {
    i.history
        .iter()
        .map(|h: &HistoryCell| h.average.as_ref())
        .chain(std::iter::once(i.average.as_ref()))
        .collect()
}

/// A download name: `点検結果集計表_東京都_H19.xlsx` (and an ASCII one for
/// old clients: `tenken-summary-pref-130001-2007.xlsx`).
pub fn file_names(summary: &Summary) -> (String, String) {
    let name: String = summary
        .scope
        .name
        .chars()
        .filter(|c| !matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|'))
        .filter(|c| !c.is_control())
        .collect();
    let (mark, tag) = if summary.basis.is_provisional() {
        ("【速報】", "-provisional")
    } else {
        ("", "")
    };
    let utf8 = format!(
        "{mark}点検結果集計表_{name}_{}.xlsx",
        summary.fiscal_year_short
    );
    let key: String = summary
        .scope
        .key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let ascii = format!("tenken-summary-{key}-{}{tag}.xlsx", summary.fiscal_year);
    (utf8, ascii)
}

struct Formats {
    title: Format,
    subtitle: Format,
    label: Format,
    note: Format,
    header: Format,
    major: Format,
    goal: Format,
    goal_no: Format,
    code: Format,
    text: Format,
    prio_code: Format,
    prio_text: Format,
    tag_now: Format,
    tag_past: Format,
    average: Format,
    goal_average: Format,
    share: Format,
    overall: Format,
    change: Format,
    dash: Format,
    remark: Format,
    plain: Format,
    year: Format,
    count: Format,
}

impl Formats {
    fn new() -> Self {
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

fn xlsx_error(e: XlsxError) -> AppError {
    AppError::internal_from("writing the 集計表 workbook", e)
}

/// What a figure cell shows: its number format and scale.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Average,
    /// A 管理目標's or 大分類's average, bold on grey.
    GroupAverage,
    /// Percent in the table, a fraction in the cell.
    Share,
    Overall,
    Change,
}

/// Writes a figure as its kind says, or `-`.
fn put(
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

/// The 集計表 workbook of `summary`: pure, no database. `overall_png` is
/// chart (a), put beside the native chart of the 総平均点.
pub fn write_summary(
    summary: &Summary,
    catalog: &Catalog,
    overall_png: Option<&[u8]>,
) -> AppResult<Vec<u8>> {
    build(summary, catalog, overall_png).map_err(xlsx_error)
}

fn build(s: &Summary, catalog: &Catalog, png: Option<&[u8]>) -> Result<Vec<u8>, XlsxError> {
    let f = Formats::new();
    let list = catalog.checklist(s.scope.variant);
    let mut workbook = Workbook::new();
    workbook.set_default_format(
        &Format::new()
            .set_font_name(FONT)
            .set_font_size(10)
            .set_font_charset(128)
            .set_align(FormatAlign::VerticalCenter),
        17,
        64,
    )?;
    let title = if s.basis.is_provisional() {
        format!(
            "【速報・公式の集計ではありません】{}による点検結果集計表",
            list.title
        )
    } else {
        format!("{}による点検結果集計表", list.title)
    };
    workbook.set_properties(
        &DocProperties::new()
            .set_title(&title)
            .set_subject(format!("{} {}", s.scope.name, s.fiscal_year_label))
            .set_comment(format!("tenken-summary/1 {}", s.scope.key)),
    );

    let ws = workbook.add_worksheet();
    ws.set_name(SHEET_TABLE)?;
    table_sheet(ws, s, catalog, &title, &f)?;

    let ws = workbook.add_worksheet();
    ws.set_name(SHEET_PRIORITY)?;
    priority_sheet(ws, s, &f)?;

    let ws = workbook.add_worksheet();
    ws.set_name(SHEET_CHARTS)?;
    charts_sheet(ws, s, png, &f)?;

    workbook.save_to_buffer()
}

/// A4 landscape, one page wide, `header_row` on every page, the scope and
/// year in the page header.
fn print_setup(ws: &mut Worksheet, s: &Summary, header_row: Option<u32>) -> Result<(), XlsxError> {
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
fn year_title(short: &str, source: Option<Source>, what: &str) -> String {
    match source {
        Some(Source::Published) => format!("{short}{what}\n（公表値）"),
        _ => format!("{short}{what}"),
    }
}

fn table_sheet(
    ws: &mut Worksheet,
    s: &Summary,
    catalog: &Catalog,
    title: &str,
    f: &Formats,
) -> Result<(), XlsxError> {
    let c = Cols {
        years: s.years.len() as u16,
    };
    let last = c.remark();
    let overall = s.overall.average.as_ref();
    let mut row: u32 = 0;

    ws.merge_range(row, 0, row, last, title, &f.title)?;
    ws.set_row_height(row, 24)?;
    row += 1;
    let count = s
        .organisations
        .map_or_else(|| NONE.to_string(), |n| n.to_string());
    let origin = match s.source {
        Some(Source::Published) => "総務省の公表値",
        Some(Source::Answers) => "各団体の回答から集計",
        None => "この年度の回答はありません",
    };
    ws.merge_range(
        row,
        0,
        row,
        last,
        &match (s.source, &s.counting) {
            (Some(Source::Answers), Some(c)) => format!(
                "{}　{}　集計団体数 {count}団体　{}",
                s.scope.name, s.fiscal_year_label, c.label
            ),
            _ => format!(
                "{}　{}　集計団体数 {count}団体（{origin}）",
                s.scope.name, s.fiscal_year_label
            ),
        },
        &f.subtitle,
    )?;
    row += 1;

    // 総平均点, the previous year's and the change.
    let lead = match s.organisations {
        Some(n) => format!("{n}団体の点検結果の総平均点（3点満点）"),
        None => "点検結果の総平均点（3点満点）".to_string(),
    };
    ws.merge_range(row, 0, row, Cols::TEXT, &lead, &f.label)?;
    put(ws, row, Cols::AVERAGE, overall, Kind::Overall, f)?;
    if let (Some(prev), Some(p)) = (&s.overall.previous, s.previous_year) {
        let short = FiscalYear::new(p).map(|y| y.short()).unwrap_or_default();
        ws.merge_range(
            row,
            Cols::SHARE3,
            row,
            Cols::SHARE2,
            &format!("{short}総平均点"),
            &f.label,
        )?;
        ws.write_number_with_format(row, Cols::SHARE1, prev.value, &f.overall)?;
        ws.write_string_with_format(row, c.history(0), "増減", &f.label)?;
        put(
            ws,
            row,
            c.history(0) + 1,
            s.overall.change.as_ref(),
            Kind::Change,
            f,
        )?;
    }
    row += 2;

    // The scale.
    for level in catalog.scale.levels.iter().filter(|l| l.counts_in_average) {
        ws.write_string_with_format(row, 0, format!("回答{}", level.value), &f.label)?;
        let text = format!("{}（{}）", level.label, level.definition);
        ws.merge_range(row, 1, row, last, &text, &f.plain)?;
        row += 1;
    }
    let mut note = String::from(
        "※ 回答3・2・1以外に、回答0（関係するシステムが存在しない等、質問項目に該当しない。）とした団体もある。平均値は回答1〜3の平均、割合は回答1〜3の団体に占める割合。",
    );
    note.push_str(&format!(
        "「-」はその年度に数値がないもの。{}。",
        sources_note(s)
    ));
    note.push_str("セルには丸める前の値が入っており、表示は平均値・向上値が小数第3位、割合が小数第1位、総平均点が小数第2位です。");
    ws.merge_range(row, 0, row, last, &note, &f.note)?;
    ws.set_row_height(row, 30)?;
    row += 2;

    // Column titles.
    let header_row = row;
    let prev_short = s
        .previous_year
        .and_then(|y| FiscalYear::new(y).ok())
        .map(|y| y.short());
    let mut titles: Vec<(u16, String)> = vec![
        (Cols::MAJOR, "大分類".into()),
        (Cols::CODE, TITLE_CODE.into()),
        (Cols::TEXT, TITLE_TEXT.into()),
        (
            Cols::AVERAGE,
            year_title(&s.fiscal_year_short, s.source, "平均値"),
        ),
        (Cols::SHARE3, "回答3".into()),
        (Cols::SHARE2, "回答2".into()),
        (Cols::SHARE1, "回答1".into()),
    ];
    for (i, y) in s.years.iter().enumerate() {
        titles.push((c.history(i), year_title(&y.short, Some(y.source), "平均値")));
    }
    let imp_published = s
        .items()
        .any(|i| i.improvement_source == Some(Source::Published));
    let imp = match &prev_short {
        Some(p) => format!("{p}→{}\n向上値", s.fiscal_year_short),
        None => "向上値".into(),
    };
    titles.push((
        c.improvement(),
        if imp_published {
            format!("{imp}（公表値）")
        } else {
            imp
        },
    ));
    titles.push((c.remark(), "備考".into()));
    for (col, t) in &titles {
        ws.write_string_with_format(row, *col, t, &f.header)?;
    }
    ws.set_row_height(row, 42)?;
    row += 1;

    for m in &s.majors {
        let first = row;
        for g in &m.goals {
            ws.write_string_with_format(row, Cols::CODE, g.no.to_string(), &f.goal_no)?;
            ws.write_string_with_format(row, Cols::TEXT, &g.text, &f.goal)?;
            put(
                ws,
                row,
                Cols::AVERAGE,
                g.average.as_ref(),
                Kind::GroupAverage,
                f,
            )?;
            for col in Cols::SHARE3..=last {
                ws.write_blank(row, col, &f.goal)?;
            }
            ws.set_row_height(row, row_height(&g.text, 40.0))?;
            row += 1;
            for i in &g.items {
                item_row(ws, row, c, i, f)?;
                row += 1;
            }
        }
        ws.merge_range(
            row,
            Cols::CODE,
            row,
            Cols::TEXT,
            &format!("{}の平均", m.name),
            &f.goal,
        )?;
        put(
            ws,
            row,
            Cols::AVERAGE,
            m.average.as_ref(),
            Kind::GroupAverage,
            f,
        )?;
        for col in Cols::SHARE3..=last {
            ws.write_blank(row, col, &f.goal)?;
        }
        let name = format!("{}\n{}", m.no, m.name);
        if row > first {
            ws.merge_range(first, Cols::MAJOR, row, Cols::MAJOR, &name, &f.major)?;
        } else {
            ws.write_string_with_format(row, Cols::MAJOR, &name, &f.major)?;
        }
        row += 1;
    }

    // 総平均点 of every year.
    ws.merge_range(row, Cols::MAJOR, row, Cols::TEXT, "総平均点", &f.label)?;
    put(ws, row, Cols::AVERAGE, overall, Kind::Overall, f)?;
    for col in Cols::SHARE3..=Cols::SHARE1 {
        ws.write_blank(row, col, &f.plain)?;
    }
    for (i, h) in s.overall.history.iter().enumerate() {
        put(ws, row, c.history(i), h.average.as_ref(), Kind::Overall, f)?;
    }
    put(
        ws,
        row,
        c.improvement(),
        s.overall.change.as_ref(),
        Kind::Change,
        f,
    )?;
    ws.write_blank(row, c.remark(), &f.plain)?;
    let last_row = row;

    ws.set_column_width(Cols::MAJOR, 11)?;
    ws.set_column_width(Cols::CODE, 6)?;
    ws.set_column_width(Cols::TEXT, 44)?;
    ws.set_column_width(Cols::AVERAGE, 9)?;
    for col in Cols::SHARE3..=Cols::SHARE1 {
        ws.set_column_width(col, 7)?;
    }
    for i in 0..s.years.len() {
        ws.set_column_width(c.history(i), 9)?;
    }
    ws.set_column_width(c.improvement(), 9)?;
    ws.set_column_width(c.remark(), 18)?;

    ws.set_freeze_panes(header_row + 1, Cols::AVERAGE)?;
    print_setup(ws, s, Some(header_row))?;
    ws.set_print_area(0, 0, last_row, last)?;
    Ok(())
}

fn item_row(
    ws: &mut Worksheet,
    row: u32,
    c: Cols,
    i: &ItemRow,
    f: &Formats,
) -> Result<(), XlsxError> {
    let (code_fmt, text_fmt) = if i.priority_now {
        (&f.prio_code, &f.prio_text)
    } else {
        (&f.code, &f.text)
    };
    ws.write_string_with_format(row, Cols::CODE, &i.code, code_fmt)?;
    match &i.priority_tag {
        Some(tag) => {
            let tag_fmt = if i.priority_now {
                &f.tag_now
            } else {
                &f.tag_past
            };
            let plain = Format::new();
            ws.write_rich_string_with_format(
                row,
                Cols::TEXT,
                &[(&plain, i.text.as_str()), (tag_fmt, tag.as_str())],
                text_fmt,
            )?
        }
        None => ws.write_string_with_format(row, Cols::TEXT, &i.text, text_fmt)?,
    };
    put(ws, row, Cols::AVERAGE, i.average.as_ref(), Kind::Average, f)?;
    let shares = i.shares.as_ref();
    for (col, share) in [
        (Cols::SHARE3, shares.map(|x| &x.three)),
        (Cols::SHARE2, shares.map(|x| &x.two)),
        (Cols::SHARE1, shares.map(|x| &x.one)),
    ] {
        put(ws, row, col, share, Kind::Share, f)?;
    }
    for (n, h) in i.history.iter().enumerate() {
        put(ws, row, c.history(n), h.average.as_ref(), Kind::Average, f)?;
    }
    put(
        ws,
        row,
        c.improvement(),
        i.improvement.as_ref(),
        Kind::Average,
        f,
    )?;
    let remark = remark_text(i);
    ws.write_string_with_format(row, c.remark(), &remark, &f.remark)?;
    let mut text = i.text.clone();
    text.push_str(i.priority_tag.as_deref().unwrap_or_default());
    ws.set_row_height(row, row_height(&text, 42.0).max(row_height(&remark, 20.0)))?;
    Ok(())
}

/// 備考: when the item is answered, and the numbers behind the average.
fn remark_text(i: &ItemRow) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(r) = &i.remark {
        parts.push(r.clone());
    }
    if let (Some(n), Some(z)) = (i.respondents, i.not_applicable) {
        match &i.na_rate {
            Some(r) => parts.push(format!("回答 {n}・該当なし {z}（{}%）", r.printed)),
            None => parts.push(format!("回答 {n}・該当なし {z}")),
        }
    }
    parts.join("\n")
}

fn priority_sheet(ws: &mut Worksheet, s: &Summary, f: &Formats) -> Result<(), XlsxError> {
    let prio: Vec<&ItemRow> = s.items().filter(|i| i.priority_now).collect();
    // Columns: code, text, average, share 3, earlier years, 向上値, answers 1–2.
    let years = s.years.len() as u16;
    let hist = |n: usize| 4 + n as u16;
    let imp = 4 + years;
    let short = 5 + years;
    let last = short;
    let mut row: u32 = 0;
    ws.merge_range(
        row,
        0,
        row,
        last,
        &format!(
            "{}の重要点検項目の結果（{}）",
            s.fiscal_year_label, s.scope.name
        ),
        &f.title,
    )?;
    ws.set_row_height(row, 24)?;
    row += 1;
    let text = match (&s.priority, s.source) {
        (Some(p), _) => format!(
            "重要点検項目 {} 項目について、{}団体中 {}団体が全項目で3点満点（回答0＝該当しないは満たしたものとします）。",
            p.items.len(),
            p.organisations,
            p.achieved
        ),
        (None, Some(Source::Published)) => format!(
            "重要点検項目 {} 項目。総務省の公表値のため、団体ごとの達成状況はありません。",
            prio.len()
        ),
        (None, _) => format!(
            "重要点検項目 {} 項目。この年度の回答はありません。",
            prio.len()
        ),
    };
    ws.merge_range(row, 0, row, last, &text, &f.subtitle)?;
    row += 1;
    if let Some(p) = &s.priority {
        for (label, n) in [
            ("集計団体数", p.organisations),
            ("全項目3点満点の団体数", p.achieved),
            (
                "3点満点に達していない団体数",
                p.organisations.saturating_sub(p.achieved),
            ),
        ] {
            ws.merge_range(row, 0, row, 1, label, &f.label)?;
            ws.write_number_with_format(row, 2, n as f64, &f.count)?;
            row += 1;
        }
    }
    row += 1;

    let header_row = row;
    let mut titles: Vec<(u16, String)> = vec![
        (0, TITLE_CODE.into()),
        (1, TITLE_TEXT.into()),
        (2, year_title(&s.fiscal_year_short, s.source, "平均値")),
        (3, "回答3".into()),
    ];
    for (n, y) in s.years.iter().enumerate() {
        titles.push((hist(n), year_title(&y.short, Some(y.source), "平均値")));
    }
    titles.push((imp, "向上値".into()));
    titles.push((short, NOT_AT_3.into()));
    for (col, t) in &titles {
        ws.write_string_with_format(row, *col, t, &f.header)?;
    }
    ws.set_row_height(row, 42)?;
    row += 1;
    if prio.is_empty() {
        ws.merge_range(
            row,
            0,
            row,
            last,
            "この年度の重要点検項目はありません。",
            &f.plain,
        )?;
        row += 1;
    }
    for g in s.majors.iter().flat_map(|m| &m.goals) {
        let items: Vec<&ItemRow> = g.items.iter().filter(|i| i.priority_now).collect();
        if items.is_empty() {
            continue;
        }
        ws.write_string_with_format(row, 0, g.no.to_string(), &f.goal_no)?;
        ws.merge_range(row, 1, row, last, &g.text, &f.goal)?;
        ws.set_row_height(row, row_height(&g.text, 60.0))?;
        row += 1;
        for i in items {
            ws.write_string_with_format(row, 0, &i.code, &f.code)?;
            ws.write_string_with_format(row, 1, &i.text, &f.text)?;
            put(ws, row, 2, i.average.as_ref(), Kind::Average, f)?;
            put(
                ws,
                row,
                3,
                i.shares.as_ref().map(|x| &x.three),
                Kind::Share,
                f,
            )?;
            for (n, h) in i.history.iter().enumerate() {
                put(ws, row, hist(n), h.average.as_ref(), Kind::Average, f)?;
            }
            put(ws, row, imp, i.improvement.as_ref(), Kind::Average, f)?;
            match i.counts {
                Some(k) => {
                    ws.write_number_with_format(row, short, (k.one + k.two) as f64, &f.count)?
                }
                None => ws.write_string_with_format(row, short, NONE, &f.dash)?,
            };
            ws.set_row_height(row, row_height(&i.text, 44.0))?;
            row += 1;
        }
    }

    if let Some(p) = s.priority.as_ref().filter(|p| !p.not_achieved.is_empty()) {
        row += 1;
        ws.merge_range(
            row,
            0,
            row,
            last,
            "3点満点に達していない団体（3点でない重要点検項目と回答）",
            &f.subtitle,
        )?;
        row += 1;
        ws.write_string_with_format(row, 0, "団体コード", &f.header)?;
        ws.write_string_with_format(row, 1, "団体名", &f.header)?;
        ws.merge_range(row, 2, row, last, "3点でない項目（回答）", &f.header)?;
        row += 1;
        for o in &p.not_achieved {
            let items: Vec<String> = o
                .items
                .iter()
                .map(|i| match i.score {
                    Some(v) => format!("{}（{v}）", i.item),
                    None => format!("{}（未回答）", i.item),
                })
                .collect();
            let items = items.join("、");
            ws.write_string_with_format(row, 0, &o.code, &f.code)?;
            ws.write_string_with_format(row, 1, &o.name, &f.text)?;
            ws.merge_range(row, 2, row, last, &items, &f.text)?;
            ws.set_row_height(row, row_height(&items, 48.0))?;
            row += 1;
        }
    }

    ws.set_column_width(0, 9)?;
    ws.set_column_width(1, 46)?;
    ws.set_column_width(2, 9)?;
    ws.set_column_width(3, 8)?;
    for n in 0..s.years.len() {
        ws.set_column_width(hist(n), 9)?;
    }
    ws.set_column_width(imp, 9)?;
    ws.set_column_width(short, 10)?;
    ws.set_freeze_panes(header_row + 1, 0)?;
    print_setup(ws, s, Some(header_row))
}

/// Where the chart data starts on `グラフ`: titles in this row, one year a row below.
const DATA_HEADER: u32 = 2;

fn chart_font() -> ChartFont {
    let mut font = ChartFont::new();
    font.set_name(FONT).set_character_set(128);
    font
}

fn charts_sheet(
    ws: &mut Worksheet,
    s: &Summary,
    png: Option<&[u8]>,
    f: &Formats,
) -> Result<(), XlsxError> {
    let overall = overall_by_year(s);
    let prio: Vec<&ItemRow> = s.items().filter(|i| i.priority_now).collect();
    let last = 1 + prio.len() as u16;
    ws.merge_range(
        0,
        0,
        0,
        last.max(6),
        &format!(
            "グラフのデータ（{}・{}まで）",
            s.scope.name, s.fiscal_year_label
        ),
        &f.title,
    )?;
    ws.set_row_height(0, 24)?;
    ws.merge_range(
        1,
        0,
        1,
        last.max(6),
        &format!(
            "総平均点と{}の重要点検項目の平均値。{}。空欄は数値のない年度。",
            s.fiscal_year_label,
            sources_note(s)
        ),
        &f.note,
    )?;
    ws.set_row_height(1, 26)?;
    let h = DATA_HEADER;
    ws.write_string_with_format(h, 0, "年度", &f.header)?;
    ws.write_string_with_format(h, 1, "総平均点", &f.header)?;
    for (n, i) in prio.iter().enumerate() {
        ws.write_string_with_format(h, 2 + n as u16, &i.code, &f.header)?;
    }
    let by_item: Vec<Vec<Option<&Figure>>> = prio.iter().map(|i| item_by_year(i)).collect();
    for (k, (fy, value, _)) in overall.iter().enumerate() {
        let r = h + 1 + k as u32;
        ws.write_string_with_format(r, 0, fy.to_string(), &f.year)?;
        match value {
            Some(v) => ws.write_number_with_format(r, 1, v.value, &f.overall)?,
            None => ws.write_blank(r, 1, &f.plain)?,
        };
        for (n, values) in by_item.iter().enumerate() {
            let col = 2 + n as u16;
            match values.get(k).copied().flatten() {
                Some(v) => ws.write_number_with_format(r, col, v.value, &f.average)?,
                None => ws.write_blank(r, col, &f.plain)?,
            };
        }
    }
    let first_data = h + 1;
    let last_data = h + overall.len() as u32;
    ws.set_column_width(0, 12)?;
    for col in 1..=last {
        ws.set_column_width(col, 8)?;
    }

    let font = chart_font();
    let chart_row = last_data + 2;
    let values = |vals: Vec<f64>| -> (f64, f64) {
        let lo = vals.into_iter().fold(3.0_f64, f64::min).max(0.0);
        (((lo - 0.05) * 10.0).floor().max(0.0) / 10.0, 3.0)
    };
    let line_chart = |title: &str, y_format: &str, range: (f64, f64)| -> Chart {
        let mut chart = Chart::new(ChartType::Line);
        chart.title().set_name(title).set_font(&font);
        chart
            .x_axis()
            .set_name("年度")
            .set_name_font(&font)
            .set_font(&font);
        chart
            .y_axis()
            .set_name("平均点（3点満点）")
            .set_name_font(&font)
            .set_font(&font)
            .set_num_format(y_format)
            .set_min(range.0)
            .set_max(range.1);
        chart.legend().set_font(&font);
        chart.show_empty_cells_as(ChartEmptyCells::Gaps);
        chart
    };
    let marker = || {
        let mut m = ChartMarker::new();
        m.set_type(ChartMarkerType::Circle).set_size(6);
        m
    };

    let overall_values: Vec<f64> = overall
        .iter()
        .filter_map(|(_, v, _)| v.map(|v| v.value))
        .collect();
    let (chart_w, chart_h) = (560_u32, 320_u32);
    if !overall_values.is_empty() {
        let mut chart = line_chart(
            &format!("総平均点の推移（{}）", s.scope.name),
            FMT_OVERALL,
            values(overall_values),
        );
        chart
            .add_series()
            .set_name((SHEET_CHARTS, h, 1))
            .set_categories((SHEET_CHARTS, first_data, 0, last_data, 0))
            .set_values((SHEET_CHARTS, first_data, 1, last_data, 1))
            .set_marker(&marker());
        chart.legend().set_position(ChartLegendPosition::Bottom);
        chart.set_width(chart_w).set_height(chart_h);
        ws.insert_chart(chart_row, 0, &chart)?;
    }
    if let Some(bytes) = png {
        let image = Image::new_from_buffer(bytes)?
            .set_scale_width(f64::from(chart_w) / 960.0)
            .set_scale_height(f64::from(chart_h) / 560.0)
            .set_alt_text(format!("総平均点の推移（{}）", s.scope.name));
        ws.insert_image_with_offset(chart_row, 0, &image, chart_w + 16, 0)?;
    }
    let prio_values: Vec<f64> = by_item
        .iter()
        .flatten()
        .filter_map(|v| v.map(|v| v.value))
        .collect();
    if !prio_values.is_empty() {
        let mut chart = line_chart(
            &format!("{}の重要点検項目の平均値の推移", s.fiscal_year_label),
            FMT_AVERAGE,
            values(prio_values),
        );
        for n in 0..prio.len() {
            let col = 2 + n as u16;
            chart
                .add_series()
                .set_name((SHEET_CHARTS, h, col))
                .set_categories((SHEET_CHARTS, first_data, 0, last_data, 0))
                .set_values((SHEET_CHARTS, first_data, col, last_data, col))
                .set_marker(&marker());
        }
        chart.legend().set_position(ChartLegendPosition::Right);
        chart.set_width(chart_w * 2 + 16).set_height(chart_h + 80);
        ws.insert_chart_with_offset(chart_row, 0, &chart, 0, chart_h + 16)?;
    }
    ws.set_freeze_panes(h + 1, 0)?;
    print_setup(ws, s, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklists::{load_catalog, Variant};
    use crate::stats::engine::{self, Input, RankBy};
    use crate::stats::ScopeInfo;

    /// The national table of FY2007 from the published figures alone.
    fn published(catalog: &Catalog) -> Summary {
        engine::build(&Input {
            catalog,
            scope: ScopeInfo {
                key: "national".into(),
                kind: "national",
                code: None,
                name: "全国（市区町村）".into(),
                variant: Variant::Municipal,
            },
            fiscal_year: FiscalYear::new(2007).expect("year"),
            years: Vec::new(),
            use_published: true,
            rank_by: RankBy::Nothing,
        })
    }

    #[test]
    fn the_trend_is_the_tables_own_overall_averages() {
        let catalog = load_catalog(None).expect("catalog");
        let s = published(&catalog);
        let trend = overall_trend(&s).expect("figures");
        let points: Vec<(i32, f64)> = trend.series[0]
            .points
            .iter()
            .map(|(fy, v)| (fy.year(), *v))
            .collect();
        assert_eq!(points.len(), 5);
        assert_eq!(&points[3..], &[(2006, 2.97), (2007, 2.99)]);
        assert_eq!(
            points[0].1,
            s.overall.history[0].average.as_ref().expect("FY2003").value
        );
        assert_eq!(trend.scope, "全国（市区町村）");
        assert!(
            trend.note.ends_with(
                "H15・H16・H17・H18・H19 は総務省の公表値、その他は各団体の回答から集計"
            ),
            "{}",
            trend.note
        );
    }

    #[test]
    fn file_names_are_safe() {
        let catalog = load_catalog(None).expect("catalog");
        let mut s = published(&catalog);
        assert_eq!(
            file_names(&s),
            (
                "点検結果集計表_全国（市区町村）_H19.xlsx".to_string(),
                "tenken-summary-national-2007.xlsx".to_string()
            )
        );
        s.scope.name = "../東京\"都".into();
        s.scope.key = "pref:130001".into();
        assert_eq!(
            file_names(&s),
            (
                "点検結果集計表_..東京都_H19.xlsx".to_string(),
                "tenken-summary-pref-130001-2007.xlsx".to_string()
            )
        );
    }

    #[test]
    fn the_workbook_is_written_without_a_picture_too() {
        let catalog = load_catalog(None).expect("catalog");
        let s = published(&catalog);
        let bytes = write_summary(&s, &catalog, None).expect("workbook");
        assert_eq!(&bytes[..2], b"PK");
        let e = write_summary(&s, &catalog, Some(b"not a png")).expect_err("bad picture");
        assert!(e.to_string().contains("集計表"), "{e}");
    }
}
