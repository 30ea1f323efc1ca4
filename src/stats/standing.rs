//! Peer standing (偏差値 and rank) of an organisation or a prefecture, and
//! the items that improved most and least.
//!
//! An organisation's 総平均点 and 大分類 averages are placed among the
//! organisations of its prefecture, of the nation (of its variant) and of
//! its type of local government (`roster/municipality_types.csv`); a
//! prefecture's among the prefectures. The 偏差値 is
//! `50 + 10·(x − μ)/σ` over the scope with the population σ (σ = 0 gives
//! 50), printed to one decimal ([`super::exact::deviation`]); the rank is
//! one more than the number of members strictly above (equal exact values
//! share a rank). Only members with the figure count.

use std::collections::BTreeMap;

use serde::Serialize;

use super::engine::MISSING;
use super::exact::{deviation, Exact, Figure, AVERAGE_DECIMALS, OVERALL_DECIMALS};
use super::model::Summary;
use crate::checklists::Checklist;

/// Where a value stands in a population.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Position {
    pub deviation: Figure,
    pub rank: usize,
    pub of: usize,
}

/// [`Position`] among the organisations of one type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypePosition {
    /// 政令指定都市, 中核市, 特別区, その他の市, 町 or 村.
    pub name: String,
    pub deviation: Figure,
    pub rank: usize,
    pub of: usize,
}

/// One 大分類: the member's average, the averages of the groups it is
/// compared with, and its positions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MajorStanding {
    pub no: String,
    pub name: String,
    pub average: Option<Figure>,
    /// The national 偏差値 (the same as `national.deviation`).
    pub deviation: Option<Figure>,
    pub prefecture: Option<Position>,
    pub national: Option<Position>,
    #[serde(rename = "type")]
    pub kind: Option<Position>,
    /// The pooled averages of the groups (as their tables print them).
    pub prefecture_average: Option<Figure>,
    pub type_average: Option<Figure>,
    pub national_average: Option<Figure>,
}

/// The `standing` of `/api/v1/stats/org:CODE/{year}` and `pref:CODE`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standing {
    /// The 総平均点 placed.
    pub average: Option<Figure>,
    /// Among the organisations of its prefecture (`null` for a prefecture
    /// and an agency).
    pub prefecture: Option<Position>,
    /// Among the organisations of the nation (of its variant); for a
    /// prefecture, among the prefectures.
    pub national: Option<Position>,
    /// Among the organisations of its type (`null` when it has none).
    #[serde(rename = "type")]
    pub kind: Option<TypePosition>,
    pub majors: Vec<MajorStanding>,
}

/// One organisation of the year's answers.
#[derive(Debug, Clone)]
pub struct Member<'a> {
    pub code: &'a str,
    pub prefecture: Option<&'a str>,
    /// Its type of local government.
    pub kind: Option<&'a str>,
    pub scores: &'a [u8],
}

/// Where `x` stands in `population` (which holds it).
pub fn position(x: &Exact, population: &[&Exact]) -> Position {
    let above = population
        .iter()
        .filter(|p| p.cmp_exact(x) == std::cmp::Ordering::Greater)
        .count();
    Position {
        deviation: deviation(x, population),
        rank: above + 1,
        of: population.len(),
    }
}

/// The major of each column of `items` (`None` for an unknown item).
fn majors_of(list: &Checklist, items: &[String]) -> Vec<Option<String>> {
    items
        .iter()
        .map(|c| {
            list.item(c)
                .and_then(|i| list.goal(i.goal_no))
                .map(|g| g.major().to_string())
        })
        .collect()
}

/// A member's own averages: the 総平均点 and per 大分類 (the mean of its
/// answers 1–3, as its one-organisation table computes them).
#[derive(Debug, Clone, Default)]
struct Own {
    overall: Option<Exact>,
    majors: BTreeMap<String, Exact>,
}

fn own(scores: &[u8], majors: &[Option<String>]) -> Own {
    let mut sums: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    let (mut sum, mut n) = (0_i64, 0_i64);
    for (s, m) in scores.iter().zip(majors) {
        if !(1..=3).contains(s) {
            continue;
        }
        sum += i64::from(*s);
        n += 1;
        if let Some(m) = m {
            let e = sums.entry(m.as_str()).or_default();
            e.0 += i64::from(*s);
            e.1 += 1;
        }
    }
    Own {
        overall: Exact::ratio(sum, n),
        majors: sums
            .into_iter()
            .filter_map(|(m, (s, n))| Exact::ratio(s, n).map(|e| (m.to_string(), e)))
            .collect(),
    }
}

