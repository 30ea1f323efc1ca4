//! The aggregation engine: pure functions from answers (already gathered
//! for one scope) to a [`Summary`]. No database here; `stats::data` feeds it
//! and the unit tests (`stats/tests/`) feed it by hand.
//!
//! Files: this one the inputs and `build` with its item rows;
//! `priority.rs` the result of the priority items (重要点検項目);
//! `ranking.rs` the ranking of the members of a scope;
//! `non_compliance.rs` the count of organisations not at 3, by bucket.

mod non_compliance;
mod priority;
mod ranking;

pub use non_compliance::{non_compliance, parse_buckets};
use priority::priority;
use ranking::ranking;

use std::collections::{BTreeMap, HashMap};

use super::exact::{Exact, AVERAGE_DECIMALS, OVERALL_DECIMALS, SHARE_DECIMALS};
use super::model::*;
use crate::checklists::{Catalog, Checklist, Goal, Variant};
use crate::domain::FiscalYear;

/// A score cell with no answer.
pub const MISSING: u8 = u8::MAX;

/// The default buckets of seed 004: 0, 1〜2, 3〜5, 6〜 organisations not at 3.
pub const DEFAULT_BUCKETS: [u64; 4] = [0, 1, 3, 6];

/// One organisation's answers of one year, aligned with `YearAnswers::items`
/// (0–3, or [`MISSING`]).
#[derive(Debug, Clone)]
pub struct OrgAnswers<'a> {
    pub code: &'a str,
    pub name: &'a str,
    /// The group ranked in a national table: the prefecture's code.
    pub group: Option<&'a str>,
    pub scores: &'a [u8],
    /// Its answers to the checklist's conditions (`has_critical_room`), as
    /// far as known. A condition not given is inferred from the answers:
    /// an answered item of a goal that applies only when `key = v` tells
    /// `key = v`.
    pub conditions: &'a BTreeMap<String, bool>,
}

/// No known conditions.
pub static NO_CONDITIONS: BTreeMap<String, bool> = BTreeMap::new();

/// The answers of one fiscal year of the organisations in scope.
#[derive(Debug, Clone)]
pub struct YearAnswers<'a> {
    pub fiscal_year: FiscalYear,
    /// Item codes of the columns of `OrgAnswers::scores`.
    pub items: &'a [String],
    pub orgs: Vec<OrgAnswers<'a>>,
}

/// What the ranking of a table ranks.
#[derive(Debug, Clone)]
pub enum RankBy<'a> {
    Nothing,
    /// Each organisation by its own overall average (`municipalities`, `agencies`).
    Organisations(&'static str),
    /// Groups of organisations (`prefectures`), named by code.
    Groups {
        kind: &'static str,
        names: &'a BTreeMap<String, String>,
    },
}

#[derive(Debug, Clone)]
pub struct Input<'a> {
    pub catalog: &'a Catalog,
    pub scope: ScopeInfo,
    pub fiscal_year: FiscalYear,
    /// Years up to `fiscal_year`; a year may be left out when it has none.
    pub years: Vec<YearAnswers<'a>>,
    /// Whether years without answers take the published national figures
    /// (the national municipal table only).
    pub use_published: bool,
    pub rank_by: RankBy<'a>,
}

/// Counts of answers 0, 1, 2, 3 per item, and organisations with answers.
#[derive(Debug, Default, Clone)]
struct Tally {
    organisations: u64,
    counts: HashMap<String, [u64; 4]>,
}

impl Tally {
    fn of<'a>(year: &YearAnswers<'a>, keep: impl Fn(&OrgAnswers<'a>) -> bool) -> Self {
        let mut cols = vec![[0_u64; 4]; year.items.len()];
        let mut organisations = 0;
        for org in year.orgs.iter().filter(|o| keep(o)) {
            let mut any = false;
            for (cell, &s) in cols.iter_mut().zip(org.scores) {
                if let Some(count) = cell.get_mut(usize::from(s)) {
                    *count += 1;
                    any = true;
                }
            }
            organisations += u64::from(any);
        }
        Self {
            organisations,
            counts: year.items.iter().cloned().zip(cols).collect(),
        }
    }

