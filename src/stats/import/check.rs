//! Checking one row at a time against the reference held in memory.
//!
//! Duplicates are found with one array per organisation and year, one
//! slot per sub-item of that year's checklist, holding the line of the
//! first row seen (or [`STORED`]): its size is bounded by organisations ×
//! years × items, never by the length of the file.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::read::{Cell, Row};
use crate::checklists::{Catalog, Variant};
use crate::domain::{FiscalYear, OrgCode, Score};
use crate::error::{AppError, AppResult};
use crate::store::answer_load::{ItemRow, LoadRow, OrgRow};

/// Problems listed at most; past that the count alone is given.
pub const MAX_LISTED: usize = 1_000;
/// A slot whose answer is already stored.
const STORED: u32 = u32::MAX;

/// The problems of a file: the first [`MAX_LISTED`] and how many in all.
#[derive(Debug, Default)]
pub struct Problems {
    listed: Vec<String>,
    total: usize,
}

impl Problems {
    pub fn push(&mut self, p: String) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED {
            self.listed.push(p);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Every listed problem, the count of those left out, and the verdict.
    pub fn into_error(mut self) -> AppError {
        if self.total > self.listed.len() {
            self.listed.push(format!(
                "…ほか {} 件（問題は全部で {} 件、最初の {} 件だけを示しています）",
                self.total - self.listed.len(),
                self.total,
                MAX_LISTED
            ));
        }
        self.listed
            .push("問題のある行があるため、何も取り込んでいません".into());
        AppError::Invalid(self.listed)
    }
}

struct Org {
    id: i32,
    variant: Option<Variant>,
    name: String,
}

/// The sub-items of a checklist in force in one year: code → (slot, row id).
struct Items {
    by_code: HashMap<String, (usize, i32)>,
}

/// The organisations and checklist rows, loaded once per import.
pub struct Reference {
    orgs: HashMap<String, Org>,
    variant_of: HashMap<i32, (Variant, String)>,
    items: Vec<(Variant, ItemRow)>,
}

impl Reference {
    pub fn new(orgs: Vec<OrgRow>, items: Vec<ItemRow>) -> Self {
        let mut variant_of = HashMap::new();
        let orgs = orgs
            .into_iter()
            .map(|r| {
                let variant = r.variant.as_deref().and_then(Variant::parse);
                if let Some(v) = variant {
                    variant_of.insert(r.id, (v, r.code.clone()));
                }
                let org = Org {
                    id: r.id,
                    variant,
                    name: r.name,
                };
                (r.code, org)
            })
            .collect();
        let items = items
            .into_iter()
            .filter_map(|r| Variant::parse(&r.variant).map(|v| (v, r)))
            .collect();
        Self {
            orgs,
            variant_of,
            items,
        }
    }
}

/// Checks rows; remembers which organisation, year and item it has seen.
pub struct Checker<'c> {
    catalog: &'c Catalog,
    reference: &'c Reference,
    items: HashMap<(Variant, i32), Items>,
    seen: HashMap<(i32, i32), Box<[u32]>>,
    stored_years: HashSet<i32>,
    /// The last organisation and year read (files come sorted: the next
    /// row most often repeats them).
    memo: Memo,
}

/// The last good organisation and year cell texts and what they gave.
#[derive(Default)]
struct Memo {
    org: Option<(String, (i32, Variant))>,
    year: Option<(String, FiscalYear)>,
}

/// Reads the stored answers of a year (the conflict check).
pub type Stored<'s> = dyn FnMut(i32) -> AppResult<Vec<(i32, String)>> + 's;

impl<'c> Checker<'c> {
    pub fn new(catalog: &'c Catalog, reference: &'c Reference) -> Self {
        Self {
            catalog,
            reference,
            items: HashMap::new(),
            seen: HashMap::new(),
            stored_years: HashSet::new(),
            memo: Memo::default(),
        }
    }

    /// The years and organisations of the good rows seen.
    pub fn touched(&self) -> BTreeMap<i32, BTreeSet<i32>> {
        let mut out: BTreeMap<i32, BTreeSet<i32>> = BTreeMap::new();
        for (org, year) in self.seen.keys() {
            out.entry(*year).or_default().insert(*org);
        }
        out
    }

    fn items(&mut self, variant: Variant, year: i32) -> &Items {
        let reference = self.reference;
        self.items.entry((variant, year)).or_insert_with(|| {
            let mut by_code: HashMap<String, (usize, i32)> = HashMap::new();
            // Ordered by valid_from: a later version overrides the row id.
            for (_, r) in reference.items.iter().filter(|(v, r)| {
                *v == variant && r.valid_from <= year && r.valid_to.is_none_or(|t| t >= year)
            }) {
                let next = by_code.len();
                by_code
                    .entry(r.code.clone())
                    .and_modify(|e| e.1 = r.id)
                    .or_insert((next, r.id));
            }
            Items { by_code }
        })
    }

