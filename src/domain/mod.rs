//! Pure rules of the self-check, free of I/O: fiscal years, organisation
//! codes and the answer scale. Input is parsed into these types once, at the
//! edge (CLI, forms, files); the rest of the code can rely on them.

pub mod fiscal_year;
pub mod form_problem;
pub mod org_code;
pub mod plan_result;
pub mod score;
pub mod sheet;

pub use fiscal_year::FiscalYear;
pub use form_problem::FieldProblem;
pub use org_code::{LgCode, OrgCode};
pub use plan_result::{PlanResult, PlanTally};
pub use score::Score;
