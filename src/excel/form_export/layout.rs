//! The layout of the 調査票 sheet (see the module `excel`): the header rows,
//! the conditions, how to answer, the column titles, the hierarchy with one
//! row per sub-item, the drop-downs and length limits, print setup and
//! protection.

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationRule, DocProperties, Format, FormatAlign, FormatBorder,
    ProtectionOptions, Worksheet, XlsxError,
};

use super::{escape_header, row_height, FormData, MAX_TEXT_CHARS, NO, YES};
use crate::checklists::outline::{self, Node};
use crate::checklists::Checklist;
use crate::domain::FiscalYear;
use crate::excel::{
    cell_name, new_workbook, Column, COL_KEY, COL_LABEL, COND_PREFIX, FORMAT_MARK, ITEM_PREFIX,
    KEY_CHECKLIST, KEY_HEADER, KEY_ORG, KEY_YEAR, SHEET,
};

struct Formats {
    title: Format,
    label: Format,
    value: Format,
    year: Format,
    note: Format,
    header: Format,
    major: Format,
    middle: Format,
    minor: Format,
    goal: Format,
    no: Format,
    text: Format,
    mark: Format,
    previous: Format,
    answer: Format,
    input: Format,
    /// A date typed here stays the text typed (not an Excel date).
    target: Format,
    condition: Format,
}

impl Formats {
    fn new(fy_display: &str) -> Self {
        let base = Format::new()
            .set_align(FormatAlign::VerticalCenter)
            .set_border(FormatBorder::Thin);
        let unlocked = base
            .clone()
            .set_unlocked()
            .set_background_color(Color::RGB(0xFFF2CC));
        // The year is stored as a number (2007) and shown as 平成19年度（2007年度）.
        let year_format = format!("\"{}\"", fy_display.replace('"', ""));
        Formats {
            title: Format::new().set_bold().set_font_size(13),
            label: base
                .clone()
                .set_bold()
                .set_background_color(Color::RGB(0xD9D9D9)),
            value: base.clone(),
            year: base.clone().set_num_format(year_format),
            note: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            header: base
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_background_color(Color::RGB(0xD9D9D9)),
            major: base
                .clone()
                .set_bold()
                .set_background_color(Color::RGB(0xBDD7EE)),
            middle: base
                .clone()
                .set_bold()
                .set_background_color(Color::RGB(0xDDEBF7)),
            minor: base.clone().set_background_color(Color::RGB(0xF2F2F2)),
            goal: base.clone().set_bold().set_text_wrap(),
            no: base.clone().set_align(FormatAlign::Top),
            text: base.clone().set_text_wrap().set_align(FormatAlign::Top),
            mark: base
                .clone()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::Top),
            previous: base.clone().set_align(FormatAlign::Top),
            answer: unlocked
                .clone()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::Top),
            input: unlocked.clone().set_text_wrap().set_align(FormatAlign::Top),
            target: unlocked
                .clone()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_num_format("@"),
            condition: unlocked.set_bold().set_align(FormatAlign::Center),
        }
    }
}

/// Column widths, from B on, in Excel character units.
const WIDTHS: [(Column, f64); 10] = [
    (Column::No, 7.0),
    (Column::Text, 50.0),
    (Column::Priority, 5.0),
    (Column::Previous, 13.0),
    (Column::Answer, 8.0),
    (Column::Comment, 20.0),
    (Column::Situation, 15.0),
    (Column::Measure, 18.0),
    (Column::Person, 8.0),
    (Column::Target, 9.0),
];

/// The sheet being written: the worksheet, its formats and what it shows.
struct FormSheet<'w, 'd> {
    ws: &'w mut Worksheet,
    f: Formats,
    data: &'d FormData<'d>,
    list: &'d Checklist,
}

/// The last column of the sheet (目標時期).
fn last_col() -> u16 {
    col(Column::Target)
}

fn col(c: Column) -> u16 {
    c.index()
}

