//! Fault injection: work that panics inside `Drop`, work that blocks the
//! reactor thread, and the last loop handle dropped while work is pending.
//! (A panicking unhandled-error hook is in `tests/hook_panics.rs`, since
//! the hook is process-wide.)

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use crochet::{CancellationToken, Error, EventLoop};

use crochet_test_support::fixture::Runtime;
use crochet_test_support::helpers::{eventually, gate, panic_message, probe, BOUND, LONG, SHORT};
use crochet_test_support::reliability::{self, join_all_by, reports, Tracker};

pub fn panic_in_drop_while_finishing_reaches_the_waiter<R: Runtime>() {
    let fx = reliability::fixture::<R>();
    let message = panic_message::<R>("drop-while-finishing");
    let bomb = PanicOnDrop(message.clone());
    // The future's locals are dropped as it returns its value: inside its
    // last poll, so the panic is the work's.
    let result = fx.run_in_reactor(move || async move {
        let _bomb = bomb;
        R::sleep(Duration::from_millis(1)).await;
        5
    });
    match result.wait(LONG) {
        Err(Error::Panicked(failure)) => assert_eq!(failure.message(), message),
        other => panic!("expected the panic of the drop, got {other:?}"),
    }
    assert_eq!(fx.wait_for(LONG, || async { 1 }), Ok(1), "the reactor died");
    assert_eq!(reports(&message), 0, "the waiter saw it");
}

pub fn panic_in_drop_while_cancelled_leaves_the_reactor_running<R: Runtime>() {
    let fx = reliability::fixture::<R>();
    let message = panic_message::<R>("drop-while-cancelled");
    cancel_a_started_bomb(&fx, &message);
    // Cancelled before it started: the closure, bomb and all, is dropped
    // unrun.
    let held = crochet_test_support::helpers::hold_reactor::<R>(&fx);
    let unstarted = PanicOnDrop(message.clone());
    let never = fx.run_in_reactor(move || {
        let _bomb = unstarted;
        async { 2 }
    });
    never.cancel();
    drop(held);
    assert_eq!(never.wait(LONG), Err(Error::Cancelled));
    assert_eq!(fx.wait_for(LONG, || async { 1 }), Ok(1), "the reactor died");
}

pub fn panic_in_drop_at_shutdown_leaves_nothing_behind<R: Runtime>() {
    let fx = reliability::fixture::<R>();
    let tracker = Tracker::new();
    let message = panic_message::<R>("drop-at-shutdown");
    let mut results = Vec::new();
    // Bombs and tracked work interleaved: a panicking drop must not keep
    // the reactor from dropping the rest.
    for n in 0..6 {
        let bomb = PanicOnDrop(message.clone());
        let work = tracker.track(n, "pending work beside bombs");
        results.push(fx.run_in_reactor(move || async move {
            let _bomb = bomb;
            let _work = work;
            std::future::pending::<()>().await
        }));
    }
    // Started or not (a closure dropped unrun drops its bomb too), the
    // work goes with the loop.
    assert!(fx.shutdown(LONG), "the loop did not stop");
    for result in &results {
        assert_eq!(result.wait(LONG), Err(Error::ReactorStopped));
    }
    tracker.assert_all_dropped_once(R::NAME, LONG);
    // Whether a panic nobody can see any more is reported is the business
    // of `panic_in_drop_after_cancel_is_reported`; never more than once.
    assert!(reports(&message) <= results.len());
}

/// A panic in the `Drop` of work that was cancelled reaches nobody: the
/// waiter already has `Cancelled`. Like any panic nobody saw, it should be
/// reported once as unhandled.
pub fn panic_in_drop_after_cancel_is_reported<R: Runtime>() {
    let fx = reliability::fixture::<R>();
    let message = panic_message::<R>("drop-after-cancel-reported");
    cancel_a_started_bomb(&fx, &message);
    // The drop happens at the work's next poll, on the reactor.
    assert_eq!(fx.wait_for(LONG, || async { 1 }), Ok(1));
    let reported = reliability::poll_until(BOUND, || reports(&message) > 0);
    assert!(reported, "the panic of the drop was lost without a report");
    assert_eq!(reports(&message), 1);
}

