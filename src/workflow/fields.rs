//! The names of the answer form's fields, defined once. A per-item field is a
//! prefix and the sub-item's code (`score_7-1`); the parser reads them with
//! [`name`], the templates print them from [`NAMES`] (passed to the page as
//! `fields`), `app.js` reads the ones it needs from the form's `data-`
//! attributes (sheet.html), and the tests build forms with them.

use serde::Serialize;

/// 3/2/1/0 of an item.
pub const SCORE: &str = "score_";
/// 「前年度のとおり確認しました」 of a carried item.
pub const CONFIRM: &str = "confirm_";
pub const COMMENT: &str = "comment_";
/// The improvement plan: 現状, 改善策, 担当者, 目標期日.
pub const PLAN_PRESENT: &str = "plan_present_";
pub const PLAN_MEASURE: &str = "plan_measure_";
pub const PLAN_PERSON: &str = "plan_person_";
pub const PLAN_TARGET: &str = "plan_target_";
/// The reviewer's advice on an item.
pub const ADVICE: &str = "advice_";
/// The plan progress page: 進捗, 着手日, 完了日, メモ.
pub const PROGRESS: &str = "progress_";
pub const STARTED: &str = "started_";
pub const COMPLETED: &str = "completed_";
pub const PROGRESS_NOTE: &str = "pnote_";
/// 重要機能室がありますか (`yes` / `no`): not per item.
pub const HAS_CRITICAL_ROOM: &str = "has_critical_room";

/// The name of an item's field: `name(SCORE, "7-1")` is `score_7-1`.
pub fn name(prefix: &str, code: &str) -> String {
    format!("{prefix}{code}")
}

/// The names for the templates (`{{ fields.score }}{{ i.code }}`).
#[derive(Debug, Serialize)]
pub struct Names {
    pub score: &'static str,
    pub confirm: &'static str,
    pub comment: &'static str,
    pub plan_present: &'static str,
    pub plan_measure: &'static str,
    pub plan_person: &'static str,
    pub plan_target: &'static str,
    pub advice: &'static str,
    pub progress: &'static str,
    pub started: &'static str,
    pub completed: &'static str,
    pub progress_note: &'static str,
    pub has_critical_room: &'static str,
}

pub const NAMES: Names = Names {
    score: SCORE,
    confirm: CONFIRM,
    comment: COMMENT,
    plan_present: PLAN_PRESENT,
    plan_measure: PLAN_MEASURE,
    plan_person: PLAN_PERSON,
    plan_target: PLAN_TARGET,
    advice: ADVICE,
    progress: PROGRESS,
    started: STARTED,
    completed: COMPLETED,
    progress_note: PROGRESS_NOTE,
    has_critical_room: HAS_CRITICAL_ROOM,
};
