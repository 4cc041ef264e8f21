//! Bad input the matrix does not already cover (see `RELIABILITY.md` for
//! the cases it does): blocking waits on every reactor thread at once,
//! timeouts too large for an `Instant`, a spin budget of `Duration::MAX`,
//! and zero timeouts racing the work.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use crochet::{Error, WaitStrategy};

use crochet_test_support::fixture::Runtime;
use crochet_test_support::helpers::{eventually, gate, send_soon, BOUND, LONG, SHORT};
use crochet_test_support::reliability::{self, poll_until, Tracker};

pub fn every_reactor_thread_refuses_blocking_waits<R: Runtime>() {
    let fx = reliability::fixture::<R>();
    let threads = R::REACTOR_THREADS;
    let arrived = Arc::new(AtomicUsize::new(0));
    let attempts: Vec<_> = (0..threads)
        .map(|_| {
            let inner = (*fx).clone();
            let arrived = arrived.clone();
            fx.call_in_reactor(move || {
                // Every job holds its thread until all have arrived, so
                // each one runs on a reactor thread of its own.
                arrived.fetch_add(1, Ordering::SeqCst);
                let together = poll_until(LONG, || arrived.load(Ordering::SeqCst) == threads);
                let pending = inner.run_in_reactor(std::future::pending::<u32>);
                let past = Instant::now()
                    .checked_sub(Duration::from_secs(1))
                    .unwrap_or_else(Instant::now);
                let far = Instant::now() + Duration::from_secs(3600);
                let start = Instant::now();
                let outcomes = [
                    pending.wait(Duration::ZERO),
                    pending.wait(SHORT),
                    pending.wait(Duration::MAX),
                    pending.wait_deadline(past),
                    pending.wait_deadline(far),
                    inner.wait_for(Duration::ZERO, || async { 1 }),
                    inner.wait_for(Duration::MAX, || async { 1 }),
                ];
                let took = start.elapsed();
                pending.cancel();
                (together, thread::current().id(), outcomes, took)
            })
        })
        .collect();
    let mut seen: Vec<ThreadId> = Vec::new();
    for attempt in attempts {
        let (together, thread, outcomes, took) = attempt.wait(LONG).expect("the attempt ran");
        assert!(together, "{}: the jobs did not run side by side", R::NAME);
        for outcome in outcomes {
            assert_eq!(outcome, Err(Error::WaitInReactorThread));
        }
        assert!(took < BOUND, "refused only after {took:?}");
        seen.push(thread);
    }
    seen.sort_by_key(|id| format!("{id:?}"));
    seen.dedup();
    assert_eq!(seen.len(), threads, "not every reactor thread was tried");
}

pub fn huge_timeouts_do_not_overflow<R: Runtime>() {
    let fx = reliability::fixture::<R>();
    // Each of these overflows `Instant::now() + timeout`.
    let huge = [
        Duration::MAX,
        Duration::MAX - Duration::from_nanos(1),
        Duration::from_secs(u64::MAX),
        Duration::from_secs(u64::MAX / 2),
    ];
    for timeout in huge {
        let ready = fx.run_in_reactor(|| async { 1 });
        eventually("the value arrives", || ready.is_ready());
        let start = Instant::now();
        assert_eq!(ready.wait(timeout), Ok(1), "{timeout:?}");
        assert!(start.elapsed() < BOUND);

        let (open, gated) = gate::<u32>();
        let later = fx.run_in_reactor(move || gated);
        let sender = send_soon(open, 2);
        assert_eq!(later.wait(timeout), Ok(2), "{timeout:?}");
        sender.join().unwrap();

        assert_eq!(fx.wait_for(timeout, || async { 3 }), Ok(3), "{timeout:?}");
    }
    // A deadline a century away, and the largest one `Instant` can hold
    // here: both wait for the outcome, which a cancel brings.
    let century = Instant::now().checked_add(Duration::from_secs(100 * 365 * 86_400));
    let furthest = furthest_instant();
    for deadline in century.into_iter().chain([furthest]) {
        let pending = Arc::new(fx.run_in_reactor(std::future::pending::<u32>));
        let canceller = pending.clone();
        let cancelling = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            canceller.cancel();
        });
        assert_eq!(pending.wait_deadline(deadline), Err(Error::Cancelled));
        cancelling.join().unwrap();
    }
    // And shutdown releases a `wait_for` with no timeout to speak of.
    let event_loop = (*fx).clone();
    let stopper = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        event_loop.shutdown(LONG)
    });
    let outcome = fx.wait_for(Duration::MAX, std::future::pending::<u32>);
    assert_eq!(outcome, Err(Error::ReactorStopped));
    assert!(stopper.join().unwrap());
}

