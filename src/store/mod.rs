//! Database queries, one module per group of tables. Everything goes through
//! diesel's query builder with bound parameters; functions take the
//! connection so that callers choose the transaction.

pub mod answer_load;
pub mod answers;
pub mod carried;
pub mod chain;
pub mod checklists;
pub mod generations;
pub mod load_bench;
pub mod notices;
pub mod oplog;
pub mod organisations;
pub mod plan_follow;
pub mod plans;
pub mod rounds;
pub mod second_factor;
pub mod sessions;
pub mod snapshots;
pub mod submissions;
pub mod users;
