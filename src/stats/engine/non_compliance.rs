//! Non-compliance (seed 004): how many items have how many organisations
//! not at 3, by bucket; the buckets as typed.

use super::super::exact::{Exact, SHARE_DECIMALS};
use super::super::model::*;
use super::DEFAULT_BUCKETS;
use crate::error::{AppError, AppResult};

/// Seed 004's view of a table with per-organisation answers: the items
/// grouped by how many organisations answered them 1 or 2 (not at 3),
/// with `bounds` the buckets' lower bounds (`[0, 1, 3, 6]` gives 0, 1〜2,
/// 3〜5, 6〜; bounds not starting at 0 fall back to those).
pub fn non_compliance(summary: &Summary, bounds: &[u64]) -> NonCompliance {
    let bounds: &[u64] = if bounds.first() == Some(&0) {
        bounds
    } else {
        &DEFAULT_BUCKETS
    };
    let mut buckets: Vec<Bucket> = bounds
        .iter()
        .enumerate()
        .map(|(i, &from)| {
            let to = bounds.get(i + 1).map(|next| next.saturating_sub(1));
            let label = match to {
                Some(t) if t == from => from.to_string(),
                Some(t) => format!("{from}〜{t}"),
                None => format!("{from}〜"),
            };
            Bucket {
                label,
                from,
                to,
                items: 0,
                share: Exact::integer(0).figure(SHARE_DECIMALS),
                item_codes: Vec::new(),
            }
        })
        .collect();
    let mut total = 0_u64;
    for item in summary.items() {
        let not_at_3 = item.counts.map_or(0, |c| c.one + c.two);
        total += 1;
        if let Some(b) = buckets.iter_mut().rev().find(|b| b.from <= not_at_3) {
            b.items += 1;
            b.item_codes.push(item.code.clone());
        }
    }
    for b in &mut buckets {
        if let Some(e) = Exact::ratio(b.items as i64 * 100, total as i64) {
            b.share = e.figure(SHARE_DECIMALS);
        }
    }
    NonCompliance {
        items_total: total,
        buckets,
    }
}

/// Parses bucket lower bounds, `0,1,3,6`: starting at 0, strictly increasing.
pub fn parse_buckets(input: &str) -> AppResult<Vec<u64>> {
    let err = || {
        AppError::BadRequest(format!(
            "区分「{input}」は読めません。0 から始まる増加する整数をカンマで区切ってください（例: 0,1,3,6）"
        ))
    };
    let bounds: Vec<u64> = input
        .split(',')
        .map(|p| p.trim().parse::<u64>().map_err(|_| err()))
        .collect::<AppResult<_>>()?;
    if bounds.first() != Some(&0)
        || bounds
            .iter()
            .zip(bounds.iter().skip(1))
            .any(|(a, b)| a >= b)
        || bounds.len() > 20
    {
        return Err(err());
    }
    Ok(bounds)
}
