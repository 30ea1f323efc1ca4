//! The 調査票 workbook of one organisation and fiscal year.
//!
//! `write_form` gathers what the form shows from the database (the
//! organisation, this year's answers already on file, last year's answers)
//! and `build_form` lays it out; see the module `excel` for the layout. The
//! sheet is protected without a password: only the answer, comment and plan
//! cells and the condition answers are unlocked.

use std::collections::{BTreeMap, HashMap};

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationRule, DocProperties, Format, FormatAlign, FormatBorder,
    ProtectionOptions, Worksheet, XlsxError,
};

use super::{
    Column, COL_KEY, COL_LABEL, COND_PREFIX, FORMAT_MARK, ITEM_PREFIX, KEY_CHECKLIST, KEY_HEADER,
    KEY_ORG, KEY_YEAR, SHEET,
};
use crate::checklists::{outline, Catalog, Checklist, Variant};
use crate::db::DbConnection;
use crate::domain::sheet::CRITICAL_ROOM;
use crate::domain::{FiscalYear, Score};
use crate::error::{AppError, AppResult};
use crate::store;
use crate::store::submissions::PlanFields;

/// Longest comment or plan text accepted (characters).
pub const MAX_TEXT_CHARS: u32 = 2000;

/// Words accepted for a condition: はい / いいえ.
pub const YES: &str = "はい";
pub const NO: &str = "いいえ";

/// What one form shows.
#[derive(Debug, Clone)]
pub struct FormData<'a> {
    pub catalog: &'a Catalog,
    pub variant: Variant,
    pub org_code: String,
    pub org_name: String,
    pub fiscal_year: FiscalYear,
    /// This year's answers already on file, prefilled: score and comment by item code.
    pub current: HashMap<String, (Score, String)>,
    /// Last year's scores, shown beside the answer column.
    pub previous: HashMap<String, Score>,
    /// Known answers to the checklist's conditions, prefilled.
    pub conditions: BTreeMap<String, bool>,
    /// Improvement plans on file for the year, prefilled, by item code.
    pub plans: HashMap<String, PlanFields>,
}

/// The form of organisation `org_code` for `fy`, as xlsx bytes.
pub fn write_form(
    conn: &mut DbConnection,
    catalog: &Catalog,
    org_code: &str,
    fy: FiscalYear,
) -> AppResult<Vec<u8>> {
    let data = form_data(conn, catalog, org_code, fy)?;
    build_form(&data)
}

/// Reads what the form of `org_code` for `fy` shows.
pub fn form_data<'a>(
    conn: &mut DbConnection,
    catalog: &'a Catalog,
    org_code: &str,
    fy: FiscalYear,
) -> AppResult<FormData<'a>> {
    let org = store::organisations::find(conn, org_code.trim())?.ok_or_else(|| {
        AppError::NotFound(format!(
            "団体コード「{}」は登録されていません",
            org_code.trim()
        ))
    })?;
    let variant = org
        .variant
        .as_deref()
        .and_then(Variant::parse)
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "{} {} は調査票に回答する団体ではありません",
                org.code, org.name
            ))
        })?;
    let list = catalog.checklist(variant);
    if list.items_in(fy).next().is_none() {
        return Err(AppError::BadRequest(format!(
            "{}は {} からです（{fy} の調査票はありません）",
            list.name, list.first_year
        )));
    }
    let current = super::answers_by_code(conn, org.id, fy)?;
    let previous = super::last_years_scores(conn, org.id, fy)?;
    let mut conditions = infer_conditions(list, current.keys().map(String::as_str));
    if conditions.is_empty() {
        conditions = infer_conditions(list, previous.keys().map(String::as_str));
    }
    // The sheet of the workflow, when there is one, knows better than the
    // answers: its 重要機能室 answer and its improvement plans.
    let mut plans = HashMap::new();
    if let Some(sub) = store::submissions::find(conn, org.id, fy)? {
        if let Some(room) = sub.has_critical_room {
            if list.conditions.iter().any(|c| c.key == CRITICAL_ROOM) {
                conditions.insert(CRITICAL_ROOM.to_string(), room);
            }
        }
        plans = store::submissions::plans(conn, sub.id)?
            .into_iter()
            .map(|(code, p)| (code, PlanFields::from(&p)))
            .collect();
    }
    Ok(FormData {
        catalog,
        variant,
        org_code: org.code,
        org_name: org.name,
        fiscal_year: fy,
        current,
        previous,
        conditions,
        plans,
    })
}

