//! `tenken bench`: a national data set and the timings of the national
//! table against a bare `GROUP BY` over the same rows. Timings are printed,
//! never asserted.

use std::path::Path;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use rand::{Rng, SeedableRng};

use super::{import, Cache, Scope};
use crate::checklists::{Catalog, Variant};
use crate::db::schema::{answers as a, organisations as o};
use crate::db::DbConnection;
use crate::domain::{FiscalYear, Score};
use crate::error::{AppError, AppResult};
use crate::store::{answers, checklists};

/// Writes a national data set as an answers CSV: every municipality answers
/// every sub-item of every year in `from..=to`. Scores are drawn so that
/// each item's national average follows the published one (else 2.9);
/// goal 7 is answered 0 by the municipalities without a 重要機能室 and
/// goal 8 by those with one. Returns the number of rows.
pub fn generate(
    conn: &mut DbConnection,
    catalog: &Catalog,
    from: FiscalYear,
    to: FiscalYear,
    seed: u64,
    out: &Path,
) -> AppResult<u64> {
    let codes: Vec<String> = o::table
        .filter(o::kind.eq("municipality"))
        .order(o::code)
        .select(o::code)
        .load(conn)?;
    let shown = out.display().to_string();
    let file = std::fs::File::create(out).map_err(|e| AppError::io(&shown, e))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let err = |e: csv::Error| AppError::internal_from(shown.to_string(), e);
    w.write_record(import::HEADER).map_err(err)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let rooms: Vec<bool> = codes.iter().map(|_| rng.random_bool(0.6)).collect();
    let list = catalog.checklist(Variant::Municipal);
    let mut rows = 0_u64;
    for y in from.year()..=to.year() {
        let fy = FiscalYear::new(y)?;
        let year = y.to_string();
        let items: Vec<(&str, u32, f64)> = list
            .items_in(fy)
            .map(|i| {
                let avg = catalog
                    .published
                    .figure(&i.code, fy)
                    .map_or(2.9, |f| f.average);
                (i.code.as_str(), i.goal_no, avg)
            })
            .collect();
        for (code, room) in codes.iter().zip(&rooms) {
            for (item, goal, avg) in &items {
                let score = match (goal, room) {
                    (7, false) | (8, true) => 0,
                    _ => {
                        let gap = (3.0 - avg).max(0.0);
                        let r: f64 = rng.random();
                        if r < 0.1 * gap {
                            1
                        } else if r < 0.9 * gap {
                            2
                        } else {
                            3
                        }
                    }
                };
                w.write_record([code.as_str(), year.as_str(), item, &score.to_string()])
                    .map_err(err)?;
                rows += 1;
            }
        }
    }
    w.flush().map_err(|e| AppError::io(&shown, e))?;
    Ok(rows)
}

#[derive(diesel::QueryableByName)]
struct Avg {
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[allow(dead_code)]
    item_code: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
    #[allow(dead_code)]
    average: Option<f64>,
}

/// The reference: the bare averages per year and item over the same rows.
fn bare_group_by(conn: &mut DbConnection, first: i32, last: i32) -> AppResult<usize> {
    let rows: Vec<Avg> = diesel::sql_query(
        "SELECT item_code, AVG(CAST(score AS DOUBLE PRECISION)) AS average FROM answers \
         WHERE fiscal_year BETWEEN $1 AND $2 AND score > 0 GROUP BY fiscal_year, item_code",
    )
    .bind::<diesel::sql_types::Integer, _>(first)
    .bind::<diesel::sql_types::Integer, _>(last)
    .load(conn)?;
    Ok(rows.len())
}

struct Timings(Vec<Duration>);

impl Timings {
    fn pct(&self, p: f64) -> f64 {
        let mut v: Vec<f64> = self.0.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            return f64::NAN;
        }
        let i = ((v.len() - 1) as f64 * p).round() as usize;
        v.get(i).or(v.last()).copied().unwrap_or(f64::NAN)
    }
}

fn time<T>(f: impl FnOnce() -> AppResult<T>) -> AppResult<(Duration, T)> {
    let start = Instant::now();
    let out = f()?;
    Ok((start.elapsed(), out))
}

