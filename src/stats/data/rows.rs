//! A fiscal year's answers read into a dense matrix (organisations ×
//! items, one byte per answer), with the roster and each sheet's state.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;

use super::super::engine::MISSING;
use super::super::model::Basis;
use crate::checklists::{Catalog, Variant};
use crate::db::schema::{answers as a, organisations as o};
use crate::db::DbConnection;
use crate::domain::FiscalYear;
use crate::error::AppResult;
use crate::store::snapshots;
use crate::store::submissions::{self, Status};

#[derive(Debug, Clone)]
pub(super) struct OrgInfo {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) kind: String,
    pub(super) prefecture_code: Option<String>,
    pub(super) variant: Option<Variant>,
}

#[derive(Debug, Default)]
pub(super) struct Roster {
    pub(super) orgs: HashMap<i32, OrgInfo>,
    pub(super) by_code: HashMap<String, i32>,
    pub(super) prefecture_names: BTreeMap<String, String>,
}

impl Roster {
    pub(super) fn load(conn: &mut DbConnection) -> AppResult<Self> {
        type Row = (i32, String, String, String, Option<String>, Option<String>);
        let rows: Vec<Row> = o::table
            .select((
                o::id,
                o::code,
                o::name,
                o::kind,
                o::prefecture_code,
                o::variant,
            ))
            .load(conn)?;
        let mut roster = Self::default();
        for (id, code, name, kind, pref, variant) in rows {
            if kind == "prefecture" {
                roster.prefecture_names.insert(code.clone(), name.clone());
            }
            roster.by_code.insert(code.clone(), id);
            roster.orgs.insert(
                id,
                OrgInfo {
                    code,
                    name,
                    kind,
                    prefecture_code: pref,
                    variant: variant.as_deref().and_then(Variant::parse),
                },
            );
        }
        Ok(roster)
    }
}

/// The answers of one variant in one year: a row of scores per organisation
/// (sorted by organisation id).
#[derive(Debug, Default)]
pub(super) struct Matrix {
    pub(super) items: Vec<String>,
    pub(super) index: HashMap<String, usize>,
    pub(super) orgs: Vec<(i32, Vec<u8>)>,
}

impl Matrix {
    pub(super) fn new(catalog: &Catalog, variant: Variant, fy: FiscalYear) -> Self {
        let items: Vec<String> = catalog
            .checklist(variant)
            .items_in(fy)
            .map(|i| i.code.clone())
            .collect();
        let index = items
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), i))
            .collect();
        Self {
            items,
            index,
            orgs: Vec::new(),
        }
    }

    pub(super) fn remove(&mut self, org: i32) {
        if let Ok(at) = self.orgs.binary_search_by_key(&org, |(id, _)| *id) {
            self.orgs.remove(at);
        }
    }

    pub(super) fn set(&mut self, org: i32, item: &str, score: i32) {
        let (Some(&col), Ok(score)) = (self.index.get(item), u8::try_from(score)) else {
            return;
        };
        let at = match self.orgs.binary_search_by_key(&org, |(id, _)| *id) {
            Ok(at) => at,
            Err(at) => {
                self.orgs.insert(at, (org, vec![MISSING; self.items.len()]));
                at
            }
        };
        if let Some(cell) = self.orgs.get_mut(at).and_then(|(_, row)| row.get_mut(col)) {
            *cell = score;
        }
    }
}

/// How an organisation's sheet of the year stands, for the counts of what a
/// table counts. No entry: no sheet (results loaded in bulk, or nothing).
#[derive(Debug, Clone, Copy)]
pub(super) struct SheetState {
    pub(super) status: Status,
    /// Whether a submitted snapshot exists (counted by the official table).
    pub(super) submitted_once: bool,
}

/// One fiscal year as one basis counts it, for every organisation.
#[derive(Debug)]
pub(super) struct YearData {
    pub(super) municipal: Matrix,
    pub(super) agency: Matrix,
    /// The 重要機能室 answer (and any other condition) per organisation,
    /// as the counted answers were given.
    pub(super) conditions: HashMap<i32, BTreeMap<String, bool>>,
    pub(super) sheets: HashMap<i32, SheetState>,
}