pub(super) fn build(data: &FormData<'_>) -> Result<Vec<u8>, XlsxError> {
    let list = data.catalog.checklist(data.variant);
    let fy = data.fiscal_year;
    let mut workbook = new_workbook()?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title(format!("{} {}", list.title, list.name))
            .set_subject(format!("{} {} {}", data.org_code, data.org_name, fy))
            .set_comment(format!("{FORMAT_MARK} {}", list.version_label())),
    );
    let ws = workbook.add_worksheet();
    ws.set_name(SHEET)?;
    let mut sheet = FormSheet {
        ws,
        f: Formats::new(&fy.to_string()),
        data,
        list,
    };
    let row = sheet.header_rows()?;
    let row = sheet.conditions(row)?;
    let header_row = sheet.how_to_answer(row)?;
    let row = sheet.column_titles(header_row)?;
    let mut answer_rows: Vec<u32> = Vec::new();
    let row = sheet.hierarchy(row, &mut answer_rows)?;
    let last_row = row.saturating_sub(1);
    sheet.validations(&answer_rows)?;
    sheet.page_setup(header_row, last_row)?;
    sheet.protect();
    workbook.save_to_buffer()
}

impl FormSheet<'_, '_> {
    /// Merges the cells of one row from one column to another.
    fn across(
        &mut self,
        row: u32,
        from: Column,
        to: Column,
        text: &str,
        fmt: &Format,
    ) -> Result<(), XlsxError> {
        self.ws
            .merge_range(row, col(from), row, col(to), text, fmt)?;
        Ok(())
    }

    /// A header row's machine key in A and its label in B–C.
    fn label(&mut self, row: u32, key: &str, text: &str) -> Result<(), XlsxError> {
        self.ws.write_string(row, COL_KEY, key)?;
        self.ws
            .merge_range(row, 1, row, COL_LABEL, text, &self.f.label)?;
        Ok(())
    }

    /// The title, then the header rows (key in A, label in C, value in the
    /// answer column F): organisation, year, checklist version. Returns the
    /// next row.
    fn header_rows(&mut self) -> Result<u32, XlsxError> {
        let data = self.data;
        let fy = data.fiscal_year;
        self.ws.write_string(0, COL_KEY, FORMAT_MARK)?;
        self.ws.merge_range(
            0,
            1,
            0,
            last_col(),
            &format!("{}（{}）", self.list.title, self.list.name),
            &self.f.title,
        )?;
        self.ws.set_row_height(0, 24)?;
        let mut row: u32 = 1;
        self.label(row, KEY_ORG, "団体コード")?;
        self.ws.write_string_with_format(
            row,
            col(Column::Answer),
            &data.org_code,
            &self.f.value,
        )?;
        let value = self.f.value.clone();
        self.across(row, Column::Comment, Column::Target, &data.org_name, &value)?;
        row += 1;

        self.label(row, KEY_YEAR, "年度")?;
        let year = self.f.year.clone();
        self.across(row, Column::Answer, Column::Comment, "", &year)?;
        self.ws
            .write_number_with_format(row, col(Column::Answer), fy.year(), &self.f.year)?;
        if let Some(p) = fy.previous() {
            let note = self.f.note.clone();
            self.across(
                row,
                Column::Situation,
                Column::Target,
                &format!("「{}」欄は {} の回答", Column::Previous.title(), p),
                &note,
            )?;
        }
        row += 1;

        self.label(row, KEY_CHECKLIST, "調査票の版")?;
        self.across(
            row,
            Column::Answer,
            Column::Comment,
            &self.list.version_label(),
            &value,
        )?;
        Ok(row + 1)
    }

