//! Plans followed across years: the result of an improvement plan carried
//! from the previous fiscal year (the item was scored 1 or 2 there), judged
//! from this year's answer, and whether a plan's target date (目標期日) has
//! passed. One rule, shared by the 改善計画書 workbook, the answer sheet and
//! the status lists.

use chrono::NaiveDate;
use serde::Serialize;

/// The result of last year's plan for one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanResult {
    /// 達成: the item is now scored 3.
    Achieved,
    /// 期限前: not yet 3, and last year's 目標期日 is after today.
    BeforeTarget,
    /// 一部改善: the score rose, below 3, the target date reached.
    Improved,
    /// 未達: unchanged or lower, the target date reached.
    NotAchieved,
}

impl PlanResult {
    /// In the order the pages and the workbook list them.
    pub const ALL: [PlanResult; 4] = [
        PlanResult::Achieved,
        PlanResult::Improved,
        PlanResult::NotAchieved,
        PlanResult::BeforeTarget,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Achieved => "達成",
            Self::BeforeTarget => "期限前",
            Self::Improved => "一部改善",
            Self::NotAchieved => "未達",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Achieved => "achieved",
            Self::BeforeTarget => "before_target",
            Self::Improved => "improved",
            Self::NotAchieved => "not_achieved",
        }
    }
}

/// The result of a plan carried from the previous year (the item was
/// scored `previous`, 1 or 2) given this year's answer `now` (1–3) and the
/// plan's target date: 達成 (now 3), else 期限前 (the target date is after
/// `today`), else 一部改善 (the score rose), else 未達 (unchanged or lower).
pub fn carried_result(
    previous: u8,
    now: u8,
    target: Option<NaiveDate>,
    today: NaiveDate,
) -> PlanResult {
    if now == 3 {
        PlanResult::Achieved
    } else if target.is_some_and(|t| t > today) {
        PlanResult::BeforeTarget
    } else if now > previous {
        PlanResult::Improved
    } else {
        PlanResult::NotAchieved
    }
}

/// The result, when there is one: last year's score must be 1 or 2 (a plan
/// was due) and this year's 1–3 (unanswered or 0 = 該当しない: not judged).
pub fn judge(
    previous: Option<u8>,
    now: Option<u8>,
    target: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<PlanResult> {
    let previous = previous.filter(|p| (1..=2).contains(p))?;
    let now = now.filter(|n| (1..=3).contains(n))?;
    Some(carried_result(previous, now, target, today))
}

/// A plan is past its target date (目標期日を過ぎた計画) when the date is
/// before `today` and its progress is not 完了 (`done`): the rule of the
/// notice 「目標期日を過ぎました」 and of the status lists.
pub fn past_target(target: Option<NaiveDate>, progress: &str, today: NaiveDate) -> bool {
    progress != "done" && target.is_some_and(|t| t < today)
}

/// Counts of carried plans by result, of those not yet judged, and of plans
/// past their target date.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PlanTally {
    /// Items scored 1 or 2 last year.
    pub carried: usize,
    pub achieved: usize,
    pub improved: usize,
    pub not_achieved: usize,
    pub before_target: usize,
    /// Carried, but this year's answer is missing or 0.
    pub undecided: usize,
    /// This year's plans past their target date.
    pub past_target: usize,
}

impl PlanTally {
    /// Counts one carried plan with its result (`None`: not judged).
    pub fn add(&mut self, result: Option<PlanResult>) {
        self.carried += 1;
        match result {
            Some(PlanResult::Achieved) => self.achieved += 1,
            Some(PlanResult::Improved) => self.improved += 1,
            Some(PlanResult::NotAchieved) => self.not_achieved += 1,
            Some(PlanResult::BeforeTarget) => self.before_target += 1,
            None => self.undecided += 1,
        }
    }

    /// Adds another tally (an organisation's into its prefecture's).
    pub fn absorb(&mut self, other: &PlanTally) {
        self.carried += other.carried;
        self.achieved += other.achieved;
        self.improved += other.improved;
        self.not_achieved += other.not_achieved;
        self.before_target += other.before_target;
        self.undecided += other.undecided;
        self.past_target += other.past_target;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    /// The four outcomes of a carried plan.
    #[test]
    fn carried_plan_results() {
        let today = date("2008-10-01");
        let past = Some(date("2008-03-31"));
        let future = Some(date("2009-03-31"));
        let label = |p, n, t| carried_result(p, n, t, today).label();
        assert_eq!(label(2, 3, past), "達成");
        assert_eq!(label(1, 3, future), "達成");
        assert_eq!(label(1, 2, past), "一部改善");
        assert_eq!(label(2, 2, past), "未達");
        assert_eq!(label(2, 1, None), "未達");
        assert_eq!(label(1, 1, future), "期限前");
        assert_eq!(label(1, 2, future), "期限前");
        // The target date itself is reached, not before it.
        assert_eq!(label(1, 1, Some(today)), "未達");
    }

    #[test]
    fn only_items_due_a_plan_and_answered_now_are_judged() {
        let today = date("2008-10-01");
        assert_eq!(judge(Some(3), Some(3), None, today), None);
        assert_eq!(judge(Some(0), Some(2), None, today), None);
        assert_eq!(judge(None, Some(2), None, today), None);
        assert_eq!(judge(Some(2), None, None, today), None);
        assert_eq!(judge(Some(2), Some(0), None, today), None);
        assert_eq!(
            judge(Some(1), Some(2), None, today),
            Some(PlanResult::Improved)
        );
        let mut tally = PlanTally::default();
        tally.add(judge(Some(1), Some(2), None, today));
        tally.add(judge(Some(2), None, None, today));
        assert_eq!((tally.carried, tally.improved, tally.undecided), (2, 1, 1));
    }

    #[test]
    fn past_target_needs_a_passed_date_and_no_completion() {
        let today = date("2008-10-01");
        assert!(past_target(Some(date("2008-09-30")), "in_progress", today));
        assert!(past_target(Some(date("2008-09-30")), "not_started", today));
        assert!(!past_target(Some(date("2008-09-30")), "done", today));
        assert!(!past_target(Some(today), "not_started", today));
        assert!(!past_target(None, "not_started", today));
    }
}