pub fn huge_spin_budget_still_honours_timeouts<R: Runtime>() {
    let fx = reliability::fixture::<R>();
    fx.set_wait_strategy(WaitStrategy::SpinThenPark(Duration::MAX));
    assert_eq!(
        fx.wait_strategy(),
        WaitStrategy::SpinThenPark(Duration::from_nanos(u64::MAX)),
        "the budget saturates at what a u64 of nanoseconds holds"
    );
    let pending = fx.run_in_reactor(std::future::pending::<u32>);
    let start = Instant::now();
    assert_eq!(pending.wait(SHORT), Err(Error::Timeout));
    let waited = start.elapsed();
    assert!(
        (SHORT..SHORT + BOUND).contains(&waited),
        "waited {waited:?} for {SHORT:?}"
    );
    assert_eq!(
        fx.wait_for(SHORT, std::future::pending::<u32>),
        Err(Error::Timeout)
    );
    assert_eq!(fx.wait_for(LONG, || async { 4 }), Ok(4));
    // A spinning wait with no timeout still sees the cancel.
    let pending = Arc::new(pending);
    let canceller = pending.clone();
    let cancelling = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        canceller.cancel();
    });
    assert_eq!(pending.wait(Duration::MAX), Err(Error::Cancelled));
    cancelling.join().unwrap();
    fx.set_wait_strategy(WaitStrategy::Park);
    assert_eq!(fx.wait_for(LONG, || async { 5 }), Ok(5));
}

pub fn zero_timeout_races_lose_nothing<R: Runtime>() {
    const CALLS: u64 = 300;
    let fx = reliability::fixture::<R>();
    let tracker = Tracker::new();
    let (mut values, mut timeouts) = (0, 0);
    for call in 0..CALLS {
        let work = tracker.track(call * 2, "work");
        let value_tracker = tracker.clone();
        // Done as soon as it starts: the value and the zero timeout race.
        let outcome = fx.wait_for(Duration::ZERO, move || async move {
            let _work = work;
            value_tracker.track(call * 2 + 1, "value")
        });
        match outcome {
            Ok(value) => {
                assert_eq!(value.id(), call * 2 + 1);
                values += 1;
            }
            Err(err) if err.is_timeout() => timeouts += 1,
            other => panic!("call {call}: {other:?}"),
        }
    }
    // The same race on a result, polled with zero timeouts and past
    // deadlines until its value arrives.
    let past = Instant::now();
    for call in CALLS..2 * CALLS {
        let value = tracker.track(call * 2 + 1, "value");
        let result = fx.run_in_reactor(move || async move { value });
        let deadline = Instant::now() + LONG;
        let value = loop {
            let outcome = if call % 2 == 0 {
                result.wait(Duration::ZERO)
            } else {
                result.wait_deadline(past)
            };
            match outcome {
                Err(Error::Timeout) => assert!(Instant::now() < deadline, "call {call} hung"),
                outcome => break outcome.expect("the value"),
            }
        };
        assert_eq!(value.id(), call * 2 + 1);
    }
    tracker.assert_all_dropped_once(R::NAME, LONG);
    eprintln!(
        "zero timeouts {}: wait_for(0) got {values} values and {timeouts} timeouts of {CALLS}",
        R::NAME
    );
}

/// The furthest `Instant` from now that the platform can represent,
/// found by halving.
fn furthest_instant() -> Instant {
    let now = Instant::now();
    let mut step = Duration::MAX;
    let mut furthest = now;
    while !step.is_zero() {
        if let Some(later) = furthest.checked_add(step) {
            furthest = later;
        }
        step /= 2;
    }
    furthest
}
