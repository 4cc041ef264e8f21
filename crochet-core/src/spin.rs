//! How a blocking wait waits: spin briefly (giving the CPU away between
//! checks) before parking, or park at once.

use std::sync::atomic::AtomicBool;
#[cfg(not(all(test, crochet_loom)))]
use std::sync::atomic::Ordering;
#[cfg(not(all(test, crochet_loom)))]
use std::thread;
use std::time::Duration;
#[cfg(not(all(test, crochet_loom)))]
use std::time::Instant;

/// How blocking waits on a loop's results wait for the result.
///
/// Waking a parked thread on another CPU costs tens of microseconds on
/// machines whose idle CPUs sleep; a caller that keeps checking for a short
/// while gets a quick result without that cost, at the price of the CPU time
/// it spends checking. A caller spins only while the loop's reactor is
/// awake (running work or watching for it), and parks at once when it
/// sleeps, since then nothing is about to settle the result; between checks
/// it yields its CPU, so a reactor thread sharing that CPU is not delayed;
/// and at most one caller per loop spins, so spinning never makes a loaded
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

/// Whether a caller spins on one loop's results now.
///
/// At most one caller per loop spins, and only while the loop's reactor is
/// awake: a sleeping reactor has nothing running that could settle the
/// result soon, and a second spinner would only compete for the CPU with
/// the reactor it waits for. Nothing here depends on which thread started
/// the loop or on any thread's CPU affinity.
// The loom models never spin.
#[cfg_attr(all(test, crochet_loom), allow(dead_code))]
pub(crate) struct Spinners(AtomicBool);

// ORDERING: AcqRel swap, Release store: a flag taken and given back in one
// atomic step each; it guards no other memory.
impl Spinners {
    pub(crate) const fn new() -> Spinners {
        Spinners(AtomicBool::new(false))
    }

    /// Checks `done` until it says yes, `budget` runs out, or `awake` says
    /// the reactor went to sleep; says whether `done` said yes. Returns
    /// `false` at once when another caller spins on the loop already.
    // The loom models wait on loom's primitives only and never spin.
    #[cfg(not(all(test, crochet_loom)))]
    pub(crate) fn spin_until(
        &self,
        budget: Duration,
        awake: impl Fn() -> bool,
        done: impl Fn() -> bool,
    ) -> bool {
        if !awake() {
            return false;
        }
        if self.0.swap(true, Ordering::AcqRel) {
            return false;
        }
        let _spinning = Release(&self.0);
        watch(budget, awake, done)
    }
}

/// Lets the next caller spin when dropped.
#[cfg(not(all(test, crochet_loom)))]
struct Release<'a>(&'a AtomicBool);

#[cfg(not(all(test, crochet_loom)))]
impl Drop for Release<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Checks `done` until it says yes, `budget` runs out or `awake` says no,
/// yielding the CPU between checks, so that a reactor thread sharing the
/// CPU is not delayed; says whether `done` said yes.
#[cfg(not(all(test, crochet_loom)))]
fn watch(budget: Duration, awake: impl Fn() -> bool, done: impl Fn() -> bool) -> bool {
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
            if start.elapsed() >= budget || !awake() {
                return done();
            }
        }
    }
}