/// Measures the national table of `fy` (with every earlier year): cold,
/// warm (cache hit: one SELECT of the change log), the first table after a
/// one-sheet save (one organisation read again), and the bare GROUP BY. Imports a generated data
/// set first when the database has no answers up to `fy`.
pub fn run(
    conn: &mut DbConnection,
    catalog: &Catalog,
    fy: FiscalYear,
    iterations: usize,
    seed: u64,
    out: &mut dyn std::io::Write,
) -> AppResult<()> {
    let io = |e: std::io::Error| AppError::io("stdout", e);
    let first = catalog.municipal.first_year;
    let backend = format!("{:?}", conn.backend());
    let existing: i64 = a::table
        .filter(a::fiscal_year.between(first.year(), fy.year()))
        .count()
        .get_result(conn)?;
    writeln!(out, "backend: {backend}").map_err(io)?;
    if existing == 0 {
        let path = std::env::temp_dir().join(format!("tenken-bench-{}.csv", std::process::id()));
        let (t, rows) = time(|| generate(conn, catalog, first, fy, seed, &path))?;
        writeln!(
            out,
            "generate: {rows} rows in {:.1} s -> {}",
            t.as_secs_f64(),
            path.display()
        )
        .map_err(io)?;
        let source = import::FileSource::new(&path, None);
        let bar = import::progress_bar(0, "import");
        let (total, report) = time(|| {
            import::import(conn, catalog, &source, false, &mut |read, _| {
                bar.set_position(read as u64)
            })
        })?;
        bar.finish_and_clear();
        let _ = std::fs::remove_file(&path);
        writeln!(
            out,
            "import: {} rows in {:.1} s (streamed: read, check and write) = {:.0} rows/s",
            report.inserted,
            total.as_secs_f64(),
            report.inserted as f64 / total.as_secs_f64()
        )
        .map_err(io)?;
    } else {
        writeln!(out, "using the {existing} answers present").map_err(io)?;
    }
    let scope = Scope::National;
    let cache = Cache::new();
    let (cold, table) = time(|| cache.summary(conn, catalog, &scope, fy))?;
    writeln!(
        out,
        "national table {}: {} organisations, {} earlier years, 総平均点 {}",
        fy,
        table.summary.organisations.unwrap_or(0),
        table.summary.years.len(),
        table
            .summary
            .overall
            .average
            .as_ref()
            .map_or("-", |f| f.printed.as_str())
    )
    .map_err(io)?;
    let mut warm = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        warm.push(time(|| cache.summary(conn, catalog, &scope, fy))?.0);
    }
    let warm = Timings(warm);
    let mut bare = Vec::new();
    for _ in 0..iterations.clamp(1, 20) {
        bare.push(time(|| bare_group_by(conn, first.year(), fy.year()))?.0);
    }
    let bare = Timings(bare);
    // After a one-sheet save: one organisation's whole sheet of `fy` is
    // written (each item changed), as the season's saves do; only that
    // organisation is read again and the table recomputed from memory.
    let mut after = Vec::new();
    let org: Option<i32> = o::table
        .filter(o::kind.eq("municipality"))
        .order(o::code)
        .select(o::id)
        .first(conn)
        .optional()?;
    let list = catalog.checklist(Variant::Municipal);
    let mut sheet = Vec::new();
    for item in list.items_in(fy) {
        if let Some(id) = checklists::item_id(conn, Variant::Municipal, &item.code, fy)? {
            sheet.push((item.code.clone(), id));
        }
    }
    if let Some(org) = org {
        for i in 0..iterations.clamp(5, 50) {
            let score = Score::new(if i % 2 == 0 { 2 } else { 3 })?;
            let inputs: Vec<answers::AnswerInput> = sheet
                .iter()
                .map(|(code, id)| answers::AnswerInput {
                    item_code: code.clone(),
                    item_id: *id,
                    score,
                    comment: String::new(),
                })
                .collect();
            conn.transaction(|c| answers::replace(c, org, fy, &inputs))?;
            after.push(time(|| cache.summary(conn, catalog, &scope, fy))?.0);
        }
    }
    let after = Timings(after);
    let p50 = warm.pct(0.5);
    writeln!(
        out,
        "cold (all years read): {:.1} ms",
        cold.as_secs_f64() * 1000.0
    )
    .map_err(io)?;
    writeln!(
        out,
        "warm ({iterations} runs): p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms",
        p50,
        warm.pct(0.9),
        warm.pct(0.99)
    )
    .map_err(io)?;
    writeln!(
        out,
        "first table after a one-sheet save ({} answers, {} runs): p50 {:.2} ms, p99 {:.2} ms",
        sheet.len(),
        after.0.len(),
        after.pct(0.5),
        after.pct(0.99)
    )
    .map_err(io)?;
    writeln!(
        out,
        "bare GROUP BY ({} runs): p50 {:.1} ms",
        bare.0.len(),
        bare.pct(0.5)
    )
    .map_err(io)?;
    writeln!(
        out,
        "warm table is {:.0}x faster than the bare GROUP BY",
        bare.pct(0.5) / p50
    )
    .map_err(io)?;
    Ok(())
}
