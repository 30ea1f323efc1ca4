//! The checklists and their reference data, read from the data files under
//! `checklists/` and validated before use.
//!
//! The files are compiled into the binary (so one binary runs anywhere) and
//! can be read from a directory instead (`--checklists-dir`) to try an edit.
//! Every problem found names the file, the line and the id.

mod files;
pub mod model;
pub mod outline;
mod validate;

use std::path::Path;

pub use model::*;

use crate::error::{AppError, AppResult};

/// Paths of the data files, relative to the checklists directory.
pub const SCALE: &str = "scale.toml";
pub const VARIANTS: [&str; 2] = ["variants/municipal.toml", "variants/national_agency.toml"];
pub const PRIORITIES: &str = "priority_items.toml";
pub const PUBLISHED_ITEMS: &str = "published/municipal_national.csv";
pub const PUBLISHED_OVERALL: &str = "published/municipal_overall.csv";
pub const ROSTER: &str = "roster/local_governments_jisx0402.csv";
pub const TYPES: &str = "roster/municipality_types.csv";

/// The text of every data file, by relative path.
#[derive(Debug, Clone)]
pub struct Sources {
    /// Shown in messages before the relative path, e.g. `checklists/`.
    pub origin: String,
    files: Vec<(&'static str, String)>,
}

macro_rules! embedded {
    ($($path:literal),* $(,)?) => {
        vec![$(($path, include_str!(concat!("../../checklists/", $path)).to_string())),*]
    };
}

impl Sources {
    /// The copy compiled into the binary.
    pub fn embedded() -> Self {
        Self {
            origin: "checklists/".into(),
            files: embedded![
                "scale.toml",
                "variants/municipal.toml",
                "variants/national_agency.toml",
                "priority_items.toml",
                "published/municipal_national.csv",
                "published/municipal_overall.csv",
                "roster/local_governments_jisx0402.csv",
                "roster/municipality_types.csv",
            ],
        }
    }

    pub fn from_dir(dir: &Path) -> AppResult<Self> {
        let mut files = Vec::new();
        for rel in [
            SCALE,
            VARIANTS[0],
            VARIANTS[1],
            PRIORITIES,
            PUBLISHED_ITEMS,
            PUBLISHED_OVERALL,
            ROSTER,
            TYPES,
        ] {
            let path = dir.join(rel);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| AppError::io(path.display().to_string(), e))?;
            files.push((rel, text));
        }
        let mut origin = dir.display().to_string();
        if !origin.ends_with('/') {
            origin.push('/');
        }
        Ok(Self { origin, files })
    }

    pub fn get(&self, rel: &str) -> &str {
        self.files
            .iter()
            .find(|(p, _)| *p == rel)
            .map(|(_, t)| t.as_str())
            .unwrap_or("")
    }

    pub fn display_path(&self, rel: &str) -> String {
        format!("{}{}", self.origin, rel)
    }
}

/// One problem in the data files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub id: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: [{}] {}",
            self.file, self.line, self.id, self.message
        )
    }
}

/// Loads and validates every data file; all problems are returned at once.
pub fn load(sources: &Sources) -> Result<Catalog, Vec<Problem>> {
    validate::load(sources)
}

/// The catalog compiled into the binary, or the one in `dir`.
pub fn load_catalog(dir: Option<&Path>) -> AppResult<Catalog> {
    let sources = match dir {
        Some(d) => Sources::from_dir(d)?,
        None => Sources::embedded(),
    };
    load(&sources)
        .map_err(|problems| AppError::Invalid(problems.iter().map(|p| p.to_string()).collect()))
}
