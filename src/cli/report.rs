//! `tenken report summary` and `tenken chart`: the national tables on stdout and as charts.

use super::{open, ChartArgs, ReportCommand};
use crate::config::Settings;
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::stats;

pub(super) fn report(cmd: ReportCommand, settings: &Settings) -> AppResult<()> {
    let ReportCommand::Summary {
        year,
        scope,
        format,
        buckets,
        provisional,
    } = cmd;
    let fy = FiscalYear::parse(&year)?;
    let scope = stats::Scope::parse(&scope)?;
    if !["json", "csv", "text"].contains(&format.as_str()) {
        return Err(AppError::BadRequest(format!(
            "--format は json, csv, text のいずれかです（{format}）"
        )));
    }
    let bounds = buckets
        .as_deref()
        .map(stats::engine::parse_buckets)
        .transpose()?;
    let (catalog, mut conn) = open(settings)?;
    let basis = if provisional {
        stats::Basis::Provisional
    } else {
        stats::Basis::Official
    };
    let mut s = stats::data::summary_of(&mut conn, &catalog, &scope, fy, basis)?;
    if let (Some(b), Some(_)) = (&bounds, &s.non_compliance) {
        s.non_compliance = Some(stats::engine::non_compliance(&s, b));
    }
    let text = match format.as_str() {
        "json" => serde_json::to_string_pretty(&s)
            .map_err(|e| AppError::internal_from("summary to JSON", e))?,
        "csv" => stats::report::to_csv(&s)?,
        _ => stats::report::to_text(&s),
    };
    print!("{text}");
    if format == "json" {
        println!();
    }
    Ok(())
}

pub(super) fn chart(args: ChartArgs, settings: &Settings) -> AppResult<()> {
    use crate::charts::{self, ChartKind, ChartRequest, Format};
    let format = Format::from_extension(
        args.out
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default(),
    )?;
    let kind = ChartKind::parse(&args.kind)?;
    let scope = charts::source::parse_scope(args.scope.as_deref())?;
    let year = args.year.as_deref().map(FiscalYear::parse).transpose()?;
    let (catalog, mut conn) = open(settings)?;
    let year = match year {
        Some(y) => y,
        None => stats::data::latest_year(&mut conn, &catalog)?,
    };
    let request = ChartRequest {
        kind,
        year,
        scope,
        item: args.item,
    };
    let cache = stats::Cache::new();
    let spec = charts::source::spec_for(&mut conn, &catalog, &cache, &request)?;
    let bytes = charts::render(&spec, format)?;
    std::fs::write(&args.out, &bytes)
        .map_err(|e| AppError::io(args.out.display().to_string(), e))?;
    println!(
        "{}: {} ({} bytes)",
        args.out.display(),
        spec.title(),
        bytes.len()
    );
    Ok(())
}
