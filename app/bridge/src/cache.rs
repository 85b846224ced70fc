//! [`VerdictCache`]: the side check, run ahead of the vote.
//!
//! `ExtendVote` must answer within its time budget (800 ms), but a root-chain check takes
//! several RPC round trips and the RPC may be slow or down. So the check runs in the
//! background: [`VerdictCache::request`] starts it (once per key) on the runtime the cache
//! holds, and [`VerdictCache::verdict`] reads the outcome without waiting; until there is
//! one, the validator votes UNKNOWN.
//!
//! - Every check has a time limit ([`CacheConfig::job_timeout`]); one that runs over is
//!   cancelled and its verdict is [`Verdict::Unknown`]. A check that panics is Unknown too.
//! - Confirmed and No verdicts are final. An Unknown verdict may be retried: a `request` for
//!   the key at least [`CacheConfig::retry_unknown_after`] after it was reached starts a new
//!   check (the old verdict is served meanwhile).
//! - Memory is bounded: past [`CacheConfig::capacity`] keys, the oldest is forgotten (a
//!   running check's result is then dropped).
//! - [`VerdictCache::verdict`] takes a mutex held only for map lookups and inserts, never
//!   across an await or an RPC, so it does not wait on any check.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::time::Instant;

use crate::verify::Verdict;

/// Limits of a [`VerdictCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// Most keys remembered; the oldest is forgotten beyond it.
    pub capacity: usize,
    /// Time limit of one check.
    pub job_timeout: Duration,
    /// How long an Unknown verdict stands before a new `request` may retry the check.
    pub retry_unknown_after: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            capacity: 10_000,
            job_timeout: Duration::from_secs(30),
            retry_unknown_after: Duration::from_secs(5),
        }
    }
}

enum State {
    Running,
    Done { verdict: Verdict, at: Instant },
}

struct Entry {
    /// Which `request` created this entry (a finished check stores its verdict only if the
    /// entry is still the one it was started for).
    generation: u64,
    state: State,
    /// The last verdict, served while a retry runs.
    previous: Option<Verdict>,
}

#[derive(Default)]
struct Inner {
    entries: BTreeMap<[u8; 32], Entry>,
    /// Keys by insertion, with the generation they were inserted with (stale pairs are
    /// skipped on eviction).
    order: VecDeque<([u8; 32], u64)>,
    next_generation: u64,
}

impl Inner {
    fn evict(&mut self, capacity: usize) {
        while self.entries.len() > capacity {
            let Some((key, generation)) = self.order.pop_front() else {
                break;
            };
            if self
                .entries
                .get(&key)
                .is_some_and(|e| e.generation == generation)
            {
                self.entries.remove(&key);
            }
        }
        // Retries leave stale pairs behind: rebuild the order when they pile up.
        let limit = capacity.saturating_mul(2).saturating_add(16);
        if self.order.len() > limit {
            let mut live: Vec<([u8; 32], u64)> = self
                .entries
                .iter()
                .map(|(k, e)| (*k, e.generation))
                .collect();
            live.sort_by_key(|(_, g)| *g);
            self.order = live.into();
        }
    }
}

/// Verdicts of background side checks, by key (e.g. the side transaction's hash).
#[derive(Clone)]
pub struct VerdictCache {
    handle: Handle,
    config: CacheConfig,
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for VerdictCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerdictCache")
            .field("config", &self.config)
            .field("len", &self.len())
            .finish()
    }
}

