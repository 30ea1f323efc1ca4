//! What the sheet templates show: the checklist's hierarchy for the year with,
//! per sub-item, the goal, the priority mark, the typed or stored answer,
//! last year's answer, the improvement plan and the reviewer's advice.
//!
//! Files: this one the views' shapes and `build` with its steps;
//! `items.rs` one item's view and its carried plan; `conflict.rs` the
//! differences shown when a save meets a newer version.

mod conflict;
mod items;

pub use conflict::{differences, ConflictRow};
use items::Items;

use std::collections::HashMap;

use serde::Serialize;

use super::{form::Problem, progress, Entries, Sheet};
use crate::checklists::{outline, Catalog, ScoreLevel};
use crate::domain::plan_result::PlanResult;
use crate::domain::sheet::CRITICAL_ROOM;
use crate::store::rounds::variant_label;
use crate::store::submissions::{PlanFields, Status};
use crate::store::users::kind_label;

/// How the sheet is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The answering organisation, while it may change its answers.
    Answer,
    /// Anyone allowed to read it, without inputs.
    Read,
    /// The reviewer: answers read-only, advice fields editable while submitted.
    Review,
    /// The printable answer sheet.
    Print,
}

#[derive(Debug, Serialize)]
pub struct SheetView {
    pub org_code: String,
    pub org_name: String,
    pub org_kind_label: &'static str,
    pub fiscal_year: i32,
    pub fiscal_year_label: String,
    pub last_year_label: Option<String>,
    pub checklist_name: String,
    pub checklist_title: String,
    pub variant_label: &'static str,
    pub round_exists: bool,
    pub round_open: bool,
    pub round_label: &'static str,
    pub deadline: Option<String>,
    /// The round's deadline has passed (Japan's date).
    pub deadline_passed: bool,
    /// …and the round does not accept submissions after it.
    pub late_refused: bool,
    pub checklist_version: String,
    pub status: Status,
    pub status_label: &'static str,
    pub version: i32,
    pub mode: Mode,
    /// Answer inputs are shown.
    pub editable: bool,
    /// Advice inputs are shown.
    pub advice_editable: bool,
    /// The sheet is not started and last year has answers: it may be
    /// started from them.
    pub can_carry: bool,
    /// Items carried from last year still 未確認.
    pub unconfirmed: usize,
    pub has_critical_room: Option<bool>,
    pub condition_question: String,
    pub answered: usize,
    pub applicable: usize,
    pub average: Option<String>,
    pub scale: Vec<ScoreLevel>,
    pub majors: Vec<Section>,
    pub problems: Vec<String>,
    /// The problems of single items, each linking to its item.
    pub item_problems: Vec<ItemProblem>,
    /// The table of contents: 大分類 and their 管理目標 with progress.
    pub toc: Vec<TocEntry>,
    /// The items with the reviewer's advice, listed at the top.
    pub advised: Vec<Advised>,
    pub review_note: String,
    pub submitted_at: Option<String>,
    pub returned_at: Option<String>,
    pub accepted_at: Option<String>,
    pub priority_count: usize,
    pub advice_count: usize,
}

#[derive(Debug, Serialize)]
pub struct ItemProblem {
    pub code: String,
    pub message: String,
}

/// A line of the answer form's table of contents: a 大分類 (with its goals
/// in `goals`) or a 管理目標; answered of applicable items (hidden goals,
/// those the 重要機能室 answer leaves out, are not counted).
#[derive(Debug, Serialize)]
pub struct TocEntry {
    pub no: String,
    pub name: String,
    pub anchor: String,
    pub answered: usize,
    pub applicable: usize,
    pub hidden: bool,
    pub goals: Vec<TocEntry>,
}

#[derive(Debug, Serialize)]
pub struct Advised {
    pub code: String,
    pub text: String,
    pub advice: String,
}

/// The table of contents of the built sections.
fn toc(majors: &[Section]) -> Vec<TocEntry> {
    fn goals_of(s: &Section) -> Vec<&GoalView> {
        s.goals
            .iter()
            .chain(s.children.iter().flat_map(goals_of))
            .collect()
    }
    majors
        .iter()
        .map(|major| {
            let goals: Vec<TocEntry> = goals_of(major)
                .into_iter()
                .map(|g| TocEntry {
                    no: g.no.to_string(),
                    name: g.text.clone(),
                    anchor: format!("goal-{}", g.no),
                    answered: g.items.iter().filter(|i| i.score.is_some()).count(),
                    applicable: g.items.len(),
                    hidden: g.hidden,
                    goals: Vec::new(),
                })
                .collect();
            let shown = goals.iter().filter(|g| !g.hidden);
            let (answered, applicable) =
                shown.fold((0, 0), |(a, n), g| (a + g.answered, n + g.applicable));
            TocEntry {
                no: major.no.clone(),
                name: major.name.clone(),
                anchor: format!("major-{}", major.no),
                answered,
                applicable,
                hidden: false,
                goals,
            }
        })
        .collect()
}

