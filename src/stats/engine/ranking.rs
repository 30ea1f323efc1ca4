//! The members of a scope ranked by their overall average (or grouped by
//! prefecture in a national table).

use std::cmp::Ordering;

use super::super::exact::{Exact, AVERAGE_DECIMALS};
use super::super::model::*;
use super::{RankBy, Tally, YearAnswers};
use crate::checklists::Checklist;

pub(super) fn ranking(rank_by: &RankBy, list: &Checklist, year: &YearAnswers) -> Option<Ranking> {
    let codes = || list.items_in(year.fiscal_year).map(|i| i.code.as_str());
    let (kind, mut rows): (&'static str, Vec<(Exact, RankRow)>) = match rank_by {
        RankBy::Nothing => return None,
        RankBy::Organisations(kind) => (
            kind,
            year.orgs
                .iter()
                .filter_map(|org| {
                    let single = YearAnswers {
                        fiscal_year: year.fiscal_year,
                        items: year.items,
                        orgs: vec![org.clone()],
                    };
                    let avg = Tally::of(&single, |_| true).overall(codes())?;
                    Some((avg.clone(), rank_row(org.code, org.name, 1, &avg)))
                })
                .collect(),
        ),
        RankBy::Groups { kind, names } => {
            let mut groups: Vec<&str> = year.orgs.iter().filter_map(|o| o.group).collect();
            groups.sort_unstable();
            groups.dedup();
            (
                kind,
                groups
                    .into_iter()
                    .filter_map(|g| {
                        let t = Tally::of(year, |o| o.group == Some(g));
                        let avg = t.overall(codes())?;
                        let name = names.get(g).map_or(g, |n| n.as_str());
                        Some((avg.clone(), rank_row(g, name, t.organisations, &avg)))
                    })
                    .collect(),
            )
        }
    };
    rows.sort_by(|(a, ra), (b, rb)| b.cmp_exact(a).then_with(|| ra.code.cmp(&rb.code)));
    let mut ranked: Vec<RankRow> = Vec::with_capacity(rows.len());
    let mut previous: Option<&Exact> = None;
    for (i, (value, row)) in rows.iter().enumerate() {
        let tied = previous.is_some_and(|p| value.cmp_exact(p) == Ordering::Equal);
        let rank = match ranked.last() {
            Some(last) if tied => last.rank,
            _ => i + 1,
        };
        let mut row = row.clone();
        row.rank = rank;
        ranked.push(row);
        previous = Some(value);
    }
    Some(Ranking { kind, rows: ranked })
}

fn rank_row(code: &str, name: &str, organisations: u64, avg: &Exact) -> RankRow {
    RankRow {
        rank: 0,
        code: code.to_string(),
        name: name.to_string(),
        organisations,
        average: avg.figure(AVERAGE_DECIMALS),
    }
}
