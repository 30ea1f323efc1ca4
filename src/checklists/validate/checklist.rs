//! One variant's checklist: its conditions, goals and items, each item's
//! code, texts and years checked.

use std::collections::BTreeSet;
use std::ops::Range;

use sha2::{Digest, Sha256};
use toml::Spanned;

use super::super::files::*;
use super::super::model::*;
use super::{line_of, Reporter};
use crate::domain::FiscalYear;

/// `"18-1"` → (18, 1).
fn parse_item_code(code: &str) -> Option<(u32, u32)> {
    let (g, i) = code.split_once('-')?;
    let ok =
        |s: &str| !s.is_empty() && !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit());
    if !ok(g) || !ok(i) {
        return None;
    }
    Some((g.parse().ok()?, i.parse().ok()?))
}

fn check_text(r: &mut Reporter, rel: &str, span: Range<usize>, id: &str, text: &str) {
    if text.trim().is_empty() {
        r.at_span(rel, span.clone(), id, "the text is empty");
    } else if text != text.trim() {
        r.at_span(
            rel,
            span.clone(),
            id,
            "the text has leading or trailing spaces",
        );
    }
}

pub(super) fn checklist(
    r: &mut Reporter,
    rel: &str,
    expected: Variant,
    f: VariantFile,
) -> Option<Checklist> {
    let before = r.problems.len();
    if Variant::parse(&f.variant) != Some(expected) {
        r.at(
            rel,
            1,
            &f.variant,
            format!("variant must be \"{expected}\" in this file"),
        );
    }
    let first_year = r.year(rel, 0..0, "first_year", "first_year", f.first_year);
    let digest = format!("{:x}", Sha256::digest(r.sources.get(rel).as_bytes()));

    let mut condition_keys = BTreeSet::new();
    let mut conditions = Vec::new();
    for c in &f.condition {
        let d = c.get_ref();
        if !condition_keys.insert(d.key.clone()) {
            r.at_span(rel, c.span(), &d.key, "condition defined twice");
        }
        check_text(r, rel, c.span(), &d.key, &d.question);
        conditions.push(Condition {
            key: d.key.clone(),
            question: d.question.clone(),
        });
    }

    let mut categories: Vec<Category> = Vec::new();
    for c in &f.category {
        let d = c.get_ref();
        let parts: Vec<&str> = d.no.split('.').collect();
        let well_formed =
            parts.len() <= 3 && parts.iter().all(|p| p.parse::<u32>().is_ok_and(|n| n > 0));
        if !well_formed {
            r.at_span(rel, c.span(), &d.no, "a category number is 1, 1.1 or 1.1.1");
            continue;
        }
        if categories.iter().any(|x| x.no == d.no) {
            r.at_span(rel, c.span(), &d.no, "category defined twice");
        }
        if let Some((_, parent_parts)) = parts.split_last().filter(|(_, p)| !p.is_empty()) {
            let parent = parent_parts.join(".");
            if !categories.iter().any(|x| x.no == parent) {
                r.at_span(
                    rel,
                    c.span(),
                    &d.no,
                    format!("its parent category {parent} is not defined before it"),
                );
            }
        }
        check_text(r, rel, c.span(), &d.no, &d.name);
        categories.push(Category {
            no: d.no.clone(),
            name: d.name.clone(),
            supplied: d.supplied,
        });
    }

    let mut goals: Vec<Goal> = Vec::new();
    for (idx, g) in f.goal.iter().enumerate() {
        let d = g.get_ref();
        let id = format!("goal {}", d.no);
        let expected_no = idx as i64 + 1;
        if d.no != expected_no {
            r.at_span(
                rel,
                g.span(),
                &id,
                format!("goal numbers must run 1, 2, 3… without gaps: expected {expected_no}"),
            );
        }
        match categories.iter().find(|c| c.no == d.category) {
            Some(c) if c.depth() == 3 => {}
            Some(_) => r.at_span(
                rel,
                g.span(),
                &id,
                format!("category {} is not a 小分類 (x.y.z)", d.category),
            ),
            None => r.at_span(
                rel,
                g.span(),
                &id,
                format!("category {} does not exist", d.category),
            ),
        }
        for key in d.applies_when.keys() {
            if !condition_keys.contains(key) {
                r.at_span(
                    rel,
                    g.span(),
                    &id,
                    format!("applies_when names an unknown condition {key}"),
                );
            }
        }
        check_text(r, rel, g.span(), &id, &d.text);
        goals.push(Goal {
            no: u32::try_from(d.no).unwrap_or(0),
            category: d.category.clone(),
            text: d.text.clone(),
            supplied: d.supplied,
            applies_when: d.applies_when.clone(),
        });
    }

    let mut items: Vec<Item> = Vec::new();
    for it in &f.item {
        if let Some(item) = item(r, rel, it, first_year, &goals, &items) {
            items.push(item);
        }
    }
    for g in &goals {
        if !items.iter().any(|i| i.goal_no == g.no) {
            let line = f
                .goal
                .iter()
                .find(|x| x.get_ref().no == g.no as i64)
                .map_or(1, |x| line_of(r.sources.get(rel), x.span().start));
            r.at(
                rel,
                line,
                format!("goal {}", g.no),
                "this goal has no sub-items",
            );
        }
    }

    if r.problems.len() > before {
        return None;
    }
    Some(Checklist {
        variant: expected,
        name: f.name,
        title: f.title,
        first_year: first_year?,
        source: f.source,
        conditions,
        categories,
        goals,
        items,
        digest,
    })
}

