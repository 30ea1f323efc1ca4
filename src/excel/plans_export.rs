//! The 改善計画書 workbook: for one organisation, a prefecture's
//! municipalities, every municipality or the national agencies, one row per
//! sub-item scored below 3 (1 or 2; 0 = 該当しない is left out) with its
//! improvement plan, the plan's progress and the reviewer's advice.
//!
//! `build_plans` lays plain rows out (a title with scope and year, a frozen
//! header with an autofilter, A4 landscape); `fetch` reads the rows of a
//! scope from the database.

use std::collections::HashMap;

use rust_xlsxwriter::{Color, DocProperties, Format, FormatAlign, FormatBorder, XlsxError};

use crate::checklists::{Catalog, Variant};
use crate::db::{DbConnection, BATCH_ROWS};
use crate::domain::plan_result::judge;
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::stats::scope::Scope;
use crate::store::organisations::{self, Organisation};
use crate::store::plans::{self, PlanSources};
use crate::store::submissions::{self, progress_label, Plan};

/// The sheet's name.
pub const SHEET: &str = "改善計画書";

/// One sub-item scored 1 or 2 of one organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanRow {
    /// The prefecture's name ("" for a national agency).
    pub prefecture: String,
    pub org_code: String,
    pub org_name: String,
    /// 未着手 / 入力中 / 提出済 / 差戻し / 確認済
    pub status: String,
    pub item_code: String,
    pub item_text: String,
    /// 1 or 2.
    pub score: u8,
    pub present_state: String,
    pub measure: String,
    pub person_in_charge: String,
    pub target_date: String,
    /// 未着手 / 実施中 / 完了; "" without a plan.
    pub progress: String,
    pub started_on: String,
    pub completed_on: String,
    pub progress_note: String,
    /// The reviewer's advice on the item.
    pub advice: String,
    /// The item's answer of the previous fiscal year ("" without one).
    pub previous_score: String,
    /// The result of last year's plan for the item (達成 / 一部改善 / 未達 /
    /// 期限前, `domain::plan_result`), "" when the item was not scored 1 or 2
    /// last year.
    pub carried_result: String,
}

/// What one workbook shows.
#[derive(Debug, Clone)]
pub struct PlansDoc {
    /// `北海道（010006）管内の市区町村`
    pub scope_label: String,
    pub fiscal_year: FiscalYear,
    /// Title of the advice column: 都道府県の助言, or 総務省の助言 for agencies.
    pub advice_title: String,
    pub rows: Vec<PlanRow>,
}

impl PlansDoc {
    /// `改善計画書 北海道（010006）管内の市区町村 平成19年度（2007年度）`
    pub fn title(&self) -> String {
        format!("{SHEET}　{}　{}", self.scope_label, self.fiscal_year)
    }

    /// The number of organisations with at least one row.
    pub fn organisations(&self) -> usize {
        let mut codes: Vec<&str> = self.rows.iter().map(|r| r.org_code.as_str()).collect();
        codes.dedup();
        codes.len()
    }
}

/// Row of the column titles (0-based); the data start below it.
pub const HEADER_ROW: u32 = 2;

/// The column titles and widths; the last title is the doc's advice title.
const COLUMNS: [(&str, f64); 19] = [
    ("都道府県", 10.0),
    ("団体コード", 10.0),
    ("団体名", 16.0),
    ("状況", 8.0),
    ("小項目", 7.0),
    ("小項目の内容", 40.0),
    ("回答", 6.0),
    ("現状", 26.0),
    ("改善策", 30.0),
    ("担当者", 14.0),
    ("目標期日", 11.0),
    ("進捗", 8.0),
    ("着手日", 11.0),
    ("完了日", 11.0),
    ("進捗メモ", 20.0),
    ("助言", 30.0),
    ("前年度評価", 8.0),
    ("今年度評価", 8.0),
    ("達成状況", 10.0),
];

/// The column of the advice, titled by the doc.
const ADVICE_COL: usize = 15;

/// The column titles of a doc, in order.
pub fn column_titles(doc: &PlansDoc) -> Vec<String> {
    COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (t, _))| {
            if i == ADVICE_COL {
                doc.advice_title.clone()
            } else {
                (*t).to_string()
            }
        })
        .collect()
}

/// Lays the rows out as an xlsx workbook.
pub fn build_plans(doc: &PlansDoc) -> AppResult<Vec<u8>> {
    build(doc).map_err(|e| AppError::internal_from("writing the plans workbook", e))
}