    fn average(&self, code: &str) -> Option<Exact> {
        let c = self.counts.get(code)?;
        let respondents = c[1] + c[2] + c[3];
        let sum = c[1] + 2 * c[2] + 3 * c[3];
        Exact::ratio(sum as i64, respondents as i64)
    }

    /// Mean of the sub-item averages of the items that have one.
    fn overall<'i>(&self, codes: impl Iterator<Item = &'i str>) -> Option<Exact> {
        let avgs: Vec<Exact> = codes.filter_map(|c| self.average(c)).collect();
        Exact::mean(avgs.iter())
    }
}

struct Years<'a> {
    catalog: &'a Catalog,
    list: &'a Checklist,
    tallies: BTreeMap<FiscalYear, Tally>,
    /// Years of published figures in use (empty when they are not used).
    published: Vec<FiscalYear>,
}

impl Years<'_> {
    fn source(&self, fy: FiscalYear) -> Option<Source> {
        if self.tallies.contains_key(&fy) {
            Some(Source::Answers)
        } else if self.published.contains(&fy) {
            Some(Source::Published)
        } else {
            None
        }
    }

    fn average(&self, code: &str, fy: FiscalYear) -> Option<Exact> {
        match self.source(fy)? {
            Source::Answers => self.tallies.get(&fy)?.average(code),
            Source::Published => self
                .catalog
                .published
                .figure(code, fy)
                .map(|f| Exact::published(f.average)),
        }
    }

    fn overall(&self, fy: FiscalYear) -> Option<Exact> {
        let codes = || self.list.items_in(fy).map(|i| i.code.as_str());
        match self.source(fy)? {
            Source::Answers => self.tallies.get(&fy)?.overall(codes()),
            Source::Published => match self.catalog.published.overall.get(&fy) {
                Some(o) => Some(Exact::published(o.overall_average)),
                None => {
                    let avgs: Vec<Exact> = codes().filter_map(|c| self.average(c, fy)).collect();
                    Exact::mean(avgs.iter())
                }
            },
        }
    }

    fn cell(&self, value: Option<Exact>, fy: FiscalYear, decimals: u32) -> HistoryCell {
        HistoryCell {
            fiscal_year: fy.year(),
            source: value.as_ref().and(self.source(fy)),
            average: value.map(|v| v.figure(decimals)),
        }
    }
}

