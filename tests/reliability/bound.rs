//! A `Bound` shared by many threads under random cancels: every call's
//! work and the value itself are dropped exactly once, on the reactor, and
//! no shared access ever overlaps an exclusive one.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use crochet::{Bound, Error};

use crochet_test_support::fixture::Runtime;
use crochet_test_support::helpers::LONG;
use crochet_test_support::reliability::{self, join_all_by, seed, Rng, Tracked, Tracker};

const THREADS: u64 = 64;
const CALLS_PER_THREAD: u64 = 30;

/// Counts its drops that happened off the runtime.
struct OnReactor {
    off: Arc<AtomicUsize>,
    in_runtime: fn() -> bool,
}

impl Drop for OnReactor {
    fn drop(&mut self) {
        if !(self.in_runtime)() {
            self.off.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// The value on the reactor: who is using it, and the breaches seen.
struct Shared {
    _tracked: Tracked,
    _on_reactor: OnReactor,
    readers: AtomicUsize,
    writers: AtomicUsize,
    breaches: Arc<AtomicUsize>,
}

/// One use of the value, counted while it lasts, even if it is cancelled.
struct Using<'a> {
    count: &'a AtomicUsize,
    /// The uses there were when this one began.
    others: usize,
}

impl<'a> Using<'a> {
    fn enter(count: &'a AtomicUsize) -> Using<'a> {
        let others = count.fetch_add(1, Ordering::SeqCst);
        Using { count, others }
    }
}

impl Drop for Using<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::SeqCst);
    }
}

pub fn bound_shared_by_many_threads_with_random_cancels_loses_nothing<R: Runtime>() {
    let fx = reliability::fixture::<R>();
    let tracker = Tracker::new();
    let off = Arc::new(AtomicUsize::new(0));
    let breaches = Arc::new(AtomicUsize::new(0));
    let value = Shared {
        _tracked: tracker.track(u64::MAX, "the bound value"),
        _on_reactor: OnReactor {
            off: off.clone(),
            in_runtime: R::in_runtime,
        },
        readers: AtomicUsize::new(0),
        writers: AtomicUsize::new(0),
        breaches: breaches.clone(),
    };
    let bound: Bound<Shared> = fx.bind(move || async move { value }).wait(LONG).unwrap();
    let seed = seed();
    let threads = (0..THREADS)
        .map(|t| {
            let bound = bound.clone();
            let tracker = tracker.clone();
            let off = off.clone();
            thread::spawn(move || {
                let mut rng = Rng::new(seed, t);
                let mut outcomes = [0_u64; 3];
                for i in 0..CALLS_PER_THREAD {
                    let work = (
                        tracker.track(t * 1000 + i, "a call's work"),
                        OnReactor {
                            off: off.clone(),
                            in_runtime: R::in_runtime,
                        },
                    );
                    let pause = rng.millis(2);
                    let result = if rng.chance(50) {
                        bound.call(move |v| async move {
                            let _work = work;
                            let _reading = Using::enter(&v.readers);
                            if v.writers.load(Ordering::SeqCst) > 0 {
                                v.breaches.fetch_add(1, Ordering::SeqCst);
                            }
                            R::sleep(pause).await;
                            1
                        })
                    } else {
                        bound.call_mut(move |v| async move {
                            let _work = work;
                            let writing = Using::enter(&v.writers);
                            if v.readers.load(Ordering::SeqCst) > 0 || writing.others > 0 {
                                v.breaches.fetch_add(1, Ordering::SeqCst);
                            }
                            R::sleep(pause).await;
                            drop(writing);
                            2
                        })
                    };
                    let outcome = match rng.below(4) {
                        0 => {
                            result.cancel();
                            result.wait(LONG)
                        }
                        1 => result.wait_or_cancel(rng.millis(3)),
                        _ => result.wait(LONG),
                    };
                    match outcome {
                        Ok(_) => outcomes[0] += 1,
                        Err(Error::Cancelled) => outcomes[1] += 1,
                        Err(err) if err.is_timeout() => outcomes[2] += 1,
                        Err(other) => panic!("thread {t}, call {i}: {other:?}"),
                    }
                }
                outcomes
            })
        })
        .collect();
    let outcomes = join_all_by("the callers", threads, Instant::now() + LONG * 12);
    let total: u64 = outcomes.iter().flatten().sum();
    assert_eq!(
        total,
        THREADS * CALLS_PER_THREAD,
        "every call has one outcome"
    );
    drop(bound);
    tracker.assert_all_dropped_once("bound under random cancels", LONG);
    assert_eq!(off.load(Ordering::SeqCst), 0, "dropped off the reactor");
    assert_eq!(breaches.load(Ordering::SeqCst), 0, "access overlapped");
}