/// The pooled averages of a group, as its table computes them: each
/// item's average over the group's answers 1–3, then the mean of those per
/// 大分類 and overall.
fn pooled<'a>(
    rows: impl Iterator<Item = &'a [u8]>,
    width: usize,
    majors: &[Option<String>],
) -> Own {
    let mut cols = vec![(0_i64, 0_i64); width];
    for row in rows {
        for (c, s) in cols.iter_mut().zip(row) {
            if (1..=3).contains(s) {
                c.0 += i64::from(*s);
                c.1 += 1;
            }
        }
    }
    let avgs: Vec<Option<Exact>> = cols.iter().map(|(s, n)| Exact::ratio(*s, *n)).collect();
    let overall = Exact::mean(avgs.iter().flatten());
    let mut by_major: BTreeMap<String, Vec<&Exact>> = BTreeMap::new();
    for (a, m) in avgs.iter().zip(majors) {
        if let (Some(a), Some(m)) = (a, m) {
            by_major.entry(m.clone()).or_default().push(a);
        }
    }
    Own {
        overall,
        majors: by_major
            .into_iter()
            .filter_map(|(m, v)| Exact::mean(v).map(|e| (m, e)))
            .collect(),
    }
}

fn place(x: Option<&Exact>, population: &[&Exact]) -> Option<Position> {
    x.map(|x| position(x, population))
}

/// The standing of the member `code` among `members` (every answering
/// organisation of its variant this year, `items` their columns).
pub fn of_organisation(
    list: &Checklist,
    items: &[String],
    members: &[Member],
    code: &str,
) -> Option<Standing> {
    let majors = majors_of(list, items);
    let me = members.iter().find(|m| m.code == code)?;
    let owns: Vec<(&Member, Own)> = members
        .iter()
        .map(|m| (m, own(m.scores, &majors)))
        .filter(|(_, o)| o.overall.is_some())
        .collect();
    let mine = own(me.scores, &majors);
    mine.overall.as_ref()?;
    let same_pref = |m: &Member| me.prefecture.is_some() && m.prefecture == me.prefecture;
    let same_kind = |m: &Member| me.kind.is_some() && m.kind == me.kind;
    let overall_of = |keep: &dyn Fn(&Member) -> bool| -> Vec<&Exact> {
        owns.iter()
            .filter(|(m, _)| keep(m))
            .filter_map(|(_, o)| o.overall.as_ref())
            .collect()
    };
    let major_of = |no: &str, keep: &dyn Fn(&Member) -> bool| -> Vec<&Exact> {
        owns.iter()
            .filter(|(m, _)| keep(m))
            .filter_map(|(_, o)| o.majors.get(no))
            .collect()
    };
    let group = |keep: &dyn Fn(&Member) -> bool| {
        pooled(
            members.iter().filter(|m| keep(m)).map(|m| m.scores),
            items.len(),
            &majors,
        )
    };
    let (pref_pool, kind_pool, nation_pool) =
        (group(&same_pref), group(&same_kind), group(&|_| true));
    let x = mine.overall.as_ref();
    let prefecture = me
        .prefecture
        .and_then(|_| place(x, &overall_of(&same_pref)));
    let national = place(x, &overall_of(&|_| true));
    let kind = me.kind.and_then(|name| {
        place(x, &overall_of(&same_kind)).map(|p| TypePosition {
            name: name.to_string(),
            deviation: p.deviation,
            rank: p.rank,
            of: p.of,
        })
    });
    let fig = |e: Option<&Exact>| e.map(|e| e.figure(AVERAGE_DECIMALS));
    let majors_out = list
        .majors()
        .filter(|c| majors.iter().flatten().any(|m| *m == c.no))
        .map(|c| {
            let x = mine.majors.get(&c.no);
            let national = place(x, &major_of(&c.no, &|_| true));
            MajorStanding {
                no: c.no.clone(),
                name: c.name.clone(),
                average: fig(x),
                deviation: national.as_ref().map(|p| p.deviation.clone()),
                prefecture: me
                    .prefecture
                    .and_then(|_| place(x, &major_of(&c.no, &same_pref))),
                kind: me.kind.and_then(|_| place(x, &major_of(&c.no, &same_kind))),
                national,
                prefecture_average: me.prefecture.and_then(|_| fig(pref_pool.majors.get(&c.no))),
                type_average: me.kind.and_then(|_| fig(kind_pool.majors.get(&c.no))),
                national_average: fig(nation_pool.majors.get(&c.no)),
            }
        })
        .collect();
    Some(Standing {
        average: x.map(|e| e.figure(OVERALL_DECIMALS)),
        prefecture,
        national,
        kind,
        majors: majors_out,
    })
}

