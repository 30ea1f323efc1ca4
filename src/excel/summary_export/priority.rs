//! The `重要点検項目` sheet: this year's priority items with their results,
//! and the organisations that do not score 3 on every one.

use rust_xlsxwriter::{Worksheet, XlsxError};

use super::format::{print_setup, put, year_title, Formats, Kind};
use super::{NONE, NOT_AT_3, TITLE_CODE, TITLE_TEXT};
use crate::excel::form_export::row_height;
use crate::stats::{ItemRow, PriorityResult, Source, Summary};

/// The columns (0-based): code, text, average, share 3, earlier years,
/// 向上値, answers 1–2.
#[derive(Debug, Clone, Copy)]
struct Cols {
    years: u16,
}

impl Cols {
    const CODE: u16 = 0;
    const TEXT: u16 = 1;
    const AVERAGE: u16 = 2;
    const SHARE3: u16 = 3;
    fn history(self, n: usize) -> u16 {
        4 + n as u16
    }
    fn improvement(self) -> u16 {
        4 + self.years
    }
    fn not_at_3(self) -> u16 {
        5 + self.years
    }
    fn last(self) -> u16 {
        self.not_at_3()
    }
}

pub(super) fn priority_sheet(
    ws: &mut Worksheet,
    s: &Summary,
    f: &Formats,
) -> Result<(), XlsxError> {
    let prio: Vec<&ItemRow> = s.items().filter(|i| i.priority_now).collect();
    let c = Cols {
        years: s.years.len() as u16,
    };
    let header_row = heading(ws, s, prio.len(), c, f)?;
    let mut row = column_titles(ws, s, c, header_row, f)?;
    if prio.is_empty() {
        ws.merge_range(
            row,
            0,
            row,
            c.last(),
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
        ws.write_string_with_format(row, Cols::CODE, g.no.to_string(), &f.goal_no)?;
        ws.merge_range(row, Cols::TEXT, row, c.last(), &g.text, &f.goal)?;
        ws.set_row_height(row, row_height(&g.text, 60.0))?;
        row += 1;
        for i in items {
            item_row(ws, i, c, row, f)?;
            row += 1;
        }
    }
    if let Some(p) = s.priority.as_ref().filter(|p| !p.not_achieved.is_empty()) {
        shortfalls(ws, p, c, row + 1, f)?;
    }
    column_widths(ws, s, c)?;
    ws.set_freeze_panes(header_row + 1, 0)?;
    print_setup(ws, s, Some(header_row))
}

/// The title, the sentence on how many organisations reach 3 on every
/// priority item and their counts; returns the row of the column titles.
fn heading(
    ws: &mut Worksheet,
    s: &Summary,
    prio: usize,
    c: Cols,
    f: &Formats,
) -> Result<u32, XlsxError> {
    let last = c.last();
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
            "重要点検項目 {prio} 項目。総務省の公表値のため、団体ごとの達成状況はありません。"
        ),
        (None, _) => format!("重要点検項目 {prio} 項目。この年度の回答はありません。"),
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
    Ok(row + 1)
}

/// The column titles in `row`; returns the next row.
fn column_titles(
    ws: &mut Worksheet,
    s: &Summary,
    c: Cols,
    row: u32,
    f: &Formats,
) -> Result<u32, XlsxError> {
    let mut titles: Vec<(u16, String)> = vec![
        (Cols::CODE, TITLE_CODE.into()),
        (Cols::TEXT, TITLE_TEXT.into()),
        (
            Cols::AVERAGE,
            year_title(&s.fiscal_year_short, s.source, "平均値"),
        ),
        (Cols::SHARE3, "回答3".into()),
    ];
    for (n, y) in s.years.iter().enumerate() {
        titles.push((c.history(n), year_title(&y.short, Some(y.source), "平均値")));
    }
    titles.push((c.improvement(), "向上値".into()));
    titles.push((c.not_at_3(), NOT_AT_3.into()));
    for (col, t) in &titles {
        ws.write_string_with_format(row, *col, t, &f.header)?;
    }
    ws.set_row_height(row, 42)?;
    Ok(row + 1)
}

/// One priority item's results in `row`.
fn item_row(
    ws: &mut Worksheet,
    i: &ItemRow,
    c: Cols,
    row: u32,
    f: &Formats,
) -> Result<(), XlsxError> {
    ws.write_string_with_format(row, Cols::CODE, &i.code, &f.code)?;
    ws.write_string_with_format(row, Cols::TEXT, &i.text, &f.text)?;
    put(ws, row, Cols::AVERAGE, i.average.as_ref(), Kind::Average, f)?;
    put(
        ws,
        row,
        Cols::SHARE3,
        i.shares.as_ref().map(|x| &x.three),
        Kind::Share,
        f,
    )?;
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
    match i.counts {
        Some(k) => {
            ws.write_number_with_format(row, c.not_at_3(), (k.one + k.two) as f64, &f.count)?
        }
        None => ws.write_string_with_format(row, c.not_at_3(), NONE, &f.dash)?,
    };
    ws.set_row_height(row, row_height(&i.text, 44.0))?;
    Ok(())
}

/// From `row`: the organisations not at 3 on every priority item, each
/// with the items it does not score 3 on and its answers.
fn shortfalls(
    ws: &mut Worksheet,
    p: &PriorityResult,
    c: Cols,
    mut row: u32,
    f: &Formats,
) -> Result<(), XlsxError> {
    let last = c.last();
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
    Ok(())
}

fn column_widths(ws: &mut Worksheet, s: &Summary, c: Cols) -> Result<(), XlsxError> {
    ws.set_column_width(Cols::CODE, 9)?;
    ws.set_column_width(Cols::TEXT, 46)?;
    ws.set_column_width(Cols::AVERAGE, 9)?;
    ws.set_column_width(Cols::SHARE3, 8)?;
    for n in 0..s.years.len() {
        ws.set_column_width(c.history(n), 9)?;
    }
    ws.set_column_width(c.improvement(), 9)?;
    ws.set_column_width(c.not_at_3(), 10)?;
    Ok(())
}
