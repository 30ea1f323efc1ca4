//! Security round 2 (issue 11): the holes found under attack, each pinned by
//! a test that failed before its fix.
//!
//! By topic: `next.rs` the `next` redirect, `lockout.rs` the login lockout
//! and the login page, `accounts.rs` login ids, password history and who
//! changes ministry accounts, `oplog.rs` the operation log that cannot be
//! changed, `limits.rs` the workbook limits counted as they are.

mod accounts;
mod limits;
mod lockout;
mod next;
mod oplog;

use tenken::auth::Role;

use crate::helpers::{spawn_app, with_conn};
use crate::wf_support::{add_user, input_value, pairs, Browser, PASSWORD};