    /// Marks the stored answers of `year` (once per year).
    fn mark_stored(&mut self, year: i32, stored: &mut Stored<'_>) -> AppResult<()> {
        if !self.stored_years.insert(year) {
            return Ok(());
        }
        for (org, code) in stored(year)? {
            let Some(&(variant, _)) = self.reference.variant_of.get(&org) else {
                continue;
            };
            let items = self.items(variant, year);
            let len = items.by_code.len();
            let Some((slot, _)) = items.by_code.get(&code).copied() else {
                continue;
            };
            let slots = self
                .seen
                .entry((org, year))
                .or_insert_with(|| vec![0; len].into_boxed_slice());
            if let Some(s) = slots.get_mut(slot) {
                *s = STORED;
            }
        }
        Ok(())
    }

    /// Checks one row: the answer to write, or `None` with its problems
    /// pushed. With `stored`, an answer already in the database is a
    /// problem too.
    pub fn check<'r>(
        &mut self,
        row: &'r Row<'_>,
        stored: Option<&mut Stored<'_>>,
        problems: &mut Problems,
    ) -> AppResult<Option<LoadRow<'r>>> {
        let Some(fields) = fields(self.reference, &mut self.memo, row, problems) else {
            return Ok(None);
        };
        let Fields {
            org_id,
            variant,
            fy,
            code,
            score,
            comment,
        } = fields;
        let at = |i: usize, field: &str| {
            row.place
                .at(row.columns.get(i).copied().unwrap_or_default(), field)
        };
        let list = self.catalog.checklist(variant);
        if !list.item(code).is_some_and(|i| i.applies_in(fy)) {
            let when = match list.item(code) {
                Some(_) => format!("の {fy} "),
                None => String::new(),
            };
            problems.push(format!(
                "{}: 小項目「{code}」は{}{when}にありません",
                at(2, "item"),
                list.name
            ));
            return Ok(None);
        }
        let year = fy.year();
        if let Some(stored) = stored {
            self.mark_stored(year, stored)?;
        }
        let items = self.items(variant, year);
        let len = items.by_code.len();
        let (slot, item_id) = items.by_code.get(code).copied().ok_or_else(|| {
            AppError::internal(format!(
                "checklist_items has no row for {variant} {code} in {year}"
            ))
        })?;
        let slots = self
            .seen
            .entry((org_id, year))
            .or_insert_with(|| vec![0; len].into_boxed_slice());
        let line = u32::try_from(row.place.number()).unwrap_or(STORED - 1);
        let Some(first) = slots.get_mut(slot) else {
            return Err(AppError::internal(format!("no slot {slot} for {code}")));
        };
        match *first {
            0 => *first = line,
            STORED => {
                // A second row of it in the file is then a duplicate.
                *first = line;
                let org_code = self
                    .reference
                    .variant_of
                    .get(&org_id)
                    .map_or("?", |(_, c)| c.as_str());
                problems.push(format!(
                    "{}: 団体 {org_code}・{fy}・小項目 {code} には既に回答があります（置き換えるには --replace）",
                    at(0, "org_code"),
                ));
                return Ok(None);
            }
            earlier => {
                problems.push(format!(
                    "{}: 団体 {}・{}・小項目 {} の回答は {}行目にもあります（同じ団体・年度・小項目は1行だけ）",
                    at(0, "org_code"),
                    row.cells[0].shown().trim(),
                    fy,
                    code,
                    earlier
                ));
                return Ok(None);
            }
        }
        Ok(Some(LoadRow {
            organisation_id: org_id,
            fiscal_year: year,
            item_code: code,
            item_id,
            score: i32::from(score.value()),
            comment,
        }))
    }
}

/// The fields of a row, each read and checked on its own.
struct Fields<'r> {
    org_id: i32,
    variant: Variant,
    fy: FiscalYear,
    code: &'r str,
    score: Score,
    comment: Cow<'r, str>,
}

