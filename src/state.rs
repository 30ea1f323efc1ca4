//! What every request handler shares: the pool, the checklists and the
//! templates. Built once in `startup` and handed to actix as app data.

use std::sync::Arc;

use crate::checklists::Catalog;
use crate::config::Settings;
use crate::db::Pool;
use crate::error::{AppError, AppResult};
use crate::render::Templates;

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub catalog: Arc<Catalog>,
    pub templates: Arc<Templates>,
    pub settings: Arc<Settings>,
    /// Computed statistics, checked against the database on every use.
    pub stats: Arc<crate::stats::Cache>,
    /// The bounded pool password hashes of requests run through.
    pub hashing: Arc<crate::auth::hashing::HashPool>,
}

impl AppState {
    /// Runs blocking database work off the async executor.
    pub async fn db<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut crate::db::DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| AppError::internal_from("blocking task failed", e))?
    }
}