fn build(doc: &PlansDoc) -> Result<Vec<u8>, XlsxError> {
    let last_col = (COLUMNS.len() - 1) as u16;
    let mut workbook = super::new_workbook()?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title(doc.title())
            .set_subject(format!("{} {}", doc.scope_label, doc.fiscal_year)),
    );
    let ws = workbook.add_worksheet();
    ws.set_name(SHEET)?;

    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let number = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::Top);
    let header = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(Color::RGB(0xD9D9D9));

    ws.merge_range(
        0,
        0,
        0,
        last_col,
        &doc.title(),
        &Format::new().set_bold().set_font_size(13),
    )?;
    ws.set_row_height(0, 24)?;
    ws.merge_range(
        1,
        0,
        1,
        last_col,
        &format!(
            "評価が 1（整備していない）または 2（整備している）の小項目: {} 件・{} 団体",
            doc.rows.len(),
            doc.organisations()
        ),
        &Format::new(),
    )?;
    for (col, title) in column_titles(doc).iter().enumerate() {
        ws.write_string_with_format(HEADER_ROW, col as u16, title, &header)?;
    }
    ws.set_row_height(HEADER_ROW, 30)?;

    let mut row = HEADER_ROW;
    for r in &doc.rows {
        row += 1;
        let texts = [
            (0, &r.prefecture),
            (1, &r.org_code),
            (2, &r.org_name),
            (3, &r.status),
            (4, &r.item_code),
            (5, &r.item_text),
            (7, &r.present_state),
            (8, &r.measure),
            (9, &r.person_in_charge),
            (10, &r.target_date),
            (11, &r.progress),
            (12, &r.started_on),
            (13, &r.completed_on),
            (14, &r.progress_note),
            (15, &r.advice),
            (18, &r.carried_result),
        ];
        for (col, text) in texts {
            ws.write_string_with_format(row, col, text, &cell)?;
        }
        ws.write_number_with_format(row, 6, r.score, &number)?;
        match r.previous_score.parse::<u8>() {
            Ok(p) => ws.write_number_with_format(row, 16, p, &number)?,
            Err(_) => ws.write_blank(row, 16, &number)?,
        };
        ws.write_number_with_format(row, 17, r.score, &number)?;
    }
    for (col, (_, width)) in COLUMNS.iter().enumerate() {
        ws.set_column_width(col as u16, *width)?;
    }

    ws.set_freeze_panes(HEADER_ROW + 1, 0)?;
    ws.autofilter(HEADER_ROW, 0, row, last_col)?;

    // Print: A4 landscape, one page wide, the column titles on every page.
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(HEADER_ROW, HEADER_ROW)?;
    ws.set_header(format!("&L{}", doc.title().replace('&', "&&")));
    ws.set_footer("&C&P / &N");
    workbook.save_to_buffer()
}

/// The organisations of a scope, the label of the scope, the code logged as
/// its target ("" for the nation) and the advice column's title.
pub struct ScopeOrgs {
    pub label: String,
    /// For file names: the organisation's or prefecture's name, 全国 …
    pub short_name: String,
    pub target_org: String,
    pub advice_title: String,
    pub orgs: Vec<Organisation>,
}

/// Reads the organisations a scope covers. An unknown code is `NotFound`.
pub fn scope_orgs(conn: &mut DbConnection, scope: &Scope) -> AppResult<ScopeOrgs> {
    const PREF_ADVICE: &str = "都道府県の助言";
    const MIC_ADVICE: &str = "総務省の助言";
    Ok(match scope {
        Scope::Organisation(code) => {
            let org = organisations::get(conn, code.as_str())?;
            organisations::variant_of(&org)?;
            ScopeOrgs {
                label: format!("{}（{}）", org.name, org.code),
                short_name: org.name.clone(),
                target_org: org.code.clone(),
                advice_title: if org.kind == "agency" {
                    MIC_ADVICE
                } else {
                    PREF_ADVICE
                }
                .into(),
                orgs: vec![org],
            }
        }
        Scope::Prefecture(code) => {
            let pref = organisations::find(conn, &code.to_string())?
                .filter(|o| o.kind == "prefecture")
                .ok_or_else(|| AppError::NotFound(format!("都道府県コード {code} はありません")))?;
            ScopeOrgs {
                label: format!("{}（{}）管内の市区町村", pref.name, pref.code),
                short_name: pref.name.clone(),
                target_org: pref.code.clone(),
                advice_title: PREF_ADVICE.into(),
                orgs: organisations::municipalities_of(conn, &pref.code)?,
            }
        }
        Scope::National => ScopeOrgs {
            label: "全国の市区町村".into(),
            short_name: "全国".into(),
            target_org: String::new(),
            advice_title: PREF_ADVICE.into(),
            orgs: organisations::of_kind(conn, "municipality")?,
        },
        Scope::Agencies => ScopeOrgs {
            label: "国の行政機関等".into(),
            short_name: "国の行政機関等".into(),
            target_org: String::new(),
            advice_title: MIC_ADVICE.into(),
            orgs: organisations::of_kind(conn, "agency")?,
        },
    })
}