fn fields<'r>(
    reference: &Reference,
    memo: &mut Memo,
    row: &'r Row<'_>,
    problems: &mut Problems,
) -> Option<Fields<'r>> {
    let at = |i: usize, field: &str| {
        row.place
            .at(row.columns.get(i).copied().unwrap_or_default(), field)
    };
    let before = problems.total;
    let org = match (&row.cells[0], &memo.org) {
        (Cell::Text(s), Some((last, found))) if last == s => Some(*found),
        (cell, _) => {
            let found = organisation(reference, cell, problems, || at(0, "org_code"));
            if let (Cell::Text(s), Some(f)) = (cell, found) {
                memo.org = Some((s.to_string(), f));
            }
            found
        }
    };
    let fy = match (&row.cells[1], &memo.year) {
        (Cell::Text(s), Some((last, fy))) if last == s => Ok(*fy),
        (Cell::Number(n), _) if n.fract() == 0.0 => {
            FiscalYear::new(*n as i32).map_err(|e| e.to_string())
        }
        (Cell::Empty, _) => Err("年度が空です".to_string()),
        (other, _) => FiscalYear::parse(&other.shown()).map_err(|e| e.to_string()),
    };
    if let (Cell::Text(s), Ok(fy)) = (&row.cells[1], &fy) {
        if memo.year.as_ref().is_none_or(|(last, _)| last != s) {
            memo.year = Some((s.to_string(), *fy));
        }
    }
    let fy = fy
        .map_err(|e| problems.push(format!("{}: {e}", at(1, "fiscal_year"))))
        .ok();
    let code = match &row.cells[2] {
        Cell::Text(s) if !s.trim().is_empty() => Some(s.trim()),
        Cell::Date(s) => {
            problems.push(format!(
                "{}: 「{s}」は日付として保存されています。小項目番号（例: 18-1）は文字列として入力してください",
                at(2, "item")
            ));
            None
        }
        Cell::Empty | Cell::Text(_) => {
            problems.push(format!("{}: 小項目番号が空です", at(2, "item")));
            None
        }
        Cell::Number(n) => {
            problems.push(format!(
                "{}: 「{n}」は小項目番号（例: 18-1）ではありません",
                at(2, "item")
            ));
            None
        }
    };
    let score = match &row.cells[3] {
        Cell::Number(n) if n.fract() == 0.0 => Score::new(*n as i64).map_err(|e| e.to_string()),
        Cell::Number(n) => Err(format!("「{n}」は 0〜3 の整数ではありません")),
        Cell::Empty => Err("回答が空です（0〜3）".to_string()),
        other => Score::parse(&other.shown()).map_err(|e| e.to_string()),
    };
    let score = score
        .map_err(|e| problems.push(format!("{}: {e}", at(3, "score"))))
        .ok();
    let comment: Cow<'r, str> = match &row.cells[4] {
        Cell::Empty => Cow::Borrowed(""),
        Cell::Text(s) => Cow::Borrowed(s.trim()),
        other => Cow::Owned(other.shown().trim().to_string()),
    };
    // The reason of an answer 0 goes first in the comment, where the form
    // and the workbook keep it.
    let comment = match &row.cells[5] {
        Cell::Empty => comment,
        other => {
            let reason = other.shown();
            let reason = reason.trim();
            match (reason.is_empty(), comment.is_empty()) {
                (true, _) => comment,
                (false, true) => Cow::Owned(reason.to_string()),
                (false, false) => Cow::Owned(format!("{reason}\n{comment}")),
            }
        }
    };
    match (org, fy, code, score) {
        (Some((org_id, variant)), Some(fy), Some(code), Some(score))
            if problems.total == before =>
        {
            Some(Fields {
                org_id,
                variant,
                fy,
                code,
                score,
                comment,
            })
        }
        _ => None,
    }
}

fn organisation(
    reference: &Reference,
    cell: &Cell<'_>,
    problems: &mut Problems,
    at: impl Fn() -> String,
) -> Option<(i32, Variant)> {
    let raw = match cell {
        Cell::Empty => {
            problems.push(format!("{}: 団体コードが空です", at()));
            return None;
        }
        // A spreadsheet keeps 011002 as the number 11002.
        Cell::Number(n) if n.fract() == 0.0 && *n >= 0.0 && *n < 1e6 => {
            Cow::Owned(format!("{:06}", *n as u64))
        }
        other => other.shown(),
    };
    let code = match OrgCode::parse(&raw) {
        Ok(c) => c,
        Err(e) => {
            problems.push(format!("{}: {e}", at()));
            return None;
        }
    };
    let Some(org) = reference.orgs.get(code.as_str()) else {
        problems.push(format!(
            "{}: 団体コード「{code}」の組織は登録されていません",
            at()
        ));
        return None;
    };
    match org.variant {
        None => {
            problems.push(format!(
                "{}: {}（{code}）は調査票に回答しない組織です",
                at(),
                org.name
            ));
            None
        }
        Some(v) => Some((org.id, v)),
    }
}
