//! Cancellation: it reaches the work on the reactor thread, it wins only
//! over work that has not finished, and `wait_for` uses it on timeout.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Instant;

use crochet::Error;

use crochet_test_support::fixture::{Fixture, Runtime};
use crochet_test_support::helpers::{
    assert_dropped_in_runtime, assert_panicked, eventually, fail, gate, hold_reactor,
    panic_message, probe, BOUND, LONG, SHORT,
};

pub fn cancel_gives_every_waiter_cancelled<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let result = Arc::new(fx.run_in_reactor(std::future::pending::<u32>));
    let (waiting, started) = mpsc::channel();
    let waiter = {
        let result = result.clone();
        thread::spawn(move || {
            waiting.send(()).unwrap();
            result.wait(LONG * 4)
        })
    };
    started.recv().unwrap();
    result.cancel();
    assert_eq!(waiter.join().unwrap(), Err(Error::Cancelled));
    assert_eq!(result.wait(LONG), Err(Error::Cancelled));
}

pub fn cancel_drops_the_work_on_a_reactor_thread_after_its_token_fires<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (probe, report) = probe::<R>();
    let (started, running) = mpsc::channel();
    let (token_seen, token_report) = mpsc::channel();
    let result = fx.run_in_reactor_with_token(move |token| async move {
        let _probe = probe;
        // Dropped with the future: records whether the token fired first.
        let _check = OnDrop(move || {
            let _ = token_seen.send(token.is_cancelled());
        });
        started.send(()).unwrap();
        std::future::pending::<()>().await
    });
    running.recv_timeout(LONG).expect("the work did not start");
    assert!(report.alive());
    result.cancel();
    assert_eq!(result.wait(LONG), Err(Error::Cancelled));
    assert_dropped_in_runtime(&report.dropped());
    assert_eq!(token_report.recv_timeout(LONG), Ok(true));
}

pub fn cancel_fires_the_token_for_cleanup_outside_the_work<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (cleaned, cleanup) = mpsc::channel();
    let result = fx.run_in_reactor_with_token(move |token| {
        // Something the work started, living outside its future.
        thread::spawn(move || {
            crochet::reactor::block_on(token.cancelled());
            cleaned.send(()).unwrap();
        });
        std::future::pending::<()>()
    });
    assert_eq!(
        cleanup.recv_timeout(SHORT),
        Err(mpsc::RecvTimeoutError::Timeout)
    );
    result.cancel();
    cleanup.recv_timeout(LONG).expect("the token did not fire");
    assert_eq!(result.wait(LONG), Err(Error::Cancelled));
}

pub fn cancel_before_the_work_starts_means_it_never_starts<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let held = hold_reactor::<R>(&fx);
    let started = Arc::new(AtomicBool::new(false));
    let (probe, report) = probe::<R>();
    let flag = started.clone();
    let result = fx.run_in_reactor(move || {
        let _probe = probe;
        flag.store(true, Ordering::SeqCst);
        std::future::ready(1)
    });
    result.cancel();
    assert_eq!(result.wait(LONG), Err(Error::Cancelled));
    drop(held);
    // The closure has been dropped, run or not.
    report.dropped();
    assert!(!started.load(Ordering::SeqCst), "cancelled work started");
}

pub fn cancel_right_after_submit_always_cancels<R: Runtime>() {
    let fx = Fixture::<R>::new();
    for round in 0..20 {
        let (probe, report) = probe::<R>();
        let result = fx.run_in_reactor(move || async move {
            let _probe = probe;
            std::future::pending::<()>().await
        });
        result.cancel();
        assert_eq!(result.wait(LONG), Err(Error::Cancelled), "round {round}");
        report.dropped();
    }
}

pub fn cancel_after_completion_keeps_the_outcome<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let done = fx.run_in_reactor(|| async { 5 });
    eventually("the value arrives", || done.is_ready());
    done.cancel();
    assert_eq!(done.wait(LONG), Ok(5));
    done.cancel();
    assert_eq!(done.wait(LONG), Err(Error::AlreadyRetrieved));

    let message = panic_message::<R>("cancel-after-failure");
    let thrown = message.clone();
    let failed = fx.call_in_reactor(move || -> u32 { fail(thrown) });
    eventually("the panic arrives", || failed.is_ready());
    failed.cancel();
    assert_panicked(failed.wait(LONG), &message);
}

pub fn cancel_is_idempotent<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (probe, report) = probe::<R>();
    let (resumed, resumption) = mpsc::channel();
    let result = Arc::new(fx.run_in_reactor_with_token(move |token| async move {
        let _probe = probe;
        token.cancelled().await;
        // Never reached: cancelled work is dropped, not polled again.
        resumed.send(()).unwrap();
    }));
    let cancellers: Vec<_> = (0..3)
        .map(|_| {
            let result = result.clone();
            thread::spawn(move || result.cancel())
        })
        .collect();
    result.cancel();
    for canceller in cancellers {
        canceller.join().unwrap();
    }
    result.cancel();
    assert_eq!(result.wait(LONG), Err(Error::Cancelled));
    assert_dropped_in_runtime(&report.dropped());
    assert!(
        resumption.try_recv().is_err(),
        "cancelled work was polled again"
    );
    result.cancel();
    assert_eq!(result.wait(LONG), Err(Error::Cancelled));
    assert_eq!(result.original_failure(), None);
}

pub fn wait_for_timeout_cancels_then_reports_timeout<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (probe, report) = probe::<R>();
    let start = Instant::now();
    let outcome = fx.wait_for(SHORT, move || async move {
        let _probe = probe;
        std::future::pending::<()>().await
    });
    let waited = start.elapsed();
    assert_eq!(outcome, Err(Error::Timeout));
    assert!(
        (SHORT..BOUND).contains(&waited),
        "timed out after {waited:?}"
    );
    assert_dropped_in_runtime(&report.dropped());
}

pub fn dropping_the_result_does_not_cancel_the_work<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (open, gated) = gate::<u32>();
    let (finished, finish) = mpsc::channel();
    let result = fx.run_in_reactor(move || async move {
        let value = gated.await;
        finished.send(value).unwrap();
        value
    });
    drop(result);
    open.send(11).unwrap();
    assert_eq!(finish.recv_timeout(LONG), Ok(11));
}

/// Runs a closure when dropped.
struct OnDrop<F: FnMut()>(F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}
