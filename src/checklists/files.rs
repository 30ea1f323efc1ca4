//! The shapes of the data files as written, with source spans kept so that
//! problems can name their line. `validate` turns these into the model.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleFile {
    pub source: String,
    pub score: Vec<Spanned<ScoreDef>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreDef {
    pub value: i64,
    pub label: String,
    pub definition: String,
    pub counts_in_average: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantFile {
    pub variant: String,
    pub name: String,
    pub title: String,
    pub first_year: i64,
    pub source: String,
    #[serde(default)]
    pub condition: Vec<Spanned<ConditionDef>>,
    #[serde(default)]
    pub category: Vec<Spanned<CategoryDef>>,
    #[serde(default)]
    pub goal: Vec<Spanned<GoalDef>>,
    #[serde(default)]
    pub item: Vec<Spanned<ItemDef>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionDef {
    pub key: String,
    pub question: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryDef {
    pub no: String,
    pub name: String,
    #[serde(default)]
    pub supplied: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalDef {
    pub no: i64,
    pub category: String,
    pub text: String,
    #[serde(default)]
    pub supplied: bool,
    #[serde(default)]
    pub applies_when: BTreeMap<String, bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDef {
    pub id: String,
    pub text: String,
    pub since: Option<i64>,
    pub until: Option<i64>,
    #[serde(default)]
    pub supplied: bool,
    #[serde(default)]
    pub revision: Vec<RevisionDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevisionDef {
    pub from: i64,
    pub text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrioritiesFile {
    pub source: String,
    #[serde(default)]
    pub year: Vec<Spanned<PriorityYearDef>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityYearDef {
    pub variant: String,
    pub fiscal_year: i64,
    pub items: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct PublishedItemRow {
    pub item: String,
    pub fiscal_year: i64,
    pub average: f64,
    pub share_3: Option<f64>,
    pub share_2: Option<f64>,
    pub share_1: Option<f64>,
    pub improvement: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub struct PublishedOverallRow {
    pub fiscal_year: i64,
    pub organisations: Option<i64>,
    pub overall_average: f64,
    pub source: String,
}
