//! `tenken bench`: a national data set and the timings of the national table.

use super::{open, BenchCommand};
use crate::config::Settings;
use crate::domain::FiscalYear;
use crate::error::AppResult;
use crate::stats;

pub(super) async fn bench(cmd: BenchCommand, settings: &Settings) -> AppResult<()> {
    match cmd {
        BenchCommand::Load(args) => crate::bench::load::command(args, settings).await,
        BenchCommand::Run {
            year,
            iterations,
            seed,
        } => {
            let (catalog, mut conn) = open(settings)?;
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
            let (catalog, mut conn) = open(settings)?;
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
