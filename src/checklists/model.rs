//! The validated checklists: what the rest of the application works with.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::domain::FiscalYear;

/// The two variants of the 調査票.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// 市区町村版, answered by municipalities.
    Municipal,
    /// 国の行政機関等版, answered by national agencies.
    NationalAgency,
}

impl Variant {
    pub const ALL: [Variant; 2] = [Variant::Municipal, Variant::NationalAgency];

    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Municipal => "municipal",
            Variant::NationalAgency => "national_agency",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "municipal" => Some(Variant::Municipal),
            "national_agency" => Some(Variant::NationalAgency),
            _ => None,
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ScoreLevel {
    pub value: u8,
    pub label: String,
    pub definition: String,
    pub counts_in_average: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scale {
    pub source: String,
    /// From 3 down to 0, as printed.
    pub levels: Vec<ScoreLevel>,
}

impl Scale {
    pub fn label(&self, value: u8) -> &str {
        self.levels
            .iter()
            .find(|l| l.value == value)
            .map(|l| l.label.as_str())
            .unwrap_or("")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Condition {
    pub key: String,
    pub question: String,
}

/// 大分類 (`1`), 中分類 (`1.1`) or 小分類 (`1.1.1`).
#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub no: String,
    pub name: String,
    pub supplied: bool,
}

impl Category {
    pub fn depth(&self) -> usize {
        self.no.split('.').count()
    }
}

/// 管理目標.
#[derive(Debug, Clone, Serialize)]
pub struct Goal {
    pub no: u32,
    /// The 小分類 it sits under.
    pub category: String,
    pub text: String,
    pub supplied: bool,
    /// Conditions under which the goal applies, e.g. `has_critical_room = true`.
    pub applies_when: BTreeMap<String, bool>,
}

impl Goal {
    /// The 大分類 number, the first part of its category.
    pub fn major(&self) -> &str {
        self.category.split('.').next().unwrap_or("")
    }

    /// Whether the goal applies to an organisation with these answers to the
    /// checklist's conditions. An unanswered condition leaves it applicable.
    pub fn applies_to(&self, conditions: &BTreeMap<String, bool>) -> bool {
        self.applies_when
            .iter()
            .all(|(k, want)| conditions.get(k).is_none_or(|have| have == want))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Revision {
    pub from: FiscalYear,
    pub text: String,
}

/// 小項目, e.g. `18-1 操作履歴をチェックしている`.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub code: String,
    pub goal_no: u32,
    pub item_no: u32,
    /// The text of its first year.
    pub text: String,
    pub since: FiscalYear,
    pub until: Option<FiscalYear>,
    pub supplied: bool,
    /// Later texts, in order of year.
    pub revisions: Vec<Revision>,
}

impl Item {
    pub fn applies_in(&self, fy: FiscalYear) -> bool {
        fy >= self.since && self.until.is_none_or(|u| fy <= u)
    }

    /// The text in force in `fy`, with the year it came into force.
    pub fn version_in(&self, fy: FiscalYear) -> (FiscalYear, &str) {
        self.revisions
            .iter()
            .rev()
            .find(|r| r.from <= fy)
            .map(|r| (r.from, r.text.as_str()))
            .unwrap_or((self.since, self.text.as_str()))
    }

    pub fn text_in(&self, fy: FiscalYear) -> &str {
        self.version_in(fy).1
    }

    /// Every text the item has had: (from, to, text).
    pub fn versions(&self) -> Vec<(FiscalYear, Option<FiscalYear>, &str)> {
        let mut starts: Vec<(FiscalYear, &str)> = vec![(self.since, self.text.as_str())];
        starts.extend(self.revisions.iter().map(|r| (r.from, r.text.as_str())));
        let mut out = Vec::with_capacity(starts.len());
        for (i, (from, text)) in starts.iter().enumerate() {
            let to = match starts.get(i + 1) {
                Some((next, _)) => next.previous(),
                None => self.until,
            };
            out.push((*from, to, *text));
        }
        out
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    pub variant: Variant,
    pub name: String,
    pub title: String,
    pub first_year: FiscalYear,
    pub source: String,
    pub conditions: Vec<Condition>,
    pub categories: Vec<Category>,
    pub goals: Vec<Goal>,
    pub items: Vec<Item>,
    /// A digest of the file's content: names this version of the checklist.
    pub digest: String,
}

impl Checklist {
    pub fn goal(&self, no: u32) -> Option<&Goal> {
        self.goals.iter().find(|g| g.no == no)
    }

    pub fn item(&self, code: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.code == code)
    }

    pub fn category(&self, no: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.no == no)
    }

    /// 大分類 in order.
    pub fn majors(&self) -> impl Iterator<Item = &Category> {
        self.categories.iter().filter(|c| c.depth() == 1)
    }

    pub fn items_in(&self, fy: FiscalYear) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(move |i| i.applies_in(fy))
    }

    /// Goals that have at least one item in `fy`.
    pub fn goals_in(&self, fy: FiscalYear) -> impl Iterator<Item = &Goal> {
        self.goals
            .iter()
            .filter(move |g| self.items_in(fy).any(|i| i.goal_no == g.no))
    }

    pub fn items_of_goal(&self, goal_no: u32, fy: FiscalYear) -> impl Iterator<Item = &Item> {
        self.items_in(fy).filter(move |i| i.goal_no == goal_no)
    }

    /// Items an organisation must answer in `fy`, given its conditions.
    pub fn applicable_items(
        &self,
        fy: FiscalYear,
        conditions: &BTreeMap<String, bool>,
    ) -> Vec<&Item> {
        self.items_in(fy)
            .filter(|i| {
                self.goal(i.goal_no)
                    .is_some_and(|g| g.applies_to(conditions))
            })
            .collect()
    }

    /// The short version label shown on forms: the variant and the digest.
    pub fn version_label(&self) -> String {
        format!(
            "{}@{}",
            self.variant,
            &self.digest[..12.min(self.digest.len())]
        )
    }
}

/// 重要点検項目 of every year.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Priorities {
    pub source: String,
    pub years: BTreeMap<(Variant, FiscalYear), Vec<String>>,
}

impl Priorities {
    pub fn of_year(&self, variant: Variant, fy: FiscalYear) -> &[String] {
        self.years
            .get(&(variant, fy))
            .map(|v| v.as_slice())
            .unwrap_or(&[])
    }