/// The rows of `orgs` for `fy`: organisations in the given order, items in
/// checklist order.
pub fn fetch(
    conn: &mut DbConnection,
    catalog: &Catalog,
    scope: ScopeOrgs,
    fy: FiscalYear,
) -> AppResult<PlansDoc> {
    let prefectures: HashMap<String, String> = organisations::prefectures(conn)?
        .into_iter()
        .map(|p| (p.code, p.name))
        .collect();
    let sheets = submissions::of_year(conn, fy)?;
    let today = crate::domain::sheet::today_jst();
    let mut rows = Vec::new();
    for chunk in scope.orgs.chunks(BATCH_ROWS) {
        let ids: Vec<i32> = chunk.iter().map(|o| o.id).collect();
        let PlanSources {
            scores,
            previous,
            previous_targets,
            plans,
            advice,
        } = plans::sources(conn, fy, &ids)?;
        for org in chunk {
            let Some(scored) = scores.get(&org.id) else {
                continue;
            };
            let Some(variant) = org.variant.as_deref().and_then(Variant::parse) else {
                continue;
            };
            let status = submissions::status_of(sheets.get(&org.id)).label();
            let prefecture = org
                .prefecture_code
                .as_ref()
                .and_then(|c| prefectures.get(c))
                .cloned()
                .unwrap_or_default();
            for item in catalog.checklist(variant).items_in(fy) {
                let Some(&score) = scored.get(&item.code) else {
                    continue;
                };
                let key = (org.id, item.code.clone());
                let prev = previous.get(&key).and_then(|p| u8::try_from(*p).ok());
                let carried = prev.filter(|p| (1..=2).contains(p));
                // A 3 is listed only as the result of last year's plan.
                if score == 3 && carried.is_none() {
                    continue;
                }
                let target = previous_targets
                    .get(&key)
                    .and_then(|t| crate::domain::sheet::parse_date(t));
                let carried_result = judge(carried, u8::try_from(score).ok(), target, today)
                    .map_or("", |r| r.label());
                let plan = plans.get(&key);
                let text = |f: fn(&Plan) -> &String| plan.map(f).cloned().unwrap_or_default();
                rows.push(PlanRow {
                    prefecture: prefecture.clone(),
                    org_code: org.code.clone(),
                    org_name: org.name.clone(),
                    status: status.to_string(),
                    item_code: item.code.clone(),
                    item_text: item.text_in(fy).to_string(),
                    score: u8::try_from(score).unwrap_or(0),
                    present_state: text(|p| &p.present_state),
                    measure: text(|p| &p.measure),
                    person_in_charge: text(|p| &p.person_in_charge),
                    target_date: text(|p| &p.target_date),
                    progress: plan
                        .map(|p| progress_label(&p.progress).to_string())
                        .unwrap_or_default(),
                    started_on: plan.and_then(|p| p.started_on.clone()).unwrap_or_default(),
                    completed_on: plan
                        .and_then(|p| p.completed_on.clone())
                        .unwrap_or_default(),
                    progress_note: text(|p| &p.progress_note),
                    advice: advice.get(&key).cloned().unwrap_or_default(),
                    previous_score: prev.map(|p| p.to_string()).unwrap_or_default(),
                    carried_result: carried_result.to_string(),
                });
            }
        }
    }
    Ok(PlansDoc {
        scope_label: scope.label,
        fiscal_year: fy,
        advice_title: scope.advice_title,
        rows,
    })
}

/// File names of the download: plain ASCII (`tenken-plans-pref-010006-2007.xlsx`)
/// and the Japanese one (`改善計画書_北海道_平成19年度.xlsx`).
pub fn file_names(scope: &Scope, short_name: &str, fy: FiscalYear) -> (String, String) {
    let key: String = scope
        .key()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    (
        format!("tenken-plans-{key}-{}.xlsx", fy.year()),
        format!("{SHEET}_{short_name}_{}.xlsx", fy.wareki()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_titles() {
        let fy = FiscalYear::new(2007).expect("year");
        let scope = Scope::parse("pref:010006").expect("scope");
        assert_eq!(
            file_names(&scope, "北海道", fy),
            (
                "tenken-plans-pref-010006-2007.xlsx".to_string(),
                "改善計画書_北海道_平成19年度.xlsx".to_string()
            )
        );
        let doc = PlansDoc {
            scope_label: "全国の市区町村".into(),
            fiscal_year: fy,
            advice_title: "都道府県の助言".into(),
            rows: vec![
                PlanRow {
                    org_code: "011002".into(),
                    ..Default::default()
                },
                PlanRow {
                    org_code: "011002".into(),
                    ..Default::default()
                },
                PlanRow {
                    org_code: "012025".into(),
                    ..Default::default()
                },
            ],
        };
        assert_eq!(
            doc.title(),
            "改善計画書　全国の市区町村　平成19年度（2007年度）"
        );
        assert_eq!(doc.organisations(), 2);
        assert_eq!(column_titles(&doc)[15], "都道府県の助言");
        assert!(build_plans(&doc).expect("workbook").starts_with(b"PK"));
    }
}