/// A file name for the download: `tenken-form-011002-2007.xlsx`.
pub fn file_name(org_code: &str, fy: FiscalYear) -> String {
    let code: String = org_code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("tenken-form-{code}-{}.xlsx", fy.year())
}

/// The conditions that answered items reveal: an organisation that answered
/// 7-x (goals for a 重要機能室) has one. A condition stays unknown when no
/// answered item depends on it, or when answers point both ways.
pub fn infer_conditions<'a>(
    list: &Checklist,
    answered: impl Iterator<Item = &'a str>,
) -> BTreeMap<String, bool> {
    let mut seen: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    for code in answered {
        let Some(goal) = list.item(code).and_then(|i| list.goal(i.goal_no)) else {
            continue;
        };
        for (key, want) in &goal.applies_when {
            let e = seen.entry(key.clone()).or_default();
            if *want {
                e.0 = true;
            } else {
                e.1 = true;
            }
        }
    }
    seen.into_iter()
        .filter_map(|(k, (yes, no))| (yes != no).then_some((k, yes)))
        .collect()
}

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
        // The year is stored as a number (2007) and shown as 平成19年度 (2007).
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

fn xlsx_error(e: XlsxError) -> AppError {
    AppError::internal_from("writing the form workbook", e)
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

/// Lays the form out; see the module `excel` for the layout.
pub fn build_form(data: &FormData<'_>) -> AppResult<Vec<u8>> {
    build(data).map_err(xlsx_error)
}

fn build(data: &FormData<'_>) -> Result<Vec<u8>, XlsxError> {
    let catalog = data.catalog;
    let list = catalog.checklist(data.variant);
    let fy = data.fiscal_year;
    let f = Formats::new(&fy.to_string());
    let last_col = Column::Target.index();
    let col = |c: Column| c.index();

    let mut workbook = super::new_workbook()?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title(format!("{} {}", list.title, list.name))
            .set_subject(format!("{} {} {}", data.org_code, data.org_name, fy))
            .set_comment(format!("{FORMAT_MARK} {}", list.version_label())),
    );
    let ws = workbook.add_worksheet();
    ws.set_name(SHEET)?;

    // Header rows: key in A, label in C, value in the answer column F.
    ws.write_string(0, COL_KEY, FORMAT_MARK)?;
    ws.merge_range(
        0,
        1,
        0,
        last_col,
        &format!("{}（{}）", list.title, list.name),
        &f.title,
    )?;
    ws.set_row_height(0, 24)?;

    // Merges the cells of one row from one column to another.
    let across = |ws: &mut Worksheet,
                  row: u32,
                  from: Column,
                  to: Column,
                  text: &str,
                  fmt: &Format|
     -> Result<(), XlsxError> {
        ws.merge_range(row, col(from), row, col(to), text, fmt)?;
        Ok(())
    };
    let mut row: u32 = 1;
    let label = |ws: &mut Worksheet, row: u32, key: &str, text: &str| -> Result<(), XlsxError> {
        ws.write_string(row, COL_KEY, key)?;
        ws.merge_range(row, 1, row, COL_LABEL, text, &f.label)?;
        Ok(())
    };
    label(ws, row, KEY_ORG, "団体コード")?;
    ws.write_string_with_format(row, col(Column::Answer), &data.org_code, &f.value)?;
    across(
        ws,
        row,
        Column::Comment,
        Column::Target,
        &data.org_name,
        &f.value,
    )?;
    row += 1;

    label(ws, row, KEY_YEAR, "年度")?;
    across(ws, row, Column::Answer, Column::Comment, "", &f.year)?;
    ws.write_number_with_format(row, col(Column::Answer), fy.year(), &f.year)?;
    if let Some(p) = fy.previous() {
        across(
            ws,
            row,
            Column::Situation,
            Column::Target,
            &format!("「{}」欄は {} の回答", Column::Previous.title(), p),
            &f.note,
        )?;
    }
    row += 1;

    label(ws, row, KEY_CHECKLIST, "調査票の版")?;
    across(
        ws,
        row,
        Column::Answer,
        Column::Comment,
        &list.version_label(),
        &f.value,
    )?;
    row += 1;

    let yes_no = DataValidation::new()
        .allow_list_strings(&[YES, NO])?
        .set_input_title("はい／いいえ")?
        .set_input_message("「はい」か「いいえ」を選んでください。")?
        .set_error_title("はい／いいえ")?
        .set_error_message("「はい」か「いいえ」を選んでください。")?;
    for cond in &list.conditions {
        label(
            ws,
            row,
            &format!("{COND_PREFIX}{}", cond.key),
            &cond.question,
        )?;
        match data.conditions.get(&cond.key) {
            Some(v) => ws.write_string_with_format(
                row,
                col(Column::Answer),
                if *v { YES } else { NO },
                &f.condition,
            )?,
            None => ws.write_blank(row, col(Column::Answer), &f.condition)?,
        };
        ws.add_data_validation(row, col(Column::Answer), row, col(Column::Answer), &yes_no)?;
        across(
            ws,
            row,
            Column::Comment,
            Column::Target,
            &condition_note(list, &cond.key, fy),
            &f.note,
        )?;
        ws.set_row_height(row, 30)?;
        row += 1;
    }

    // How to answer: the scale with its definitions.
    let scale: Vec<String> = catalog
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
    ws.merge_range(row, 1, row, last_col, &how, &f.note)?;
    ws.set_row_height(row, 18.0 * (scale.len() as f64 + 2.0))?;
    row += 1;

    let header_row = row;
    ws.write_string(row, COL_KEY, KEY_HEADER)?;
    for c in Column::ALL {
        ws.write_string_with_format(row, col(c), c.title(), &f.header)?;
    }
    ws.set_row_height(row, 30)?;
    row += 1;

    // The hierarchy and every item of the year.
    let outline = outline::build(catalog, data.variant, fy);
    let mut answer_rows: Vec<u32> = Vec::new();
    let span = |ws: &mut Worksheet,
                row: u32,
                no: &str,
                text: &str,
                fmt: &Format|
     -> Result<(), XlsxError> {
        ws.write_string_with_format(row, col(Column::No), no, fmt)?;
        across(ws, row, Column::Text, Column::Target, text, fmt)?;
        Ok(())
    };
    let category = |ws: &mut Worksheet, row: u32, node: &outline::Node, fmt: &Format| {
        span(ws, row, &node.no, &supplied(&node.name, node.supplied), fmt)
    };
    for major in &outline.majors {
        category(ws, row, major, &f.major)?;
        row += 1;
        for middle in &major.children {
            category(ws, row, middle, &f.middle)?;
            row += 1;
            for minor in &middle.children {
                category(ws, row, minor, &f.minor)?;
                row += 1;
                for goal in &minor.goals {
                    let mut text = supplied(&goal.text, goal.supplied);
                    if let Some(c) = &goal.condition {
                        text.push_str(&format!("（{c}のみ回答）"));
                    }
                    span(ws, row, &goal.no.to_string(), &text, &f.goal)?;
                    ws.set_row_height(row, row_height(&text, 140.0))?;
                    row += 1;
                    for item in &goal.items {
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
                            .map(|s| format!("{} {}", s, catalog.scale.label(s.value())))
                            .unwrap_or_default();
                        ws.write_string_with_format(
                            row,
                            col(Column::Previous),
                            &prev,
                            &f.previous,
                        )?;
                        let mut comment_text = "";
                        match data.current.get(&item.code) {
                            Some((score, comment)) => {
                                ws.write_number_with_format(
                                    row,
                                    col(Column::Answer),
                                    score.value(),
                                    &f.answer,
                                )?;
                                ws.write_string_with_format(
                                    row,
                                    col(Column::Comment),
                                    comment,
                                    &f.input,
                                )?;
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
                        let mut height =
                            row_height(&text, 50.0).max(row_height(comment_text, 20.0));
                        if let Some(p) = plan {
                            height = height
                                .max(row_height(&p.present_state, 15.0))
                                .max(row_height(&p.measure, 18.0));
                        }
                        ws.set_row_height(row, height)?;
                        answer_rows.push(row);
                        row += 1;
                    }
                }
            }
        }
    }
    let last_row = row.saturating_sub(1);

    // Drop-down with the scale on every answer cell; length limits on the texts.
    let levels: Vec<String> = catalog
        .scale
        .levels
        .iter()
        .map(|l| l.value.to_string())
        .collect();
    let message: Vec<String> = catalog
        .scale
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
    // One validation each, over every run of item rows.
    let item_runs = runs(&answer_rows);
    if let Some(&(first, last)) = item_runs.first() {
        let ranges = |from: Column, to: Column| -> String {
            item_runs
                .iter()
                .map(|(a, b)| {
                    format!(
                        "{}:{}",
                        super::cell_name(*a, u32::from(col(from))),
                        super::cell_name(*b, u32::from(col(to)))
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let answers = answers.set_multi_range(ranges(Column::Answer, Column::Answer));
        ws.add_data_validation(
            first,
            col(Column::Answer),
            last,
            col(Column::Answer),
            &answers,
        )?;
        let texts = texts.set_multi_range(ranges(Column::Comment, Column::Target));
        ws.add_data_validation(first, col(Column::Comment), last, last_col, &texts)?;
    }

    for (c, w) in WIDTHS {
        ws.set_column_width(col(c), w)?;
    }
    ws.set_column_width(COL_KEY, 14)?;
    ws.set_column_hidden(COL_KEY)?;

    // Print: A4 portrait, one page wide, the column titles on every page.
    ws.set_paper_size(9);
    ws.set_portrait();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(header_row, header_row)?;
    ws.set_print_area(0, 1, last_row, last_col)?;
    ws.set_header(format!(
        "&L{} {}&R{}",
        escape_header(&data.org_code),
        escape_header(&data.org_name),
        escape_header(&fy.to_string())
    ));
    ws.set_footer("&C&P / &N");

    // Only the unlocked cells (answers, comments, plans, conditions) can be
    // edited; no password (see README, 調査票のブック).
    let mut protection = ProtectionOptions::new();
    protection.format_columns = true;
    protection.format_rows = true;
    ws.protect_with_options(&protection);

    workbook.save_to_buffer()
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
fn runs(rows: &[u32]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &r in rows {
        match out.last_mut() {
            Some((_, last)) if *last + 1 == r => *last = r,
            _ => out.push((r, r)),
        }
    }
    out
}

/// A row height (points) that shows `text` wrapped in a column `width`
/// characters wide; a full-width character takes nearly two.
pub(super) fn row_height(text: &str, width: f64) -> f64 {
    let units: f64 = text
        .chars()
        .map(|c| if c.is_ascii() { 1.0 } else { 1.8 })
        .sum();
    let lines = (units / width).ceil().max(1.0);
    (lines * 15.0 + 4.0).max(18.0)
}

/// `&` starts a code in Excel headers and footers.
pub(super) fn escape_header(s: &str) -> String {
    s.replace('&', "&&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_plain_ascii() {
        let fy = FiscalYear::new(2007).expect("year");
        assert_eq!(file_name("011002", fy), "tenken-form-011002-2007.xlsx");
        assert_eq!(file_name("../G0001\"", fy), "tenken-form-G0001-2007.xlsx");
    }

    #[test]
    fn runs_of_rows() {
        assert_eq!(
            runs(&[8, 9, 10, 12, 14, 15]),
            vec![(8, 10), (12, 12), (14, 15)]
        );
        assert_eq!(runs(&[]), vec![]);
    }

    #[test]
    fn heights_grow_with_text() {
        assert_eq!(row_height("", 50.0), 19.0);
        // 60 full-width characters = 108 units in a 50-wide column: 3 lines.
        assert_eq!(row_height(&"あ".repeat(60), 50.0), 49.0);
        assert_eq!(row_height(&"あ".repeat(27), 50.0), 19.0);
    }
}
