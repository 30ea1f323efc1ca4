//! The server under load: `tenken serve` started as a child process, so
//! that its peak memory (VmHWM) can be read at the end.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::config::Settings;
use crate::error::{AppError, AppResult};

/// A running `tenken serve`, killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub base: String,
    log: PathBuf,
}

/// A free port on loopback (bound and released; the server binds it next).
fn free_port() -> AppResult<u16> {
    let l =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| AppError::io("127.0.0.1:0", e))?;
    Ok(l.local_addr()
        .map_err(|e| AppError::io("127.0.0.1:0", e))?
        .port())
}

/// `exe` with the database options of `settings` (the owner's URL too).
pub fn command(exe: &Path, settings: &Settings) -> Command {
    let mut c = Command::new(exe);
    c.arg("--database-url").arg(&settings.database_url);
    if let Some(owner) = &settings.migrate_database_url {
        c.env("MIGRATE_DATABASE_URL", owner);
    }
    if let Some(dir) = &settings.checklists_dir {
        c.arg("--checklists-dir").arg(dir);
    }
    c
}

impl ServerProcess {
    /// Starts `exe serve --bind 127.0.0.1:PORT ARGS…` on the database of
    /// `settings` and waits until `/health` answers (at most 120 s).
    pub async fn start(exe: &Path, args: &[String], settings: &Settings) -> AppResult<Self> {
        let port = free_port()?;
        let log = std::env::temp_dir().join(format!(
            "tenken-bench-load-{}-{port}.log",
            std::process::id()
        ));
        let file =
            std::fs::File::create(&log).map_err(|e| AppError::io(log.display().to_string(), e))?;
        let child = command(exe, settings)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(file))
            .spawn()
            .map_err(|e| AppError::io(exe.display().to_string(), e))?;
        let mut server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        server.wait_healthy().await?;
        Ok(server)
    }

    async fn wait_healthy(&mut self) -> AppResult<()> {
        let http = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(120) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(AppError::internal(format!(
                    "負荷試験のサーバーが起動せずに終了しました（{status}）: {}",
                    self.log_tail()
                )));
            }
            let up = http
                .get(format!("{}/health", self.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if up {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(AppError::internal(format!(
            "負荷試験のサーバーが 120 秒以内に /health に応答しませんでした: {}",
            self.log_tail()
        )))
    }

    /// The last lines the server wrote on stderr.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines
            .get(lines.len().saturating_sub(10)..)
            .unwrap_or_default()
            .join("\n")
    }

    /// The server's peak resident memory so far (`VmHWM`, kB); `None`
    /// where /proc does not tell.
    pub fn peak_rss_kb(&self) -> Option<u64> {
        peak_rss_kb(self.child.id())
    }

    /// Stops the server (and removes its log).
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `VmHWM` of process `pid` in kB, from /proc/PID/status.
pub fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The load averages of the machine (/proc/loadavg: 1, 5, 15 minutes),
/// or "" where there is none.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_peak_rss_of_this_process_is_read() {
        let kb = super::peak_rss_kb(std::process::id());
        if cfg!(target_os = "linux") {
            assert!(kb.is_some_and(|k| k > 100), "{kb:?}");
        }
    }
}
