//! `tenken import forms --year FY PATH...`: the bulk intake of a prefecture
//! or the ministry. Folders are searched for `*.xlsx`; each workbook is
//! imported whole in its own transaction or refused, and the run ends with
//! a summary of what was imported and what was refused and why.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use super::form_import::{ImportRefusal, ImportReport};
use super::limits::{self, Limits};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};

/// Folders are searched this deep at most.
const MAX_DEPTH: usize = 16;

/// The files to import: files as given, folders searched for `*.xlsx`
/// (Excel's lock files `~$…` left out), sorted within each folder.
pub fn collect_paths(paths: &[PathBuf]) -> AppResult<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| AppError::io(p.display().to_string(), e))?;
        if meta.is_dir() {
            walk(p, 0, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> AppResult<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let io = |e| AppError::io(dir.display().to_string(), e);
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    for path in entries {
        // symlink_metadata: a link to a folder is not followed (no loops).
        let meta = std::fs::symlink_metadata(&path).map_err(io)?;
        if meta.is_dir() {
            walk(&path, depth + 1, out)?;
        } else if is_workbook_name(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn is_workbook_name(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    !name.starts_with("~$")
        && path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
}

/// Reads a file, refusing it before reading if it is too large.
pub fn read_file(path: &Path, limits: &Limits) -> Result<Vec<u8>, ImportRefusal> {
    let unreadable = |e: std::io::Error| ImportRefusal::File(format!("読めません（{e}）"));
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let len = file.metadata().map_err(unreadable)?.len();
    if len > limits.max_file_bytes {
        return Err(ImportRefusal::File(limits::too_big(len, limits)));
    }
    let mut bytes = Vec::new();
    file.take(limits.max_file_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(ImportRefusal::File(limits::too_big(
            bytes.len() as u64,
            limits,
        )));
    }
    Ok(bytes)
}

/// Imports one workbook's bytes, applying whatever rules the caller holds.
pub type ImportOne<'a> =
    dyn FnMut(&mut DbConnection, &[u8]) -> Result<ImportReport, ImportRefusal> + 'a;

/// What a bulk run did.
#[derive(Debug, Default)]
pub struct BulkSummary {
    pub imported: Vec<(PathBuf, ImportReport)>,
    pub refused: Vec<(PathBuf, Vec<String>)>,
}

/// Imports every workbook of `paths` with `import` (which applies the
/// rules: the year, the round, the sheet's state), printing what each did to
/// `out` and ending with the summary. A progress bar is drawn on stderr
/// when it is a terminal.
pub fn run(
    conn: &mut DbConnection,
    paths: &[PathBuf],
    limits: &Limits,
    import: &mut ImportOne<'_>,
    out: &mut dyn Write,
) -> AppResult<BulkSummary> {
    let files = collect_paths(paths)?;
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(files.len() as u64);
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}") {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut summary = BulkSummary::default();
    let w = |e| AppError::io("stdout", e);
    for path in &files {
        bar.set_message(path.display().to_string());
        let result = read_file(path, limits).and_then(|bytes| import(conn, &bytes));
        let mut text = String::new();
        match result {
            Ok(report) => {
                text.push_str(&format!(
                    "取り込み: {}\n  {}\n",
                    path.display(),
                    report.summary()
                ));
                for line in report.change_lines() {
                    text.push_str(&format!("  {line}\n"));
                }
                if let Some(line) = report.last_year_line() {
                    text.push_str(&format!("  {line}\n"));
                }
                for warning in &report.warnings {
                    text.push_str(&format!("  警告: {warning}\n"));
                }
                summary.imported.push((path.clone(), report));
            }
            Err(refusal @ ImportRefusal::Internal(_)) => {
                bar.finish_and_clear();
                return Err(AppError::from(refusal));
            }
            Err(refusal) => {
                text.push_str(&format!("拒否: {}\n", path.display()));
                let lines = refusal.lines();
                for line in &lines {
                    text.push_str(&format!("  {line}\n"));
                }
                summary.refused.push((path.clone(), lines));
            }
        }
        bar.suspend(|| out.write_all(text.as_bytes())).map_err(w)?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    out.write_all(closing(&summary).as_bytes()).map_err(w)?;
    Ok(summary)
}

/// The closing summary: counts, files refused and why, organisations
/// imported from more than one file.
pub fn closing(summary: &BulkSummary) -> String {
    let mut text = format!(
        "\n取り込み {} 件、拒否 {} 件\n",
        summary.imported.len(),
        summary.refused.len()
    );
    if !summary.refused.is_empty() {
        text.push_str("拒否したファイル:\n");
        for (path, lines) in &summary.refused {
            let first = lines.first().map(String::as_str).unwrap_or("");
            let more = if lines.len() > 1 {
                format!("（ほか {} 件）", lines.len() - 1)
            } else {
                String::new()
            };
            text.push_str(&format!("  {}: {first}{more}\n", path.display()));
        }
    }
    let mut by_org: BTreeMap<(&str, i32), Vec<String>> = BTreeMap::new();
    for (path, r) in &summary.imported {
        by_org
            .entry((r.org_code.as_str(), r.fiscal_year.year()))
            .or_default()
            .push(path.display().to_string());
    }
    for ((code, _), files) in by_org.iter().filter(|(_, f)| f.len() > 1) {
        text.push_str(&format!(
            "注意: 団体 {code} の調査票が {} 件ありました（{}）。最後に取り込んだものが残っています\n",
            files.len(),
            files.join("、")
        ));
    }
    text
}
