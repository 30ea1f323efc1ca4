//! The engine on answers built by hand, and on the published figures alone.
//!
//! This file holds the fixtures (the catalog, answers per year, the Tokyo
//! table); `by_hand.rs` checks tables computed from answers built by hand,
//! `published.rs` the tables of years without answers.

mod by_hand;
mod published;

use std::collections::BTreeMap;

use super::engine::{self, Input, OrgAnswers, RankBy, YearAnswers, MISSING};
use super::exact::Figure;
use super::model::*;
use crate::checklists::{load_catalog, Catalog, Variant};
use crate::domain::FiscalYear;

fn catalog() -> Catalog {
    load_catalog(None).expect("built-in catalog")
}

fn fy(y: i32) -> FiscalYear {
    FiscalYear::new(y).expect("year")
}

fn info(key: &str, kind: &'static str, name: &str) -> ScopeInfo {
    ScopeInfo {
        key: key.into(),
        kind,
        code: None,
        name: name.into(),
        variant: Variant::Municipal,
    }
}

/// (code, name, [(item, score)]) of one organisation.
pub(crate) type Answers<'a> = (&'static str, &'static str, &'a [(&'a str, u8)]);
/// (item, average, shares 3/2/1, FY2003–FY2006, 向上値) as printed in seed 003.
type Typed = (
    &'static str,
    &'static str,
    [&'static str; 3],
    [&'static str; 4],
    &'static str,
);

/// One year's columns and organisations' scores, owned.
pub(crate) struct Year {
    fy: FiscalYear,
    items: Vec<String>,
    orgs: Vec<(&'static str, &'static str, &'static str, Vec<u8>)>,
}

impl Year {
    pub(crate) fn new(catalog: &Catalog, y: i32, answers: &[Answers]) -> Self {
        let items: Vec<String> = catalog
            .municipal
            .items_in(fy(y))
            .map(|i| i.code.clone())
            .collect();
        let orgs = answers
            .iter()
            .map(|(code, name, scores)| {
                let mut row = vec![MISSING; items.len()];
                for (item, s) in scores.iter() {
                    let col = items
                        .iter()
                        .position(|c| c == item)
                        .expect("item of the year");
                    row[col] = *s;
                }
                (*code, *name, "130001", row)
            })
            .collect();
        Self {
            fy: fy(y),
            items,
            orgs,
        }
    }

    pub(crate) fn view(&self) -> YearAnswers<'_> {
        YearAnswers {
            fiscal_year: self.fy,
            items: &self.items,
            orgs: self
                .orgs
                .iter()
                .map(|(code, name, group, scores)| OrgAnswers {
                    code,
                    name,
                    group: Some(group),
                    scores,
                    conditions: &engine::NO_CONDITIONS,
                })
                .collect(),
        }
    }
}

fn printed(f: &Option<Figure>) -> Option<&str> {
    f.as_ref().map(|f| f.printed.as_str())
}

fn value(f: &Option<Figure>) -> f64 {
    f.as_ref().map_or(f64::NAN, |f| f.value)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

/// Three wards of Tokyo; FY2004 has no answers; 43-1 does not exist in
/// FY2003. Every figure below is worked out by hand in the comments.
fn tokyo_table(catalog: &Catalog) -> Summary {
    let y2003 = Year::new(
        catalog,
        2003,
        &[
            ("131016", "千代田区", &[("1-1", 1), ("6-1", 2)]),
            ("131032", "港区", &[("1-1", 3)]),
        ],
    );
    let y2005 = Year::new(
        catalog,
        2005,
        &[
            (
                "131016",
                "千代田区",
                &[("1-1", 2), ("1-2", 2), ("6-1", 3), ("43-1", 3)],
            ),
            ("131024", "中央区", &[("1-1", 1), ("6-1", 0)]),
        ],
    );
    let y2006 = Year::new(
        catalog,
        2006,
        &[
            (
                "131016",
                "千代田区",
                &[("1-1", 3), ("1-2", 2), ("6-1", 0), ("26-1", 3), ("43-1", 3)],
            ),
            (
                "131024",
                "中央区",
                &[("1-1", 2), ("1-2", 1), ("6-1", 3), ("26-1", 2), ("43-1", 0)],
            ),
            (
                "131032",
                "港区",
                &[("1-1", 3), ("1-2", 3), ("6-1", 3), ("26-1", 3), ("43-1", 2)],
            ),
        ],
    );
    engine::build(&Input {
        catalog,
        scope: info("pref:130001", "prefecture", "東京都"),
        fiscal_year: fy(2006),
        years: vec![y2003.view(), y2005.view(), y2006.view()],
        use_published: false,
        rank_by: RankBy::Organisations("municipalities"),
    })
}
