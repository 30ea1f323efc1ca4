//! The priority items per year and the published national figures
//! (`published/`), checked against the checklists.

use std::collections::{BTreeMap, BTreeSet};

use super::super::files::*;
use super::super::model::*;
use super::super::{PRIORITIES, PUBLISHED_ITEMS, PUBLISHED_OVERALL};
use super::Reporter;
use crate::domain::FiscalYear;

pub(super) fn priorities(r: &mut Reporter, f: PrioritiesFile, lists: &[&Checklist]) -> Priorities {
    let mut years = BTreeMap::new();
    for y in &f.year {
        let d = y.get_ref();
        let id = format!("{} {}", d.variant, d.fiscal_year);
        let Some(variant) = Variant::parse(&d.variant) else {
            r.at_span(
                PRIORITIES,
                y.span(),
                &id,
                "unknown variant (municipal or national_agency)",
            );
            continue;
        };
        let Some(fy) = r.year(PRIORITIES, y.span(), &id, "fiscal_year", d.fiscal_year) else {
            continue;
        };
        let Some(list) = lists.iter().find(|c| c.variant == variant) else {
            continue;
        };
        let mut seen = BTreeSet::new();
        for code in &d.items {
            match list.item(code) {
                Some(item) if item.applies_in(fy) => {}
                Some(_) => r.at_span(
                    PRIORITIES,
                    y.span(),
                    code,
                    format!("sub-item {code} does not apply in {}", fy.year()),
                ),
                None => r.at_span(
                    PRIORITIES,
                    y.span(),
                    code,
                    format!("sub-item {code} does not exist in {variant}"),
                ),
            }
            if !seen.insert(code) {
                r.at_span(PRIORITIES, y.span(), code, "listed twice in the same year");
            }
        }
        if years.insert((variant, fy), d.items.clone()).is_some() {
            r.at_span(
                PRIORITIES,
                y.span(),
                &id,
                "this variant and year are listed twice",
            );
        }
    }
    Priorities {
        source: f.source,
        years,
    }
}

pub(super) fn published(r: &mut Reporter, municipal: &Checklist) -> Published {
    let mut out = Published::default();
    let text = r.sources.get(PUBLISHED_ITEMS).to_string();
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    for (i, row) in rdr.deserialize::<PublishedItemRow>().enumerate() {
        let line = i + 2;
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                r.at(
                    PUBLISHED_ITEMS,
                    line,
                    "-",
                    format!("cannot read the row: {e}"),
                );
                continue;
            }
        };
        let id = format!("{} {}", row.item, row.fiscal_year);
        let Some(fy) = i32::try_from(row.fiscal_year)
            .ok()
            .and_then(|y| FiscalYear::new(y).ok())
        else {
            r.at(PUBLISHED_ITEMS, line, &id, "fiscal_year is not a year");
            continue;
        };
        match municipal.item(&row.item) {
            Some(item) if item.applies_in(fy) => {}
            Some(_) => r.at(
                PUBLISHED_ITEMS,
                line,
                &id,
                format!("sub-item {} does not apply in {}", row.item, fy.year()),
            ),
            None => r.at(
                PUBLISHED_ITEMS,
                line,
                &id,
                format!("sub-item {} does not exist", row.item),
            ),
        }
        if !(1.0..=3.0).contains(&row.average) {
            r.at(
                PUBLISHED_ITEMS,
                line,
                &id,
                "an average lies between 1 and 3",
            );
        }
        let shares = match (row.share_3, row.share_2, row.share_1) {
            (Some(a), Some(b), Some(c)) => Some([a, b, c]),
            (None, None, None) => None,
            _ => {
                r.at(PUBLISHED_ITEMS, line, &id, "give all three shares or none");
                None
            }
        };
        if shares.is_some_and(|s| s.iter().any(|v| !(0.0..=100.0).contains(v))) {
            r.at(
                PUBLISHED_ITEMS,
                line,
                &id,
                "a share is a percentage between 0 and 100",
            );
        }
        let fig = PublishedFigure {
            item: row.item.clone(),
            fiscal_year: fy,
            average: row.average,
            shares,
            improvement: row.improvement,
        };
        if out.items.insert((row.item, fy), fig).is_some() {
            r.at(
                PUBLISHED_ITEMS,
                line,
                &id,
                "this item and year are listed twice",
            );
        }
    }
    let text = r.sources.get(PUBLISHED_OVERALL).to_string();
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    for (i, row) in rdr.deserialize::<PublishedOverallRow>().enumerate() {
        let line = i + 2;
        match row {
            Ok(row) => {
                let id = row.fiscal_year.to_string();
                let Some(fy) = i32::try_from(row.fiscal_year)
                    .ok()
                    .and_then(|y| FiscalYear::new(y).ok())
                else {
                    r.at(PUBLISHED_OVERALL, line, &id, "fiscal_year is not a year");
                    continue;
                };
                out.overall.insert(
                    fy,
                    PublishedOverall {
                        fiscal_year: fy,
                        organisations: row.organisations.and_then(|n| u32::try_from(n).ok()),
                        overall_average: row.overall_average,
                        source: row.source,
                    },
                );
            }
            Err(e) => r.at(
                PUBLISHED_OVERALL,
                line,
                "-",
                format!("cannot read the row: {e}"),
            ),
        }
    }
    out
}