/// The standing of the prefecture `code` among the prefectures, each by
/// the pooled averages of its municipalities (`members`' `prefecture`).
pub fn of_prefecture(
    list: &Checklist,
    items: &[String],
    members: &[Member],
    code: &str,
) -> Option<Standing> {
    let majors = majors_of(list, items);
    let mut prefs: Vec<&str> = members.iter().filter_map(|m| m.prefecture).collect();
    prefs.sort_unstable();
    prefs.dedup();
    let pools: Vec<(&str, Own)> = prefs
        .iter()
        .map(|p| {
            let rows = members
                .iter()
                .filter(|m| m.prefecture == Some(*p))
                .map(|m| m.scores);
            (*p, pooled(rows, items.len(), &majors))
        })
        .filter(|(_, o)| o.overall.is_some())
        .collect();
    let mine = &pools.iter().find(|(p, _)| *p == code)?.1;
    let x = mine.overall.as_ref();
    let overall: Vec<&Exact> = pools
        .iter()
        .filter_map(|(_, o)| o.overall.as_ref())
        .collect();
    let nation = pooled(members.iter().map(|m| m.scores), items.len(), &majors);
    let fig = |e: Option<&Exact>| e.map(|e| e.figure(AVERAGE_DECIMALS));
    let majors_out = list
        .majors()
        .filter(|c| majors.iter().flatten().any(|m| *m == c.no))
        .map(|c| {
            let x = mine.majors.get(&c.no);
            let population: Vec<&Exact> = pools
                .iter()
                .filter_map(|(_, o)| o.majors.get(&c.no))
                .collect();
            let national = place(x, &population);
            MajorStanding {
                no: c.no.clone(),
                name: c.name.clone(),
                average: fig(x),
                deviation: national.as_ref().map(|p| p.deviation.clone()),
                prefecture: None,
                kind: None,
                national,
                prefecture_average: None,
                type_average: None,
                national_average: fig(nation.majors.get(&c.no)),
            }
        })
        .collect();
    Some(Standing {
        average: x.map(|e| e.figure(OVERALL_DECIMALS)),
        prefecture: None,
        national: place(x, &overall),
        kind: None,
        majors: majors_out,
    })
}

/// An item's 向上値 in a list of the most or least improved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Improved {
    pub code: String,
    pub text: String,
    pub average: Option<Figure>,
    pub improvement: Figure,
}

/// The 5 most and 5 least improved items (向上値) of a table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Improvements {
    pub most: Vec<Improved>,
    pub least: Vec<Improved>,
}

/// How many items each list of [`Improvements`] holds.
pub const IMPROVED_ITEMS: usize = 5;

