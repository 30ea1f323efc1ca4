//! Fiscal rounds and national agencies, as the ministry manages them: the
//! check of the round form (variant, year, deadline, priority items) and
//! each change with its operation-log entry in one transaction. The
//! handlers in `routes::workflow::ministry` parse, call and render.

use diesel::Connection;
use serde::{Deserialize, Serialize};

use crate::auth::Actor;
use crate::checklists::{Catalog, Variant};
use crate::db::DbConnection;
use crate::domain::sheet::parse_date;
use crate::domain::{FieldProblem, FiscalYear};
use crate::error::AppResult;
use crate::store::rounds::{self, variant_label};
use crate::store::{notices, oplog, organisations};

/// The posted form that opens a round.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RoundForm {
    #[serde(default)]
    pub variant: String,
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub deadline: String,
    #[serde(default)]
    pub priority_items: String,
    /// `refuse`: no submissions after the deadline; anything else accepts them.
    #[serde(default)]
    pub late: String,
}

/// Checks the round form: the variant, the year, the deadline date and that
/// every priority item is a sub-item of that year. Empty priority items take
/// the published ones of the year, else of the latest earlier year.
/// Each problem is tied to the field it is about (the ids of rounds.html).
pub fn check_form(catalog: &Catalog, form: &RoundForm) -> Result<NewRound, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let variant = Variant::parse(&form.variant);
    if variant.is_none() {
        problems.push(FieldProblem::on("variant", "調査票の種類を選んでください"));
    }
    let fy = match FiscalYear::parse(&form.year) {
        Ok(fy) => Some(fy),
        Err(e) => {
            problems.push(FieldProblem::on("year", format!("年度: {e}")));
            None
        }
    };
    let deadline = match form.deadline.trim() {
        "" => None,
        d => match parse_date(d) {
            Some(d) => Some(d.format("%Y-%m-%d").to_string()),
            None => {
                problems.push(FieldProblem::on(
                    "deadline",
                    format!("締切日「{d}」は日付として読めません（例: 2007-12-21）"),
                ));
                None
            }
        },
    };
    let (Some(variant), Some(fy)) = (variant, fy) else {
        return Err(problems);
    };
    let list = catalog.checklist(variant);
    if fy < list.first_year {
        problems.push(FieldProblem::on(
            "year",
            format!("{}は {} からです", list.name, list.first_year),
        ));
    }
    let typed: Vec<String> = form
        .priority_items
        .split(|c: char| c.is_whitespace() || c == ',' || c == '、')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let unknown: Vec<&str> = typed
        .iter()
        .filter(|c| list.items_in(fy).all(|i| &i.code != *c))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        problems.push(FieldProblem::on(
            "priority_items",
            format!(
                "重要点検項目のうち {} は {fy} の小項目にありません",
                unknown.join("、")
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let priority = if typed.is_empty() {
        let prio = &catalog.priorities;
        (list.first_year.year()..=fy.year())
            .rev()
            .filter_map(|y| FiscalYear::new(y).ok())
            .map(|y| prio.of_year(variant, y).to_vec())
            .find(|v| !v.is_empty())
            .unwrap_or_default()
    } else {
        typed
    };
    Ok(NewRound {
        variant,
        fy,
        deadline,
        priority,
        accept_late: form.late != "refuse",
        checklist_version: list.version_label(),
    })
}

/// A checked round form.
#[derive(Debug, Clone)]
pub struct NewRound {
    pub variant: Variant,
    pub fy: FiscalYear,
    pub deadline: Option<String>,
    pub priority: Vec<String>,
    /// Submissions after the deadline are accepted.
    pub accept_late: bool,
    /// The checklist's version the round answers.
    pub checklist_version: String,
}

/// Opens (or reopens) a round: its deadline, priority items and whether
/// late submissions are accepted; tells every organisation answering the
/// variant.
pub fn open(conn: &mut DbConnection, actor: &Actor, new: &NewRound) -> AppResult<()> {
    let NewRound {
        variant,
        fy,
        deadline,
        priority,
        accept_late,
        checklist_version,
    } = new;
    let (variant, fy, accept_late) = (*variant, *fy, *accept_late);
    conn.transaction(|conn| {
        let r = rounds::open(
            conn,
            variant,
            fy,
            deadline.as_deref(),
            checklist_version,
            priority,
        )?;
        rounds::set_accept_late(conn, variant, fy, accept_late)?;
        notices::on_round_open(conn, variant, fy, r.deadline.as_deref())?;
        oplog::record(
            conn,
            actor,
            "round_open",
            "",
            Some(fy.year()),
            &format!(
                "{} 締切 {}（締切後の提出 {}） 重要点検項目 {}",
                variant_label(variant),
                r.deadline.as_deref().unwrap_or("なし"),
                if accept_late { "受付" } else { "不可" },
                r.priority_items.join(" ")
            ),
        )
    })
}

/// Closes the round: no organisation may save or submit any more.
pub fn close(
    conn: &mut DbConnection,
    actor: &Actor,
    variant: Variant,
    fy: FiscalYear,
) -> AppResult<()> {
    conn.transaction(|conn| {
        rounds::close(conn, variant, fy)?;
        oplog::record(
            conn,
            actor,
            "round_close",
            "",
            Some(fy.year()),
            variant_label(variant),
        )
    })
}

/// Adds a national agency (code and name checked by the store).
pub fn add_agency(conn: &mut DbConnection, actor: &Actor, code: &str, name: &str) -> AppResult<()> {
    conn.transaction(|conn| {
        let org = organisations::add_agency(conn, code, name)?;
        oplog::record(conn, actor, "agency_add", &org.code, None, &org.name)
    })
}
