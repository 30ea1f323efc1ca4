//! Benchmarks against a running server: `tenken bench load` (the national
//! table's own timings are `stats::bench`).

mod http;
pub mod load;
pub mod report;
mod server;
pub mod sheet;
