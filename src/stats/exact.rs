//! Exact figures and the one rounding rule of every printed number.
//!
//! A figure is kept as an exact sum of fractions built from integer sums
//! and counts (an item's average is `sum of scores / number of 1–3
//! answers`; a goal's average is the mean of such fractions; a change is a
//! difference of two of them). It is rounded **half away from zero** from
//! that exact value, to [`AVERAGE_DECIMALS`] for averages and 向上値,
//! [`SHARE_DECIMALS`] for shares in percent and [`OVERALL_DECIMALS`] for the
//! overall average (総平均点), as seed 003 prints them.
//!
//! A single fraction is rounded with integer arithmetic. A sum of several
//! fractions is rounded from its f64 approximation only when that lies
//! clearly away from a half (the approximation error is below 1e-10 of the
//! last digit, the guard is 1e-6); near a half the sum is recomputed with
//! big rationals. Either way the result is the exact value's rounding.

use std::cmp::Ordering;

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive, Zero};
use serde::Serialize;

pub const AVERAGE_DECIMALS: u32 = 3;
pub const SHARE_DECIMALS: u32 = 1;
pub const OVERALL_DECIMALS: u32 = 2;

/// How far from a half the scaled f64 approximation must lie to be trusted.
const GUARD: f64 = 1e-6;

/// A rounded figure as it goes to JSON, pages and files: the exact value
/// (to f64 precision) and the printed, rounded text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub value: f64,
    pub printed: String,
}

/// An exact value: the sum of `num / den` over its terms (`den > 0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exact {
    terms: Vec<(i128, i128)>,
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn reduced(num: i128, den: i128) -> (i128, i128) {
    let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
    let g = gcd(num, den).max(1);
    (num / g, den / g)
}

/// `num / den` rounded half away from zero, `den > 0`.
fn div_round(num: i128, den: i128) -> i128 {
    let q = (2 * num.abs() + den) / (2 * den);
    if num < 0 {
        -q
    } else {
        q
    }
}

fn pow10(decimals: u32) -> i128 {
    10_i128.pow(decimals)
}

impl Exact {
    /// `num / den`; `None` when `den` is 0.
    pub fn ratio(num: i64, den: i64) -> Option<Self> {
        (den != 0).then(|| Self {
            terms: vec![reduced(i128::from(num), i128::from(den))],
        })
    }

    pub fn integer(n: i64) -> Self {
        Self {
            terms: vec![(i128::from(n), 1)],
        }
    }

    /// A published decimal, e.g. 2.841 → 2841/1000. The published files hold
    /// at most three decimals, so the nearest thousandth is the value.
    pub fn published(value: f64) -> Self {
        let thousandths = (value * 1000.0).round() as i128;
        Self {
            terms: vec![reduced(thousandths, 1000)],
        }
    }

