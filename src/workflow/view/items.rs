//! One item's view: the typed or stored answer, last year's, the plan, the
//! advice, its problems and marks, and last year's plan judged.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::super::{Entries, Sheet};
use super::{CarriedPlanView, ItemView};
use crate::checklists::{outline, Scale};
use crate::domain::plan_result::judge;
use crate::store::submissions::progress_label;

/// What every item's view is built from.
pub(super) struct Items<'a> {
    pub(super) sheet: &'a Sheet,
    pub(super) entries: &'a Entries,
    pub(super) advice: &'a HashMap<String, String>,
    pub(super) priorities: &'a [String],
    pub(super) scale: &'a Scale,
    pub(super) errors: HashMap<&'a str, Vec<String>>,
    pub(super) today: NaiveDate,
}

impl Items<'_> {
    /// `2 整備している`, or "" without a score.
    fn label(&self, v: Option<u8>) -> String {
        v.map(|v| format!("{v} {}", self.scale.label(v)))
            .unwrap_or_default()
    }

    /// One item: the typed or stored answer, last year's, the plan, the
    /// advice, its problems and marks.
    pub(super) fn item(&self, i: &outline::ItemView) -> ItemView {
        let (sheet, entries) = (self.sheet, self.entries);
        let e = entries.get(&i.code);
        let score = e.score.map(|s| s.value());
        let last = sheet.last_year.get(&i.code);
        let last_score = last.and_then(|a| u8::try_from(a.score).ok());
        let plan_needed = matches!(score, Some(1 | 2));
        let unconfirmed = sheet.carried.get(&i.code).is_some_and(|c| {
            !c.is_confirmed()
                && score.map(i32::from) == Some(c.score)
                && e.comment.trim_end() == c.comment
                && !entries.confirmed.contains(&i.code)
        });
        let changed = last_score.is_some() && score.is_some() && score != last_score;
        let carried_plan = last_score
            .filter(|s| (1..=2).contains(s))
            .map(|prev| self.carried_plan(&i.code, prev, score));
        ItemView {
            carried_plan,
            unconfirmed,
            changed,
            code: i.code.clone(),
            text: i.text.clone(),
            priority: self.priorities.contains(&i.code),
            score,
            score_label: self.label(score),
            comment: e.comment.clone(),
            last_year: last_score,
            last_year_label: self.label(last_score),
            last_year_comment: last.map(|a| a.comment.clone()).unwrap_or_default(),
            plan_open: plan_needed || !e.plan.is_empty(),
            plan: e.plan,
            plan_needed,
            progress_label: sheet
                .plans
                .get(&i.code)
                .map(|p| progress_label(&p.progress)),
            advice: self.advice.get(&i.code).cloned().unwrap_or_default(),
            errors: self
                .errors
                .get(i.code.as_str())
                .cloned()
                .unwrap_or_default(),
        }
    }

    /// Last year's plan for an item scored `prev` (1 or 2) last year, judged
    /// against this year's `score`.
    fn carried_plan(&self, code: &str, prev: u8, score: Option<u8>) -> CarriedPlanView {
        let sheet = self.sheet;
        let plan = sheet.last_year_plans.get(code);
        let target_date = plan.map(|p| p.target_date.clone()).unwrap_or_default();
        let result = judge(
            Some(prev),
            score,
            crate::domain::sheet::parse_date(&target_date),
            self.today,
        );
        CarriedPlanView {
            previous_label: self.label(Some(prev)),
            measure: plan.map(|p| p.measure.clone()).unwrap_or_default(),
            target_date,
            progress_label: plan.map_or("", |p| progress_label(&p.progress)),
            completed_on: plan
                .and_then(|p| p.completed_on.clone())
                .unwrap_or_default(),
            advice: sheet
                .last_year_advice
                .get(code)
                .cloned()
                .unwrap_or_default(),
            result,
            result_label: result.map_or("", |r| r.label()),
        }
    }
}
