//! The routes of accounts and the self-check workflow. Every protected
//! handler takes a [`CurrentUser`](crate::auth::CurrentUser) and asks
//! `auth::policy` before reading or changing anything; the session middleware
//! has already refused state-changing requests without their CSRF token.
//! The routes themselves are registered in the one table of `routes`.

pub(super) mod account;
pub(super) mod accounts;
pub(super) mod answers;
pub(super) mod common;
pub(super) mod confirm;
pub(super) mod excel;
pub(super) mod history;
pub(super) mod home;
pub(super) mod ministry;
pub(super) mod oplog;
pub(super) mod review;
pub(super) mod second_factor;
pub(super) mod signin;
