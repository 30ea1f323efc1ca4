//! Building and running the web application. `Application::build` binds the
//! listener first, so tests can ask for port 0 and learn the real port.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};

use crate::checklists::{self, Catalog};
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::routes;
use crate::state::AppState;

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
}

impl Application {
    pub fn build(settings: Settings, bind: &str) -> AppResult<Self> {
        let catalog = Arc::new(checklists::load_catalog(
            settings.checklists_dir.as_deref(),
        )?);
        let state = prepare_state(settings, catalog)?;
        let listener = TcpListener::bind(bind).map_err(|e| AppError::io(bind, e))?;
        let port = listener
            .local_addr()
            .map_err(|e| AppError::io(bind, e))?
            .port();
        let server = run(listener, state.clone())?;
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Opens the pool, migrates and loads reference data, builds the templates.
pub fn prepare_state(settings: Settings, catalog: Arc<Catalog>) -> AppResult<AppState> {
    // Two roles: the owner migrates and grants; the pool is the
    // application role's, which cannot change the schema nor the log.
    let as_owner = crate::bootstrap::prepare_as_owner(&settings, &catalog)?;
    let pool = crate::db::pool(&settings.database_url, settings.pool_size)?;
    if !as_owner {
        let mut conn = pool.get()?;
        crate::bootstrap::prepare(&mut conn, &catalog)?;
    }
    let templates = Arc::new(crate::render::Templates::load()?);
    let hashing = Arc::new(crate::auth::hashing::HashPool::new(
        settings.hash_pool_size,
        settings.hash_wait,
    ));
    Ok(AppState {
        pool,
        catalog,
        templates,
        settings: Arc::new(settings),
        stats: Arc::new(crate::stats::Cache::new()),
        hashing,
    })
}

fn run(listener: TcpListener, state: AppState) -> AppResult<Server> {
    let data = web::Data::new(state);
    spawn_daily_notices(data.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .wrap(middleware::from_fn(crate::auth::session::layer))
            .wrap(middleware::from_fn(routes::api_problems))
            .wrap(middleware::from_fn(routes::errors::layer))
            .wrap(routes::security_headers())
            .wrap(middleware::Logger::new("%a \"%r\" %s %Dms"))
            .configure(routes::configure)
    })
    .listen(listener)
    .map_err(|e| AppError::io("listener", e))?
    .run();
    Ok(server)
}

/// The server's daily run of notices (`store::notices::daily`): five minutes
/// after start and then every hour, on a thread of its own; a notice already made is never
/// made again, so this and `tenken notify` may both run.
fn spawn_daily_notices(data: web::Data<AppState>) {
    const FIRST_NOTICE_RUN: std::time::Duration = std::time::Duration::from_secs(300);
    let pool = data.pool.clone();
    let mail = data.settings.mail.clone();
    let spawned = std::thread::Builder::new()
        .name("daily-notices".into())
        .spawn(move || loop {
            // First run a few minutes after start, then hourly: a start
            // (migrations, the demo's data, a restore) has the database
            // to itself, and SQLite writers do not meet this one there.
            std::thread::sleep(FIRST_NOTICE_RUN);
            let today = chrono::Local::now().date_naive();
            let run = pool
                .get()
                .map_err(crate::error::AppError::from)
                .and_then(|mut conn| crate::store::notices::daily(&mut conn, today));
            match run {
                Ok(0) => {}
                Ok(n) => tracing::info!("daily notices: {n} created"),
                Err(e) => tracing::warn!("daily notices: {e}"),
            }
            if let Some(mail) = &mail {
                let sent = pool
                    .get()
                    .map_err(crate::error::AppError::from)
                    .and_then(|mut conn| crate::mail::send_pending(&mut conn, mail));
                match sent {
                    Ok(0) => {}
                    Ok(n) => tracing::info!("notice mails: {n} sent"),
                    Err(e) => tracing::warn!("notice mails: {e}"),
                }
            }
            std::thread::sleep(
                std::time::Duration::from_secs(3600).saturating_sub(FIRST_NOTICE_RUN),
            );
        });
    if let Err(e) = spawned {
        tracing::warn!("daily notices not started: {e}");
    }
}