fn advised(majors: &[Section]) -> Vec<Advised> {
    fn walk(s: &Section, out: &mut Vec<Advised>) {
        for g in &s.goals {
            for i in &g.items {
                if !i.advice.trim().is_empty() {
                    out.push(Advised {
                        code: i.code.clone(),
                        text: i.text.clone(),
                        advice: i.advice.clone(),
                    });
                }
            }
        }
        for c in &s.children {
            walk(c, out);
        }
    }
    let mut out = Vec::new();
    for m in majors {
        walk(m, &mut out);
    }
    out
}

#[derive(Debug, Serialize)]
pub struct Section {
    pub no: String,
    pub name: String,
    pub children: Vec<Section>,
    pub goals: Vec<GoalView>,
}

#[derive(Debug, Serialize)]
pub struct GoalView {
    pub no: u32,
    pub text: String,
    pub condition: Option<String>,
    /// `yes`/`no` when the goal applies only with/without a 重要機能室, else "".
    pub critical_room: &'static str,
    /// Not applicable under the current 重要機能室 answer (rendered hidden
    /// while answering, so the script can switch it; left out otherwise).
    pub hidden: bool,
    pub items: Vec<ItemView>,
}

#[derive(Debug, Serialize)]
pub struct ItemView {
    pub code: String,
    pub text: String,
    pub priority: bool,
    pub score: Option<u8>,
    pub score_label: String,
    pub comment: String,
    pub last_year: Option<u8>,
    pub last_year_label: String,
    pub last_year_comment: String,
    pub plan: PlanFields,
    /// Scored 1 or 2: a plan is required.
    pub plan_needed: bool,
    /// The plan block starts unfolded.
    pub plan_open: bool,
    pub progress_label: Option<&'static str>,
    pub advice: String,
    pub errors: Vec<String>,
    /// Prefilled from last year and not yet confirmed or changed (未確認).
    pub unconfirmed: bool,
    /// Scored differently from last year (highlighted for the clerk and the
    /// reviewer).
    pub changed: bool,
    /// Last year's plan, shown beside the item when it was scored 1 or 2
    /// last year.
    pub carried_plan: Option<CarriedPlanView>,
}

/// Last year's plan for an item scored 1 or 2 last year, and its result
/// judged from this sheet's answer (`domain::plan_result`).
#[derive(Debug, Serialize)]
pub struct CarriedPlanView {
    /// 前年度の評価: `2 整備している`
    pub previous_label: String,
    /// 改善策 ("" without a plan).
    pub measure: String,
    /// 目標期日 as written.
    pub target_date: String,
    /// 進捗 (未着手 / 実施中 / 完了), "" without a plan.
    pub progress_label: &'static str,
    pub completed_on: String,
    /// The reviewer's advice of last year on the item (前年度の指摘).
    pub advice: String,
    /// `None` until this year's answer is 1–3.
    pub result: Option<PlanResult>,
    /// 達成 / 一部改善 / 未達 / 期限前, "" while not judged.
    pub result_label: &'static str,
}

/// The pieces a sheet view is built from besides the stored sheet.
pub struct Shown<'a> {
    pub mode: Mode,
    pub entries: &'a Entries,
    pub advice: &'a HashMap<String, String>,
    pub problems: &'a [Problem],
    pub review_note: &'a str,
}