    /// The mean of `values`; `None` for none.
    pub fn mean<'a>(values: impl IntoIterator<Item = &'a Exact>) -> Option<Self> {
        let values: Vec<&Exact> = values.into_iter().collect();
        let k = values.len() as i128;
        if k == 0 {
            return None;
        }
        let terms = values
            .iter()
            .flat_map(|v| v.terms.iter().map(|(n, d)| reduced(*n, d * k)))
            .collect();
        Some(Self { terms }.simplified())
    }

    /// `self - other`, exactly.
    pub fn minus(&self, other: &Exact) -> Self {
        let mut terms = self.terms.clone();
        terms.extend(other.terms.iter().map(|(n, d)| (-n, *d)));
        Self { terms }.simplified()
    }

    /// Adds terms of equal denominator, dropping zeros.
    fn simplified(self) -> Self {
        let mut by_den: Vec<(i128, i128)> = Vec::with_capacity(self.terms.len());
        for (n, d) in self.terms {
            match by_den.iter_mut().find(|(_, dd)| *dd == d) {
                Some(t) => t.0 += n,
                None => by_den.push((n, d)),
            }
        }
        let mut terms: Vec<(i128, i128)> = by_den
            .into_iter()
            .filter(|(n, _)| *n != 0)
            .map(|(n, d)| reduced(n, d))
            .collect();
        if terms.is_empty() {
            terms.push((0, 1));
        }
        Self { terms }
    }

    /// The value to f64 precision.
    pub fn to_f64(&self) -> f64 {
        self.terms.iter().map(|(n, d)| *n as f64 / *d as f64).sum()
    }

    fn big(&self) -> BigRational {
        self.terms.iter().fold(BigRational::zero(), |acc, (n, d)| {
            acc + BigRational::new(BigInt::from(*n), BigInt::from(*d))
        })
    }

    /// The value times 10^decimals, rounded half away from zero.
    pub fn scaled(&self, decimals: u32) -> i128 {
        let scale = pow10(decimals);
        if let [(n, d)] = self.terms.as_slice() {
            return div_round(n * scale, *d);
        }
        let approx = self.to_f64() * scale as f64;
        if (approx.abs().fract() - 0.5).abs() > GUARD {
            return approx.round() as i128;
        }
        let exact = (self.big() * BigRational::from_integer(BigInt::from(scale))).round();
        exact.to_integer().to_i128().unwrap_or(0)
    }

    /// The printed text: `2.939`, `-0.001`, `95.7`.
    pub fn printed(&self, decimals: u32) -> String {
        format_scaled(self.scaled(decimals), decimals)
    }

    pub fn figure(&self, decimals: u32) -> Figure {
        Figure {
            value: self.to_f64(),
            printed: self.printed(decimals),
        }
    }

    /// Compares exact values (big rationals only when the f64 values are
    /// too close to tell).
    pub fn cmp_exact(&self, other: &Exact) -> Ordering {
        let diff = self.minus(other);
        let approx = diff.to_f64();
        if approx.abs() > 1e-9 {
            return if approx > 0.0 {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let big = diff.big();
        if big.is_zero() {
            Ordering::Equal
        } else if big.is_positive() {
            Ordering::Greater
        } else {
            Ordering::Less
        }
    }
}

/// Decimals of a 偏差値, as IPA prints it.
pub const DEVIATION_DECIMALS: u32 = 1;

/// The 偏差値 of `x` among `population` (which holds `x`):
/// `50 + 10·(x − μ)/σ` with the population standard deviation σ; 50 when
/// σ = 0 (or the population is empty). The printed text is the exact
/// value rounded half away from zero to [`DEVIATION_DECIMALS`]: σ is a
/// square root, so near a half the rounding is decided by comparing squares
/// of big rationals, never by the f64 approximation.
pub fn deviation(x: &Exact, population: &[&Exact]) -> Figure {
    let fifty = Figure {
        value: 50.0,
        printed: format_scaled(500, DEVIATION_DECIMALS),
    };
    let n = population.len();
    if n == 0 {
        return fifty;
    }
    let count = BigRational::from_integer(BigInt::from(n));
    let values: Vec<BigRational> = population.iter().map(|v| v.big()).collect();
    let mean = values.iter().fold(BigRational::zero(), |acc, v| acc + v) / count.clone();
    let variance = values.iter().fold(BigRational::zero(), |acc, v| {
        let d = v - &mean;
        acc + &d * &d
    }) / count;
    if variance.is_zero() {
        return fifty;
    }
    let diff = x.big() - &mean;
    let sigma = variance.to_f64().unwrap_or(0.0).sqrt();
    let value = 50.0 + 10.0 * diff.to_f64().unwrap_or(0.0) / sigma;
    // Scaled to tenths: v = 500 + 100·diff/σ.
    let scale = pow10(DEVIATION_DECIMALS);
    let approx = value * scale as f64;
    let scaled = if (approx.abs().fract() - 0.5).abs() > GUARD {
        approx.round() as i128
    } else {
        // h = floor(approx) + 1/2; is v above, below or on h?
        let floor = approx.floor() as i128;
        let half = BigRational::new(BigInt::from(2 * floor + 1), BigInt::from(2));
        let l = diff * BigRational::from_integer(BigInt::from(10 * scale));
        let r = half - BigRational::from_integer(BigInt::from(50 * scale));
        // Compare l with r·σ (σ > 0).
        let ord = match (l.signum(), r.signum()) {
            (a, b) if a != b => a.cmp(&b),
            (a, _) if a.is_zero() => Ordering::Equal,
            (a, _) => {
                let lhs = &l * &l;
                let rhs = &r * &r * &variance;
                if a.is_positive() {
                    lhs.cmp(&rhs)
                } else {
                    rhs.cmp(&lhs)
                }
            }
        };
        match ord {
            Ordering::Greater => floor + 1,
            Ordering::Less => floor,
            // On the half: away from zero.
            Ordering::Equal => {
                if 2 * floor + 1 > 0 {
                    floor + 1
                } else {
                    floor
                }
            }
        }
    };
    Figure {
        value,
        printed: format_scaled(scaled, DEVIATION_DECIMALS),
    }
}

/// `2939, 3` → `2.939`; `-1, 3` → `-0.001`; `957, 1` → `95.7`.
pub fn format_scaled(scaled: i128, decimals: u32) -> String {
    let sign = if scaled < 0 { "-" } else { "" };
    let abs = scaled.unsigned_abs();
    if decimals == 0 {
        return format!("{sign}{abs}");
    }
    let scale = 10_u128.pow(decimals);
    format!(
        "{sign}{}.{:0width$}",
        abs / scale,
        abs % scale,
        width = decimals as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i64, d: i64) -> Exact {
        Exact::ratio(n, d).expect("non-zero denominator")
    }

    #[test]
    fn single_fractions_round_half_away_from_zero() {
        // 2.9385 exactly: a half at the fourth decimal goes up.
        assert_eq!(r(5877, 2000).printed(3), "2.939");
        assert_eq!(r(-5877, 2000).printed(3), "-2.939");
        // 2.9384999 stays down.
        assert_eq!(r(29384999, 10000000).printed(3), "2.938");
        assert_eq!(r(5360, 1824).printed(3), "2.939");
        assert_eq!(r(8, 3).printed(3), "2.667");
        assert_eq!(r(1, 3).printed(1), "0.3");
        assert_eq!(r(200, 3).printed(1), "66.7");
        assert_eq!(r(3, 1).printed(3), "3.000");
        assert_eq!(r(0, 5).printed(3), "0.000");
        // -0.0004 rounds to zero and prints without a sign.
        assert_eq!(r(-4, 10000).printed(3), "0.000");
        assert_eq!(r(-5, 10000).printed(3), "-0.001");
        assert!(Exact::ratio(1, 0).is_none());
    }

    #[test]
    fn f64_formatting_would_get_these_wrong() {
        // 2.0005 is not representable: format!("{:.3}") prints 2.000 or 2.001
        // by accident of binary; the exact rule gives 2.001.
        assert_eq!(r(20005, 10000).printed(3), "2.001");
        assert_eq!(r(10005, 10000).printed(3), "1.001");
        assert_eq!(Exact::published(2.9385).printed(3), "2.939");
    }

    #[test]
    fn means_and_differences_are_exact() {
        // mean(2.5, 2.0) = 2.25 → 2.3 at one decimal, half away from zero.
        let m = Exact::mean([&r(5, 2), &r(2, 1)]).expect("mean");
        assert_eq!(m.printed(1), "2.3");
        assert_eq!(m.printed(3), "2.250");
        // mean(1/3, 2/3, 2.9995) = 1.3331666… → 1.333
        let m = Exact::mean([&r(1, 3), &r(2, 3), &r(29995, 10000)]).expect("mean");
        assert_eq!(m.printed(3), "1.333");
        // A tie reached through several terms takes the exact path:
        // mean(1/3, 2/3) = 0.5 exactly → 1 at 0 decimals.
        let m = Exact::mean([&r(1, 3), &r(2, 3)]).expect("mean");
        assert_eq!(m.scaled(0), 1);
        let tie = Exact::mean([&r(1, 7), &r(6, 7), &r(3, 2), &r(1, 2)]).expect("mean"); // 0.75
        assert_eq!(tie.printed(1), "0.8");
        let d = r(2992, 1000).minus(&r(2986, 1000));
        assert_eq!(d.printed(3), "0.006");
        let d = r(5, 3).minus(&r(5, 3));
        assert_eq!(d.printed(3), "0.000");
        assert_eq!(Exact::mean(std::iter::empty::<&Exact>()), None);
    }

    #[test]
    fn exact_comparison() {
        assert_eq!(r(1, 3).cmp_exact(&r(2, 6)), Ordering::Equal);
        assert_eq!(r(1, 3).cmp_exact(&r(1, 4)), Ordering::Greater);
        let a = Exact::mean([&r(1, 3), &r(1, 6)]).expect("mean"); // 1/4
        assert_eq!(a.cmp_exact(&r(1, 4)), Ordering::Equal);
    }

    #[test]
    fn formatting_scaled_integers() {
        assert_eq!(format_scaled(2939, 3), "2.939");
        assert_eq!(format_scaled(-1, 3), "-0.001");
        assert_eq!(format_scaled(1000, 1), "100.0");
        assert_eq!(format_scaled(7, 0), "7");
    }
}
