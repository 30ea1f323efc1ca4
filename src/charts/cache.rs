//! Rendered charts kept in memory, keyed by their ETag: the ETag is a digest
//! of the chart's data, so an entry is never stale; when the data changes
//! the key changes and the chart is drawn anew.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::{etag, render, ChartSpec, Format};
use crate::error::AppResult;

/// Entries kept; the whole cache is dropped when it is full (charts are
/// cheap to redraw, and old data is not asked for again).
const CAPACITY: usize = 64;

type Entries = HashMap<String, Arc<Vec<u8>>>;

fn entries() -> &'static Mutex<Entries> {
    static CACHE: OnceLock<Mutex<Entries>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The ETag of `spec` drawn as `format`.
pub fn key(spec: &ChartSpec, format: Format) -> AppResult<String> {
    etag(spec, format)
}

/// The chart's bytes, drawn only if not drawn before for the same data.
pub fn get_or_render(spec: &ChartSpec, format: Format, key: &str) -> AppResult<Arc<Vec<u8>>> {
    if let Some(hit) = lock().get(key) {
        return Ok(Arc::clone(hit));
    }
    let bytes = Arc::new(render(spec, format)?);
    let mut map = lock();
    if map.len() >= CAPACITY {
        map.clear();
    }
    map.insert(key.to_string(), Arc::clone(&bytes));
    Ok(bytes)
}

fn lock() -> std::sync::MutexGuard<'static, Entries> {
    // A panic while holding the lock leaves a map that is still valid.
    entries()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
