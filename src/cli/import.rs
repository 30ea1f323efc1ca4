//! `tenken import answers` and `tenken import forms`: bulk loads.

use std::path::PathBuf;

use super::open;
use crate::checklists;
use crate::config::Settings;
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::{bootstrap, db, excel, stats};

pub(super) fn import_answers(
    file: PathBuf,
    replace: bool,
    sheet: Option<String>,
    settings: &Settings,
) -> AppResult<()> {
    let (catalog, mut conn) = open(settings)?;
    let started = std::time::Instant::now();
    let source = stats::import::FileSource::new(&file, sheet.as_deref());
    let bar = stats::import::progress_bar(0, "回答を読み込み中");
    let r = stats::import::import(&mut conn, &catalog, &source, replace, &mut |read, _| {
        bar.set_position(read as u64)
    });
    bar.finish_and_clear();
    let r = r?;
    println!(
        "answers: {} rows imported ({} organisations, years {:?}; {} replaced) in {:.1} s",
        r.inserted,
        r.organisations,
        r.years,
        r.replaced,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub(super) fn import_forms(
    year: String,
    paths: Vec<PathBuf>,
    settings: &Settings,
) -> AppResult<()> {
    let fy = FiscalYear::parse(&year)?;
    let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
    let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
    bootstrap::prepare(&mut conn, &catalog)?;
    let actor = crate::auth::Actor::cli();
    let summary = excel::bulk::run(
        &mut conn,
        &paths,
        &excel::limits::Limits::DEFAULT,
        &mut |conn, bytes| {
            crate::workflow::upload::import_for_intake(conn, &catalog, &actor, fy, bytes)
        },
        &mut std::io::stdout().lock(),
    )?;
    if summary.refused.is_empty() {
        Ok(())
    } else {
        Err(AppError::BadRequest(format!(
            "{} 件のファイルを取り込めませんでした",
            summary.refused.len()
        )))
    }
}