/// What the database holds of a year for some organisations (or all).
pub(super) struct Rows {
    pub(super) scores: Vec<(i32, String, i32)>,
    pub(super) conditions: HashMap<i32, Option<bool>>,
    pub(super) sheets: HashMap<i32, SheetState>,
}

impl Rows {
    /// Reads the year as `basis` counts it, for `orgs` (all with `None`).
    ///
    /// Official: the answers of organisations without a sheet (loaded in
    /// bulk) and the last submitted snapshot of every sheet. Provisional:
    /// every stored answer, drafts included.
    pub(super) fn read(
        conn: &mut DbConnection,
        fy: FiscalYear,
        basis: Basis,
        orgs: Option<&[i32]>,
    ) -> AppResult<Self> {
        let subs = match orgs {
            None => submissions::of_year(conn, fy)?,
            Some(ids) => submissions::of_orgs(conn, fy, ids)?,
        };
        let sheets: HashMap<i32, SheetState> = subs
            .iter()
            .map(|(org, sub)| {
                Ok((
                    *org,
                    SheetState {
                        status: sub.checked_status()?,
                        submitted_once: sub.snapshot_id.is_some(),
                    },
                ))
            })
            .collect::<AppResult<_>>()?;
        let mut answers = a::table
            .filter(a::fiscal_year.eq(fy.year()))
            .select((a::organisation_id, a::item_code, a::score))
            .into_boxed();
        if let Some(ids) = orgs {
            answers = answers.filter(a::organisation_id.eq_any(ids.to_vec()));
        }
        let answers: Vec<(i32, String, i32)> = answers.load(conn)?;
        let (scores, conditions) = match basis {
            Basis::Provisional => (
                answers,
                subs.iter()
                    .map(|(org, sub)| (*org, sub.has_critical_room))
                    .collect(),
            ),
            Basis::Official => {
                let mut rows: Vec<(i32, String, i32)> = answers
                    .into_iter()
                    .filter(|(org, _, _)| !subs.contains_key(org))
                    .collect();
                rows.extend(snapshots::counted_scores(conn, fy, orgs)?);
                (rows, snapshots::counted_conditions(conn, fy, orgs)?)
            }
        };
        Ok(Self {
            scores,
            conditions,
            sheets,
        })
    }
}

impl YearData {
    pub(super) fn new(catalog: &Catalog, fy: FiscalYear) -> Self {
        Self {
            municipal: Matrix::new(catalog, Variant::Municipal, fy),
            agency: Matrix::new(catalog, Variant::NationalAgency, fy),
            conditions: HashMap::new(),
            sheets: HashMap::new(),
        }
    }

    pub(super) fn matrix(&self, variant: Variant) -> &Matrix {
        match variant {
            Variant::Municipal => &self.municipal,
            Variant::NationalAgency => &self.agency,
        }
    }

    /// Replaces what is known of `orgs` (every organisation with `None`)
    /// by `rows`. `false` when a row names an organisation missing from
    /// `roster` (the roster is then read again).
    pub(super) fn apply(&mut self, roster: &Roster, orgs: Option<&[i32]>, rows: Rows) -> bool {
        if rows
            .scores
            .iter()
            .any(|(org, _, _)| !roster.orgs.contains_key(org))
        {
            return false;
        }
        if let Some(ids) = orgs {
            for id in ids {
                self.municipal.remove(*id);
                self.agency.remove(*id);
                self.conditions.remove(id);
                self.sheets.remove(id);
            }
        }
        for (org, item, score) in &rows.scores {
            let matrix = match roster.orgs.get(org).and_then(|i| i.variant) {
                Some(Variant::Municipal) => &mut self.municipal,
                Some(Variant::NationalAgency) => &mut self.agency,
                None => continue,
            };
            matrix.set(*org, item, *score);
        }
        self.conditions.extend(
            rows.conditions
                .into_iter()
                .map(|(org, room)| (org, crate::workflow::conditions(room))),
        );
        self.sheets.extend(rows.sheets);
        true
    }
}