    /// One row per condition of the checklist from `row`: the question, a
    /// はい／いいえ drop-down (prefilled when known) and which items each
    /// answer asks for. Returns the next row.
    fn conditions(&mut self, mut row: u32) -> Result<u32, XlsxError> {
        let yes_no = DataValidation::new()
            .allow_list_strings(&[YES, NO])?
            .set_input_title("はい／いいえ")?
            .set_input_message("「はい」か「いいえ」を選んでください。")?
            .set_error_title("はい／いいえ")?
            .set_error_message("「はい」か「いいえ」を選んでください。")?;
        let list = self.list;
        let fy = self.data.fiscal_year;
        for cond in &list.conditions {
            self.label(row, &format!("{COND_PREFIX}{}", cond.key), &cond.question)?;
            match self.data.conditions.get(&cond.key) {
                Some(v) => self.ws.write_string_with_format(
                    row,
                    col(Column::Answer),
                    if *v { YES } else { NO },
                    &self.f.condition,
                )?,
                None => self
                    .ws
                    .write_blank(row, col(Column::Answer), &self.f.condition)?,
            };
            self.ws.add_data_validation(
                row,
                col(Column::Answer),
                row,
                col(Column::Answer),
                &yes_no,
            )?;
            let note = self.f.note.clone();
            self.across(
                row,
                Column::Comment,
                Column::Target,
                &condition_note(list, &cond.key, fy),
                &note,
            )?;
            self.ws.set_row_height(row, 30)?;
            row += 1;
        }
        Ok(row)
    }

    /// How to answer: the scale with its definitions, in `row`. Returns the
    /// row of the column titles.
    fn how_to_answer(&mut self, row: u32) -> Result<u32, XlsxError> {
        let scale: Vec<String> = self
            .data
            .catalog
            .scale
            .levels
            .iter()
            .map(|l| format!("{} {}: {}", l.value, l.label, l.definition))
            .collect();
        let how = format!(
            "「{}」欄に 3・2・1・0 を選んでください（全角の数字や「運用している」などの言葉でも構いません）。1 か 2 の項目は、改善計画（{}・{}・{}・{}）も書いてください。\n{}",
            Column::Answer.title(),
            Column::Situation.title(),
            Column::Measure.title(),
            Column::Person.title(),
            Column::Target.title(),
            scale.join("\n")
        );
        self.ws
            .merge_range(row, 1, row, last_col(), &how, &self.f.note)?;
        self.ws
            .set_row_height(row, 18.0 * (scale.len() as f64 + 2.0))?;
        Ok(row + 1)
    }

    /// The column titles in `row`, found by the importer through the key
    /// `header` in A. Returns the next row.
    fn column_titles(&mut self, row: u32) -> Result<u32, XlsxError> {
        self.ws.write_string(row, COL_KEY, KEY_HEADER)?;
        for c in Column::ALL {
            self.ws
                .write_string_with_format(row, col(c), c.title(), &self.f.header)?;
        }
        self.ws.set_row_height(row, 30)?;
        Ok(row + 1)
    }

    /// A category's or goal's row: its number in B, its text across the rest.
    fn span(&mut self, row: u32, no: &str, text: &str, fmt: &Format) -> Result<(), XlsxError> {
        self.ws
            .write_string_with_format(row, col(Column::No), no, fmt)?;
        self.across(row, Column::Text, Column::Target, text, fmt)
    }

    fn category(&mut self, row: u32, node: &Node, fmt: &Format) -> Result<(), XlsxError> {
        self.span(row, &node.no, &supplied(&node.name, node.supplied), fmt)
    }

    /// The hierarchy of the year from `row` (大・中・小分類, 管理目標) with a
    /// row per sub-item, whose rows are added to `answer_rows`. Returns the
    /// next row.
    fn hierarchy(&mut self, mut row: u32, answer_rows: &mut Vec<u32>) -> Result<u32, XlsxError> {
        let data = self.data;
        let outline = outline::build(data.catalog, data.variant, data.fiscal_year);
        let (major, middle, minor, goal_fmt) = (
            self.f.major.clone(),
            self.f.middle.clone(),
            self.f.minor.clone(),
            self.f.goal.clone(),
        );
        for major_node in &outline.majors {
            self.category(row, major_node, &major)?;
            row += 1;
            for middle_node in &major_node.children {
                self.category(row, middle_node, &middle)?;
                row += 1;
                for minor_node in &middle_node.children {
                    self.category(row, minor_node, &minor)?;
                    row += 1;
                    for goal in &minor_node.goals {
                        let mut text = supplied(&goal.text, goal.supplied);
                        if let Some(c) = &goal.condition {
                            text.push_str(&format!("（{c}のみ回答）"));
                        }
                        self.span(row, &goal.no.to_string(), &text, &goal_fmt)?;
                        self.ws.set_row_height(row, row_height(&text, 140.0))?;
                        row += 1;
                        for item in &goal.items {
                            self.item_row(row, item)?;
                            answer_rows.push(row);
                            row += 1;
                        }
                    }
                }
            }
        }
        Ok(row)
    }

