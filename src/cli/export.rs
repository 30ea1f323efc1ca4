//! `tenken export …`: the 調査票, 集計表, open data and 改善計画書 files.

use std::path::Path;

use super::{open, ExportCommand};
use crate::checklists;
use crate::config::Settings;
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::{bootstrap, db, excel, stats, store};

pub(super) fn export(cmd: ExportCommand, settings: &Settings) -> AppResult<()> {
    let (org, year, out) = match cmd {
        ExportCommand::Form { org, year, out } => (org, year, out),
        ExportCommand::Summary {
            year,
            scope,
            out,
            provisional,
        } => return export_summary(&year, &scope, &out, provisional, settings),
        ExportCommand::OpenData { year, scope, out } => {
            return export_open_data(&year, &scope, &out, settings)
        }
        ExportCommand::Plans { year, scope, out } => {
            return export_plans(&year, &scope, &out, settings)
        }
    };
    let fy = FiscalYear::parse(&year)?;
    let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
    let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
    bootstrap::prepare(&mut conn, &catalog)?;
    let data = excel::form_export::form_data(&mut conn, &catalog, &org, fy)?;
    let bytes = excel::form_export::build_form(&data)?;
    std::fs::write(&out, &bytes).map_err(|e| AppError::io(out.display().to_string(), e))?;
    println!(
        "{}: {} {} {} 小項目 {}",
        out.display(),
        data.org_code,
        data.org_name,
        fy,
        catalog.checklist(data.variant).items_in(fy).count()
    );
    Ok(())
}

fn export_summary(
    year: &str,
    scope: &str,
    out: &std::path::Path,
    provisional: bool,
    settings: &Settings,
) -> AppResult<()> {
    let fy = FiscalYear::parse(year)?;
    let scope = stats::Scope::parse(scope)?;
    let (catalog, mut conn) = open(settings)?;
    let basis = if provisional {
        stats::Basis::Provisional
    } else {
        stats::Basis::Official
    };
    let (s, bytes) = excel::summary_export::export_summary(&mut conn, &catalog, &scope, fy, basis)?;
    write_export(&mut conn, out, &bytes, "集計表", &scope, fy)?;
    let count = s
        .organisations
        .map_or_else(|| "-".to_string(), |n| n.to_string());
    let overall = s
        .overall
        .average
        .as_ref()
        .map_or("-", |f| f.printed.as_str());
    println!(
        "{}: 点検結果集計表 {} {} 集計団体数 {count} 総平均点 {overall} 小項目 {} ({} bytes)",
        out.display(),
        s.scope.name,
        s.fiscal_year_label,
        s.items().count(),
        bytes.len()
    );
    Ok(())
}

fn export_open_data(
    year: &str,
    scope: &str,
    out: &std::path::Path,
    settings: &Settings,
) -> AppResult<()> {
    use excel::open_data;
    let fy = FiscalYear::parse(year)?;
    let scope = stats::Scope::parse(scope)?;
    let (catalog, mut conn) = open(settings)?;
    let s = stats::summary(&mut conn, &catalog, &scope, fy)?;
    let rows = open_data::rows(&s);
    let codes = open_data::codes(&catalog, &[&s]);
    std::fs::create_dir_all(out).map_err(|e| AppError::io(out.display().to_string(), e))?;
    let base = open_data::base_name(&s);
    let files = [
        (format!("{base}.csv"), open_data::data_csv(&rows)?),
        (format!("{base}_codes.csv"), open_data::codes_csv(&codes)?),
        (format!("{base}.xlsx"), open_data::workbook(&rows, &codes)?),
    ];
    for (name, bytes) in &files {
        let path = out.join(name);
        write_export(&mut conn, &path, bytes, "オープンデータ", &scope, fy)?;
        println!("{}: {} bytes", path.display(), bytes.len());
    }
    println!(
        "オープンデータ {} {}: {} 行",
        s.scope.name,
        s.fiscal_year_label,
        rows.len()
    );
    Ok(())
}

/// Writes an exported workbook and records the export in the operation log.
fn write_export(
    conn: &mut db::DbConnection,
    out: &Path,
    bytes: &[u8],
    what: &str,
    scope: &stats::Scope,
    fy: FiscalYear,
) -> AppResult<()> {
    std::fs::write(out, bytes).map_err(|e| AppError::io(out.display().to_string(), e))?;
    store::oplog::record(
        conn,
        &crate::auth::Actor::cli(),
        "export",
        &scope.log_target(),
        Some(fy.year()),
        &format!("{what} {} ({})", scope.key(), out.display()),
    )
}

fn export_plans(year: &str, scope: &str, out: &Path, settings: &Settings) -> AppResult<()> {
    use excel::plans_export;
    let fy = FiscalYear::parse(year)?;
    let scope = stats::scope::Scope::parse(scope)?;
    let (catalog, mut conn) = open(settings)?;
    let orgs = plans_export::scope_orgs(&mut conn, &scope)?;
    let doc = plans_export::fetch(&mut conn, &catalog, orgs, fy)?;
    let bytes = plans_export::build_plans(&doc)?;
    write_export(&mut conn, out, &bytes, "改善計画書", &scope, fy)?;
    println!(
        "{}: {} {} 行（{} 団体）",
        out.display(),
        doc.title(),
        doc.rows.len(),
        doc.organisations()
    );
    Ok(())
}
