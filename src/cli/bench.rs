//! `tenken bench`: a national data set and the timings of the national table.

use super::{open, BenchCommand};
use crate::config::Settings;
use crate::domain::FiscalYear;
use crate::error::AppResult;
use crate::stats;

pub(super) fn bench(cmd: BenchCommand, settings: &Settings) -> AppResult<()> {
    let (catalog, mut conn) = open(settings)?;
    match cmd {
        BenchCommand::Run {
            year,
            iterations,
            seed,
        } => {
            let fy = FiscalYear::parse(&year)?;
            stats::bench::run(
                &mut conn,
                &catalog,
                fy,
                iterations,
                seed,
                &mut std::io::stdout(),
            )
        }
        BenchCommand::Generate {
            out,
            from,
            to,
            seed,
        } => {
            let rows = stats::bench::generate(
                &mut conn,
                &catalog,
                FiscalYear::parse(&from)?,
                FiscalYear::parse(&to)?,
                seed,
                &out,
            )?;
            println!("{rows} rows -> {}", out.display());
            Ok(())
        }
    }
}
