//! The engine's own rayon pool, one per process.
//!
//! rayon's threads, like librdkafka's in the incident that started this
//! project, do not survive `fork(2)`: in the child the pool's registry still
//! says "N threads are waiting for work" but none exist, so the first job
//! submitted there waits forever (rayon-rs/rayon#708). The remedy is the one
//! applied to the Kafka client: the pool is keyed by the pid that built it and
//! is rebuilt, lazily, when used from another process.
//!
//! Pools are built on first use, sized by the call's `threads`, else
//! `CONCLUDE_THREADS`, else the cores available to this process. A call that
//! asks for a size that differs from the default gets (and caches) a pool of
//! that size, so `threads: 1` and `threads: 2` can be compared in one process.

use std::sync::{Arc, Mutex, MutexGuard};

pub use rayon::ThreadPool;
use rayon::ThreadPoolBuilder;

use crate::error::Error;
use crate::options::MAX_THREADS;

/// Environment variable that sizes the default pool.
pub const THREADS_ENV: &str = "CONCLUDE_THREADS";

struct Pools {
    /// The process that built the pools below.
    pid: u32,
    /// `(threads, pool)` pairs; small (one entry in practice).
    pools: Vec<(usize, Arc<ThreadPool>)>,
    /// How many pools this process has built (a rebuild after fork counts).
    built: u64,
}

static POOLS: Mutex<Option<Pools>> = Mutex::new(None);

/// What `poolInfo()` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolInfo {
    /// This process.
    pub pid: u32,
    /// Threads of the default pool (built or, if not yet, the size it will have).
    pub threads: usize,
    /// Whether a pool exists in this process yet.
    pub built: bool,
    /// Pools built by this process so far.
    pub builds: u64,
}

fn lock() -> MutexGuard<'static, Option<Pools>> {
    // A panic while holding this lock cannot leave the map inconsistent (every
    // mutation is a single push or replace), so a poisoned lock is still usable.
    POOLS.lock().unwrap_or_else(|p| p.into_inner())
}

/// The default size: `CONCLUDE_THREADS` if set to a valid count, else the
/// cores available to this process (cgroup and affinity aware).
pub fn default_threads() -> Result<usize, Error> {
    match std::env::var(THREADS_ENV) {
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
            _ => Err(Error::options(format!("{THREADS_ENV} must be an integer in 1..={MAX_THREADS}, got {v:?}"))),
        },
        Err(_) => Ok(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)),
    }
}

/// The pool of `threads` threads (default size when `None`) for this process,
/// built now if this process has none of that size yet.
pub fn get(threads: Option<usize>) -> Result<Arc<ThreadPool>, Error> {
    let threads = match threads {
        Some(n) => n,
        None => default_threads()?,
    };
    let pid = std::process::id();
    let mut guard = lock();
    if guard.as_ref().is_some_and(|p| p.pid != pid) {
        // Forked: the pools' threads belong to the parent. Dropping them here
        // would signal threads that do not exist, so they are leaked on purpose.
        if let Some(stale) = guard.take() {
            std::mem::forget(stale.pools);
        }
    }
    let state = guard.get_or_insert_with(|| Pools { pid, pools: Vec::new(), built: 0 });
    if let Some((_, pool)) = state.pools.iter().find(|(n, _)| *n == threads) {
        return Ok(Arc::clone(pool));
    }
    let pool = ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("conclude-{i}"))
        .build()
        .map_err(|e| Error::internal(format!("cannot start {threads} engine threads: {e}")))?;
    let pool = Arc::new(pool);
    state.pools.push((threads, Arc::clone(&pool)));
    state.built += 1;
    Ok(pool)
}

/// Pid and size of this process's default pool.
pub fn info() -> Result<PoolInfo, Error> {
    let threads = default_threads()?;
    let pid = std::process::id();
    let guard = lock();
    let (built, builds) = match guard.as_ref() {
        Some(p) if p.pid == pid => (p.pools.iter().any(|(n, _)| *n == threads), p.built),
        _ => (false, 0),
    };
    Ok(PoolInfo { pid, threads, built, builds })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_are_cached_per_size() {
        let a = get(Some(2)).unwrap();
        let b = get(Some(2)).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(a.current_num_threads(), 2);
        let c = get(Some(1)).unwrap();
        assert_eq!(c.current_num_threads(), 1);
        assert_eq!(c.install(rayon::current_num_threads), 1);
    }
}