    /// One sub-item in `row`: key, code, text with its priority tag, ★, last
    /// year's answer, and the answer, comment and plan cells (prefilled from
    /// what is on file).
    fn item_row(&mut self, row: u32, item: &outline::ItemView) -> Result<(), XlsxError> {
        let data = self.data;
        let (ws, f) = (&mut *self.ws, &self.f);
        ws.write_string(row, COL_KEY, format!("{ITEM_PREFIX}{}", item.code))?;
        ws.write_string_with_format(row, col(Column::No), &item.code, &f.no)?;
        let mut text = supplied(&item.text, item.supplied);
        if let Some(tag) = &item.priority_tag {
            text.push_str(tag);
        }
        ws.write_string_with_format(row, col(Column::Text), &text, &f.text)?;
        ws.write_string_with_format(
            row,
            col(Column::Priority),
            if item.priority_now { "★" } else { "" },
            &f.mark,
        )?;
        let prev = data
            .previous
            .get(&item.code)
            .map(|s| format!("{} {}", s, data.catalog.scale.label(s.value())))
            .unwrap_or_default();
        ws.write_string_with_format(row, col(Column::Previous), &prev, &f.previous)?;
        let mut comment_text = "";
        match data.current.get(&item.code) {
            Some((score, comment)) => {
                ws.write_number_with_format(row, col(Column::Answer), score.value(), &f.answer)?;
                ws.write_string_with_format(row, col(Column::Comment), comment, &f.input)?;
                comment_text = comment;
            }
            None => {
                ws.write_blank(row, col(Column::Answer), &f.answer)?;
                ws.write_blank(row, col(Column::Comment), &f.input)?;
            }
        }
        let plan = data.plans.get(&item.code);
        for (c, text) in [
            (Column::Situation, plan.map(|p| &p.present_state)),
            (Column::Measure, plan.map(|p| &p.measure)),
            (Column::Person, plan.map(|p| &p.person_in_charge)),
            (Column::Target, plan.map(|p| &p.target_date)),
        ] {
            let fmt = if c == Column::Target {
                &f.target
            } else {
                &f.input
            };
            match text.filter(|t| !t.is_empty()) {
                Some(t) => ws.write_string_with_format(row, col(c), t, fmt)?,
                None => ws.write_blank(row, col(c), fmt)?,
            };
        }
        let mut height = row_height(&text, 50.0).max(row_height(comment_text, 20.0));
        if let Some(p) = plan {
            height = height
                .max(row_height(&p.present_state, 15.0))
                .max(row_height(&p.measure, 18.0));
        }
        ws.set_row_height(row, height)?;
        Ok(())
    }

