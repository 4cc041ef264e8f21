//! How a blocking wait waits: spin briefly (giving the CPU away between
//! checks) before parking, or park at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How blocking waits on a loop's results wait for the result.
///
/// Waking a parked thread on another CPU costs tens of microseconds on
/// machines whose idle CPUs sleep; a caller that keeps checking for a short
/// while gets a quick result without that cost, at the price of the CPU time
/// it spends checking. Between checks a spinning caller yields its CPU, so a
/// reactor thread sharing that CPU is not delayed, and no more callers spin
/// at once than there are CPUs beside one, so spinning never makes a loaded
/// machine slower: the others park at once.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use crochet_core::WaitStrategy;
///
/// let reactor = crochet_core::start();
/// assert_eq!(reactor.wait_strategy(), WaitStrategy::default());
/// // Least CPU per call: park at once.
/// reactor.set_wait_strategy(WaitStrategy::Park);
/// assert_eq!(reactor.wait_for(Duration::from_secs(5), || async { 1 }), Ok(1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitStrategy {
    /// Park the waiting thread at once: the least CPU per call.
    Park,
    /// Check for the result, yielding the CPU between checks, for up to this
    /// long before parking: lower latency for quick work.
    SpinThenPark(Duration),
}

impl WaitStrategy {
    /// The default: spin for up to 50 µs, then park.
    pub const DEFAULT: WaitStrategy = WaitStrategy::SpinThenPark(Duration::from_micros(50));

    /// How long to spin (zero for `Park`).
    pub(crate) fn budget(self) -> Duration {
        match self {
            WaitStrategy::Park => Duration::ZERO,
            WaitStrategy::SpinThenPark(budget) => budget,
        }
    }

    /// The strategy that spins for `budget` (parking at once for zero).
    pub(crate) fn from_budget(budget: Duration) -> WaitStrategy {
        if budget.is_zero() {
            WaitStrategy::Park
        } else {
            WaitStrategy::SpinThenPark(budget)
        }
    }
}

impl Default for WaitStrategy {
    fn default() -> WaitStrategy {
        WaitStrategy::DEFAULT
    }
}

/// Checks `done` until it says yes or `budget` runs out; says whether it
/// said yes. Returns `false` at once when enough threads already spin, so
/// that waiting callers never outnumber the CPUs.
// The loom models wait on loom's primitives only and never spin.
#[cfg(not(all(test, crochet_loom)))]
pub(crate) fn spin_until(budget: Duration, done: impl Fn() -> bool) -> bool {
    match Spinner::enter() {
        Some(_spinner) => watch(budget, done),
        None => false,
    }
}

/// Checks `done` until it says yes or `budget` runs out, yielding the CPU
/// between checks; says whether it said yes. For a reactor thread staying
/// awake for more work: one thread per loop, which does not count against
/// the callers' spinners, since it gives its CPU to anyone who wants it.
pub(crate) fn watch(budget: Duration, done: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    let mut checks = 0_u32;
    loop {
        if done() {
            return true;
        }
        checks = checks.wrapping_add(1);
        if checks < 32 {
            std::hint::spin_loop();
        } else {
            thread::yield_now();
            if start.elapsed() >= budget {
                return false;
            }
        }
    }
}

/// Notes how many callers may spin at once: one fewer than the CPUs.
///
/// std counts the CPUs the calling thread may run on, so a thread pinned
/// to one CPU sees one; counting each time a loop starts and keeping the
/// largest count keeps a pinned caller from switching spinning off for the
/// whole process.
pub(crate) fn count_cpus() {
    let cpus = thread::available_parallelism().map_or(1, |cpus| cpus.get());
    LIMIT.fetch_max(cpus - 1, Ordering::Relaxed);
}

// ORDERING: Relaxed: a setting that only grows; a spinner that reads an old
// value parks instead, which is always correct.
static LIMIT: AtomicUsize = AtomicUsize::new(0);

/// One of the threads spinning now; at most `LIMIT`.
#[cfg(not(all(test, crochet_loom)))]
struct Spinner;

// ORDERING: AcqRel/Acquire: a count, read and updated in one atomic step;
// it guards no other memory.
#[cfg(not(all(test, crochet_loom)))]
static SPINNERS: AtomicUsize = AtomicUsize::new(0);

#[cfg(not(all(test, crochet_loom)))]
impl Spinner {
    fn enter() -> Option<Spinner> {
        let limit = LIMIT.load(Ordering::Relaxed);
        SPINNERS
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |spinning| {
                (spinning < limit).then_some(spinning + 1)
            })
            .ok()
            .map(|_| Spinner)
    }
}

#[cfg(not(all(test, crochet_loom)))]
impl Drop for Spinner {
    fn drop(&mut self) {
        SPINNERS.fetch_sub(1, Ordering::AcqRel);
    }
}
