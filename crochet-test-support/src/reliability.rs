//! What the reliability tests share beyond the matrix's helpers: a seeded
//! random number generator, drop counters, an exact count of unhandled
//! reports and bounded joins.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crochet::Error;

use crate::fixture::{Fixture, Runtime};
use crate::helpers;

/// Installs, once per process, the matrix's panic hook (which keeps the
/// deliberate panics off stderr) and an unhandled-error hook that counts
/// reports by exact panic message.
///
/// Every test calls it before it starts a loop: the matrix's fixture would
/// otherwise install the matrix's own collecting hook, which counts by
/// substring and keeps every report as a string.
pub fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        helpers::init();
        crochet::set_unhandled_error_hook(|err| {
            let key = match err {
                Error::Panicked(failure) => failure.message().to_owned(),
                // Only panics are meant to be reported; anything else is
                // counted under its text, and shows up in the checks.
                other => format!("not a panic: {other}"),
            };
            let mut reported = REPORTED.lock().unwrap_or_else(PoisonError::into_inner);
            *reported
                .get_or_insert_with(HashMap::new)
                .entry(key)
                .or_default() += 1;
        });
    });
}

/// A fresh loop of setup `R`, after [`init`].
pub fn fixture<R: Runtime>() -> Fixture<R> {
    init();
    Fixture::new()
}

/// How many times a panic with exactly this message was reported as
/// unhandled.
pub fn reports(message: &str) -> usize {
    REPORTED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .and_then(|reported| reported.get(message).copied())
        .unwrap_or(0)
}

/// How many reports were not panics; always zero unless the core is wrong.
pub fn reports_of_other_errors() -> usize {
    REPORTED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .map_or(0, |reported| {
            reported
                .iter()
                .filter(|(key, _)| key.starts_with("not a panic: "))
                .map(|(_, count)| count)
                .sum()
        })
}

/// SplitMix64: small, fast and good enough to pick test operations; seeded
/// so that a failing run can be replayed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for stream `stream` of the run seeded with `seed`.
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        // The first outputs of nearby seeds are correlated; skip them.
        rng.next_u64();
        rng.next_u64();
        rng
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`; `n` must not be zero.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A duration of `0..max_millis` milliseconds.
    pub fn millis(&mut self, max_millis: u64) -> Duration {
        Duration::from_millis(self.below(max_millis))
    }
}

/// The seed of the random runs: `CROCHET_STRESS_SEED` if set, a fixed one
/// otherwise, so that CI runs are repeatable. Printed by every random test.
pub fn seed() -> u64 {
    std::env::var("CROCHET_STRESS_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(0x00C0_FFEE_5EED)
}

/// Counts every [`Tracked`] made and dropped, and knows which are alive, so
/// that a test can prove each was dropped exactly once.
#[derive(Default)]
pub struct Tracker {
    /// The tracked objects alive: id, and what the object stands for.
    live: Mutex<HashMap<u64, &'static str>>,
    made: AtomicU64,
    dropped: AtomicU64,
    /// Drops of an object that was not alive: a double drop.
    double_drops: AtomicU64,
}

impl Tracker {
    /// A new, empty tracker.
    pub fn new() -> Arc<Tracker> {
        Arc::new(Tracker::default())
    }

    /// A tracked object `id`; `what` names it in a leak report. Ids must be
    /// unique among the objects alive.
    pub fn track(self: &Arc<Self>, id: u64, what: &'static str) -> Tracked {
        let previous = self.lock().insert(id, what);
        assert!(previous.is_none(), "tracked id {id} ({what}) is in use");
        self.made.fetch_add(1, Ordering::Relaxed);
        Tracked {
            id,
            tracker: self.clone(),
        }
    }

    /// How many tracked objects are alive.
    pub fn alive(&self) -> usize {
        self.lock().len()
    }

    /// How many were made.
    pub fn made(&self) -> u64 {
        self.made.load(Ordering::Relaxed)
    }

    /// Asserts that every tracked object was dropped exactly once, after
    /// waiting (by polling, up to `bound`) for the reactor to settle.
    #[track_caller]
    pub fn assert_all_dropped_once(&self, what: &str, bound: Duration) {
        let settled = poll_until(bound, || self.alive() == 0);
        let live = self.lock();
        if !settled {
            let mut sample: Vec<_> = live.iter().take(10).collect();
            sample.sort();
            panic!(
                "{what}: {} of {} tracked objects still alive after {bound:?}, such as {sample:?}",
                live.len(),
                self.made()
            );
        }
        drop(live);
        assert_eq!(
            self.double_drops.load(Ordering::Relaxed),
            0,
            "{what}: objects dropped twice"
        );
        assert_eq!(
            self.made.load(Ordering::Relaxed),
            self.dropped.load(Ordering::Relaxed),
            "{what}: made and dropped differ"
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, &'static str>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An object whose drop its [`Tracker`] counts: moved into work (the
/// closure and the future it returns) or returned as the work's value.
pub struct Tracked {
    id: u64,
    tracker: Arc<Tracker>,
}

impl Tracked {
    /// The id it was made with.
    pub fn id(&self) -> u64 {
        self.id
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if self.tracker.lock().remove(&self.id).is_none() {
            self.tracker.double_drops.fetch_add(1, Ordering::Relaxed);
        }
        self.tracker.dropped.fetch_add(1, Ordering::Relaxed);
    }
}

impl fmt::Debug for Tracked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tracked({})", self.id)
    }
}

/// Polls `done` every millisecond until it holds or `bound` has passed;
/// says whether it held. For conditions no channel announces, such as
/// "the reactor has dropped every future".
pub fn poll_until(bound: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + bound;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// Joins every thread, failing the test if any has not finished by
/// `deadline` (a hung thread), or panicked. The hung ones are left behind:
/// a failing test cannot wait for them.
#[track_caller]
pub fn join_all_by<T>(what: &str, threads: Vec<JoinHandle<T>>, deadline: Instant) -> Vec<T> {
    let finished = poll_until(deadline.saturating_duration_since(Instant::now()), || {
        threads.iter().all(JoinHandle::is_finished)
    });
    if !finished {
        let hung = threads.iter().filter(|t| !t.is_finished()).count();
        panic!("{what}: {hung} of {} threads hung", threads.len());
    }
    threads
        .into_iter()
        .map(|thread| match thread.join() {
            Ok(value) => value,
            Err(_) => panic!("{what}: a thread panicked"),
        })
        .collect()
}

/// The unhandled reports, by panic message (and "not a panic: ..." for
/// anything else).
static REPORTED: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);
