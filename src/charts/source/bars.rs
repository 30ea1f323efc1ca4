//! (c) to (f): the figures of one year (shares, ranking, goals, standing),
//! and the published shares for years without answers.

use std::ops::Deref;

use super::super::{GoalComparison, RankEntry, Ranking, Scope, ShareBars, StandingComparison};
use super::{
    answers_note, label, levels, no_answers, source_note, value, ChartRequest, Tables,
    PUBLISHED_NOTE,
};
use crate::checklists::Catalog;
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::stats::{exact, Exact, Source, Summary};

impl<T, F> Tables<'_, F>
where
    T: Deref<Target = Summary>,
    F: FnMut(&Scope, FiscalYear) -> AppResult<T>,
{
    /// (c) Shares of 3 / 2 / 1 per 大分類 in one year: the answers of all
    /// the 大分類's sub-items pooled (each answer weighs the same). A
    /// national year without answers keeps the published shares.
    pub(super) fn shares(&mut self, req: &ChartRequest) -> AppResult<ShareBars> {
        let s = self.get(&req.scope, req.year)?;
        match s.source {
            Some(Source::Answers) => {}
            _ if req.scope == Scope::National => return published_shares(self.catalog, req.year),
            _ => return Err(no_answers(&s, req.year)),
        }
        let mut majors = Vec::new();
        for major in &s.majors {
            let [mut three, mut two, mut one] = [0_u64; 3];
            for c in major
                .goals
                .iter()
                .flat_map(|g| g.items.iter())
                .filter_map(|i| i.counts)
            {
                three += c.three;
                two += c.two;
                one += c.one;
            }
            let respondents = (three + two + one) as i64;
            let share = |n: u64| {
                Exact::ratio(n as i64 * 100, respondents).map(|e| e.figure(exact::SHARE_DECIMALS))
            };
            if let (Some(a), Some(b), Some(c)) = (share(three), share(two), share(one)) {
                majors.push((
                    format!("{} {}", major.no, major.name),
                    [a.value, b.value, c.value],
                ));
            }
        }
        Ok(ShareBars {
            year: req.year,
            scope: label(&s),
            levels: levels(self.catalog),
            majors,
            note: format!(
                "{}。大分類ごとに全小項目の回答数を合算した割合",
                answers_note(&s)
            ),
        })
    }

    /// (d) The members of a scope ranked by overall average, as the engine
    /// ranks them: the prefectures of the nation, the municipalities of a
    /// prefecture, the national agencies.
    pub(super) fn ranking(&mut self, req: &ChartRequest) -> AppResult<Ranking> {
        if let Scope::Organisation(code) = &req.scope {
            return Err(AppError::BadRequest(format!(
                "順位のグラフは national（都道府県の順位）、都道府県（例 130001: その市区町村の順位）か agencies（国の行政機関等の順位）について描きます。{code} は 1 団体です"
            )));
        }
        let s = self.get(&req.scope, req.year)?;
        let ranking = s
            .ranking
            .as_ref()
            .filter(|r| !r.rows.is_empty())
            .ok_or_else(|| no_answers(&s, req.year))?;
        let unit = match ranking.kind {
            "prefectures" => "都道府県",
            "municipalities" => "市区町村",
            _ => "機関",
        };
        Ok(Ranking {
            year: req.year,
            scope: label(&s),
            unit: unit.into(),
            entries: ranking
                .rows
                .iter()
                .map(|r| RankEntry {
                    rank: r.rank,
                    name: r.name.clone(),
                    average: r.average.value,
                })
                .collect(),
            reference: s.overall.average.as_ref().map(|a| (label(&s), a.value)),
            note: format!("{}。総平均点は小項目の平均点の単純平均", answers_note(&s)),
        })
    }

    /// (e) The goal averages of one organisation (or of a prefecture's
    /// municipalities) against the nation's (the agencies' for an agency).
    pub(super) fn goals(&mut self, req: &ChartRequest) -> AppResult<GoalComparison> {
        if matches!(req.scope, Scope::National | Scope::Agencies) {
            return Err(AppError::BadRequest(
                "管理目標別の比較には団体か都道府県の scope が要ります（例 scope=131016、scope=130001）".into(),
            ));
        }
        let s = self.get(&req.scope, req.year)?;
        if s.source != Some(Source::Answers) {
            return Err(no_answers(&s, req.year));
        }
        let reference = self
            .reference(&req.scope, &s, req.year)?
            .ok_or_else(|| AppError::internal("no reference scope"))?;
        let goal_values = |t: &Summary| -> Vec<(u32, Option<f64>)> {
            t.majors
                .iter()
                .flat_map(|m| m.goals.iter())
                .map(|g| (g.no, value(&g.average)))
                .collect()
        };
        let theirs = goal_values(&reference);
        let goals = goal_values(&s)
            .into_iter()
            .filter_map(|(no, own)| {
                let r = theirs
                    .iter()
                    .find(|(n, _)| *n == no)
                    .and_then(|(_, v)| *v)?;
                Some((no, own, r))
            })
            .collect();
        Ok(GoalComparison {
            year: req.year,
            organisation: label(&s),
            reference: label(&reference),
            goals,
            note: format!(
                "{}。管理目標の平均点は小項目の平均点の単純平均",
                source_note([(req.year, s.source), (req.year, reference.source)].into_iter())
            ),
        })
    }
}

