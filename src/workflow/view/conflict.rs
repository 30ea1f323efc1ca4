//! The differences between the stored sheet and a posted one, shown when a
//! save meets a newer version.

use serde::Serialize;

use super::super::{Entries, Sheet};
use crate::checklists::Catalog;
use crate::store::submissions::PlanFields;

/// One row of the conflict page: what the other person saved and what you typed.
#[derive(Debug, Serialize)]
pub struct ConflictRow {
    pub code: String,
    pub what: &'static str,
    pub theirs: String,
    pub yours: String,
}

/// The differences between the stored sheet and a posted one.
pub fn differences(
    catalog: &Catalog,
    sheet: &Sheet,
    stored: &Entries,
    typed: &Entries,
) -> Vec<ConflictRow> {
    let scale = &catalog.scale;
    let score = |e: &super::super::Entry| {
        e.score
            .map(|s| format!("{} {}", s.value(), scale.label(s.value())))
            .unwrap_or_else(|| "（未回答）".into())
    };
    let plan = |p: &PlanFields| {
        if p.is_empty() {
            "（なし）".to_string()
        } else {
            format!(
                "現状: {} / 改善策: {} / 担当者: {} / 目標期日: {}",
                p.present_state, p.measure, p.person_in_charge, p.target_date
            )
        }
    };
    let room = |v: Option<bool>| match v {
        Some(true) => "はい".to_string(),
        Some(false) => "いいえ".to_string(),
        None => "（未回答）".to_string(),
    };
    let mut rows = Vec::new();
    if stored.has_critical_room != typed.has_critical_room {
        rows.push(ConflictRow {
            code: "—".into(),
            what: "重要機能室の有無",
            theirs: room(stored.has_critical_room),
            yours: room(typed.has_critical_room),
        });
    }
    let list = catalog.checklist(sheet.variant);
    for item in list.items_in(sheet.fy) {
        let (a, b) = (stored.get(&item.code), typed.get(&item.code));
        if a.score != b.score {
            rows.push(ConflictRow {
                code: item.code.clone(),
                what: "評価",
                theirs: score(&a),
                yours: score(&b),
            });
        }
        if a.comment.trim_end() != b.comment.trim_end() {
            rows.push(ConflictRow {
                code: item.code.clone(),
                what: "コメント",
                theirs: a.comment.clone(),
                yours: b.comment.clone(),
            });
        }
        if a.plan != b.plan {
            rows.push(ConflictRow {
                code: item.code.clone(),
                what: "改善計画書",
                theirs: plan(&a.plan),
                yours: plan(&b.plan),
            });
        }
    }
    rows
}
