use clap::Parser;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let cli = tenken::cli::Cli::parse();
    init_logging(cli.log_format);
    match tenken::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tenken: {}", e.chain());
            std::process::ExitCode::FAILURE
        }
    }
}

/// Logs on stderr: plain text (colours only on a terminal, never escape
/// codes in a file or the journal) or one JSON object per line for log
/// collectors (`--log-format json`).
fn init_logging(format: tenken::cli::LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        tenken::cli::LogFormat::Json => builder.json().init(),
        tenken::cli::LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
    }
}