impl VerdictCache {
    /// A cache running its checks on `handle`'s runtime. A capacity of 0 counts as 1.
    pub fn new(handle: Handle, config: CacheConfig) -> Self {
        Self {
            handle,
            config: CacheConfig {
                capacity: config.capacity.max(1),
                ..config
            },
            inner: Arc::new(Mutex::new(Inner::default())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent maps (every update is one insert or
        // remove), so a poisoned lock is used as is.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts `job` for `key` unless a check for it is running or has decided (Confirmed or
    /// No), or its Unknown verdict is younger than [`CacheConfig::retry_unknown_after`]. Returns
    /// whether `job` was started (otherwise it is dropped unpolled). Never waits.
    pub fn request<F>(&self, key: [u8; 32], job: F) -> bool
    where
        F: Future<Output = Verdict> + Send + 'static,
    {
        let mut inner = self.lock();
        let previous = match inner.entries.get(&key) {
            None => None,
            Some(Entry {
                state: State::Running,
                ..
            }) => return false,
            Some(Entry {
                state: State::Done { verdict, at },
                ..
            }) => {
                if !verdict.is_unknown() || at.elapsed() < self.config.retry_unknown_after {
                    return false;
                }
                Some(verdict.clone())
            }
        };
        let generation = inner.next_generation;
        inner.next_generation = generation.wrapping_add(1);
        inner.entries.insert(
            key,
            Entry {
                generation,
                state: State::Running,
                previous,
            },
        );
        inner.order.push_back((key, generation));
        inner.evict(self.config.capacity);
        drop(inner);

        let cache = Arc::clone(&self.inner);
        let limit = self.config.job_timeout;
        self.handle.spawn(async move {
            let task = tokio::spawn(job);
            let abort = task.abort_handle();
            let verdict = match tokio::time::timeout(limit, task).await {
                Ok(Ok(v)) => v,
                Ok(Err(e)) => Verdict::Unknown(format!("the check failed: {e}")),
                Err(_) => {
                    abort.abort();
                    Verdict::Unknown(format!("the check took longer than {limit:?}"))
                }
            };
            let mut inner = cache.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = inner.entries.get_mut(&key) {
                if entry.generation == generation {
                    entry.state = State::Done {
                        verdict,
                        at: Instant::now(),
                    };
                    entry.previous = None;
                }
            }
        });
        true
    }

    /// The verdict for `key`: `None` while its first check runs or if it was never requested
    /// (or forgotten). While a retry runs, the previous Unknown verdict. Never waits on a
    /// check.
    pub fn verdict(&self, key: &[u8; 32]) -> Option<Verdict> {
        let inner = self.lock();
        let entry = inner.entries.get(key)?;
        match &entry.state {
            State::Done { verdict, .. } => Some(verdict.clone()),
            State::Running => entry.previous.clone(),
        }
    }

    /// The vote for `key`: the verdict's, or UNKNOWN while there is none.
    pub fn vote(&self, key: &[u8; 32]) -> delivery_module::Vote {
        self.verdict(key)
            .map_or(delivery_module::Vote::Unknown, |v| v.vote())
    }

    /// Forgets `key` (e.g. once its side transaction was resolved). A running check's result
    /// is dropped.
    pub fn forget(&self, key: &[u8; 32]) {
        self.lock().entries.remove(key);
    }

    /// Keys remembered.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn cache(config: CacheConfig) -> VerdictCache {
        VerdictCache::new(Handle::current(), config)
    }

    async fn settle(c: &VerdictCache, key: &[u8; 32]) -> Verdict {
        for _ in 0..500 {
            if let Some(v) = c.verdict(key) {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("no verdict");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn verdict_never_waits_for_a_running_check() {
        let c = cache(CacheConfig::default());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        assert!(c.request([1; 32], async move {
            let _ = rx.await;
            Verdict::No("late".into())
        }));
        let start = Instant::now();
        for _ in 0..1000 {
            assert_eq!(c.verdict(&[1; 32]), None);
        }
        assert_eq!(c.vote(&[1; 32]), delivery_module::Vote::Unknown);
        assert!(
            start.elapsed() < Duration::from_millis(200),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(c.verdict(&[2; 32]), None, "never requested");
        tx.send(()).unwrap();
        assert_eq!(settle(&c, &[1; 32]).await, Verdict::No("late".into()));
        assert_eq!(c.vote(&[1; 32]), delivery_module::Vote::No);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_check_over_its_time_limit_is_unknown_and_cancelled() {
        let c = cache(CacheConfig {
            job_timeout: Duration::from_millis(100),
            ..CacheConfig::default()
        });
        let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
        assert!(c.request([1; 32], async move {
            // Holds the sender until dropped: the receiver sees the channel close on cancel.
            let _tx = tx;
            tokio::time::sleep(Duration::from_secs(60)).await;
            Verdict::No("too late".into())
        }));
        let v = settle(&c, &[1; 32]).await;
        assert!(
            matches!(&v, Verdict::Unknown(r) if r.contains("longer than")),
            "{v:?}"
        );
        // The job was dropped (cancelled), not left running.
        tokio::time::timeout(Duration::from_secs(2), rx.recv())
            .await
            .expect("the timed-out job is cancelled");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_check_is_unknown() {
        let c = cache(CacheConfig::default());
        c.request([1; 32], async { panic!("boom") });
        let v = settle(&c, &[1; 32]).await;
        assert!(
            matches!(&v, Verdict::Unknown(r) if r.contains("failed")),
            "{v:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn decided_verdicts_are_final_and_unknown_ones_retry_after_the_back_off() {
        let c = cache(CacheConfig {
            retry_unknown_after: Duration::from_millis(100),
            ..CacheConfig::default()
        });
        c.request([1; 32], async { Verdict::No("no".into()) });
        settle(&c, &[1; 32]).await;
        assert!(!c.request([1; 32], async { Verdict::Unknown("x".into()) }));
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(!c.request([1; 32], async { Verdict::Unknown("x".into()) }));
        assert_eq!(c.verdict(&[1; 32]), Some(Verdict::No("no".into())));

        c.request([2; 32], async { Verdict::Unknown("down".into()) });
        settle(&c, &[2; 32]).await;
        assert!(!c.request([2; 32], async { Verdict::No("x".into()) }));
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(c.request([2; 32], async { Verdict::No("now".into()) }));
        for _ in 0..500 {
            if c.verdict(&[2; 32]) == Some(Verdict::No("now".into())) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the retry's verdict never arrived");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn memory_is_bounded_by_forgetting_the_oldest() {
        let c = cache(CacheConfig {
            capacity: 3,
            ..CacheConfig::default()
        });
        for k in 0..10u8 {
            c.request([k; 32], async move { Verdict::No(format!("{k}")) });
        }
        assert_eq!(c.len(), 3);
        for k in 7..10u8 {
            assert_eq!(settle(&c, &[k; 32]).await, Verdict::No(format!("{k}")));
        }
        for k in 0..7u8 {
            assert_eq!(c.verdict(&[k; 32]), None, "{k} should be forgotten");
        }
        c.forget(&[9; 32]);
        assert_eq!(c.len(), 2);
        // Many retries of one key do not grow the bookkeeping past its bound.
        let r = cache(CacheConfig {
            capacity: 2,
            retry_unknown_after: Duration::ZERO,
            ..CacheConfig::default()
        });
        let mut started = 0;
        for _ in 0..100 {
            if r.request([1; 32], async { Verdict::Unknown("x".into()) }) {
                started += 1;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(started > 2 * 2 + 16, "only {started} retries ran");
        assert!(r.lock().order.len() <= 2 * 2 + 16);
        assert_eq!(r.len(), 1);
    }
}
