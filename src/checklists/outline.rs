//! The checklist of one variant and fiscal year laid out as its hierarchy
//! (大分類 → 中分類 → 小分類 → 管理目標 → 小項目) with the year's texts and
//! priority marks: one structure behind `tenken checklist show`, the web page
//! and the JSON.

use std::fmt::Write;

use serde::Serialize;

use super::{Catalog, Variant};
use crate::domain::FiscalYear;

#[derive(Debug, Serialize)]
pub struct Outline {
    pub variant: Variant,
    pub name: String,
    pub title: String,
    pub fiscal_year: i32,
    pub fiscal_year_label: String,
    pub version: String,
    pub goal_count: usize,
    pub item_count: usize,
    pub priority_items: Vec<String>,
    pub majors: Vec<Node>,
}

#[derive(Debug, Serialize)]
pub struct Node {
    pub no: String,
    pub name: String,
    pub supplied: bool,
    pub children: Vec<Node>,
    pub goals: Vec<GoalView>,
}

#[derive(Debug, Serialize)]
pub struct GoalView {
    pub no: u32,
    pub text: String,
    pub supplied: bool,
    /// e.g. "重要機能室がある場合" for conditional goals.
    pub condition: Option<String>,
    pub items: Vec<ItemView>,
}

#[derive(Debug, Serialize)]
pub struct ItemView {
    pub code: String,
    pub text: String,
    pub supplied: bool,
    /// Whether the item is a priority item of this very year.
    pub priority_now: bool,
    /// Every year up to this one in which it was a priority item.
    pub priority_years: Vec<i32>,
    /// 【平成19年度重要点検項目】, the latest such year.
    pub priority_tag: Option<String>,
}

pub fn build(catalog: &Catalog, variant: Variant, fy: FiscalYear) -> Outline {
    let list = catalog.checklist(variant);
    let prio = &catalog.priorities;
    let this_year = prio.of_year(variant, fy);
    let goal_view = |g: &super::Goal| GoalView {
        no: g.no,
        text: g.text.clone(),
        supplied: g.supplied,
        condition: condition_text(list, g),
        items: list
            .items_of_goal(g.no, fy)
            .map(|i| ItemView {
                code: i.code.clone(),
                text: i.text_in(fy).to_string(),
                supplied: i.supplied,
                priority_now: this_year.contains(&i.code),
                priority_years: prio
                    .years_of(variant, &i.code, fy)
                    .iter()
                    .map(|y| y.year())
                    .collect(),
                priority_tag: prio.tag(variant, &i.code, fy),
            })
            .collect(),
    };
    let goals_in: Vec<&super::Goal> = list.goals_in(fy).collect();
    let node = |c: &super::Category, children: Vec<Node>, goals: Vec<GoalView>| Node {
        no: c.no.clone(),
        name: c.name.clone(),
        supplied: c.supplied,
        children,
        goals,
    };
    let child_of =
        |parent: &str, c: &super::Category| c.no.rsplit_once('.').is_some_and(|(p, _)| p == parent);
    let mut majors = Vec::new();
    for major in list.majors() {
        let mut middles = Vec::new();
        for middle in list.categories.iter().filter(|c| child_of(&major.no, c)) {
            let mut minors = Vec::new();
            for minor in list.categories.iter().filter(|c| child_of(&middle.no, c)) {
                let goals: Vec<GoalView> = goals_in
                    .iter()
                    .filter(|g| g.category == minor.no)
                    .map(|g| goal_view(g))
                    .collect();
                if !goals.is_empty() {
                    minors.push(node(minor, Vec::new(), goals));
                }
            }
            if !minors.is_empty() {
                middles.push(node(middle, minors, Vec::new()));
            }
        }
        if !middles.is_empty() {
            majors.push(node(major, middles, Vec::new()));
        }
    }
    Outline {
        variant,
        name: list.name.clone(),
        title: list.title.clone(),
        fiscal_year: fy.year(),
        fiscal_year_label: fy.to_string(),
        version: list.version_label(),
        goal_count: goals_in.len(),
        item_count: list.items_in(fy).count(),
        priority_items: this_year.to_vec(),
        majors,
    }
}

/// 「重要機能室がありますか」がはいの場合, for a conditional goal.
pub fn condition_text(list: &super::Checklist, g: &super::Goal) -> Option<String> {
    let parts: Vec<String> = g
        .applies_when
        .iter()
        .map(|(key, want)| {
            let q = list
                .conditions
                .iter()
                .find(|c| &c.key == key)
                .map_or(key.as_str(), |c| c.question.as_str());
            format!("「{q}」が{}の場合", if *want { "はい" } else { "いいえ" })
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("、"))
}

impl Outline {
    /// Plain text for the terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{} {}", self.title, self.name);
        let _ = writeln!(out, "{}  版: {}", self.fiscal_year_label, self.version);
        let _ = writeln!(
            out,
            "管理目標 {} / 小項目 {}  (★ = この年度の重要点検項目)",
            self.goal_count, self.item_count
        );
        for major in &self.majors {
            let _ = writeln!(
                out,
                "\n{} {}{}",
                major.no,
                major.name,
                supplied(major.supplied)
            );
            for middle in &major.children {
                let _ = writeln!(
                    out,
                    "  {} {}{}",
                    middle.no,
                    middle.name,
                    supplied(middle.supplied)
                );
                for minor in &middle.children {
                    let _ = writeln!(
                        out,
                        "    {} {}{}",
                        minor.no,
                        minor.name,
                        supplied(minor.supplied)
                    );
                    for g in &minor.goals {
                        let cond = g
                            .condition
                            .as_deref()
                            .map(|c| format!(" [{c}]"))
                            .unwrap_or_default();
                        let _ = writeln!(
                            out,
                            "      {:>2}. {}{}{}",
                            g.no,
                            g.text,
                            cond,
                            supplied(g.supplied)
                        );
                        for i in &g.items {
                            let mark = if i.priority_now { "★" } else { " " };
                            let tag = i.priority_tag.as_deref().unwrap_or("");
                            let _ = writeln!(out, "        {mark}{:<5} {}{}", i.code, i.text, tag);
                        }
                    }
                }
            }
        }
        out
    }
}

fn supplied(flag: bool) -> &'static str {
    if flag {
        " （補記）"
    } else {
        ""
    }
}
