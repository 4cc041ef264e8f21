//! Shutdown: it releases every blocked wait, refuses later work, keeps the
//! values already there, and leaves nothing alive that was dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use crochet::Error;

use crochet_test_support::fixture::{Fixture, Runtime};
use crochet_test_support::helpers::{
    assert_panicked, eventually, fail, panic_message, probe, LONG,
};

pub fn shutdown_releases_waits_blocked_in_several_threads<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let results: Vec<_> = (0..3)
        .map(|_| Arc::new(fx.run_in_reactor(std::future::pending::<u32>)))
        .collect();
    let (waiting, ready) = mpsc::channel();
    // Four waiters: one per result, and a second one on the first result.
    let waiters: Vec<_> = (0..4)
        .map(|i| {
            let result = results[i % 3].clone();
            let waiting = waiting.clone();
            thread::spawn(move || {
                waiting.send(()).unwrap();
                result.wait(LONG * 4)
            })
        })
        .collect();
    for _ in 0..4 {
        ready.recv().unwrap();
    }
    // No channel can tell that a thread is blocked inside `wait`; this pause
    // makes it likely. Either way every waiter must get `ReactorStopped`.
    thread::sleep(Duration::from_millis(20));
    assert!(fx.shutdown(LONG));
    for waiter in waiters {
        assert_eq!(waiter.join().unwrap(), Err(Error::ReactorStopped));
    }
    assert_eq!(results[0].try_wait(), Err(Error::ReactorStopped));
}

pub fn work_submitted_after_shutdown_fails_at_once<R: Runtime>() {
    let fx = Fixture::<R>::new();
    assert!(fx.shutdown(LONG));
    let ran = Arc::new(AtomicBool::new(false));

    let (probe_a, report_a) = probe::<R>();
    let flag = ran.clone();
    let future_work = fx.run_in_reactor(move || {
        let _probe = probe_a;
        flag.store(true, Ordering::SeqCst);
        async { 1 }
    });
    assert!(future_work.is_ready());
    assert_eq!(future_work.try_wait(), Err(Error::ReactorStopped));

    let (probe_b, report_b) = probe::<R>();
    let flag = ran.clone();
    let plain_work = fx.call_in_reactor(move || {
        let _probe = probe_b;
        flag.store(true, Ordering::SeqCst);
        2
    });
    assert_eq!(plain_work.try_wait(), Err(Error::ReactorStopped));

    let (probe_c, report_c) = probe::<R>();
    let flag = ran.clone();
    let token_work = fx.run_in_reactor_with_token(move |token| {
        let _probe = probe_c;
        flag.store(true, Ordering::SeqCst);
        token.cancelled()
    });
    assert_eq!(token_work.try_wait(), Err(Error::ReactorStopped));

    let flag = ran.clone();
    let waited = fx.wait_for(LONG, move || {
        flag.store(true, Ordering::SeqCst);
        async { 3 }
    });
    assert_eq!(waited, Err(Error::ReactorStopped));

    for report in [report_a, report_b, report_c] {
        report.dropped();
    }
    assert!(!ran.load(Ordering::SeqCst), "work ran after shutdown");
}

pub fn outcomes_there_before_shutdown_are_kept<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let value = fx.run_in_reactor(|| async { 10 });
    let message = panic_message::<R>("failure-kept-by-shutdown");
    let thrown = message.clone();
    let failure = fx.call_in_reactor(move || -> u32 { fail(thrown) });
    let cancelled = fx.run_in_reactor(std::future::pending::<u32>);
    cancelled.cancel();
    eventually("the outcomes arrive", || {
        value.is_ready() && failure.is_ready()
    });
    assert!(fx.shutdown(LONG));
    assert_eq!(value.wait(LONG), Ok(10));
    assert_panicked(failure.wait(LONG), &message);
    assert_eq!(cancelled.wait(LONG), Err(Error::Cancelled));
}

pub fn shutdown_is_idempotent_and_says_it_finished<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let pending = fx.run_in_reactor(std::future::pending::<()>);
    let shutters: Vec<_> = (0..3)
        .map(|_| {
            let event_loop = (*fx).clone();
            thread::spawn(move || event_loop.shutdown(LONG))
        })
        .collect();
    assert!(fx.shutdown(LONG));
    for shutter in shutters {
        assert!(shutter.join().unwrap());
    }
    assert!(fx.shutdown(LONG));
    assert!(
        fx.shutdown(Duration::ZERO),
        "a stopped loop is stopped at once"
    );
    assert_eq!(pending.wait(LONG), Err(Error::ReactorStopped));
}

pub fn shutdown_drops_pending_work_and_fires_its_token<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (probe, report) = probe::<R>();
    let (cleaned, cleanup) = mpsc::channel();
    let (started, running) = mpsc::channel();
    let result = fx.run_in_reactor_with_token(move |token| {
        thread::spawn(move || {
            crochet::reactor::block_on(token.cancelled());
            cleaned.send(()).unwrap();
        });
        async move {
            let _probe = probe;
            started.send(()).unwrap();
            std::future::pending::<()>().await
        }
    });
    running.recv_timeout(LONG).expect("the work did not start");
    assert!(fx.shutdown(LONG));
    assert_eq!(result.wait(LONG), Err(Error::ReactorStopped));
    report.dropped();
    cleanup.recv_timeout(LONG).expect("the token did not fire");
}

pub fn dropped_results_are_not_kept_alive<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let values: Vec<_> = (0..20)
        .map(|_| {
            let value = Arc::new(());
            let weak = Arc::downgrade(&value);
            let result = fx.run_in_reactor(move || async move { value });
            (weak, result)
        })
        .collect();
    let weaks: Vec<_> = values
        .into_iter()
        .map(|(weak, result)| {
            eventually("the value arrives", || result.is_ready());
            weak
        })
        .collect();
    eventually("every dropped result is freed", || {
        weaks.iter().all(|weak| weak.strong_count() == 0)
    });
}

pub fn dropping_the_last_handle_stops_the_loop<R: Runtime>() {
    crochet_test_support::helpers::init();
    let (event_loop, owned) = R::start();
    let clone = event_loop.clone();
    let pending = event_loop.run_in_reactor(std::future::pending::<()>);
    drop(event_loop);
    assert_eq!(
        pending.try_wait(),
        Err(Error::Timeout),
        "a clone is still alive"
    );
    drop(clone);
    assert_eq!(pending.wait(LONG), Err(Error::ReactorStopped));
    drop(owned);
}

pub fn shutdown_on_the_reactor_thread_does_not_deadlock<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let inner = (*fx).clone();
    let result = fx.call_in_reactor(move || inner.shutdown(LONG));
    // The loop fails its own pending results, this one included, first.
    assert_eq!(result.wait(LONG), Err(Error::ReactorStopped));
    let late = fx.run_in_reactor(|| async { 1 });
    assert_eq!(late.try_wait(), Err(Error::ReactorStopped));
    assert!(fx.shutdown(LONG), "the loop did not finish stopping");
}

pub fn shutdown_guard_stops_the_loop_when_dropped<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let pending = fx.run_in_reactor(std::future::pending::<()>);
    let guard = fx.shutdown_guard(LONG);
    assert_eq!(pending.try_wait(), Err(Error::Timeout));
    drop(guard);
    assert_eq!(pending.try_wait(), Err(Error::ReactorStopped));
    let late = fx.run_in_reactor(|| async { 1 });
    assert_eq!(late.try_wait(), Err(Error::ReactorStopped));
}
