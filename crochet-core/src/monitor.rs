//! `Monitor`: what a loop knows of the polls of its work. It times every
//! poll (for the longest-poll statistic and the stall report), keeps the
//! polls in progress where a timed-out wait and the watchdog can see them,
//! and holds the loop's counters.
//!
//! # Who notices a stall
//!
//! A poll that outlasts the loop's threshold is reported once, by the first
//! of: the end of the poll, a wait on the loop that times out meanwhile
//! (which also names the poll in its error), and the watchdog, one thread
//! per process (not per loop) that looks at the polls in progress a few
//! times per threshold while any loop exists, so that a poll that never
//! returns is reported too. Whoever reports marks the poll reported, under
//! the lock of the poll's shard, so the others do not.

use std::panic::Location;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::id::LoopId;
use crate::stall::Stall;
use crate::stall_report;
use crate::stats::Counters;

/// The stall threshold of a new loop.
pub(crate) const DEFAULT_THRESHOLD: Duration = Duration::from_millis(100);

/// The polls and counters of one loop.
pub(crate) struct Monitor {
    pub(crate) stats: Counters,
    loop_id: LoopId,
    // ORDERING: Relaxed: a plain setting, read on its own.
    threshold_nanos: AtomicU64,
    /// The polls in progress on the loop's threads, in shards picked by
    /// the polling thread, so that the threads of a multi-threaded runtime
    /// seldom share a lock. Each lock is innermost: nothing is locked and
    /// no user code runs while it is held.
    shards: [Mutex<Shard>; SHARDS],
}

const SHARDS: usize = 8;

/// The polls in progress of the threads of one shard: one per polling
/// thread, so a few at most.
#[derive(Default)]
struct Shard {
    /// The id of the next poll of this shard.
    next: u64,
    polls: Vec<Active>,
}

/// One poll in progress.
struct Active {
    id: u64,
    started: Instant,
    location: &'static Location<'static>,
    /// Whether it was reported as a stall already.
    reported: bool,
}

impl Monitor {
    /// The monitor of a new loop, watched by the watchdog.
    pub(crate) fn new(loop_id: LoopId) -> Arc<Monitor> {
        let monitor = Arc::new(Monitor {
            stats: Counters::default(),
            loop_id,
            threshold_nanos: AtomicU64::new(nanos(DEFAULT_THRESHOLD)),
            shards: Default::default(),
        });
        watchdog::watch(&monitor);
        monitor
    }

    pub(crate) fn threshold(&self) -> Duration {
        Duration::from_nanos(self.threshold_nanos.load(Ordering::Relaxed))
    }

    pub(crate) fn set_threshold(&self, threshold: Duration) {
        self.threshold_nanos
            .store(nanos(threshold), Ordering::Relaxed);
    }

    /// Turns a plain timeout of a wait on this loop into one that names the
    /// poll blocking a reactor thread past the threshold, if one is; reports
    /// that poll if nobody has yet.
    // Inlined, so that the round trip that did not time out pays one
    // comparison.
    #[inline]
    pub(crate) fn explain<T>(&self, outcome: Result<T, Error>) -> Result<T, Error> {
        match outcome {
            Err(Error::Timeout) => Err(self.blocking().unwrap_or(Error::Timeout)),
            outcome => outcome,
        }
    }

    /// The timeout that names the poll blocking a reactor thread past the
    /// threshold, if one is; reports that poll if nobody has yet.
    #[cold]
    fn blocking(&self) -> Option<Error> {
        let noticed = self.overdue(Instant::now());
        let longest = noticed
            .iter()
            .map(|(stall, _)| stall)
            .max_by_key(|stall| stall.blocked_for())
            .cloned();
        for (stall, new) in noticed {
            if new {
                stall_report::report(&stall);
            }
        }
        longest.map(Error::TimeoutBlocked)
    }

    /// The polls in progress past the threshold at `now`, each with whether
    /// this call is the first to notice it (and so must report it).
    fn overdue(&self, now: Instant) -> Vec<(Stall, bool)> {
        let threshold = self.threshold();
        let mut overdue = Vec::new();
        for shard in &self.shards {
            let mut shard = lock(shard);
            overdue.extend(shard.polls.iter_mut().filter_map(|poll| {
                let blocked_for = now.saturating_duration_since(poll.started);
                if blocked_for < threshold {
                    return None;
                }
                let new = !std::mem::replace(&mut poll.reported, true);
                Some((
                    Stall::new(poll.location, blocked_for, false, self.loop_id),
                    new,
                ))
            }));
        }
        overdue
    }
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The shard of the calling thread: threads take the shards in turn.
fn my_shard() -> usize {
    // ORDERING: Relaxed: only spreading the threads matters.
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    SHARD.try_with(|shard| *shard).unwrap_or(0)
}

/// Runs `poll`, one poll of work submitted at `location`, timed by
/// `monitor` (when there is one): it counts towards the longest poll and,
/// past the threshold, is reported as a stall.
pub(crate) fn poll<R>(
    monitor: Option<&Monitor>,
    location: &'static Location<'static>,
    poll: impl FnOnce() -> R,
) -> R {
    let _polling = monitor.map(|monitor| Polling::begin(monitor, location));
    poll()
}

/// A poll in progress; ends it when dropped, also when the poll unwinds.
struct Polling<'a> {
    monitor: &'a Monitor,
    shard: &'a Mutex<Shard>,
    id: u64,
    started: Instant,
    location: &'static Location<'static>,
}