pub fn panic_in_drop_of_an_unclaimed_value_leaves_the_reactor_running<R: Runtime>() {
    let fx = reliability::fixture::<R>();
    let message = panic_message::<R>("drop-of-unclaimed-value");
    let (open, gated) = gate::<()>();
    let thrown = message.clone();
    let result = fx.run_in_reactor(move || async move {
        gated.await;
        PanicOnDrop(thrown)
    });
    // With the handle gone, the value is freed where the task ends: on
    // the reactor.
    drop(result);
    open.send(()).unwrap();
    assert_eq!(
        fx.wait_for(LONG, || async { 1 }),
        Ok(1),
        "the reactor died of the value's drop"
    );
    let results: Vec<_> = (0..3)
        .map(|n| fx.run_in_reactor(move || async move { n }))
        .collect();
    for (n, result) in results.iter().enumerate() {
        assert_eq!(result.wait(LONG), Ok(n));
    }
}

pub fn blocked_reactor_still_times_out_on_time<R: Runtime>() {
    /// How long the work keeps every reactor thread asleep.
    const BLOCK: Duration = Duration::from_millis(1500);
    /// The bound given to the shutdown that cannot finish in time.
    const STOP: Duration = Duration::from_millis(200);

    let fx = reliability::fixture::<R>();
    let threads = R::REACTOR_THREADS;
    let (arrived, arrivals) = mpsc::channel();
    for _ in 0..threads {
        let arrived = arrived.clone();
        drop(fx.call_in_reactor(move || {
            arrived.send(()).unwrap();
            thread::sleep(BLOCK);
        }));
    }
    for _ in 0..threads {
        arrivals
            .recv_timeout(LONG)
            .expect("a reactor thread did not pick up the blocking work");
    }
    let blocked_at = Instant::now();

    let (probe, report) = probe::<R>();
    let start = Instant::now();
    let outcome = fx.wait_for(SHORT, move || {
        let _probe = probe;
        async { 1 }
    });
    let waited = start.elapsed();
    assert_eq!(outcome, Err(Error::Timeout));
    assert!(
        (SHORT..SHORT + BOUND).contains(&waited),
        "wait_for took {waited:?} for a {SHORT:?} timeout"
    );

    let pending = fx.run_in_reactor(|| async { 2 });
    let start = Instant::now();
    assert_eq!(pending.wait(SHORT), Err(Error::Timeout));
    let waited = start.elapsed();
    assert!(
        (SHORT..SHORT + BOUND).contains(&waited),
        "wait took {waited:?} for a {SHORT:?} timeout"
    );

    let start = Instant::now();
    let finished = fx.shutdown(STOP);
    let took = start.elapsed();
    assert!(
        blocked_at.elapsed() < BLOCK,
        "the machine is too slow for this test: the block ended before shutdown did"
    );
    if owns_its_runtime::<R>() {
        assert!(
            !finished,
            "shutdown said it finished while the reactor slept"
        );
        assert!(
            (STOP..STOP + BOUND).contains(&took),
            "shutdown({STOP:?}) took {took:?}"
        );
    } else {
        assert!(finished, "an attached loop stops nothing of the runtime's");
        assert!(took < BOUND, "shutdown took {took:?}");
    }
    // Shutdown released the pending result at once, and the timed-out
    // work is dropped unrun once the reactor wakes.
    assert_eq!(pending.try_wait(), Err(Error::ReactorStopped));
    report.dropped();
    // The fixture's own shutdown, when it is dropped, waits for the loop to
    // finish stopping.
}

pub fn dropping_the_last_handle_with_work_pending_loses_nothing<R: Runtime>() {
    reliability::init();
    let (event_loop, owned) = R::start();
    let tracker = Tracker::new();
    let mut tokens: Vec<CancellationToken> = Vec::new();
    let mut pending = Vec::new();
    for n in 0..30 {
        let work = tracker.track(n, "pending work");
        let (keep, kept) = mpsc::channel();
        pending.push(Arc::new(event_loop.run_in_reactor_with_token(
            move |token| {
                keep.send(token.clone()).unwrap();
                async move {
                    let _work = work;
                    token.cancelled().await;
                }
            },
        )));
        tokens.push(kept.recv_timeout(LONG).expect("the work did not start"));
    }
    let mut ready = Vec::new();
    for n in 0..10_u64 {
        let value = tracker.track(100 + n, "ready value");
        let result = event_loop.run_in_reactor(move || async move { value });
        eventually("the value arrives", || result.is_ready());
        ready.push((n, result));
    }
    let blocked = Arc::new(AtomicUsize::new(0));
    let waiters: Vec<_> = pending
        .iter()
        .take(8)
        .map(|result| {
            let result = result.clone();
            let blocked = blocked.clone();
            thread::spawn(move || {
                blocked.fetch_add(1, Ordering::SeqCst);
                result.wait(Duration::MAX)
            })
        })
        .collect();
    eventually("the waiters start", || blocked.load(Ordering::SeqCst) == 8);

    drop(event_loop);

    for outcome in join_all_by("blocked waiters", waiters, Instant::now() + LONG) {
        assert_eq!(outcome, Err(Error::ReactorStopped));
    }
    for result in &pending {
        assert_eq!(result.try_wait(), Err(Error::ReactorStopped));
    }
    for (n, result) in ready {
        let value = result.wait(LONG).expect("a value there before the drop");
        assert_eq!(value.id(), 100 + n);
    }
    drop(pending);
    // The reactor drops the pending work on its way out, firing each
    // token first.
    tracker.assert_all_dropped_once(R::NAME, LONG);
    eventually("every token fires", || {
        tokens.iter().all(CancellationToken::is_cancelled)
    });
    drop(owned);
}

