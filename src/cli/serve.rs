//! `tenken serve` and `tenken demo`: the web application.

use super::host_of;
use crate::checklists;
use crate::config::Settings;
use crate::domain::FiscalYear;
use crate::error::{AppError, AppResult};
use crate::{bootstrap, db, startup};

/// Serves the application on `bind` until stopped.
pub(super) async fn serve(
    mut settings: Settings,
    bind: &str,
    secure_cookies: bool,
    require_totp: bool,
    hash_workers: Option<usize>,
) -> AppResult<()> {
    settings.secure_cookies = secure_cookies;
    settings.require_totp = require_totp;
    if let Some(n) = hash_workers {
        settings.hash_pool_size = n;
    }
    let app = startup::Application::build(settings, bind)?;
    tracing::info!(bind = %bind, port = app.port(), "serving");
    println!(
        "tenken: http://{}:{}/ を開いてください",
        host_of(bind),
        app.port()
    );
    app.run_until_stopped()
        .await
        .map_err(|e| AppError::io("server", e))
}

pub(super) async fn demo(settings: Settings, bind: &str) -> AppResult<()> {
    let catalog = checklists::load_catalog(settings.checklists_dir.as_deref())?;
    let mut conn = db::establish(&db::DatabaseUrl::parse(&settings.database_url)?)?;
    bootstrap::prepare(&mut conn, &catalog)?;
    let summary = crate::demo::prepare(&mut conn, &catalog)?;
    drop(conn);
    let app = startup::Application::build(settings, bind)?;
    println!(
        "tenken demo: {} の点検を開始し、見本の回答を {} 件用意しました。",
        FiscalYear::new(crate::demo::DEMO_YEAR)?,
        summary.sheets_filled
    );
    println!("デモ用アカウント（デモ専用。本番で使わないでください）:");
    for (login, role, org) in &summary.accounts {
        println!("  {login:<14} {role:<10} {org}");
    }
    println!(
        "  パスワード（全アカウント共通）: {}",
        crate::demo::DEMO_PASSWORD
    );
    println!(
        "tenken: http://{}:{}/login を開いてください",
        host_of(bind),
        app.port()
    );
    app.run_until_stopped()
        .await
        .map_err(|e| AppError::io("server", e))
}