/// Builds the table of `input.scope` for `input.fiscal_year`.
pub fn build(input: &Input) -> Summary {
    let fy = input.fiscal_year;
    let variant = input.scope.variant;
    let catalog = input.catalog;
    let list = catalog.checklist(variant);
    let years = Years {
        catalog,
        list,
        tallies: input
            .years
            .iter()
            .filter(|y| y.fiscal_year <= fy)
            .map(|y| (y.fiscal_year, Tally::of(y, |_| true)))
            .filter(|(_, t)| t.organisations > 0)
            .collect(),
        published: if input.use_published && variant == Variant::Municipal {
            catalog.published.years()
        } else {
            Vec::new()
        },
    };
    let earlier: Vec<FiscalYear> = (list.first_year.year()..fy.year())
        .filter_map(|y| FiscalYear::new(y).ok())
        .filter(|y| years.source(*y).is_some())
        .collect();
    let previous = fy.previous().filter(|p| years.source(*p).is_some());
    let source = years.source(fy);
    let this_year = years.tallies.get(&fy);

    let mut majors = Vec::new();
    for major in list.majors() {
        let mut goals = Vec::new();
        let mut major_avgs: Vec<Exact> = Vec::new();
        for goal in list.goals_in(fy).filter(|g| g.major() == major.no) {
            let mut goal_avgs: Vec<Exact> = Vec::new();
            let items: Vec<ItemRow> = list
                .items_of_goal(goal.no, fy)
                .enumerate()
                .map(|(i, item)| {
                    let avg = years.average(&item.code, fy);
                    if let Some(a) = &avg {
                        goal_avgs.push(a.clone());
                    }
                    let remark = (i == 0).then(|| remark(list, goal)).flatten();
                    item_row(
                        input, &years, this_year, &earlier, previous, item, avg, remark,
                    )
                })
                .collect();
            major_avgs.extend(goal_avgs.iter().cloned());
            goals.push(GoalRow {
                no: goal.no,
                text: goal.text.clone(),
                average: Exact::mean(goal_avgs.iter()).map(|e| e.figure(AVERAGE_DECIMALS)),
                items,
            });
        }
        if !goals.is_empty() {
            majors.push(MajorRow {
                no: major.no.clone(),
                name: major.name.clone(),
                average: Exact::mean(major_avgs.iter()).map(|e| e.figure(AVERAGE_DECIMALS)),
                goals,
            });
        }
    }

    let overall_now = years.overall(fy);
    let overall_prev = previous.and_then(|p| years.overall(p));
    let overall = Overall {
        change: match (&overall_now, &overall_prev) {
            (Some(a), Some(b)) => Some(a.minus(b).figure(OVERALL_DECIMALS)),
            _ => None,
        },
        source: overall_now.as_ref().and(source),
        average: overall_now.map(|e| e.figure(OVERALL_DECIMALS)),
        previous_source: overall_prev
            .as_ref()
            .and(previous.and_then(|p| years.source(p))),
        previous: overall_prev.map(|e| e.figure(OVERALL_DECIMALS)),
        history: earlier
            .iter()
            .map(|y| years.cell(years.overall(*y), *y, OVERALL_DECIMALS))
            .collect(),
    };

    let answers_now = input
        .years
        .iter()
        .find(|y| y.fiscal_year == fy)
        .filter(|_| this_year.is_some());
    let organisations = match source {
        Some(Source::Answers) => this_year.map(|t| t.organisations),
        Some(Source::Published) => catalog
            .published
            .overall
            .get(&fy)
            .and_then(|o| o.organisations)
            .map(u64::from),
        None => None,
    };
    let mut summary = Summary {
        scope: input.scope.clone(),
        basis: Basis::Official,
        counting: None,
        fiscal_year: fy.year(),
        fiscal_year_label: fy.to_string(),
        fiscal_year_short: fy.short(),
        source,
        organisations,
        years: earlier
            .iter()
            .filter_map(|y| {
                years.source(*y).map(|s| YearColumn {
                    fiscal_year: y.year(),
                    short: y.short(),
                    source: s,
                })
            })
            .collect(),
        previous_year: previous.map(|p| p.year()),
        priority: answers_now.map(|y| priority(catalog, variant, y)),
        ranking: answers_now.and_then(|y| ranking(&input.rank_by, list, y)),
        non_compliance: None,
        standing: None,
        improvements: None,
        overall,
        majors,
        rounding: Rounding::default(),
    };
    if this_year.is_some() {
        summary.non_compliance = Some(non_compliance(&summary, &DEFAULT_BUCKETS));
    }
    summary
}

