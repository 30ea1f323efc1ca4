//! One integration-test binary. Each test gets its own database: a temporary
//! SQLite file, or on the PostgreSQL server named by `TEST_DATABASE_URL`
//! when that is set a clone of a template database, dropped with the test's
//! app (`test_database.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod access_matrix;
mod accounts;
mod api_contract;
mod backup;
mod board;
mod bounded_memory;
mod bulk_import;
mod carry;
mod charts;
mod checklists;
mod confirmations;
mod database;
mod excel;
mod excel_fuzz;
mod excel_web;
mod follow_up;
mod form_errors;
mod official_figures;
mod open_data;
mod season_scale;
// Helpers serve every test module; not each one uses all of them.
#[allow(dead_code)]
mod helpers;
mod lifecycle;
mod load_bench;
mod logs;
mod na_reasons;
mod notices;
mod notices_mail;
mod oplog_chain;
mod pages;
mod plan_follow;
mod schema_sync;
mod second_factor;
mod security;
mod sheet_rules;
mod stats;
mod stats_access;
mod summary_xlsx;
// One database per test, cloned from a template on PostgreSQL.
#[allow(dead_code)]
mod test_database;
mod ux;
#[allow(dead_code)]
mod wf_support;
mod workflow_walk;
// Workbook helpers for the excel tests.
#[allow(dead_code)]
mod xlsx;