    /// A drop-down with the scale on every answer cell and length limits on
    /// the texts: one validation each, over every run of item rows.
    fn validations(&mut self, answer_rows: &[u32]) -> Result<(), XlsxError> {
        let scale = &self.data.catalog.scale;
        let levels: Vec<String> = scale.levels.iter().map(|l| l.value.to_string()).collect();
        let message: Vec<String> = scale
            .levels
            .iter()
            .map(|l| format!("{} {}", l.value, l.label))
            .collect();
        let answers = DataValidation::new()
            .allow_list_strings(&levels)?
            .set_input_title("回答（3・2・1・0）")?
            .set_input_message(message.join("\n"))?
            .set_error_title("回答は 3・2・1・0")?
            .set_error_message(format!(
                "{} のいずれかを選んでください。",
                message.join("、")
            ))?;
        let texts = DataValidation::new()
            .allow_text_length(DataValidationRule::LessThanOrEqualTo(MAX_TEXT_CHARS))
            .set_error_title("長すぎます")?
            .set_error_message(format!("{MAX_TEXT_CHARS} 字までにしてください。"))?;
        let item_runs = runs(answer_rows);
        let Some(&(first, last)) = item_runs.first() else {
            return Ok(());
        };
        let ranges = |from: Column, to: Column| -> String {
            item_runs
                .iter()
                .map(|(a, b)| {
                    format!(
                        "{}:{}",
                        cell_name(*a, u32::from(col(from))),
                        cell_name(*b, u32::from(col(to)))
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let answers = answers.set_multi_range(ranges(Column::Answer, Column::Answer));
        self.ws.add_data_validation(
            first,
            col(Column::Answer),
            last,
            col(Column::Answer),
            &answers,
        )?;
        let texts = texts.set_multi_range(ranges(Column::Comment, Column::Target));
        self.ws
            .add_data_validation(first, col(Column::Comment), last, last_col(), &texts)?;
        Ok(())
    }

    /// Column widths, the hidden key column; print: A4 portrait, one page
    /// wide, the column titles on every page.
    fn page_setup(&mut self, header_row: u32, last_row: u32) -> Result<(), XlsxError> {
        let ws = &mut *self.ws;
        for (c, w) in WIDTHS {
            ws.set_column_width(col(c), w)?;
        }
        ws.set_column_width(COL_KEY, 14)?;
        ws.set_column_hidden(COL_KEY)?;
        ws.set_paper_size(9);
        ws.set_portrait();
        ws.set_print_fit_to_pages(1, 0);
        ws.set_repeat_rows(header_row, header_row)?;
        ws.set_print_area(0, 1, last_row, last_col())?;
        ws.set_header(format!(
            "&L{} {}&R{}",
            escape_header(&self.data.org_code),
            escape_header(&self.data.org_name),
            escape_header(&self.data.fiscal_year.to_string())
        ));
        ws.set_footer("&C&P / &N");
        Ok(())
    }

    /// Only the unlocked cells (answers, comments, plans, conditions) can be
    /// edited; no password (see README, 調査票のブック).
    fn protect(&mut self) {
        let mut protection = ProtectionOptions::new();
        protection.format_columns = true;
        protection.format_rows = true;
        self.ws.protect_with_options(&protection);
    }
}

fn supplied(text: &str, flag: bool) -> String {
    if flag {
        format!("{text}（補記）")
    } else {
        text.to_string()
    }
}

/// What to answer for each value of a condition, e.g. 「はい」なら 7-1〜7-5 に回答.
fn condition_note(list: &Checklist, key: &str, fy: FiscalYear) -> String {
    let codes = |want: bool| -> String {
        let ranges: Vec<String> = list
            .goals_in(fy)
            .filter(|g| g.applies_when.get(key) == Some(&want))
            .filter_map(|g| {
                let items: Vec<&str> = list
                    .items_of_goal(g.no, fy)
                    .map(|i| i.code.as_str())
                    .collect();
                match items.as_slice() {
                    [] => None,
                    [one] => Some(one.to_string()),
                    [first, .., last] => Some(format!("{first}〜{last}")),
                }
            })
            .collect();
        if ranges.is_empty() {
            "なし".into()
        } else {
            ranges.join("、")
        }
    };
    format!(
        "「{YES}」なら {} に、「{NO}」なら {} に回答してください（もう一方は空欄のまま）。",
        codes(true),
        codes(false)
    )
}

/// Contiguous runs of row numbers: [8,9,10,12] → [(8,10),(12,12)].
pub(super) fn runs(rows: &[u32]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &r in rows {
        match out.last_mut() {
            Some((_, last)) if *last + 1 == r => *last = r,
            _ => out.push((r, r)),
        }
    }
    out
}