#[allow(clippy::too_many_arguments)]
fn item_row(
    input: &Input,
    years: &Years,
    this_year: Option<&Tally>,
    earlier: &[FiscalYear],
    previous: Option<FiscalYear>,
    item: &crate::checklists::Item,
    avg: Option<Exact>,
    remark: Option<String>,
) -> ItemRow {
    let fy = input.fiscal_year;
    let variant = input.scope.variant;
    let prio = &input.catalog.priorities;
    let source = years.source(fy);
    let counts = match source {
        Some(Source::Answers) => this_year.and_then(|t| t.counts.get(&item.code)).copied(),
        _ => None,
    };
    let published = match source {
        Some(Source::Published) => input.catalog.published.figure(&item.code, fy),
        _ => None,
    };
    let shares = match (counts, published.and_then(|p| p.shares)) {
        (Some(c), _) => {
            let resp = (c[1] + c[2] + c[3]) as i64;
            let share =
                |n: u64| Exact::ratio(n as i64 * 100, resp).map(|e| e.figure(SHARE_DECIMALS));
            match (share(c[3]), share(c[2]), share(c[1])) {
                (Some(three), Some(two), Some(one)) => Some(Shares { three, two, one }),
                _ => None,
            }
        }
        (None, Some([s3, s2, s1])) => {
            let f = |v: f64| Exact::published(v).figure(SHARE_DECIMALS);
            Some(Shares {
                three: f(s3),
                two: f(s2),
                one: f(s1),
            })
        }
        (None, None) => None,
    };
    let prev = previous.and_then(|p| years.average(&item.code, p));
    let prev_published = previous.and_then(|p| years.source(p)) == Some(Source::Published);
    let (improvement, improvement_source) = match (&avg, &prev) {
        (Some(_), Some(_)) if source == Some(Source::Published) && prev_published => {
            match published.and_then(|p| p.improvement) {
                Some(printed) => (Some(Exact::published(printed)), Some(Source::Published)),
                None => (
                    avg.as_ref().zip(prev.as_ref()).map(|(a, b)| a.minus(b)),
                    Some(Source::Answers),
                ),
            }
        }
        (Some(a), Some(b)) => (Some(a.minus(b)), Some(Source::Answers)),
        _ => (None, None),
    };
    ItemRow {
        code: item.code.clone(),
        text: item.text_in(fy).to_string(),
        priority_tag: prio.tag(variant, &item.code, fy),
        priority_now: prio.of_year(variant, fy).contains(&item.code),
        remark,
        source: avg.as_ref().and(source),
        respondents: counts.map(|c| c[1] + c[2] + c[3]),
        not_applicable: counts.map(|c| c[0]),
        na_rate: counts.and_then(|c| {
            Exact::ratio(c[0] as i64 * 100, (c[0] + c[1] + c[2] + c[3]) as i64)
                .map(|e| e.figure(SHARE_DECIMALS))
        }),
        score_sum: counts.map(|c| c[1] + 2 * c[2] + 3 * c[3]),
        counts: counts.map(|c| ScoreCounts {
            three: c[3],
            two: c[2],
            one: c[1],
            zero: c[0],
        }),
        shares,
        average: avg.map(|a| a.figure(AVERAGE_DECIMALS)),
        history: earlier
            .iter()
            .map(|y| years.cell(years.average(&item.code, *y), *y, AVERAGE_DECIMALS))
            .collect(),
        improvement: improvement.map(|e| e.figure(AVERAGE_DECIMALS)),
        improvement_source,
    }
}

/// 備考 of a conditional goal: 「重要機能室がありますか」がはいの場合に回答.
fn remark(list: &Checklist, goal: &Goal) -> Option<String> {
    crate::checklists::outline::condition_text(list, goal).map(|c| format!("{c}に回答"))
}

/// The organisation's conditions: those given, and for the others what its
/// answers tell (an answered item of a goal that applies only when
/// `key = v`). A condition neither given nor told stays unknown, and the
/// goals depending on it stay applicable.
fn conditions_of(org: &OrgAnswers, column_goals: &[Option<&Goal>]) -> BTreeMap<String, bool> {
    let mut conditions = org.conditions.clone();
    for (score, goal) in org.scores.iter().zip(column_goals) {
        let Some(goal) = goal.filter(|_| *score <= 3) else {
            continue;
        };
        for (key, want) in &goal.applies_when {
            conditions.entry(key.clone()).or_insert(*want);
        }
    }
    conditions
}