impl<'a> Polling<'a> {
    fn begin(monitor: &'a Monitor, location: &'static Location<'static>) -> Polling<'a> {
        let shard = &monitor.shards[my_shard()];
        let started = Instant::now();
        let id = {
            let mut shard = lock(shard);
            let id = shard.next;
            shard.next = id.wrapping_add(1);
            shard.polls.push(Active {
                id,
                started,
                location,
                reported: false,
            });
            id
        };
        Polling {
            monitor,
            shard,
            id,
            started,
            location,
        }
    }
}

impl Drop for Polling<'_> {
    fn drop(&mut self) {
        let took = self.started.elapsed();
        let reported = {
            let mut shard = lock(self.shard);
            match shard.polls.iter().position(|poll| poll.id == self.id) {
                Some(at) => shard.polls.swap_remove(at).reported,
                None => false,
            }
        };
        if !reported && took >= self.monitor.threshold() {
            let stall = Stall::new(self.location, took, true, self.monitor.loop_id);
            stall_report::report(&stall);
        }
        // Recorded after the report, so that whoever sees the record knows
        // that the report was made.
        self.monitor.stats.polled(nanos(took), self.location);
    }
}

/// `duration` in nanoseconds, saturating.
fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// The one watchdog thread of the process: it runs while any loop exists,
/// and reports the polls that outlast their threshold while still running.
/// Like every thread, it does not keep the process alive.
mod watchdog {
    use std::sync::TryLockError;

    use super::*;

    struct Watched {
        monitors: Vec<Weak<Monitor>>,
        /// The process the watchdog runs in, if it runs: a child made by
        /// `fork()` inherits the flag but not the thread.
        running_in: Option<u32>,
    }

    /// Never locked with another lock; no user code runs under it.
    static WATCHED: Mutex<Watched> = Mutex::new(Watched {
        monitors: Vec::new(),
        running_in: None,
    });

    /// The slowest and fastest the watchdog looks, whatever the thresholds.
    const SLOWEST: Duration = Duration::from_millis(500);
    const FASTEST: Duration = Duration::from_millis(5);

    pub(super) fn watch(monitor: &Arc<Monitor>) {
        // The watchdog holds the lock for a moment per look. In a child
        // made by `fork()` while it did, the lock stays held forever: after
        // a bounded try the loop goes unwatched (its stalls are still
        // reported at the end of the poll and by timed-out waits) rather
        // than hang.
        let deadline = Instant::now() + Duration::from_millis(20);
        let mut watched = loop {
            match WATCHED.try_lock() {
                Ok(watched) => break watched,
                Err(TryLockError::Poisoned(poisoned)) => break poisoned.into_inner(),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::yield_now();
                }
                Err(TryLockError::WouldBlock) => return,
            }
        };
        watched.monitors.push(Arc::downgrade(monitor));
        let pid = std::process::id();
        if watched.running_in != Some(pid) {
            // Without the thread (the system refused it), stalls are still
            // reported at the end of their poll and by timed-out waits.
            let spawned = std::thread::Builder::new()
                .name("crochet-watchdog".into())
                .spawn(run);
            watched.running_in = spawned.is_ok().then_some(pid);
        }
    }

    fn run() {
        loop {
            let monitors: Vec<Arc<Monitor>> = {
                let mut watched = WATCHED.lock().unwrap_or_else(PoisonError::into_inner);
                watched
                    .monitors
                    .retain(|monitor| monitor.strong_count() > 0);
                if watched.monitors.is_empty() {
                    watched.running_in = None;
                    return;
                }
                watched.monitors.iter().filter_map(Weak::upgrade).collect()
            };
            // A few looks per threshold, so a stall is noticed soon after
            // it passes the threshold.
            let tick = monitors
                .iter()
                .map(|monitor| monitor.threshold() / 4)
                .min()
                .unwrap_or(SLOWEST)
                .clamp(FASTEST, SLOWEST);
            let now = Instant::now();
            for monitor in &monitors {
                for (stall, new) in monitor.overdue(now) {
                    if new {
                        stall_report::report(&stall);
                    }
                }
            }
            drop(monitors);
            std::thread::sleep(tick);
        }
    }
}
