//! The result of the priority items (重要点検項目) of a year.

use super::super::model::*;
use super::{conditions_of, YearAnswers, MISSING};
use crate::checklists::{Catalog, Goal, Variant};

pub(super) fn priority(catalog: &Catalog, variant: Variant, year: &YearAnswers) -> PriorityResult {
    let items = catalog
        .priorities
        .of_year(variant, year.fiscal_year)
        .to_vec();
    let cols: Vec<Option<usize>> = items
        .iter()
        .map(|code| year.items.iter().position(|c| c == code))
        .collect();
    let list = catalog.checklist(variant);
    let goal_of = |code: &str| list.item(code).and_then(|i| list.goal(i.goal_no));
    // The goals of the columns, for inferring unknown conditions.
    let column_goals: Vec<Option<&Goal>> = year.items.iter().map(|c| goal_of(c)).collect();
    let item_goals: Vec<Option<&Goal>> = items.iter().map(|c| goal_of(c)).collect();
    let mut organisations = 0;
    let mut not_achieved = Vec::new();
    for org in &year.orgs {
        if !org.scores.iter().any(|s| *s <= 3) {
            continue;
        }
        organisations += 1;
        let conditions = conditions_of(org, &column_goals);
        let short: Vec<ItemScore> = items
            .iter()
            .zip(&cols)
            .zip(&item_goals)
            .filter_map(|((code, col), goal)| {
                // An item whose goal does not apply to the organisation is
                // not asked: met, like an answer 0.
                if goal.is_some_and(|g| !g.applies_to(&conditions)) {
                    return None;
                }
                let s = col
                    .and_then(|c| org.scores.get(c).copied())
                    .unwrap_or(MISSING);
                match s {
                    0 | 3 => None,
                    1 | 2 => Some(Some(s)),
                    _ => Some(None),
                }
                .map(|score| ItemScore {
                    item: code.clone(),
                    score,
                })
            })
            .collect();
        if !short.is_empty() {
            not_achieved.push(Shortfall {
                code: org.code.to_string(),
                name: org.name.to_string(),
                items: short,
            });
        }
    }
    not_achieved.sort_by(|a, b| a.code.cmp(&b.code));
    PriorityResult {
        items,
        organisations,
        achieved: organisations - not_achieved.len() as u64,
        not_achieved,
    }
}
