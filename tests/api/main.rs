//! One integration-test binary. Each test gets its own database: a temporary
//! SQLite file, or a fresh PostgreSQL database on the server named by
//! `TEST_DATABASE_URL` when that is set.

mod charts;
mod checklists;
mod database;
mod excel;
mod excel_fuzz;
// Helpers serve every test module; not each one uses all of them.
#[allow(dead_code)]
mod helpers;
mod pages;
// Workbook helpers for the excel tests.
mod stats;
mod summary_xlsx;
#[allow(dead_code)]
mod xlsx;
