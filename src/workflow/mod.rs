//! The yearly self-check of one organisation: its answer sheet, what may be
//! typed into it, the path from draft to 確認済, and the status lists of
//! prefectures and the nation.
//!
//! Every change a handler asks for is one function here, which writes the
//! change and its operation-log entry in one transaction; the handlers in
//! `routes` only parse, call and render.
//!
//! - `fields`: the names of the answer form's fields, defined once;
//! - `form`: reading a posted sheet into [`Entries`] and checking it;
//! - `ops`: saving, submitting, reviewing (with the rule that a return needs
//!   advice, `ReviewInput::problems`), recording plan progress, each one
//!   transaction guarded by the sheet's version;
//! - `accounts`: adding, unlocking, resetting and (dis)enabling accounts,
//!   logout, one's own password, the log search;
//! - `rounds`: the round form's check, opening and closing rounds, adding
//!   national agencies;
//! - `view`: what the templates show;
//! - `status`: the lists by prefecture and nationally, their views logged;
//! - `history`, `board`: a sheet's submission history and the season board,
//!   their views logged;
//! - `exports`: the 調査票 and 改善計画書 downloads and the tables' files,
//!   each logged as `export`;
//! - `table_access`: who may see which table, views of one organisation's
//!   or prefecture's figures logged.

pub mod accounts;
pub mod board;
pub mod exports;
pub mod fields;
pub mod form;
pub mod history;
pub mod ops;
pub mod plan_follow;
pub mod rounds;
pub mod status;
pub mod table_access;
pub mod upload;
pub mod view;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::auth::{require, CurrentUser};
use crate::checklists::{Checklist, Variant};
use crate::db::DbConnection;
use crate::domain::{FiscalYear, Score};
use crate::error::AppResult;
use crate::stats::exact::{Exact, OVERALL_DECIMALS};
use crate::store::answers::{self, Answer};
use crate::store::organisations::{self, Organisation};
use crate::store::rounds::{self as store_rounds, Round};
use crate::store::submissions::{self, Plan, PlanFields, Status, Submission};
use crate::store::{carried, oplog};

use crate::domain::sheet::CRITICAL_ROOM;

/// What is typed (or stored) for one sub-item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    pub score: Option<Score>,
    pub comment: String,
    pub plan: PlanFields,
}

/// A whole sheet's typed values: the 重要機能室 answer and every sub-item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entries {
    pub has_critical_room: Option<bool>,
    pub items: BTreeMap<String, Entry>,
    /// Items carried from last year that the clerk ticked 「前年度のとおり確認」.
    pub confirmed: BTreeSet<String>,
}

impl Entries {
    pub fn conditions(&self) -> BTreeMap<String, bool> {
        conditions(self.has_critical_room)
    }

    pub fn get(&self, code: &str) -> Entry {
        self.items.get(code).cloned().unwrap_or_default()
    }
}

pub fn conditions(has_critical_room: Option<bool>) -> BTreeMap<String, bool> {
    has_critical_room
        .map(|v| BTreeMap::from([(CRITICAL_ROOM.to_string(), v)]))
        .unwrap_or_default()
}

/// Everything stored about one organisation's sheet of one fiscal year.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub org: Organisation,
    pub variant: Variant,
    pub fy: FiscalYear,
    pub round: Option<Round>,
    pub submission: Option<Submission>,
    pub answers: HashMap<String, Answer>,
    pub last_year: HashMap<String, Answer>,
    /// Last year's improvement plans and the reviewer's advice on them
    /// (plans followed across years).
    pub last_year_plans: HashMap<String, Plan>,
    pub last_year_advice: HashMap<String, String>,
    pub plans: HashMap<String, Plan>,
    pub advice: HashMap<String, String>,
    pub drafts: HashMap<String, String>,
    /// Items carried over from last year (a sheet started from last year).
    pub carried: HashMap<String, carried::Carried>,
}

impl Sheet {
    /// The sheet of `code` and `fy` once `allowed` said yes to `user`; with
    /// `logged_as`, the view is written to the operation log as that action.
    pub fn open(
        conn: &mut DbConnection,
        user: &CurrentUser,
        code: &str,
        fy: FiscalYear,
        allowed: fn(&CurrentUser, &Organisation) -> bool,
        logged_as: Option<&str>,
    ) -> AppResult<Self> {
        let org = organisations::get(conn, code)?;
        require(allowed(user, &org))?;
        let sheet = Self::load(conn, org, fy)?;
        if let Some(action) = logged_as {
            oplog::record(
                conn,
                &user.actor(),
                action,
                &sheet.org.code,
                Some(fy.year()),
                "",
            )?;
        }
        Ok(sheet)
    }

