//! What `tenken bench load` measured, and its printed form. Every figure is
//! printed through `stats::exact` rounding.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use super::sheet::Check;
use crate::stats::exact::Exact;
use crate::workflow::Entries;

/// Latencies of one kind of request, in microseconds.
#[derive(Debug, Clone, Default)]
pub struct Latencies(Vec<u64>);

impl Latencies {
    pub fn push(&mut self, d: Duration) {
        self.0
            .push(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }

    pub fn extend(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The nearest-rank percentile `p` (0–100), in microseconds.
    pub fn percentile(&self, p: u64) -> Option<u64> {
        let mut v = self.0.clone();
        v.sort_unstable();
        let n = v.len() as u64;
        if n == 0 {
            return None;
        }
        let rank = (p * n).div_ceil(100).clamp(1, n);
        v.get(usize::try_from(rank - 1).ok()?).copied()
    }

    /// `p50 1.23 ms, p99 4.56 ms` for the percentiles asked.
    fn printed(&self, ps: &[u64]) -> String {
        if self.is_empty() {
            return "測定なし".into();
        }
        ps.iter()
            .map(|p| format!("p{p} {} ms", ms(self.percentile(*p).unwrap_or(0))))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Microseconds as milliseconds with two decimals (exact rounding).
pub fn ms(micros: u64) -> String {
    Exact::ratio(i64::try_from(micros).unwrap_or(i64::MAX), 1000)
        .map_or_else(|| "-".into(), |e| e.printed(2))
}

/// A count over a duration, per second with one decimal (exact rounding).
pub fn per_second(count: usize, over: Duration) -> String {
    let millis = i64::try_from(over.as_millis()).unwrap_or(i64::MAX);
    Exact::ratio(i64::try_from(count).unwrap_or(i64::MAX) * 1000, millis)
        .map_or_else(|| "-".into(), |e| e.printed(1))
}

/// One run of `tenken bench load`.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// `SQLite` or `PostgreSQL`.
    pub backend: String,
    pub year: i32,
    pub accounts: usize,
    pub clients: usize,
    pub readers: usize,
    /// The table the readers read: 速報 (drafts included) or 公表.
    pub basis: String,
    /// The load phase, as it lasted.
    pub elapsed: Duration,
    /// /proc/loadavg before and after the run.
    pub load_before: String,
    pub load_after: String,
    /// Each save: the POST of the whole form and the GET of its redirect.
    pub saves: Latencies,
    pub page: Latencies,
    pub json: Latencies,
    /// With nothing else running: a one-sheet save, then the table at once.
    pub after_save_json: Latencies,
    pub after_save_page: Latencies,
    /// The server's VmHWM (kB), when it was started by the run.
    pub peak_rss_kb: Option<u64>,
    /// Failed requests by kind, with the first message of each.
    pub errors: BTreeMap<String, (usize, String)>,
    pub check: Check,
    /// Each sheet's last save: organisation code and what was posted.
    pub expected: Vec<(String, Entries)>,
}

impl Report {
    /// The final state holds each last save and no request failed.
    pub fn passed(&self) -> bool {
        self.check.passed() && self.errors.is_empty() && !self.saves.is_empty()
    }

    pub fn saves_per_second(&self) -> String {
        per_second(self.saves.len(), self.elapsed)
    }

    pub fn to_text(&self) -> String {
        let mut t = String::new();
        let secs = Exact::ratio(
            i64::try_from(self.elapsed.as_millis()).unwrap_or(i64::MAX),
            1000,
        )
        .map_or_else(|| "-".into(), |e| e.printed(1));
        let _ = writeln!(
            t,
            "load: {}, FY{}, {} accounts, {} saving clients, {} readers ({} table), {secs} s; load average before {} / after {}",
            self.backend, self.year, self.accounts, self.clients, self.readers, self.basis,
            self.load_before, self.load_after
        );
        let _ = writeln!(
            t,
            "saves: {} in {secs} s = {} saves/s; save (POST + redirect GET) {}",
            self.saves.len(),
            self.saves_per_second(),
            self.saves
                .printed(&[50, 95, 99, 100])
                .replace("p100", "max")
        );
        let _ = writeln!(
            t,
            "readers: page {} requests, {}; JSON {} requests, {}",
            self.page.len(),
            self.page.printed(&[50, 99]),
            self.json.len(),
            self.json.printed(&[50, 99])
        );
        let _ = writeln!(
            t,
            "first table after a one-sheet save (nothing else running): JSON {} runs, {}; page {} runs, {}",
            self.after_save_json.len(),
            self.after_save_json.printed(&[50, 99]),
            self.after_save_page.len(),
            self.after_save_page.printed(&[50, 99])
        );
        let rss = self.peak_rss_kb.map_or_else(
            || "測定なし（起動済みのサーバー）".to_string(),
            |kb| {
                let mb = Exact::ratio(i64::try_from(kb).unwrap_or(i64::MAX), 1024)
                    .map_or_else(|| "-".into(), |e| e.printed(1));
                format!("{mb} MB")
            },
        );
        let _ = writeln!(t, "server peak RSS (VmHWM): {rss}");
        if self.errors.is_empty() {
            let _ = writeln!(t, "errors: none");
        } else {
            for (key, (n, first)) in &self.errors {
                let _ = writeln!(t, "errors: {key} × {n} (first: {first})");
            }
        }
        if self.check.passed() {
            let _ = writeln!(
                t,
                "final state: {} sheets, {} items compared: each holds its client's last save",
                self.check.sheets, self.check.items
            );
        } else {
            let _ = writeln!(
                t,
                "final state: {} of {} items differ from the last save:",
                self.check.mismatch_count, self.check.items
            );
            for m in &self.check.mismatches {
                let _ = writeln!(t, "  {m}");
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_and_printed_exactly() {
        let mut l = Latencies::default();
        for us in 1..=200_u64 {
            l.push(Duration::from_micros(us * 10));
        }
        assert_eq!(l.percentile(50), Some(1000));
        assert_eq!(l.percentile(99), Some(1980));
        assert_eq!(l.percentile(100), Some(2000));
        assert_eq!(ms(1_235), "1.24");
        assert_eq!(ms(1_234), "1.23");
        assert_eq!(per_second(1001, Duration::from_secs(2)), "500.5");
        assert_eq!(Latencies::default().percentile(50), None);
    }
}