/// The sheet view, in steps: the item problems by code (`item_errors`),
/// the outline's sections with their goals and items (`sections`, each item
/// by `Items::item`, its carried plan by `Items::carried_plan`), then the
/// page's header, counts and problem lists.
pub fn build(catalog: &Catalog, sheet: &Sheet, shown: Shown<'_>) -> SheetView {
    let list = catalog.checklist(sheet.variant);
    let fy = sheet.fy;
    let entries = shown.entries;
    let status = sheet.status();
    let editable = shown.mode == Mode::Answer;
    let priorities = sheet.priority_items(catalog);
    let scale = &catalog.scale;
    let outline = outline::build(catalog, sheet.variant, fy);
    let items = Items {
        sheet,
        entries,
        advice: shown.advice,
        priorities: &priorities,
        scale,
        errors: item_errors(shown.problems),
        today: crate::domain::sheet::today_jst(),
    };
    let conds = entries.conditions();
    let goal_view = |g: &outline::GoalView| -> Option<GoalView> {
        let goal = list.goal(g.no)?;
        let applies = goal.applies_to(&conds);
        if !applies && !editable {
            return None;
        }
        Some(GoalView {
            no: g.no,
            text: g.text.clone(),
            condition: g.condition.clone(),
            critical_room: match goal.applies_when.get(CRITICAL_ROOM) {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            },
            hidden: !applies,
            items: g.items.iter().map(|i| items.item(i)).collect(),
        })
    };
    let majors = sections(&outline.majors, goal_view);
    let p = progress(list, fy, entries);
    let sub = sheet.submission.as_ref();
    SheetView {
        org_code: sheet.org.code.clone(),
        org_name: sheet.org.name.clone(),
        org_kind_label: kind_label(&sheet.org.kind),
        fiscal_year: fy.year(),
        fiscal_year_label: fy.to_string(),
        last_year_label: fy.previous().map(|y| y.to_string()),
        checklist_name: list.name.clone(),
        checklist_title: list.title.clone(),
        variant_label: variant_label(sheet.variant),
        round_exists: sheet.round.is_some(),
        round_open: sheet.round_open(),
        round_label: sheet.round.as_ref().map_or("未開始", |r| r.status_label()),
        deadline: sheet.round.as_ref().and_then(|r| r.deadline.clone()),
        deadline_passed: sheet
            .round
            .as_ref()
            .is_some_and(|r| r.deadline_passed(crate::domain::sheet::today_jst())),
        late_refused: sheet.round.as_ref().is_some_and(|r| {
            r.deadline_passed(crate::domain::sheet::today_jst()) && !r.accept_late
        }),
        checklist_version: sheet
            .round
            .as_ref()
            .map(|r| r.checklist_version.clone())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| list.version_label()),
        status,
        status_label: status.label(),
        version: sheet.version(),
        mode: shown.mode,
        editable,
        advice_editable: shown.mode == Mode::Review && status == Status::Submitted,
        can_carry: editable && sheet.submission.is_none() && !sheet.last_year.is_empty(),
        unconfirmed: count_unconfirmed(&majors),
        has_critical_room: entries.has_critical_room,
        condition_question: list
            .conditions
            .iter()
            .find(|c| c.key == CRITICAL_ROOM)
            .map(|c| c.question.clone())
            .unwrap_or_default(),
        answered: p.answered,
        applicable: p.applicable,
        average: p.printed_average(),
        scale: scale.levels.clone(),
        toc: toc(&majors),
        advised: advised(&majors),
        item_problems: item_problems(shown.problems),
        majors,
        problems: shown
            .problems
            .iter()
            .filter(|p| p.item.is_none())
            .map(|p| p.message.clone())
            .collect(),
        review_note: shown.review_note.to_string(),
        submitted_at: sub.and_then(|s| s.submitted_at.clone()),
        returned_at: sub.and_then(|s| s.returned_at.clone()),
        accepted_at: sub.and_then(|s| s.accepted_at.clone()),
        priority_count: priorities.len(),
        advice_count: shown
            .advice
            .values()
            .filter(|a| !a.trim().is_empty())
            .count(),
    }
}

/// The messages of the problems tied to an item, by item code.
fn item_errors(problems: &[Problem]) -> HashMap<&str, Vec<String>> {
    let mut item_errors: HashMap<&str, Vec<String>> = HashMap::new();
    for p in problems {
        if let Some(code) = &p.item {
            item_errors
                .entry(code.as_str())
                .or_default()
                .push(p.message.clone());
        }
    }
    item_errors
}

/// The problems tied to an item, in order, for the list at the top.
fn item_problems(problems: &[Problem]) -> Vec<ItemProblem> {
    problems
        .iter()
        .filter_map(|p| {
            p.item.as_ref().map(|code| ItemProblem {
                code: code.clone(),
                message: p.message.clone(),
            })
        })
        .collect()
}

/// The outline's 大分類 → 中分類 → 小分類 with the goals `goal_view` keeps;
/// sections left without goals are left out.
fn sections(
    majors: &[outline::Node],
    goal_view: impl Fn(&outline::GoalView) -> Option<GoalView>,
) -> Vec<Section> {
    majors
        .iter()
        .map(|major| Section {
            no: major.no.clone(),
            name: major.name.clone(),
            goals: Vec::new(),
            children: major
                .children
                .iter()
                .map(|middle| Section {
                    no: middle.no.clone(),
                    name: middle.name.clone(),
                    goals: Vec::new(),
                    children: middle
                        .children
                        .iter()
                        .map(|minor| Section {
                            no: minor.no.clone(),
                            name: minor.name.clone(),
                            children: Vec::new(),
                            goals: minor.goals.iter().filter_map(&goal_view).collect(),
                        })
                        .filter(|s| !s.goals.is_empty())
                        .collect(),
                })
                .filter(|s| !s.children.is_empty())
                .collect(),
        })
        .filter(|s| !s.children.is_empty())
        .collect()
}

/// Items of the shown goals still 未確認 (carried from last year).
fn count_unconfirmed(majors: &[Section]) -> usize {
    majors
        .iter()
        .flat_map(|m| &m.children)
        .flat_map(|m| &m.children)
        .flat_map(|m| &m.goals)
        .filter(|g| !g.hidden)
        .flat_map(|g| &g.items)
        .filter(|i| i.unconfirmed)
        .count()
}
