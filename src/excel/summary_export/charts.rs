//! The `グラフ` sheet: the data of the charts (years × 総平均点, years × each
//! priority item's average), a native Excel line chart of each, and the PNG
//! of chart (a) beside the first.

use rust_xlsxwriter::{
    Chart, ChartEmptyCells, ChartFont, ChartLegendPosition, ChartMarker, ChartMarkerType,
    ChartType, Image, Worksheet, XlsxError,
};

use super::format::{print_setup, Formats};
use super::{
    item_by_year, overall_by_year, sources_note, FMT_AVERAGE, FMT_OVERALL, FONT, SHEET_CHARTS,
};
use crate::domain::FiscalYear;
use crate::stats::{Figure, ItemRow, Source, Summary};

/// Where the chart data starts on `グラフ`: titles in this row, one year a row below.
const DATA_HEADER: u32 = 2;
/// The size of the native chart of the 総平均点 (and of the picture beside it).
const CHART_W: u32 = 560;
const CHART_H: u32 = 320;

/// The rows of the data the charts refer to.
struct DataRows {
    first: u32,
    last: u32,
}

pub(super) fn charts_sheet(
    ws: &mut Worksheet,
    s: &Summary,
    png: Option<&[u8]>,
    f: &Formats,
) -> Result<(), XlsxError> {
    let overall = overall_by_year(s);
    let prio: Vec<&ItemRow> = s.items().filter(|i| i.priority_now).collect();
    let by_item: Vec<Vec<Option<&Figure>>> = prio.iter().map(|i| item_by_year(i)).collect();
    heading(ws, s, prio.len(), f)?;
    let data = data_table(ws, &overall, &prio, &by_item, f)?;
    let chart_row = data.last + 2;
    let overall_values: Vec<f64> = overall
        .iter()
        .filter_map(|(_, v, _)| v.map(|v| v.value))
        .collect();
    if !overall_values.is_empty() {
        let mut chart = line_chart(
            &format!("総平均点の推移（{}）", s.scope.name),
            FMT_OVERALL,
            value_range(overall_values),
        );
        chart
            .add_series()
            .set_name((SHEET_CHARTS, DATA_HEADER, 1))
            .set_categories((SHEET_CHARTS, data.first, 0, data.last, 0))
            .set_values((SHEET_CHARTS, data.first, 1, data.last, 1))
            .set_marker(&marker());
        chart.legend().set_position(ChartLegendPosition::Bottom);
        chart.set_width(CHART_W).set_height(CHART_H);
        ws.insert_chart(chart_row, 0, &chart)?;
    }
    if let Some(bytes) = png {
        let image = Image::new_from_buffer(bytes)?
            .set_scale_width(f64::from(CHART_W) / 960.0)
            .set_scale_height(f64::from(CHART_H) / 560.0)
            .set_alt_text(format!("総平均点の推移（{}）", s.scope.name));
        ws.insert_image_with_offset(chart_row, 0, &image, CHART_W + 16, 0)?;
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
            value_range(prio_values),
        );
        for n in 0..prio.len() {
            let col = 2 + n as u16;
            chart
                .add_series()
                .set_name((SHEET_CHARTS, DATA_HEADER, col))
                .set_categories((SHEET_CHARTS, data.first, 0, data.last, 0))
                .set_values((SHEET_CHARTS, data.first, col, data.last, col))
                .set_marker(&marker());
        }
        chart.legend().set_position(ChartLegendPosition::Right);
        chart.set_width(CHART_W * 2 + 16).set_height(CHART_H + 80);
        ws.insert_chart_with_offset(chart_row, 0, &chart, 0, CHART_H + 16)?;
    }
    ws.set_freeze_panes(DATA_HEADER + 1, 0)?;
    print_setup(ws, s, None)
}

/// The title and the note on the sources (rows 0 and 1).
fn heading(ws: &mut Worksheet, s: &Summary, prio: usize, f: &Formats) -> Result<(), XlsxError> {
    let last = 1 + prio as u16;
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
    Ok(())
}

/// From [`DATA_HEADER`]: one row a year with its 総平均点 and each priority
/// item's average (blank when the year has none), and the column widths.
fn data_table(
    ws: &mut Worksheet,
    overall: &[(FiscalYear, Option<&Figure>, Option<Source>)],
    prio: &[&ItemRow],
    by_item: &[Vec<Option<&Figure>>],
    f: &Formats,
) -> Result<DataRows, XlsxError> {
    let h = DATA_HEADER;
    ws.write_string_with_format(h, 0, "年度", &f.header)?;
    ws.write_string_with_format(h, 1, "総平均点", &f.header)?;
    for (n, i) in prio.iter().enumerate() {
        ws.write_string_with_format(h, 2 + n as u16, &i.code, &f.header)?;
    }
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
    ws.set_column_width(0, 12)?;
    for col in 1..=1 + prio.len() as u16 {
        ws.set_column_width(col, 8)?;
    }
    Ok(DataRows {
        first: h + 1,
        last: h + overall.len() as u32,
    })
}

/// The y axis of a chart of `vals`: from just below the lowest (a tenth,
/// at least 0) to 3.
fn value_range(vals: Vec<f64>) -> (f64, f64) {
    let lo = vals.into_iter().fold(3.0_f64, f64::min).max(0.0);
    (((lo - 0.05) * 10.0).floor().max(0.0) / 10.0, 3.0)
}

fn chart_font() -> ChartFont {
    let mut font = ChartFont::new();
    font.set_name(FONT).set_character_set(128);
    font
}

/// A line chart over the years, the y axis in points out of 3.
fn line_chart(title: &str, y_format: &str, range: (f64, f64)) -> Chart {
    let font = chart_font();
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
}

fn marker() -> ChartMarker {
    let mut m = ChartMarker::new();
    m.set_type(ChartMarkerType::Circle).set_size(6);
    m
}
