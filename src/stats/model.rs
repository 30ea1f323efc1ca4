//! The national table (集計表) of one scope and fiscal year: what the engine
//! returns and every report (JSON, CSV, text, web page, Excel, charts)
//! consumes. Field names are part of the JSON API (`/api/v1/stats/...`) and
//! documented in README: keep them stable.

use serde::Serialize;

use super::exact::Figure;
use crate::checklists::Variant;

/// Where a figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Computed from the answers stored per organisation.
    Answers,
    /// The ministry's published national figure (`checklists/published`).
    Published,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScopeInfo {
    /// `national`, `pref:130001`, `agencies`, `org:131016`.
    pub key: String,
    /// `national`, `prefecture`, `agencies`, `organisation`.
    pub kind: &'static str,
    pub code: Option<String>,
    /// 全国（市区町村）, 東京都, 国の行政機関等, 千代田区.
    pub name: String,
    pub variant: Variant,
}

/// Which answers a table counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The official table: submitted results only (each sheet's last
    /// submitted snapshot; a returned sheet counts with it until submitted
    /// again; a draft never counts) and results loaded in bulk.
    #[default]
    Official,
    /// 速報: the answers as they stand, drafts included. Never official.
    Provisional,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Official => "official",
            Self::Provisional => "provisional",
        }
    }

    pub fn is_provisional(self) -> bool {
        self == Self::Provisional
    }
}

/// Organisations of the scope by the state of their result this year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatusTally {
    pub total: u64,
    /// Results loaded with `tenken import answers` (final, no sheet).
    pub imported: u64,
    pub submitted: u64,
    pub accepted: u64,
    /// 差戻し: counted (official) with the last submitted snapshot.
    pub returned: u64,
    /// 入力中.
    pub draft: u64,
}

/// What a table counts: `counted` organisations by status, and those of the
/// scope whose answers it leaves out (`excluded`), with the sentence the
/// page, the workbook and the charts print.
#[derive(Debug, Clone, Serialize)]
pub struct Counting {
    pub counted: StatusTally,
    pub excluded: StatusTally,
    /// 「集計対象：提出済・確認済 N 団体（入力中 M 団体は含まない）」.
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub scope: ScopeInfo,
    /// `official`, or `provisional` for the 速報 that includes drafts.
    pub basis: Basis,
    /// What this year's table counts; `null` without answers this year.
    pub counting: Option<Counting>,
    pub fiscal_year: i32,
    /// `平成19年度（2007年度）`.
    pub fiscal_year_label: String,
    /// `H19`.
    pub fiscal_year_short: String,
    /// Where this year's figures come from; `null` when there are none.
    pub source: Option<Source>,
    /// 集計団体数: organisations with at least one answer this year (the
    /// published count for a published year; `null` when unknown).
    pub organisations: Option<u64>,
    /// The earlier fiscal years shown, oldest first.
    pub years: Vec<YearColumn>,
    /// The previous fiscal year, when it has figures (向上値 compare with it).
    pub previous_year: Option<i32>,
    pub majors: Vec<MajorRow>,
    pub overall: Overall,
    /// `null` without per-organisation answers this year.
    pub priority: Option<PriorityResult>,
    /// `null` for one organisation and without answers this year.
    pub ranking: Option<Ranking>,
    /// Seed 004's view; `null` without per-organisation answers this year.
    pub non_compliance: Option<NonCompliance>,
    /// Peer standing (偏差値, rank) of one organisation or one prefecture;
    /// `null` for other scopes and without answers this year.
    pub standing: Option<super::standing::Standing>,
    /// The 5 most and 5 least improved items (向上値) of a national or
    /// prefecture table; `null` for other scopes or without 向上値.
    pub improvements: Option<super::standing::Improvements>,
    pub rounding: Rounding,
}

#[derive(Debug, Clone, Serialize)]
pub struct YearColumn {
    pub fiscal_year: i32,
    /// `H15`.
    pub short: String,
    pub source: Source,
}

/// 大分類.
#[derive(Debug, Clone, Serialize)]
pub struct MajorRow {
    pub no: String,
    pub name: String,
    /// Mean of its sub-items' averages this year.
    pub average: Option<Figure>,
    pub goals: Vec<GoalRow>,
}

/// 管理目標.
#[derive(Debug, Clone, Serialize)]
pub struct GoalRow {
    pub no: u32,
    pub text: String,
    /// Mean of its sub-items' averages this year.
    pub average: Option<Figure>,
    pub items: Vec<ItemRow>,
}

