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

mod charts;
mod format;
mod priority;
mod table;

use rust_xlsxwriter::{DocProperties, Format, FormatAlign, Workbook, XlsxError};

use self::format::{xlsx_error, Formats};
use crate::charts::{self as chart_images, OverallTrend, TrendSeries};
use crate::checklists::Catalog;
use crate::db::DbConnection;
use crate::domain::FiscalYear;
use crate::error::AppResult;
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

/// Shown where a year has no figure.
pub const NONE: &str = "-";

pub(super) const FONT: &str = "ＭＳ Ｐゴシック";

/// The header row of `集計表`, by title: `調査項目` is the text column.
pub const TITLE_CODE: &str = "小項目";
pub const TITLE_TEXT: &str = "調査項目";
/// On `重要点検項目`: how many organisations answered the item 1 or 2.
pub const NOT_AT_3: &str = "回答1・2の団体数";

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
        Some(trend) => Some(chart_images::overall_png(&trend)?),
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
pub(super) fn sources_note(summary: &Summary) -> String {
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
pub(super) fn overall_by_year(s: &Summary) -> Vec<(FiscalYear, Option<&Figure>, Option<Source>)> {
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
pub(super) fn item_by_year(i: &ItemRow) -> Vec<Option<&Figure>> {
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
    table::table_sheet(ws, s, catalog, &title, &f)?;

    let ws = workbook.add_worksheet();
    ws.set_name(SHEET_PRIORITY)?;
    priority::priority_sheet(ws, s, &f)?;

    let ws = workbook.add_worksheet();
    ws.set_name(SHEET_CHARTS)?;
    charts::charts_sheet(ws, s, png, &f)?;

    workbook.save_to_buffer()
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
