//! Turns the data files into the model, checking as it goes. Every problem
//! is collected (not only the first) with its file, line and id.
//!
//! Files: this one the problem reporter and `load`, which reads every file
//! in order; `reference.rs` the municipality types and the scale;
//! `checklist.rs` a variant's checklist, its goals and items;
//! `published.rs` the priority items and the published national figures.

mod checklist;
mod published;
mod reference;

use checklist::checklist;
use published::{priorities, published};
use reference::{municipality_types, scale};

use std::ops::Range;

use super::files::*;
use super::model::*;
use super::{Problem, Sources, PRIORITIES, SCALE, VARIANTS};
use crate::domain::FiscalYear;

struct Reporter<'a> {
    sources: &'a Sources,
    problems: Vec<Problem>,
}

impl Reporter<'_> {
    fn at(&mut self, rel: &str, line: usize, id: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.sources.display_path(rel),
            line,
            id: id.into(),
            message: message.into(),
        });
    }

    fn at_span(
        &mut self,
        rel: &str,
        span: Range<usize>,
        id: impl Into<String>,
        message: impl Into<String>,
    ) {
        let line = line_of(self.sources.get(rel), span.start);
        self.at(rel, line, id, message);
    }

    fn year(
        &mut self,
        rel: &str,
        span: Range<usize>,
        id: &str,
        what: &str,
        y: i64,
    ) -> Option<FiscalYear> {
        match i32::try_from(y).ok().and_then(|y| FiscalYear::new(y).ok()) {
            Some(fy) => Some(fy),
            None => {
                self.at_span(
                    rel,
                    span,
                    id,
                    format!("{what} {y} is not a fiscal year (1989–2200)"),
                );
                None
            }
        }
    }
}

fn line_of(text: &str, byte: usize) -> usize {
    text.get(..byte).map_or(1, |t| t.matches('\n').count() + 1)
}

fn parse_toml<T: serde::de::DeserializeOwned>(r: &mut Reporter, rel: &str) -> Option<T> {
    let text = r.sources.get(rel);
    match toml::from_str::<T>(text) {
        Ok(v) => Some(v),
        Err(e) => {
            let line = e.span().map_or(1, |s| line_of(text, s.start));
            r.at(
                rel,
                line,
                "-",
                format!("cannot read the file: {}", e.message()),
            );
            None
        }
    }
}

pub fn load(sources: &Sources) -> Result<Catalog, Vec<Problem>> {
    let mut r = Reporter {
        sources,
        problems: Vec::new(),
    };
    let scale = parse_toml::<ScaleFile>(&mut r, SCALE).map(|f| scale(&mut r, f));
    let municipal = parse_toml::<VariantFile>(&mut r, VARIANTS[0])
        .and_then(|f| checklist(&mut r, VARIANTS[0], Variant::Municipal, f));
    let national = parse_toml::<VariantFile>(&mut r, VARIANTS[1])
        .and_then(|f| checklist(&mut r, VARIANTS[1], Variant::NationalAgency, f));
    let priority_file = parse_toml::<PrioritiesFile>(&mut r, PRIORITIES);
    let (Some(scale), Some(municipal), Some(national_agency), Some(pf)) =
        (scale, municipal, national, priority_file)
    else {
        return Err(r.problems);
    };
    let catalog_lists = [&municipal, &national_agency];
    let priorities = priorities(&mut r, pf, &catalog_lists);
    let published = published(&mut r, &municipal);
    let municipality_types = municipality_types(&mut r);
    if !r.problems.is_empty() {
        return Err(r.problems);
    }
    Ok(Catalog {
        scale,
        municipal,
        national_agency,
        priorities,
        published,
        municipality_types,
    })
}
