//! `tenken checklist validate|list|show`: the checklist data files.

use std::path::PathBuf;

use super::ChecklistCommand;
use crate::checklists::{self, outline, Sources, Variant};
use crate::config::Settings;
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::roster;

pub(super) fn checklist(cmd: ChecklistCommand, settings: &Settings) -> AppResult<()> {
    match cmd {
        ChecklistCommand::Validate { dir } => {
            let dir = dir.or_else(|| settings.checklists_dir.clone()).or_else(|| {
                let d = PathBuf::from("checklists");
                d.is_dir().then_some(d)
            });
            let sources = match &dir {
                Some(d) => Sources::from_dir(d)?,
                None => Sources::embedded(),
            };
            let mut problems: Vec<String> = match checklists::load(&sources) {
                Ok(_) => Vec::new(),
                Err(p) => p.iter().map(|p| p.to_string()).collect(),
            };
            let roster_path = sources.display_path(checklists::ROSTER);
            let roster_count = match roster::parse(&roster_path, sources.get(checklists::ROSTER)) {
                Ok(entries) => entries.len(),
                Err(errors) => {
                    problems.extend(errors);
                    0
                }
            };
            if problems.is_empty() {
                let catalog =
                    checklists::load(&sources).map_err(|_| AppError::internal("reload failed"))?;
                for c in catalog.checklists() {
                    println!(
                        "{}: {} goals, {} sub-items — ok",
                        c.variant,
                        c.goals.len(),
                        c.items.len()
                    );
                }
                println!("roster: {roster_count} local governments — ok");
                println!("{}: all files valid", sources.origin);
                Ok(())
            } else {
                Err(AppError::Invalid(problems))
            }
        }
        ChecklistCommand::List => {
            let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
            for c in catalog.checklists() {
                println!("{} {} ({})", c.variant, c.name, c.version_label());
                let last = catalog
                    .priorities
                    .years
                    .keys()
                    .map(|(_, fy)| fy.year())
                    .max()
                    .unwrap_or(c.first_year.year())
                    .max(c.first_year.year());
                for y in c.first_year.year()..=last {
                    let fy = FiscalYear::new(y)?;
                    let prio = catalog.priorities.of_year(c.variant, fy).len();
                    println!(
                        "  {}: 管理目標 {}, 小項目 {}, 重要点検項目 {}",
                        fy,
                        c.goals_in(fy).count(),
                        c.items_in(fy).count(),
                        prio
                    );
                }
            }
            Ok(())
        }
        ChecklistCommand::Show {
            variant,
            year,
            format,
        } => {
            let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
            let v = Variant::parse(&variant).ok_or_else(|| {
                AppError::BadRequest(format!(
                    "調査票「{variant}」はありません（municipal / national_agency）"
                ))
            })?;
            let fy = match year {
                Some(y) => {
                    FiscalYear::parse(&y).map_err(|e| AppError::BadRequest(e.to_string()))?
                }
                None => catalog.checklist(v).first_year,
            };
            let o = outline::build(&catalog, v, fy);
            match format.as_str() {
                "json" => println!(
                    "{}",
                    serde_json::to_string_pretty(&o)
                        .map_err(|e| AppError::internal_from("outline to JSON", e))?
                ),
                "text" => print!("{}", o.to_text()),
                other => {
                    return Err(AppError::BadRequest(format!(
                        "--format は text か json です（{other}）"
                    )))
                }
            }
            Ok(())
        }
    }
}