impl<T, F> Tables<'_, F>
where
    T: Deref<Target = Summary>,
    F: FnMut(&Scope, FiscalYear) -> AppResult<T>,
{
    /// (f) One organisation's 大分類 averages against its prefecture's, its
    /// type's and the nation's, from the `standing` of its table.
    pub(super) fn standing(&mut self, req: &ChartRequest) -> AppResult<StandingComparison> {
        if !matches!(req.scope, Scope::Organisation(_)) {
            return Err(AppError::BadRequest(
                "偏差値の比較には団体の scope が要ります（例 scope=131016）".into(),
            ));
        }
        let s = self.get(&req.scope, req.year)?;
        if s.source != Some(Source::Answers) {
            return Err(no_answers(&s, req.year));
        }
        let standing = s.standing.as_ref().ok_or_else(|| {
            AppError::NotFound(format!(
                "{}の{}の偏差値を出す回答がありません",
                label(&s),
                req.year
            ))
        })?;
        let prefecture = s
            .scope
            .code
            .as_deref()
            .and_then(|c| self.catalog.municipality_types.get(c))
            .map(|t| t.prefecture.clone())
            .unwrap_or_else(|| "都道府県".into());
        let type_name = standing
            .kind
            .as_ref()
            .map_or_else(|| "同類型".to_string(), |k| k.name.clone());
        let majors = standing
            .majors
            .iter()
            .map(|m| {
                (
                    m.no.clone(),
                    value(&m.average),
                    [
                        value(&m.prefecture_average),
                        value(&m.type_average),
                        value(&m.national_average),
                    ],
                    m.deviation.as_ref().map(|d| d.printed.clone()),
                )
            })
            .collect();
        Ok(StandingComparison {
            year: req.year,
            organisation: label(&s),
            groups: [prefecture, type_name, "全国".into()],
            majors,
            note: "大分類の平均点は小項目の平均点の単純平均。偏差値は全国の団体の中での値（50 + 10 ×（平均点 − 全国の団体の平均）÷ 標準偏差）".into(),
        })
    }
}

/// (c) for a national year without answers: per 大分類, the mean of the
/// published shares of 3 / 2 / 1 of its items (the published tables give
/// shares per item, not the counts behind them).
pub fn published_shares(catalog: &Catalog, year: FiscalYear) -> AppResult<ShareBars> {
    let checklist = &catalog.municipal;
    let mut majors = Vec::new();
    for major in checklist.majors() {
        let shares: Vec<[f64; 3]> = checklist
            .items_in(year)
            .filter(|i| {
                checklist
                    .goal(i.goal_no)
                    .is_some_and(|g| g.major() == major.no)
            })
            .filter_map(|i| {
                catalog
                    .published
                    .figure(&i.code, year)
                    .and_then(|f| f.shares)
            })
            .collect();
        if shares.is_empty() {
            continue;
        }
        let n = shares.len() as f64;
        let mean = |k: usize| shares.iter().filter_map(|s| s.get(k)).sum::<f64>() / n;
        majors.push((
            format!("{} {}", major.no, major.name),
            [mean(0), mean(1), mean(2)],
        ));
    }
    if majors.is_empty() {
        let with_shares: Vec<String> = catalog
            .published
            .items
            .values()
            .filter(|f| f.shares.is_some())
            .map(|f| f.fiscal_year.to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        return Err(AppError::NotFound(format!(
            "{}の回答割合は公表値にありません（公表値があるのは {}）",
            year,
            with_shares.join("、")
        )));
    }
    Ok(ShareBars {
        year,
        scope: "全国".into(),
        levels: levels(catalog),
        majors,
        note: format!("{PUBLISHED_NOTE}。大分類ごとに小項目の回答割合を単純平均"),
    })
}