/// 小項目: one line of the table.
#[derive(Debug, Clone, Serialize)]
pub struct ItemRow {
    pub code: String,
    pub text: String,
    /// 【平成19年度重要点検項目】, the latest year up to this one.
    pub priority_tag: Option<String>,
    /// A priority item of this very year.
    pub priority_now: bool,
    /// 備考: when the item is answered (conditional goals).
    pub remark: Option<String>,
    pub source: Option<Source>,
    /// Average of the answers 1–3 (0 = 該当しない is left out).
    pub average: Option<Figure>,
    /// Organisations answering 1–3.
    pub respondents: Option<u64>,
    /// Organisations answering 0 (該当しない).
    pub not_applicable: Option<u64>,
    /// 該当なし率: answers 0 in percent of all answers 0–3 of the item.
    pub na_rate: Option<Figure>,
    /// Sum of the answers 1–3.
    pub score_sum: Option<u64>,
    pub counts: Option<ScoreCounts>,
    /// Shares of 3, 2 and 1 in percent of the respondents.
    pub shares: Option<Shares>,
    /// Averages of the earlier years, one per `Summary.years` entry.
    pub history: Vec<HistoryCell>,
    /// 向上値: this year's average minus the previous year's.
    pub improvement: Option<Figure>,
    pub improvement_source: Option<Source>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScoreCounts {
    pub three: u64,
    pub two: u64,
    pub one: u64,
    pub zero: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Shares {
    pub three: Figure,
    pub two: Figure,
    pub one: Figure,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryCell {
    pub fiscal_year: i32,
    /// `null` where the item was not asked or has no figure ('-').
    pub average: Option<Figure>,
    pub source: Option<Source>,
}

/// 総平均点: the mean of the sub-item averages.
#[derive(Debug, Clone, Serialize)]
pub struct Overall {
    pub average: Option<Figure>,
    pub source: Option<Source>,
    pub previous: Option<Figure>,
    pub previous_source: Option<Source>,
    /// This year's minus the previous year's.
    pub change: Option<Figure>,
    /// The earlier years, one per `Summary.years` entry.
    pub history: Vec<HistoryCell>,
}

/// 重要点検項目: who scores 3 on every priority item of the year. An answer
/// 0 (該当しない, e.g. 7-x without a 重要機能室) counts as met; 1, 2 or no
/// answer does not.
#[derive(Debug, Clone, Serialize)]
pub struct PriorityResult {
    pub items: Vec<String>,
    /// Organisations with answers this year.
    pub organisations: u64,
    /// Of those, how many meet every priority item.
    pub achieved: u64,
    pub not_achieved: Vec<Shortfall>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Shortfall {
    pub code: String,
    pub name: String,
    /// The priority items not at 3, with the answer (`null` = unanswered).
    pub items: Vec<ItemScore>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemScore {
    pub item: String,
    pub score: Option<u8>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ranking {
    /// `prefectures`, `municipalities` or `agencies`.
    pub kind: &'static str,
    pub rows: Vec<RankRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RankRow {
    /// 1-based; equal exact averages share a rank (1, 2, 2, 4).
    pub rank: usize,
    pub code: String,
    pub name: String,
    /// Organisations with answers (1 for an organisation).
    pub organisations: u64,
    /// The overall average (mean of sub-item averages), 3 decimals.
    pub average: Figure,
}

/// Seed 004: how many items have no / 1–2 / 3–5 / 6+ organisations not at 3.
#[derive(Debug, Clone, Serialize)]
pub struct NonCompliance {
    pub items_total: u64,
    pub buckets: Vec<Bucket>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bucket {
    /// `0`, `1〜2`, `3〜5`, `6〜`.
    pub label: String,
    pub from: u64,
    /// Inclusive; `null` = no upper bound.
    pub to: Option<u64>,
    pub items: u64,
    /// Percent of `items_total`, 1 decimal.
    pub share: Figure,
    pub item_codes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rounding {
    pub rule: &'static str,
    pub average_decimals: u32,
    pub share_decimals: u32,
    pub overall_decimals: u32,
}

impl Default for Rounding {
    fn default() -> Self {
        Self {
            rule: "half away from zero, from the exact value",
            average_decimals: super::exact::AVERAGE_DECIMALS,
            share_decimals: super::exact::SHARE_DECIMALS,
            overall_decimals: super::exact::OVERALL_DECIMALS,
        }
    }
}

impl Summary {
    /// Every sub-item row, in table order.
    pub fn items(&self) -> impl Iterator<Item = &ItemRow> {
        self.majors
            .iter()
            .flat_map(|m| m.goals.iter().flat_map(|g| g.items.iter()))
    }

    pub fn item(&self, code: &str) -> Option<&ItemRow> {
        self.items().find(|i| i.code == code)
    }
}

/// An item whose 該当なし率 in a prefecture is far above the nation's
/// (at least `ratio` times), shown to that prefecture.
#[derive(Debug, Clone, Serialize)]
pub struct NaFlag {
    pub code: String,
    pub text: String,
    pub rate: Figure,
    pub national_rate: Figure,
}

/// The items of `local` whose 該当なし率 is at least `ratio` times the one
/// in `national` (exact integer comparison of the counts; an item nobody
/// answered 0 in the prefecture is never flagged).
pub fn na_flags(local: &Summary, national: &Summary, ratio: u32) -> Vec<NaFlag> {
    let counts = |i: &ItemRow| Some((i.not_applicable?, i.respondents? + i.not_applicable?));
    local
        .items()
        .filter_map(|i| {
            let (na, total) = counts(i)?;
            let n = national.item(&i.code)?;
            let (nat_na, nat_total) = counts(n)?;
            let far_above = na > 0
                && total > 0
                && nat_total > 0
                && u128::from(na) * u128::from(nat_total)
                    >= u128::from(ratio) * u128::from(nat_na) * u128::from(total);
            if !far_above {
                return None;
            }
            Some(NaFlag {
                code: i.code.clone(),
                text: i.text.clone(),
                rate: i.na_rate.clone()?,
                national_rate: n.na_rate.clone()?,
            })
        })
        .collect()
}
