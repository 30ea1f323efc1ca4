//! Reading a posted answer sheet. Field names ([`super::fields`]) carry the
//! sub-item code: `score_7-1`, `comment_7-1`, `plan_present_7-1`,
//! `plan_measure_7-1`, `plan_person_7-1`, `plan_target_7-1`; plus
//! `has_critical_room` (`yes` / `no`), `version` and `action` (`save` /
//! `submit`). Parsing keeps whatever
//! was typed, so a refused form can be shown again as it was.

use serde::Serialize;

use super::fields::{self, name};
use super::{Entries, Entry};
use crate::checklists::Checklist;
use crate::domain::sheet::{na_reason_message, parse_date, CRITICAL_ROOM};
use crate::domain::{FiscalYear, Score};

pub const COMMENT_MAX: usize = 2000;
pub const PLAN_MAX: usize = 1000;

/// A problem with a posted form, tied to a sub-item where it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub item: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn general(message: impl Into<String>) -> Self {
        Self {
            item: None,
            message: message.into(),
        }
    }

    pub fn item(code: &str, message: impl Into<String>) -> Self {
        Self {
            item: Some(code.to_string()),
            message: message.into(),
        }
    }
}

/// A posted sheet.
#[derive(Debug, Clone)]
pub struct Posted {
    /// The version the form was loaded at; `None` when missing or garbled.
    pub version: Option<i32>,
    pub action: String,
    pub entries: Entries,
    /// What must be fixed before anything is saved.
    pub problems: Vec<Problem>,
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Text as typed, with Windows line ends made plain.
fn text(pairs: &[(String, String)], name: &str) -> String {
    value(pairs, name).unwrap_or("").replace("\r\n", "\n")
}

pub fn parse_sheet(list: &Checklist, fy: FiscalYear, pairs: &[(String, String)]) -> Posted {
    let mut problems = Vec::new();
    let has_critical_room = match value(pairs, fields::HAS_CRITICAL_ROOM).map(str::trim) {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    };
    let mut entries = Entries {
        has_critical_room,
        items: Default::default(),
        confirmed: Default::default(),
    };
    for item in list.items_in(fy) {
        let code = item.code.as_str();
        let score = match value(pairs, &name(fields::SCORE, code)).map(str::trim) {
            None | Some("") => None,
            Some(raw) => match Score::parse(raw) {
                Ok(s) => Some(s),
                Err(e) => {
                    problems.push(Problem::item(code, format!("小項目 {code} の評価: {e}")));
                    None
                }
            },
        };
        if value(pairs, &name(fields::CONFIRM, code)).is_some() {
            entries.confirmed.insert(code.to_string());
        }
        let comment = text(pairs, &name(fields::COMMENT, code));
        if score.map(|s| s.value()) == Some(0) && comment.trim().is_empty() {
            problems.push(Problem::item(code, na_reason_message(code)));
        }
        let n = comment.chars().count();
        if n > COMMENT_MAX {
            problems.push(Problem::item(
                code,
                format!("小項目 {code} のコメントは{COMMENT_MAX}字以内にしてください（今は{n}字）"),
            ));
        }
        let plan = crate::store::submissions::PlanFields {
            present_state: text(pairs, &name(fields::PLAN_PRESENT, code)),
            measure: text(pairs, &name(fields::PLAN_MEASURE, code)),
            person_in_charge: text(pairs, &name(fields::PLAN_PERSON, code)),
            target_date: text(pairs, &name(fields::PLAN_TARGET, code))
                .trim()
                .to_string(),
        };
        for (label, v) in [
            ("現状", &plan.present_state),
            ("改善策", &plan.measure),
            ("担当者", &plan.person_in_charge),
        ] {
            let n = v.chars().count();
            if n > PLAN_MAX {
                problems.push(Problem::item(
                    code,
                    format!("小項目 {code} の改善計画の「{label}」は{PLAN_MAX}字以内にしてください（今は{n}字）"),
                ));
            }
        }
        if !plan.target_date.is_empty() && parse_date(&plan.target_date).is_none() {
            problems.push(Problem::item(
                code,
                format!(
                    "小項目 {code} の改善計画の目標期日「{}」は日付として読めません（例: 2008-03-31）",
                    plan.target_date
                ),
            ));
        }
        entries.items.insert(
            code.to_string(),
            Entry {
                score,
                comment,
                plan,
            },
        );
    }
    Posted {
        version: value(pairs, "version").and_then(|v| v.trim().parse().ok()),
        action: value(pairs, "action").unwrap_or("save").to_string(),
        entries,
        problems,
    }
}

/// What keeps a sheet from being submitted: the 重要機能室 question, every
/// applicable sub-item answered, and a complete 改善計画書 for each item
/// scored 1 or 2.
pub fn submission_problems(list: &Checklist, fy: FiscalYear, entries: &Entries) -> Vec<Problem> {
    let mut out = Vec::new();
    if list.conditions.iter().any(|c| c.key == CRITICAL_ROOM) && entries.has_critical_room.is_none()
    {
        out.push(Problem::general(
            "「重要機能室がありますか」に「はい」か「いいえ」で答えてください",
        ));
    }
    let applicable = list.applicable_items(fy, &entries.conditions());
    let mut unanswered = Vec::new();
    let mut no_plan = Vec::new();
    for item in &applicable {
        let e = entries.get(&item.code);
        match e.score.map(|s| s.value()) {
            None => unanswered.push(item.code.clone()),
            Some(1 | 2) if !e.plan.is_complete() => no_plan.push(item.code.clone()),
            _ => {}
        }
    }
    if !unanswered.is_empty() {
        out.push(Problem::general(format!(
            "未回答の小項目が {} 件あります: {}",
            unanswered.len(),
            unanswered.join("、")
        )));
        out.extend(
            unanswered
                .iter()
                .map(|c| Problem::item(c, "評価を選んでください")),
        );
    }
    if !no_plan.is_empty() {
        out.push(Problem::general(format!(
            "評価が1または2の小項目には改善計画書（現状・改善策・担当者・目標期日）をすべて書いてください: {}",
            no_plan.join("、")
        )));
        out.extend(no_plan.iter().map(|c| {
            Problem::item(
                c,
                "改善計画書（現状・改善策・担当者・目標期日）をすべて書いてください",
            )
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklists::{load, Sources, Variant};

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn parse_keeps_what_was_typed_and_names_problems() {
        let catalog = load(&Sources::embedded()).expect("catalog");
        let list = catalog.checklist(Variant::Municipal);
        let fy = FiscalYear::new(2007).expect("fy");
        let p = parse_sheet(
            list,
            fy,
            &pairs(&[
                ("version", "3"),
                ("action", "submit"),
                ("has_critical_room", "yes"),
                ("score_1-1", "3"),
                ("comment_1-1", "規程あり\r\n周知済み"),
                ("score_1-2", "9"),
                ("score_5-1", "1"),
                ("plan_target_5-1", "来年"),
            ]),
        );
        assert_eq!(p.version, Some(3));
        assert_eq!(p.action, "submit");
        assert_eq!(p.entries.has_critical_room, Some(true));
        assert_eq!(p.entries.items.len(), 126);
        let e = p.entries.get("1-1");
        assert_eq!(e.score.map(|s| s.value()), Some(3));
        assert_eq!(e.comment, "規程あり\n周知済み");
        assert_eq!(p.entries.get("5-1").plan.target_date, "来年");
        assert_eq!(
            p.problems,
            vec![
                Problem::item("1-2", "小項目 1-2 の評価: 「9」は 0〜3 のいずれでもありません"),
                Problem::item(
                    "5-1",
                    "小項目 5-1 の改善計画の目標期日「来年」は日付として読めません（例: 2008-03-31）"
                ),
            ]
        );
    }

    #[test]
    fn submission_needs_every_item_and_plans() {
        let catalog = load(&Sources::embedded()).expect("catalog");
        let list = catalog.checklist(Variant::Municipal);
        let fy = FiscalYear::new(2007).expect("fy");
        let mut entries = Entries {
            has_critical_room: None,
            items: Default::default(),
            confirmed: Default::default(),
        };
        let problems = submission_problems(list, fy, &entries);
        assert_eq!(
            problems[0].message,
            "「重要機能室がありますか」に「はい」か「いいえ」で答えてください"
        );
        entries.has_critical_room = Some(false);
        let applicable = list.applicable_items(fy, &entries.conditions());
        for item in &applicable {
            entries.items.insert(
                item.code.clone(),
                Entry {
                    score: Score::new(3).ok(),
                    ..Default::default()
                },
            );
        }
        assert!(submission_problems(list, fy, &entries).is_empty());
        if let Some(e) = entries.items.get_mut("5-1") {
            e.score = Score::new(2).ok();
            e.plan.measure = "規程を作る".into();
        }
        let p = submission_problems(list, fy, &entries);
        assert_eq!(p.len(), 2);
        assert!(p[0].message.ends_with(": 5-1"), "{}", p[0].message);
    }
}