pub fn dropping_the_last_handle_on_the_reactor_thread_stops_the_loop<R: Runtime>() {
    reliability::init();
    let (event_loop, owned) = R::start();
    let tracker = Tracker::new();
    let other_work = tracker.track(0, "other pending work");
    let other = Arc::new(event_loop.run_in_reactor(move || async move {
        let _work = other_work;
        std::future::pending::<()>().await
    }));
    let waiting = other.clone();
    let waiter = thread::spawn(move || waiting.wait(Duration::MAX));

    let (open, gated) = gate::<()>();
    let last = event_loop.clone();
    let work = tracker.track(1, "work holding the last handle");
    let result = event_loop.run_in_reactor(move || async move {
        let _work = work;
        gated.await;
        // The last handle goes here, on a reactor thread: the loop shuts
        // itself down from inside its own work.
        drop(last);
        7
    });
    drop(event_loop);
    assert_eq!(
        other.try_wait(),
        Err(Error::Timeout),
        "the work holds a handle"
    );
    open.send(()).unwrap();

    let outcome = join_all_by("the blocked waiter", vec![waiter], Instant::now() + LONG);
    assert_eq!(outcome, vec![Err(Error::ReactorStopped)]);
    // The loop stopped while this work ran: its result failed first.
    assert_eq!(result.wait(LONG), Err(Error::ReactorStopped));
    tracker.assert_all_dropped_once(R::NAME, LONG);
    drop(owned);
}

/// Panics with its message when dropped (unless already unwinding).
struct PanicOnDrop(String);

/// Starts work that holds a `PanicOnDrop(message)`, waits until it runs,
/// and cancels it: the panic comes when the reactor drops the work, at its
/// next poll.
fn cancel_a_started_bomb(event_loop: &EventLoop, message: &str) {
    let (started, running) = mpsc::channel();
    let bomb = PanicOnDrop(message.to_owned());
    let result = event_loop.run_in_reactor(move || async move {
        let _bomb = bomb;
        started.send(()).unwrap();
        std::future::pending::<()>().await
    });
    running.recv_timeout(LONG).expect("the work did not start");
    result.cancel();
    assert_eq!(result.wait(LONG), Err(Error::Cancelled));
}

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !thread::panicking() {
            std::panic::panic_any(self.0.clone());
        }
    }
}

/// Whether shutting the loop down stops a runtime (and so must wait for
/// its threads), rather than leaving the application's runtime running.
fn owns_its_runtime<R: Runtime>() -> bool {
    R::NAME != "tokio_attached"
}

/// A panic whose payload itself panics when dropped (`panic_any` of a
/// value with a panicking `Drop`): the waiter still gets `Panicked`, for
/// work that panics at once and after a timer, and the reactor keeps
/// serving.
pub fn panic_payload_whose_drop_panics_reaches_the_waiter<R: Runtime>() {
    let fx = reliability::fixture::<R>();
    let message = panic_message::<R>("payload-drop-panics");
    let bomb = PanicOnDrop(message.clone());
    let at_once = fx.call_in_reactor(move || -> u32 { std::panic::panic_any(bomb) });
    assert!(
        matches!(at_once.wait(LONG), Err(Error::Panicked(_))),
        "the waiter did not get the panic"
    );
    let bomb = PanicOnDrop(message.clone());
    let later = fx.run_in_reactor(move || async move {
        R::sleep(Duration::from_millis(1)).await;
        std::panic::panic_any(bomb)
    });
    assert!(
        matches!(later.wait(LONG), Err(Error::Panicked(_))),
        "the waiter did not get the later panic"
    );
    assert_eq!(fx.wait_for(LONG, || async { 1 }), Ok(1), "the reactor died");
}