fn item(
    r: &mut Reporter,
    rel: &str,
    it: &Spanned<ItemDef>,
    first_year: Option<FiscalYear>,
    goals: &[Goal],
    earlier: &[Item],
) -> Option<Item> {
    let d = it.get_ref();
    let span = it.span();
    let id = d.id.as_str();
    let Some((goal_no, item_no)) = parse_item_code(id) else {
        r.at_span(rel, span.clone(), id, "a sub-item id is GOAL-N, e.g. 18-1");
        return None;
    };
    let mut ok = true;
    if earlier.iter().any(|i| i.code == id) {
        r.at_span(rel, span.clone(), id, "sub-item defined twice");
        ok = false;
    }
    if !goals.iter().any(|g| g.no == goal_no) {
        r.at_span(
            rel,
            span.clone(),
            id,
            format!("goal {goal_no} does not exist"),
        );
        ok = false;
    }
    let prev_in_goal = earlier
        .iter()
        .filter(|i| i.goal_no == goal_no)
        .map(|i| i.item_no)
        .max()
        .unwrap_or(0);
    if item_no != prev_in_goal + 1 {
        r.at_span(
            rel,
            span.clone(),
            id,
            format!(
                "sub-items of goal {goal_no} must run 1, 2, 3… in order: expected {goal_no}-{}",
                prev_in_goal + 1
            ),
        );
        ok = false;
    }
    check_text(r, rel, span.clone(), id, &d.text);
    let since = match d.since {
        Some(y) => r.year(rel, span.clone(), id, "since", y),
        None => first_year,
    };
    let until = match d.until {
        Some(y) => Some(r.year(rel, span.clone(), id, "until", y)?),
        None => None,
    };
    let since = since?;
    if let Some(first) = first_year {
        if since < first {
            r.at_span(
                rel,
                span.clone(),
                id,
                format!(
                    "since {} is before the checklist's first_year {}",
                    since.year(),
                    first.year()
                ),
            );
            ok = false;
        }
    }
    if until.is_some_and(|u| u < since) {
        r.at_span(rel, span.clone(), id, "until is before since");
        ok = false;
    }
    let mut revisions = Vec::new();
    let mut last = since;
    for rev in &d.revision {
        let from = r.year(rel, span.clone(), id, "revision from", rev.from)?;
        if from <= last || until.is_some_and(|u| from > u) {
            r.at_span(
                rel,
                span.clone(),
                id,
                format!(
                    "revision from {} must come after the previous text and within since–until",
                    from.year()
                ),
            );
            ok = false;
        }
        check_text(r, rel, span.clone(), id, &rev.text);
        last = from;
        revisions.push(Revision {
            from,
            text: rev.text.clone(),
        });
    }
    ok.then(|| Item {
        code: id.to_string(),
        goal_no,
        item_no,
        text: d.text.clone(),
        since,
        until,
        supplied: d.supplied,
        revisions,
    })
}
