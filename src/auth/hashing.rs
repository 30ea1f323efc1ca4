//! The bounded pool every password hash of a web request runs through.
//!
//! An argon2id hash takes ~19 MiB of memory and a core for tens of
//! milliseconds; without a bound, 64 concurrent logins took the server from
//! 26 MB to 1.1 GB. At most `size` hashes (default: the number of cores) run
//! at once; a request that finds them all busy waits up to `wait` for a turn
//! and is then answered 503 with a Japanese message (`AppError::Busy`) rather
//! than queued without limit.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, Semaphore};

use crate::error::{AppError, AppResult};

/// What a login beyond the pool's patience is told.
pub const BUSY: &str =
    "ただいまログインが集中しています。しばらく待ってから、もう一度お試しください。";

type Job = Box<dyn FnOnce() + Send + 'static>;

/// `size` threads of its own run the hashes: argon2's 19 MiB buffers are
/// then reused by the same few threads (and their allocator arenas) instead
/// of being spread over the many threads of the general blocking pool, each
/// of which would keep its own freed buffers (measured: 64 logins through
/// `web::block` kept ~300 MB even with two at a time).
pub struct HashPool {
    permits: Arc<Semaphore>,
    size: usize,
    wait: Duration,
    jobs: Mutex<mpsc::Sender<Job>>,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl HashPool {
    /// A pool of `size` (at least 1) hashing threads; requests wait at most
    /// `wait` for a turn.
    pub fn new(size: usize, wait: Duration) -> Self {
        let size = size.max(1);
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..size {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{i}"))
                .spawn(move || loop {
                    // The lock is held only while taking the next job; the
                    // pool's end (its sender dropped) ends the thread.
                    let job = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!("password hashing thread not started: {e}");
            }
        }
        Self {
            permits: Arc::new(Semaphore::new(size)),
            size,
            wait,
            jobs: Mutex::new(tx),
            running: Arc::new(AtomicUsize::new(0)),
            peak: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// One per core, as `std::thread::available_parallelism` reports.
    pub fn default_size() -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// The most hashes that ever ran at once in this pool.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// Runs the CPU- and memory-heavy `f` on a hashing thread once a turn is
    /// free. The turn is held by the job itself, so a client that goes away
    /// does not free it before the hash is done.
    pub async fn run<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit =
            match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
                Ok(Ok(p)) => p,
                Ok(Err(_)) => return Err(AppError::internal("hashing pool closed")),
                Err(_) => {
                    tracing::warn!(size = self.size, "password hashing pool busy: 503");
                    return Err(AppError::Busy(BUSY.into()));
                }
            };
        let running = self.running.clone();
        let peak = self.peak.clone();
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let out = f();
            running.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
            // The requester may be gone; its answer is then dropped.
            let _ = tx.send(out);
        });
        self.jobs
            .lock()
            .map_err(|_| AppError::internal("hashing pool poisoned"))?
            .send(job)
            .map_err(|_| AppError::internal("hashing threads stopped"))?;
        rx.await
            .map_err(|_| AppError::internal("password hashing job failed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn never_more_than_size_at_once_and_busy_after_the_wait() {
        let pool = Arc::new(HashPool::new(2, Duration::from_secs(30)));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let pool = pool.clone();
            tasks.push(actix_web::rt::spawn(async move {
                pool.run(|| std::thread::sleep(Duration::from_millis(20)))
                    .await
            }));
        }
        for t in tasks {
            assert!(matches!(t.await, Ok(Ok(()))));
        }
        assert_eq!(pool.peak(), 2);

        let strict = Arc::new(HashPool::new(1, Duration::ZERO));
        let held = {
            let strict = strict.clone();
            actix_web::rt::spawn(async move {
                strict
                    .run(|| std::thread::sleep(Duration::from_millis(300)))
                    .await
            })
        };
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        match strict.run(|| ()).await {
            Err(AppError::Busy(m)) => assert_eq!(m, BUSY),
            other => panic!("expected Busy, got {other:?}"),
        }
        assert!(matches!(held.await, Ok(Ok(()))));
        assert_eq!(strict.peak(), 1);
    }
}