/// A waker whose `Drop` re-enters crochet (it owns the last handle of the
/// loop whose result it was waiting on, or cancels a token) is dropped
/// outside crochet's locks: replacing it, and dropping the futures that
/// hold it, does not deadlock.
pub fn a_waker_whose_drop_reenters_crochet_does_not_deadlock<R: Runtime>() {
    reliability::fixture::<R>();
    let finished = within(LONG, || {
        // The slot: the replaced waker owns the loop's last handle, whose
        // drop shuts the loop down and so settles this very result.
        let (event_loop, owned) = R::start();
        let result = event_loop.run_in_reactor(std::future::pending::<()>);
        let mut result = std::pin::pin!(result);
        let last_handle = DropAction::waker(move || drop(event_loop));
        assert!(result
            .as_mut()
            .poll(&mut Context::from_waker(&last_handle))
            .is_pending());
        drop(last_handle);
        let other = DropAction::waker(|| {});
        let mut cx = Context::from_waker(&other);
        // Replacing the waker drops the loop's last handle, which stops the
        // loop and so settles the result, right after this poll or during
        // it.
        let outcome = match result.as_mut().poll(&mut cx) {
            std::task::Poll::Pending => result.as_mut().poll(&mut cx),
            ready => ready,
        };
        assert_eq!(outcome, std::task::Poll::Ready(Err(Error::ReactorStopped)));
        drop(owned);

        // The token: a waker that cancels the token it was waiting on,
        // replaced by another, and one dropped with its future.
        for replace in [true, false] {
            let token = CancellationToken::new();
            let mut cancelled = Box::pin(token.cancelled());
            let canceller = token.clone();
            let reentering = DropAction::waker(move || canceller.cancel());
            assert!(cancelled
                .as_mut()
                .poll(&mut Context::from_waker(&reentering))
                .is_pending());
            drop(reentering);
            if replace {
                let other = DropAction::waker(|| {});
                let mut cx = Context::from_waker(&other);
                // Replacing the waker cancels the token, during the poll or
                // right after it.
                if cancelled.as_mut().poll(&mut cx).is_pending() {
                    assert!(cancelled.as_mut().poll(&mut cx).is_ready());
                }
            } else {
                drop(cancelled);
            }
            assert!(token.is_cancelled(), "the waker was not dropped");
        }
    });
    assert!(finished, "a waker's Drop deadlocked against crochet's lock");
}

/// Runs `body` on a thread of its own; says whether it finished within
/// `limit` (a deadlocked thread is left behind).
fn within(limit: Duration, body: impl FnOnce() + Send + 'static) -> bool {
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        body();
        done.send(()).ok();
    });
    finished.recv_timeout(limit).is_ok()
}

/// A waker that runs an action when its last clone is dropped.
struct DropAction(std::sync::Mutex<Option<Box<dyn FnOnce() + Send>>>);

impl DropAction {
    fn waker(action: impl FnOnce() + Send + 'static) -> Waker {
        Waker::from(Arc::new(DropAction(std::sync::Mutex::new(Some(Box::new(
            action,
        ))))))
    }
}

impl Wake for DropAction {
    fn wake(self: Arc<Self>) {}
}

impl Drop for DropAction {
    fn drop(&mut self) {
        let action = self.0.get_mut().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(action) = action {
            action();
        }
    }
}

/// Work whose runtime timer fires while the loop stops: whichever comes
/// first, the wake-up or the stop, every future is dropped, once, and the
/// loop still says it stopped. Round after round, so that the timers fire
/// at every moment of the stop (`CROCHET_STOP_ROUNDS` rounds).
pub fn work_woken_while_the_loop_stops_is_dropped<R: Runtime>() {
    reliability::fixture::<R>();
    let tracker = Tracker::new();
    // The race this hunts (a timer's wake-up against the executor's drop)
    // stranded a few futures in 100,000 before it was fixed; 20,000
    // rounds of 8 caught it in every run tried.
    let rounds = std::env::var("CROCHET_STOP_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(20_000_u64);
    for round in 0..rounds {
        let (event_loop, owned) = R::start();
        let results: Vec<_> = (0..8_u64)
            .map(|n| {
                let tracked = tracker.track(round * 8 + n, "work woken as the loop stops");
                let delay = Duration::from_micros(n * 40);
                event_loop.run_in_reactor(move || async move {
                    let _tracked = tracked;
                    R::sleep(delay).await;
                    n
                })
            })
            .collect();
        // Not synchronisation: spreads the stop over the timers' moments.
        thread::sleep(Duration::from_micros((round % 8) * 40));
        assert!(event_loop.shutdown(LONG), "the loop did not stop");
        drop(results);
        drop(owned);
    }
    tracker.assert_all_dropped_once(R::NAME, LONG);
}
