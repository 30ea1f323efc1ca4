//! Reference data: `roster/municipality_types.csv` (the type of every
//! municipality) and the answer scale.

use std::collections::{BTreeMap, BTreeSet};

use super::super::files::*;
use super::super::model::*;
use super::super::{SCALE, TYPES};
use super::Reporter;

#[derive(Debug, serde::Deserialize)]
struct TypeRow {
    code: String,
    prefecture: String,
    city: String,
    #[serde(rename = "type")]
    kind: String,
}

/// `roster/municipality_types.csv`: the type of every municipality.
pub(super) fn municipality_types(r: &mut Reporter) -> BTreeMap<String, MunicipalityType> {
    let mut out = BTreeMap::new();
    let text = r.sources.get(TYPES).to_string();
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    for (i, row) in rdr.deserialize::<TypeRow>().enumerate() {
        let line = i + 2;
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                r.at(TYPES, line, "-", format!("cannot read the row: {e}"));
                continue;
            }
        };
        if !MUNICIPALITY_TYPES.contains(&row.kind.as_str()) {
            r.at(
                TYPES,
                line,
                &row.code,
                format!(
                    "type 「{}」 is not one of {}",
                    row.kind,
                    MUNICIPALITY_TYPES.join(", ")
                ),
            );
            continue;
        }
        let entry = MunicipalityType {
            prefecture: row.prefecture,
            city: row.city,
            kind: row.kind,
        };
        if out.insert(row.code.clone(), entry).is_some() {
            r.at(TYPES, line, &row.code, "the code appears twice");
        }
    }
    out
}

pub(super) fn scale(r: &mut Reporter, f: ScaleFile) -> Scale {
    let mut levels = Vec::new();
    let mut seen = BTreeSet::new();
    for s in &f.score {
        let d = s.get_ref();
        let id = d.value.to_string();
        if !(0..=3).contains(&d.value) {
            r.at_span(SCALE, s.span(), &id, "a score must be 0, 1, 2 or 3");
            continue;
        }
        if !seen.insert(d.value) {
            r.at_span(SCALE, s.span(), &id, "this score is defined twice");
        }
        if d.label.trim().is_empty() || d.definition.trim().is_empty() {
            r.at_span(
                SCALE,
                s.span(),
                &id,
                "label and definition must not be empty",
            );
        }
        if d.counts_in_average != (d.value != 0) {
            r.at_span(
                SCALE,
                s.span(),
                &id,
                "only 0 (該当しない) is left out of averages",
            );
        }
        levels.push(ScoreLevel {
            value: d.value as u8,
            label: d.label.clone(),
            definition: d.definition.clone(),
            counts_in_average: d.counts_in_average,
        });
    }
    if seen.len() != 4 {
        r.at(
            SCALE,
            1,
            "score",
            "the scale must define 3, 2, 1 and 0 once each",
        );
    }
    levels.sort_by_key(|l| std::cmp::Reverse(l.value));
    Scale {
        source: f.source,
        levels,
    }
}