/// The most and least improved items of `summary` (items without a 向上値
/// are left out; equal values keep the table's order); `None` when no item
/// has a 向上値.
pub fn improvements(summary: &Summary) -> Option<Improvements> {
    let mut rows: Vec<Improved> = summary
        .items()
        .filter_map(|i| {
            i.improvement.clone().map(|improvement| Improved {
                code: i.code.clone(),
                text: i.text.clone(),
                average: i.average.clone(),
                improvement,
            })
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    // The 向上値 are exact differences; their f64 values order them (ties
    // within f64 precision keep the table's order).
    rows.sort_by(|a, b| b.improvement.value.total_cmp(&a.improvement.value));
    let most = rows.iter().take(IMPROVED_ITEMS).cloned().collect();
    let least = rows.iter().rev().take(IMPROVED_ITEMS).cloned().collect();
    Some(Improvements { most, least })
}

/// A member's answers: `scores` with [`MISSING`] for no answer.
pub fn has_answers(scores: &[u8]) -> bool {
    scores.iter().any(|s| *s != MISSING && *s <= 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklists::{load_catalog, Variant};
    use crate::domain::FiscalYear;

    fn e(n: i64, d: i64) -> Exact {
        Exact::ratio(n, d).expect("non-zero denominator")
    }

    /// Worked by hand: 3, 2.5, 2.5, 2, 1.5 have μ = 2.3, σ² = 1.30 / 5 =
    /// 0.26, σ = 0.50990; 3 → 50 + 7 / 0.50990 = 63.728 → 63.7; 2.5 →
    /// 53.922 → 53.9 (both rank 2); 2 → 44.117 → 44.1; 1.5 → 34.311 → 34.3.
    #[test]
    fn deviation_and_rank_of_five_with_ties() {
        let xs = [e(3, 1), e(5, 2), e(5, 2), e(2, 1), e(3, 2)];
        let pop: Vec<&Exact> = xs.iter().collect();
        let got: Vec<(String, usize, usize)> = xs
            .iter()
            .map(|x| {
                let p = position(x, &pop);
                (p.deviation.printed, p.rank, p.of)
            })
            .collect();
        let want = [
            ("63.7", 1),
            ("53.9", 2),
            ("53.9", 2),
            ("44.1", 4),
            ("34.3", 5),
        ];
        for (g, w) in got.iter().zip(want) {
            assert_eq!((g.0.as_str(), g.1, g.2), (w.0, w.1, 5));
        }
        let top = position(&xs[0], &pop);
        assert!((top.deviation.value - 63.7281).abs() < 1e-4);
    }

    #[test]
    fn sigma_zero_gives_fifty_and_one_shared_rank() {
        let xs = [e(2, 1), e(4, 2), e(6, 3), e(2, 1), e(2, 1)];
        let pop: Vec<&Exact> = xs.iter().collect();
        for x in &xs {
            let p = position(x, &pop);
            assert_eq!(p.deviation.printed, "50.0");
            assert_eq!(p.deviation.value, 50.0);
            assert_eq!((p.rank, p.of), (1, 5));
        }
    }

    #[test]
    fn deviation_on_a_whole_value_prints_it() {
        // Two values: always 60 and 40 exactly.
        let xs = [e(1, 3), e(2, 3)];
        let pop: Vec<&Exact> = xs.iter().collect();
        assert_eq!(deviation(&xs[1], &pop).printed, "60.0");
        assert_eq!(deviation(&xs[0], &pop).printed, "40.0");
    }

    /// Five organisations of prefecture P answering two items of different
    /// 大分類 (A 3,3; B 3,2; C 2,3; D 2,2; E 1,2) and F of prefecture Q
    /// (1,1); A, B and F are 中核市.
    #[test]
    fn organisation_standing_in_prefecture_nation_and_type() {
        let catalog = load_catalog(None).expect("catalog");
        let list = catalog.checklist(Variant::Municipal);
        let fy = FiscalYear::new(2007).expect("year");
        let items: Vec<String> = list.items_in(fy).map(|i| i.code.clone()).collect();
        let majors = majors_of(list, &items);
        let first = 0;
        let other = majors
            .iter()
            .position(|m| m != &majors[first])
            .expect("a second major");
        let row = |a: u8, b: u8| {
            let mut r = vec![MISSING; items.len()];
            r[first] = a;
            r[other] = b;
            r
        };
        let rows = [
            row(3, 3),
            row(3, 2),
            row(2, 3),
            row(2, 2),
            row(1, 2),
            row(1, 1),
        ];
        let codes = ["A", "B", "C", "D", "E", "F"];
        let prefs = ["P", "P", "P", "P", "P", "Q"];
        let kinds = ["中核市", "中核市", "町", "町", "村", "中核市"];
        let members: Vec<Member> = (0..6)
            .map(|i| Member {
                code: codes[i],
                prefecture: Some(prefs[i]),
                kind: Some(kinds[i]),
                scores: &rows[i],
            })
            .collect();
        let s = of_organisation(list, &items, &members, "B").expect("standing");
        assert_eq!(s.average.as_ref().map(|f| f.printed.as_str()), Some("2.50"));
        let pref = s.prefecture.expect("prefecture");
        assert_eq!(
            (pref.deviation.printed.as_str(), pref.rank, pref.of),
            ("53.9", 2, 5)
        );
        // Nation: 3, 2.5, 2.5, 2, 1.5, 1: μ = 2.0833, σ = 0.67185;
        // 2.5 → 50 + 4.1667 / 0.67185 = 56.202 → 56.2.
        let nat = s.national.expect("national");
        assert_eq!(
            (nat.deviation.printed.as_str(), nat.rank, nat.of),
            ("56.2", 2, 6)
        );
        // 中核市: 3, 2.5, 1: μ = 2.1667, σ = 0.84984; 2.5 → 53.922 → 53.9.
        let kind = s.kind.expect("type");
        assert_eq!(
            (
                kind.name.as_str(),
                kind.deviation.printed.as_str(),
                kind.rank,
                kind.of
            ),
            ("中核市", "53.9", 2, 3)
        );
        // The first item's 大分類 in P: 3, 3, 2, 2, 1: μ = 2.2, σ = 0.74833;
        // 3 → 60.690 → 60.7, shared rank 1; the pooled average 2.200.
        let m = s
            .majors
            .iter()
            .find(|m| Some(&m.no) == majors[first].as_ref())
            .expect("major");
        let p = m.prefecture.as_ref().expect("major in prefecture");
        assert_eq!((p.deviation.printed.as_str(), p.rank, p.of), ("60.7", 1, 5));
        assert_eq!(
            m.average.as_ref().map(|f| f.printed.as_str()),
            Some("3.000")
        );
        assert_eq!(
            m.prefecture_average.as_ref().map(|f| f.printed.as_str()),
            Some("2.200")
        );
        // E's 3rd-from-top: 1 → 50 − 12 / 0.74833 = 33.964 → 34.0, rank 5.
        let e = of_organisation(list, &items, &members, "E").expect("E");
        let em = e
            .majors
            .iter()
            .find(|m| Some(&m.no) == majors[first].as_ref())
            .and_then(|m| m.prefecture.clone())
            .expect("E major");
        assert_eq!((em.deviation.printed.as_str(), em.rank), ("34.0", 5));
        // P pooled: items 11/5 and 12/5, overall 2.3; Q: 1. Two
        // prefectures: P is 60.0, rank 1 of 2.
        let ps = of_prefecture(list, &items, &members, "P").expect("prefecture");
        assert_eq!(
            ps.average.as_ref().map(|f| f.printed.as_str()),
            Some("2.30")
        );
        let pn = ps.national.expect("among prefectures");
        assert_eq!(
            (pn.deviation.printed.as_str(), pn.rank, pn.of),
            ("60.0", 1, 2)
        );
    }

    /// `roster/municipality_types.csv` names every municipality of the
    /// roster exactly once (the loader rejects a code twice), and nothing
    /// else; 20 政令指定都市, 62 中核市, 23 特別区.
    #[test]
    fn type_file_covers_every_municipality_of_the_roster() {
        let catalog = load_catalog(None).expect("catalog");
        let sources = crate::checklists::Sources::embedded();
        let roster =
            crate::roster::parse("roster", sources.get(crate::checklists::ROSTER)).expect("roster");
        let municipalities: std::collections::BTreeSet<String> = roster
            .iter()
            .filter(|e| !e.is_prefecture)
            .map(|e| e.code.as_str().to_string())
            .collect();
        assert_eq!(municipalities.len(), 1741);
        let typed: std::collections::BTreeSet<String> =
            catalog.municipality_types.keys().cloned().collect();
        assert_eq!(typed, municipalities);
        let count = |k: &str| {
            catalog
                .municipality_types
                .values()
                .filter(|t| t.kind == k)
                .count()
        };
        assert_eq!(
            (count("政令指定都市"), count("中核市"), count("特別区")),
            (20, 62, 23)
        );
        assert_eq!(
            catalog
                .municipality_types
                .get("131016")
                .map(|t| t.kind.as_str()),
            Some("特別区")
        );
    }
}