    /// The years, up to and including `upto`, in which `item` was a priority.
    pub fn years_of(&self, variant: Variant, item: &str, upto: FiscalYear) -> Vec<FiscalYear> {
        self.years
            .iter()
            .filter(|((v, fy), items)| {
                *v == variant && *fy <= upto && items.iter().any(|i| i == item)
            })
            .map(|((_, fy), _)| *fy)
            .collect()
    }

    /// The tag printed after an item's text: 【平成19年度重要点検項目】 for the
    /// latest year up to `upto` in which it was a priority.
    pub fn tag(&self, variant: Variant, item: &str, upto: FiscalYear) -> Option<String> {
        self.years_of(variant, item, upto)
            .last()
            .map(|fy| format!("【{}重要点検項目】", fy.wareki()))
    }
}

/// A published national figure of one municipal sub-item.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedFigure {
    pub item: String,
    pub fiscal_year: FiscalYear,
    pub average: f64,
    /// Shares of 3, 2 and 1 in percent, where printed.
    pub shares: Option<[f64; 3]>,
    /// The printed 向上値 over the previous year, where printed.
    pub improvement: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublishedOverall {
    pub fiscal_year: FiscalYear,
    pub organisations: Option<u32>,
    pub overall_average: f64,
    pub source: String,
}

/// Published national figures, for years before the platform's own data.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Published {
    pub items: BTreeMap<(String, FiscalYear), PublishedFigure>,
    pub overall: BTreeMap<FiscalYear, PublishedOverall>,
}

impl Published {
    pub fn figure(&self, item: &str, fy: FiscalYear) -> Option<&PublishedFigure> {
        self.items.get(&(item.to_string(), fy))
    }

    pub fn years(&self) -> Vec<FiscalYear> {
        let mut ys: Vec<FiscalYear> = self.items.keys().map(|(_, fy)| *fy).collect();
        ys.sort();
        ys.dedup();
        ys
    }
}

/// Everything under `checklists/`, validated.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub scale: Scale,
    pub municipal: Checklist,
    pub national_agency: Checklist,
    pub priorities: Priorities,
    /// Published figures of the municipal variant.
    pub published: Published,
    /// The type of every municipality, by its code
    /// (`roster/municipality_types.csv`).
    pub municipality_types: BTreeMap<String, MunicipalityType>,
}

/// The types of local government of `roster/municipality_types.csv`.
pub const MUNICIPALITY_TYPES: [&str; 6] =
    ["政令指定都市", "中核市", "特別区", "その他の市", "町", "村"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MunicipalityType {
    pub prefecture: String,
    pub city: String,
    /// One of [`MUNICIPALITY_TYPES`].
    pub kind: String,
}

impl Catalog {
    pub fn checklist(&self, variant: Variant) -> &Checklist {
        match variant {
            Variant::Municipal => &self.municipal,
            Variant::NationalAgency => &self.national_agency,
        }
    }

    pub fn checklists(&self) -> [&Checklist; 2] {
        [&self.municipal, &self.national_agency]
    }
}
