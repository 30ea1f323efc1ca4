//! tenken (点検): the yearly security self-check of the resident registry
//! network (住基ネット), for municipalities, prefectures, national agencies
//! and the ministry.

// Tests may unwrap and index; the code they test may not (Cargo.toml's lints).
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod auth;
pub mod backup;
pub mod bench;
pub mod bootstrap;
pub mod charts;
pub mod checklists;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod excel;
pub mod mail;
pub mod render;
pub mod roster;
pub mod routes;
pub mod startup;
pub mod state;
pub mod stats;
pub mod store;
pub mod workflow;