    pub fn load(conn: &mut DbConnection, org: Organisation, fy: FiscalYear) -> AppResult<Self> {
        let variant = organisations::variant_of(&org)?;
        let round = store_rounds::find(conn, variant, fy)?;
        let submission = submissions::find(conn, org.id, fy)?;
        let by_code = |v: Vec<Answer>| -> HashMap<String, Answer> {
            v.into_iter().map(|a| (a.item_code.clone(), a)).collect()
        };
        let answers = by_code(answers::of_org_year(conn, org.id, fy)?);
        let (last_year, last_year_plans, last_year_advice) = match fy.previous() {
            Some(prev) => {
                let last = by_code(answers::of_org_year(conn, org.id, prev)?);
                match submissions::find(conn, org.id, prev)? {
                    Some(s) => (
                        last,
                        submissions::plans(conn, s.id)?,
                        submissions::advice(conn, s.id)?,
                    ),
                    None => (last, HashMap::new(), HashMap::new()),
                }
            }
            None => Default::default(),
        };
        let (plans, advice, drafts, carried) = match &submission {
            Some(s) => (
                submissions::plans(conn, s.id)?,
                submissions::advice(conn, s.id)?,
                submissions::draft_comments(conn, s.id)?,
                carried::of_submission(conn, s.id)?,
            ),
            None => Default::default(),
        };
        Ok(Self {
            org,
            variant,
            fy,
            round,
            submission,
            answers,
            last_year,
            last_year_plans,
            last_year_advice,
            plans,
            advice,
            drafts,
            carried,
        })
    }

    pub fn status(&self) -> Status {
        submissions::status_of(self.submission.as_ref())
    }

    /// The version a form starts from; 0 before the first save.
    pub fn version(&self) -> i32 {
        self.submission.as_ref().map_or(0, |s| s.version)
    }

    /// The reviewer's overall remark, "" when none.
    pub fn review_note(&self) -> String {
        self.submission
            .as_ref()
            .map(|s| s.review_note.clone())
            .unwrap_or_default()
    }

    pub fn round_open(&self) -> bool {
        self.round.as_ref().is_some_and(Round::is_open)
    }

    /// The stored values as the form shows them.
    pub fn entries(&self, list: &Checklist) -> Entries {
        let items = list
            .items_in(self.fy)
            .map(|item| {
                let code = &item.code;
                let answer = self.answers.get(code);
                let entry = Entry {
                    score: answer.and_then(|a| Score::new(i64::from(a.score)).ok()),
                    comment: answer
                        .map(|a| a.comment.clone())
                        .or_else(|| self.drafts.get(code).cloned())
                        .unwrap_or_default(),
                    plan: self
                        .plans
                        .get(code)
                        .map(PlanFields::from)
                        .unwrap_or_default(),
                };
                (code.clone(), entry)
            })
            .collect();
        Entries {
            has_critical_room: self.submission.as_ref().and_then(|s| s.has_critical_room),
            items,
            confirmed: BTreeSet::new(),
        }
    }

    /// The round's priority items, or the catalog's for the year when the
    /// round set none.
    pub fn priority_items(&self, catalog: &crate::checklists::Catalog) -> Vec<String> {
        match &self.round {
            Some(r) if !r.priority_items.is_empty() => r.priority_items.clone(),
            _ => catalog.priorities.of_year(self.variant, self.fy).to_vec(),
        }
    }
}

/// Answered and applicable sub-items, and the average of the scores 1–3
/// (該当しない left out): the figures of a sheet's progress line and of the
/// prefecture list. The mean per item of one organisation is its one score,
/// so the overall average is the mean of its scored items.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    pub answered: usize,
    pub applicable: usize,
    /// The mean of its 1–3 answers (0 left out), exact.
    pub average: Option<Exact>,
}

impl Progress {
    /// The 総平均点 as every table prints it (`stats::exact`, 2 decimals).
    pub fn printed_average(&self) -> Option<String> {
        self.average.as_ref().map(|v| v.printed(OVERALL_DECIMALS))
    }
}

/// The exact mean of the answers 1–3 among `scores` (0 = 該当しない left
/// out); `None` without any.
pub fn mean_of_scores(scores: impl Iterator<Item = i64>) -> Option<Exact> {
    let (sum, n) = scores
        .filter(|s| (1..=3).contains(s))
        .fold((0_i64, 0_i64), |(sum, n), s| (sum + s, n + 1));
    Exact::ratio(sum, n)
}

pub fn progress(list: &Checklist, fy: FiscalYear, entries: &Entries) -> Progress {
    let applicable = list.applicable_items(fy, &entries.conditions());
    let scores: Vec<u8> = applicable
        .iter()
        .filter_map(|i| entries.items.get(&i.code).and_then(|e| e.score))
        .map(|s| s.value())
        .collect();
    Progress {
        answered: scores.len(),
        applicable: applicable.len(),
        average: mean_of_scores(scores.iter().map(|s| i64::from(*s))),
    }
}
