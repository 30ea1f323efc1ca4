//! The `集計表` sheet.

use rust_xlsxwriter::{Format, Worksheet, XlsxError};

use super::format::{print_setup, put, year_title, Formats, Kind};
use super::{sources_note, NONE, TITLE_CODE, TITLE_TEXT};
use crate::checklists::Catalog;
use crate::domain::FiscalYear;
use crate::excel::form_export::row_height;
use crate::stats::{ItemRow, MajorRow, Source, Summary};

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

/// The `集計表` sheet: heading, scale, column titles, one block per 大分類,
/// the 総平均点 of every year; then widths, panes and print setup.
pub(super) fn table_sheet(
    ws: &mut Worksheet,
    s: &Summary,
    catalog: &Catalog,
    title: &str,
    f: &Formats,
) -> Result<(), XlsxError> {
    let c = Cols {
        years: s.years.len() as u16,
    };
    let row = heading(ws, s, c, title, f)?;
    let row = overall_line(ws, s, c, row, f)?;
    let header_row = scale_legend(ws, s, catalog, c, row, f)?;
    let mut row = column_titles(ws, s, c, header_row, f)?;
    for m in &s.majors {
        row = major_block(ws, m, c, row, f)?;
    }
    overall_by_year_row(ws, s, c, row, f)?;
    let last_row = row;
    column_widths(ws, s, c)?;
    ws.set_freeze_panes(header_row + 1, Cols::AVERAGE)?;
    print_setup(ws, s, Some(header_row))?;
    ws.set_print_area(0, 0, last_row, c.remark())?;
    Ok(())
}

/// The title and the line naming the scope, year and 集計団体数 (rows 0
/// and 1); returns the next row.
fn heading(
    ws: &mut Worksheet,
    s: &Summary,
    c: Cols,
    title: &str,
    f: &Formats,
) -> Result<u32, XlsxError> {
    let last = c.remark();
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
    Ok(row + 1)
}

/// 総平均点, the previous year's and the change, in `row`; returns the row
/// after the blank one below.
fn overall_line(
    ws: &mut Worksheet,
    s: &Summary,
    c: Cols,
    row: u32,
    f: &Formats,
) -> Result<u32, XlsxError> {
    let lead = match s.organisations {
        Some(n) => format!("{n}団体の点検結果の総平均点（3点満点）"),
        None => "点検結果の総平均点（3点満点）".to_string(),
    };
    ws.merge_range(row, 0, row, Cols::TEXT, &lead, &f.label)?;
    put(
        ws,
        row,
        Cols::AVERAGE,
        s.overall.average.as_ref(),
        Kind::Overall,
        f,
    )?;
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
    Ok(row + 2)
}

/// The answer scale (one row a level counted in the averages) and the note
/// on how to read the table; returns the row of the column titles.
fn scale_legend(
    ws: &mut Worksheet,
    s: &Summary,
    catalog: &Catalog,
    c: Cols,
    mut row: u32,
    f: &Formats,
) -> Result<u32, XlsxError> {
    let last = c.remark();
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
    Ok(row + 2)
}

/// The column titles in `row` (years of published figures say so);
/// returns the first row of the table's body.
fn column_titles(
    ws: &mut Worksheet,
    s: &Summary,
    c: Cols,
    row: u32,
    f: &Formats,
) -> Result<u32, XlsxError> {
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
    Ok(row + 1)
}

/// One 大分類 from `row`: each 管理目標's row and its sub-items, then the
/// 大分類's average, its name merged down column A; returns the next row.
fn major_block(
    ws: &mut Worksheet,
    m: &MajorRow,
    c: Cols,
    mut row: u32,
    f: &Formats,
) -> Result<u32, XlsxError> {
    let last = c.remark();
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
    Ok(row + 1)
}

/// The last row: the 総平均点 of this year and every earlier one, and its change.
fn overall_by_year_row(
    ws: &mut Worksheet,
    s: &Summary,
    c: Cols,
    row: u32,
    f: &Formats,
) -> Result<(), XlsxError> {
    ws.merge_range(row, Cols::MAJOR, row, Cols::TEXT, "総平均点", &f.label)?;
    put(
        ws,
        row,
        Cols::AVERAGE,
        s.overall.average.as_ref(),
        Kind::Overall,
        f,
    )?;
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
    Ok(())
}

fn column_widths(ws: &mut Worksheet, s: &Summary, c: Cols) -> Result<(), XlsxError> {
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
