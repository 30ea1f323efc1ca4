//! Turns the data files into the model, checking as it goes. Every problem
//! is collected (not only the first) with its file, line and id.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use sha2::{Digest, Sha256};
use toml::Spanned;

use super::files::*;
use super::model::*;
use super::{
    Problem, Sources, PRIORITIES, PUBLISHED_ITEMS, PUBLISHED_OVERALL, SCALE, TYPES, VARIANTS,
};
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

#[derive(Debug, serde::Deserialize)]
struct TypeRow {
    code: String,
    prefecture: String,
    city: String,
    #[serde(rename = "type")]
    kind: String,
}

/// `roster/municipality_types.csv`: the type of every municipality.
fn municipality_types(r: &mut Reporter) -> BTreeMap<String, MunicipalityType> {
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

fn scale(r: &mut Reporter, f: ScaleFile) -> Scale {
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

/// `"18-1"` → (18, 1).
fn parse_item_code(code: &str) -> Option<(u32, u32)> {
    let (g, i) = code.split_once('-')?;
    let ok =
        |s: &str| !s.is_empty() && !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit());
    if !ok(g) || !ok(i) {
        return None;
    }
    Some((g.parse().ok()?, i.parse().ok()?))
}

fn check_text(r: &mut Reporter, rel: &str, span: Range<usize>, id: &str, text: &str) {
    if text.trim().is_empty() {
        r.at_span(rel, span.clone(), id, "the text is empty");
    } else if text != text.trim() {
        r.at_span(
            rel,
            span.clone(),
            id,
            "the text has leading or trailing spaces",
        );
    }
}

fn checklist(r: &mut Reporter, rel: &str, expected: Variant, f: VariantFile) -> Option<Checklist> {
    let before = r.problems.len();
    if Variant::parse(&f.variant) != Some(expected) {
        r.at(
            rel,
            1,
            &f.variant,
            format!("variant must be \"{expected}\" in this file"),
        );
    }
    let first_year = r.year(rel, 0..0, "first_year", "first_year", f.first_year);
    let digest = format!("{:x}", Sha256::digest(r.sources.get(rel).as_bytes()));

    let mut condition_keys = BTreeSet::new();
    let mut conditions = Vec::new();
    for c in &f.condition {
        let d = c.get_ref();
        if !condition_keys.insert(d.key.clone()) {
            r.at_span(rel, c.span(), &d.key, "condition defined twice");
        }
        check_text(r, rel, c.span(), &d.key, &d.question);
        conditions.push(Condition {
            key: d.key.clone(),
            question: d.question.clone(),
        });
    }

    let mut categories: Vec<Category> = Vec::new();
    for c in &f.category {
        let d = c.get_ref();
        let parts: Vec<&str> = d.no.split('.').collect();
        let well_formed =
            parts.len() <= 3 && parts.iter().all(|p| p.parse::<u32>().is_ok_and(|n| n > 0));
        if !well_formed {
            r.at_span(rel, c.span(), &d.no, "a category number is 1, 1.1 or 1.1.1");
            continue;
        }
        if categories.iter().any(|x| x.no == d.no) {
            r.at_span(rel, c.span(), &d.no, "category defined twice");
        }
        if let Some((_, parent_parts)) = parts.split_last().filter(|(_, p)| !p.is_empty()) {
            let parent = parent_parts.join(".");
            if !categories.iter().any(|x| x.no == parent) {
                r.at_span(
                    rel,
                    c.span(),
                    &d.no,
                    format!("its parent category {parent} is not defined before it"),
                );
            }
        }
        check_text(r, rel, c.span(), &d.no, &d.name);
        categories.push(Category {
            no: d.no.clone(),
            name: d.name.clone(),
            supplied: d.supplied,
        });
    }

    let mut goals: Vec<Goal> = Vec::new();
    for (idx, g) in f.goal.iter().enumerate() {
        let d = g.get_ref();
        let id = format!("goal {}", d.no);
        let expected_no = idx as i64 + 1;
        if d.no != expected_no {
            r.at_span(
                rel,
                g.span(),
                &id,
                format!("goal numbers must run 1, 2, 3… without gaps: expected {expected_no}"),
            );
        }
        match categories.iter().find(|c| c.no == d.category) {
            Some(c) if c.depth() == 3 => {}
            Some(_) => r.at_span(
                rel,
                g.span(),
                &id,
                format!("category {} is not a 小分類 (x.y.z)", d.category),
            ),
            None => r.at_span(
                rel,
                g.span(),
                &id,
                format!("category {} does not exist", d.category),
            ),
        }
        for key in d.applies_when.keys() {
            if !condition_keys.contains(key) {
                r.at_span(
                    rel,
                    g.span(),
                    &id,
                    format!("applies_when names an unknown condition {key}"),
                );
            }
        }
        check_text(r, rel, g.span(), &id, &d.text);
        goals.push(Goal {
            no: u32::try_from(d.no).unwrap_or(0),
            category: d.category.clone(),
            text: d.text.clone(),
            supplied: d.supplied,
            applies_when: d.applies_when.clone(),
        });
    }

    let mut items: Vec<Item> = Vec::new();
    for it in &f.item {
        if let Some(item) = item(r, rel, it, first_year, &goals, &items) {
            items.push(item);
        }
    }
    for g in &goals {
        if !items.iter().any(|i| i.goal_no == g.no) {
            let line = f
                .goal
                .iter()
                .find(|x| x.get_ref().no == g.no as i64)
                .map_or(1, |x| line_of(r.sources.get(rel), x.span().start));
            r.at(
                rel,
                line,
                format!("goal {}", g.no),
                "this goal has no sub-items",
            );
        }
    }

    if r.problems.len() > before {
        return None;
    }
    Some(Checklist {
        variant: expected,
        name: f.name,
        title: f.title,
        first_year: first_year?,
        source: f.source,
        conditions,
        categories,
        goals,
        items,
        digest,
    })
}

fn item(
    r: &mut Reporter,
    rel: &str,
    it: &Spanned<ItemDef>,
    first_year: Option<FiscalYear>,
    goals: &[Goal],
    earlier: &[Item],
) -> Option<Item> {
    let d = it.get_ref();
    let span = it.span();
    let id = d.id.as_str();
    let Some((goal_no, item_no)) = parse_item_code(id) else {
        r.at_span(rel, span.clone(), id, "a sub-item id is GOAL-N, e.g. 18-1");
        return None;
    };
    let mut ok = true;
    if earlier.iter().any(|i| i.code == id) {
        r.at_span(rel, span.clone(), id, "sub-item defined twice");
        ok = false;
    }
    if !goals.iter().any(|g| g.no == goal_no) {
        r.at_span(
            rel,
            span.clone(),
            id,
            format!("goal {goal_no} does not exist"),
        );
        ok = false;
    }
    let prev_in_goal = earlier
        .iter()
        .filter(|i| i.goal_no == goal_no)
        .map(|i| i.item_no)
        .max()
        .unwrap_or(0);
    if item_no != prev_in_goal + 1 {
        r.at_span(
            rel,
            span.clone(),
            id,
            format!(
                "sub-items of goal {goal_no} must run 1, 2, 3… in order: expected {goal_no}-{}",
                prev_in_goal + 1
            ),
        );
        ok = false;
    }
    check_text(r, rel, span.clone(), id, &d.text);
    let since = match d.since {
        Some(y) => r.year(rel, span.clone(), id, "since", y),
        None => first_year,
    };
    let until = match d.until {
        Some(y) => Some(r.year(rel, span.clone(), id, "until", y)?),
        None => None,
    };
    let since = since?;
    if let Some(first) = first_year {
        if since < first {
            r.at_span(
                rel,
                span.clone(),
                id,
                format!(
                    "since {} is before the checklist's first_year {}",
                    since.year(),
                    first.year()
                ),
            );
            ok = false;
        }
    }
    if until.is_some_and(|u| u < since) {
        r.at_span(rel, span.clone(), id, "until is before since");
        ok = false;
    }
    let mut revisions = Vec::new();
    let mut last = since;
    for rev in &d.revision {
        let from = r.year(rel, span.clone(), id, "revision from", rev.from)?;
        if from <= last || until.is_some_and(|u| from > u) {
            r.at_span(
                rel,
                span.clone(),
                id,
                format!(
                    "revision from {} must come after the previous text and within since–until",
                    from.year()
                ),
            );
            ok = false;
        }
        check_text(r, rel, span.clone(), id, &rev.text);
        last = from;
        revisions.push(Revision {
            from,
            text: rev.text.clone(),
        });
    }
    ok.then(|| Item {
        code: id.to_string(),
        goal_no,
        item_no,
        text: d.text.clone(),
        since,
        until,
        supplied: d.supplied,
        revisions,
    })
}

fn priorities(r: &mut Reporter, f: PrioritiesFile, lists: &[&Checklist]) -> Priorities {
    let mut years = BTreeMap::new();
    for y in &f.year {
        let d = y.get_ref();
        let id = format!("{} {}", d.variant, d.fiscal_year);
        let Some(variant) = Variant::parse(&d.variant) else {
            r.at_span(
                PRIORITIES,
                y.span(),
                &id,
                "unknown variant (municipal or national_agency)",
            );
            continue;
        };
        let Some(fy) = r.year(PRIORITIES, y.span(), &id, "fiscal_year", d.fiscal_year) else {
            continue;
        };
        let Some(list) = lists.iter().find(|c| c.variant == variant) else {
            continue;
        };
        let mut seen = BTreeSet::new();
        for code in &d.items {
            match list.item(code) {
                Some(item) if item.applies_in(fy) => {}
                Some(_) => r.at_span(
                    PRIORITIES,
                    y.span(),
                    code,
                    format!("sub-item {code} does not apply in {}", fy.year()),
                ),
                None => r.at_span(
                    PRIORITIES,
                    y.span(),
                    code,
                    format!("sub-item {code} does not exist in {variant}"),
                ),
            }
            if !seen.insert(code) {
                r.at_span(PRIORITIES, y.span(), code, "listed twice in the same year");
            }
        }
        if years.insert((variant, fy), d.items.clone()).is_some() {
            r.at_span(
                PRIORITIES,
                y.span(),
                &id,
                "this variant and year are listed twice",
            );
        }
    }
    Priorities {
        source: f.source,
        years,
    }
}

fn published(r: &mut Reporter, municipal: &Checklist) -> Published {
    let mut out = Published::default();
    let text = r.sources.get(PUBLISHED_ITEMS).to_string();
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    for (i, row) in rdr.deserialize::<PublishedItemRow>().enumerate() {
        let line = i + 2;
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                r.at(
                    PUBLISHED_ITEMS,
                    line,
                    "-",
                    format!("cannot read the row: {e}"),
                );
                continue;
            }
        };
        let id = format!("{} {}", row.item, row.fiscal_year);
        let Some(fy) = i32::try_from(row.fiscal_year)
            .ok()
            .and_then(|y| FiscalYear::new(y).ok())
        else {
            r.at(PUBLISHED_ITEMS, line, &id, "fiscal_year is not a year");
            continue;
        };
        match municipal.item(&row.item) {
            Some(item) if item.applies_in(fy) => {}
            Some(_) => r.at(
                PUBLISHED_ITEMS,
                line,
                &id,
                format!("sub-item {} does not apply in {}", row.item, fy.year()),
            ),
            None => r.at(
                PUBLISHED_ITEMS,
                line,
                &id,
                format!("sub-item {} does not exist", row.item),
            ),
        }
        if !(1.0..=3.0).contains(&row.average) {
            r.at(
                PUBLISHED_ITEMS,
                line,
                &id,
                "an average lies between 1 and 3",
            );
        }
        let shares = match (row.share_3, row.share_2, row.share_1) {
            (Some(a), Some(b), Some(c)) => Some([a, b, c]),
            (None, None, None) => None,
            _ => {
                r.at(PUBLISHED_ITEMS, line, &id, "give all three shares or none");
                None
            }
        };
        if shares.is_some_and(|s| s.iter().any(|v| !(0.0..=100.0).contains(v))) {
            r.at(
                PUBLISHED_ITEMS,
                line,
                &id,
                "a share is a percentage between 0 and 100",
            );
        }
        let fig = PublishedFigure {
            item: row.item.clone(),
            fiscal_year: fy,
            average: row.average,
            shares,
            improvement: row.improvement,
        };
        if out.items.insert((row.item, fy), fig).is_some() {
            r.at(
                PUBLISHED_ITEMS,
                line,
                &id,
                "this item and year are listed twice",
            );
        }
    }
    let text = r.sources.get(PUBLISHED_OVERALL).to_string();
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    for (i, row) in rdr.deserialize::<PublishedOverallRow>().enumerate() {
        let line = i + 2;
        match row {
            Ok(row) => {
                let id = row.fiscal_year.to_string();
                let Some(fy) = i32::try_from(row.fiscal_year)
                    .ok()
                    .and_then(|y| FiscalYear::new(y).ok())
                else {
                    r.at(PUBLISHED_OVERALL, line, &id, "fiscal_year is not a year");
                    continue;
                };
                out.overall.insert(
                    fy,
                    PublishedOverall {
                        fiscal_year: fy,
                        organisations: row.organisations.and_then(|n| u32::try_from(n).ok()),
                        overall_average: row.overall_average,
                        source: row.source,
                    },
                );
            }
            Err(e) => r.at(
                PUBLISHED_OVERALL,
                line,
                "-",
                format!("cannot read the row: {e}"),
            ),
        }
    }
    out
}
