//! One error type for the whole application.
//!
//! Policy:
//! - Handlers and commands return `Result<_, AppError>`; `?` converts the
//!   causes below. The cause chain is kept (`#[source]`) and logged once, at
//!   the edge (the HTTP response or the CLI exit), never swallowed.
//!   `Internal` says what was being done (`AppError::internal_from(context,
//!   cause)`) and keeps the cause as its source instead of flattening it
//!   into the message.
//! - A variant decides the HTTP status. Only `BadRequest`, `NotFound`,
//!   `Forbidden`, `Conflict` and `Invalid` show their message to the user:
//!   they are written for users, in Japanese. Database and internal errors
//!   show a generic page; their detail goes to the log, not to the browser.
//! - No `unwrap()` on anything a user or a file controls: such input is
//!   parsed into domain types that return these errors.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    /// Several problems found while checking one input (a file, a form).
    #[error("入力に {} 件の問題があります:\n{}", .0.len(), .0.join("\n"))]
    Invalid(Vec<String>),
    #[error("{0}")]
    NotFound(String),
    #[error("この操作の権限がありません")]
    Forbidden,
    #[error("ログインが必要です")]
    Unauthorized,
    #[error("{0}")]
    Conflict(String),
    #[error("database error")]
    Database(#[from] diesel::result::Error),
    #[error("database connection error")]
    Connection(#[from] diesel::ConnectionError),
    #[error("database pool error")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("migration error: {0}")]
    Migration(String),
    #[error("template error")]
    Template(#[from] tera::Error),
    #[error("I/O error on {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A fault of the server: `context` says what was being done, `source`
    /// keeps the cause (logged with its whole chain, never shown).
    #[error("{context}")]
    Internal {
        context: String,
        #[source]
        source: Option<BoxError>,
    },
    /// A bounded resource (the password-hashing pool) stayed busy for longer
    /// than a request may wait: 503 with this message and `Retry-After`.
    #[error("{0}")]
    Busy(String),
}

impl AppError {
    /// An internal error without a further cause (an invariant broke).
    pub fn internal(context: impl Into<String>) -> Self {
        Self::Internal {
            context: context.into(),
            source: None,
        }
    }

    /// An internal error caused by `source`, which is kept for the log.
    pub fn internal_from(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Internal {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    pub fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// The message and its causes, one per line: for logs and the CLI.
    pub fn chain(&self) -> String {
        let mut out = self.to_string();
        let mut cur: Option<&dyn std::error::Error> = std::error::Error::source(self);
        while let Some(e) = cur {
            out.push_str("\n  caused by: ");
            out.push_str(&e.to_string());
            cur = e.source();
        }
        out
    }

    /// Whether a database error is a constraint violation (unique, check,
    /// foreign key): the input was wrong, not the server.
    pub fn is_constraint_violation(&self) -> bool {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        matches!(
            self,
            AppError::Database(E::DatabaseError(
                K::UniqueViolation
                    | K::CheckViolation
                    | K::ForeignKeyViolation
                    | K::NotNullViolation,
                _
            ))
        )
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) | AppError::Invalid(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let AppError::Busy(message) = self {
            return HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .insert_header((actix_web::http::header::RETRY_AFTER, "5"))
                .body(busy_page(message));
        }
        let shown = if status.is_server_error() {
            tracing::error!(error = %self.chain(), "request failed");
            "サーバ内部でエラーが発生しました。時間をおいて再度お試しください。".to_string()
        } else {
            self.to_string()
        };
        HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(shown)
    }
}

/// A minimal page for a 503: the layout needs a request's session, which
/// an overloaded server does not look up.
fn busy_page(message: &str) -> String {
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">\
         <title>混み合っています</title></head><body><h1>混み合っています</h1>\
         <p class=\"busy\">{escaped}</p></body></html>\n"
    )
}

pub type AppResult<T> = Result<T, AppError>;

/// The cause an internal error keeps.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

macro_rules! user_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for AppError {
            fn from(e: $t) -> Self {
                AppError::BadRequest(e.to_string())
            }
        }
    )*};
}
user_errors!(
    crate::domain::fiscal_year::FiscalYearError,
    crate::domain::org_code::OrgCodeError,
    crate::domain::score::ScoreError
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_keeps_its_source_chain() {
        let io = std::io::Error::other("disk full");
        let e = AppError::internal_from("writing the plans workbook", io);
        assert_eq!(e.to_string(), "writing the plans workbook");
        let source = std::error::Error::source(&e).expect("a source");
        assert_eq!(source.to_string(), "disk full");
        assert!(source.downcast_ref::<std::io::Error>().is_some());
        assert_eq!(
            e.chain(),
            "writing the plans workbook\n  caused by: disk full"
        );
        assert_eq!(e.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        let plain = AppError::internal("round vanished");
        assert!(std::error::Error::source(&plain).is_none());
        assert_eq!(plain.chain(), "round vanished");
    }
}
