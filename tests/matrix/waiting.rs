//! Results and waiting: values and failures, timeouts, the reactor thread's
//! refusal to block, and odd timeouts and deadlines.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crochet::Error;

use crochet_test_support::fixture::{Fixture, Runtime};
use crochet_test_support::helpers::{
    assert_panicked, eventually, fail, gate, panic_message, probe, send_soon, BOUND, LONG, SHORT,
};

pub fn wait_returns_value_ready_before<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let result = fx.run_in_reactor(|| async { 7 });
    eventually("the value arrives", || result.is_ready());
    assert_eq!(result.wait(LONG), Ok(7));
}

pub fn wait_returns_value_arriving_later<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (open, gated) = gate::<u32>();
    let result = fx.run_in_reactor(move || gated);
    assert!(!result.is_ready());
    let sender = send_soon(open, 7);
    assert_eq!(result.wait(LONG), Ok(7));
    sender.join().unwrap();
}

pub fn wait_returns_panic_ready_before<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let message = panic_message::<R>("panic-ready-before");
    let thrown = message.clone();
    let result = fx.call_in_reactor(move || -> u32 { fail(thrown) });
    eventually("the panic arrives", || result.is_ready());
    assert_panicked(result.wait(LONG), &message);
}

pub fn wait_returns_panic_arriving_later<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let message = panic_message::<R>("panic-arriving-later");
    let (open, gated) = gate::<String>();
    let result = fx.run_in_reactor(move || async move { fail::<u32>(gated.await) });
    let sender = send_soon(open, message.clone());
    assert_panicked(result.wait(LONG), &message);
    sender.join().unwrap();
}

pub fn failure_is_returned_to_every_wait<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let message = panic_message::<R>("failure-every-wait");
    let thrown = message.clone();
    let panicked = fx.call_in_reactor(move || -> u32 { fail(thrown) });
    assert_panicked(panicked.wait(LONG), &message);
    assert_panicked(panicked.wait(LONG), &message);
    assert_panicked(panicked.try_wait(), &message);

    let cancelled = fx.run_in_reactor(std::future::pending::<u32>);
    cancelled.cancel();
    assert_eq!(cancelled.wait(LONG), Err(Error::Cancelled));
    assert_eq!(cancelled.wait(LONG), Err(Error::Cancelled));
    assert_eq!(cancelled.try_wait(), Err(Error::Cancelled));
}

pub fn failure_reaches_waiters_in_several_threads<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let message = panic_message::<R>("failure-several-threads");
    let (open, gated) = gate::<String>();
    let result = Arc::new(fx.run_in_reactor(move || async move { fail::<u32>(gated.await) }));
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let result = result.clone();
            thread::spawn(move || result.wait(LONG))
        })
        .collect();
    let sender = send_soon(open, message.clone());
    for waiter in waiters {
        assert_panicked(waiter.join().unwrap(), &message);
    }
    sender.join().unwrap();
}

pub fn value_is_handed_out_once<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let result = fx.run_in_reactor(|| async { String::from("once") });
    assert_eq!(result.wait(LONG).as_deref(), Ok("once"));
    assert_eq!(result.wait(LONG), Err(Error::AlreadyRetrieved));
    assert_eq!(result.try_wait(), Err(Error::AlreadyRetrieved));
    assert!(result.is_ready());
}

pub fn value_goes_to_one_of_several_waiters<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (open, gated) = gate::<u32>();
    let result = Arc::new(fx.run_in_reactor(move || gated));
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let result = result.clone();
            thread::spawn(move || result.wait(LONG))
        })
        .collect();
    let sender = send_soon(open, 9);
    let outcomes: Vec<_> = waiters.into_iter().map(|w| w.join().unwrap()).collect();
    sender.join().unwrap();
    assert_eq!(
        outcomes.iter().filter(|o| **o == Ok(9)).count(),
        1,
        "{outcomes:?}"
    );
    let spent = Err(Error::AlreadyRetrieved);
    assert_eq!(
        outcomes.iter().filter(|o| **o == spent).count(),
        3,
        "{outcomes:?}"
    );
}

pub fn wait_times_out_after_about_the_timeout_and_again<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let result = fx.run_in_reactor(std::future::pending::<()>);
    for attempt in 0..2 {
        let start = Instant::now();
        assert_eq!(result.wait(SHORT), Err(Error::Timeout), "attempt {attempt}");
        let waited = start.elapsed();
        assert!(waited >= SHORT, "returned early, after {waited:?}");
        assert!(waited < BOUND, "returned late, after {waited:?}");
    }
    let start = Instant::now();
    assert_eq!(
        result.wait_deadline(Instant::now() + SHORT),
        Err(Error::Timeout)
    );
    assert!((SHORT..BOUND).contains(&start.elapsed()));
    assert!(!result.is_ready());
}

pub fn timed_out_wait_loses_no_value<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (open, gated) = gate::<u32>();
    let result = fx.run_in_reactor(move || gated);
    assert_eq!(result.wait(SHORT), Err(Error::Timeout));
    assert_eq!(result.try_wait(), Err(Error::Timeout));
    open.send(3).unwrap();
    assert_eq!(result.wait(LONG), Ok(3));
}

pub fn timed_out_wait_loses_no_failure<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let message = panic_message::<R>("timed-out-then-failure");
    let (open, gated) = gate::<String>();
    let result = fx.run_in_reactor(move || async move { fail::<u32>(gated.await) });
    assert_eq!(result.wait(SHORT), Err(Error::Timeout));
    open.send(message.clone()).unwrap();
    assert_panicked(result.wait(LONG), &message);
}

pub fn wait_in_reactor_closure_is_refused_at_once<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let inner = (*fx).clone();
    let seen = fx.call_in_reactor(move || {
        let pending = inner.run_in_reactor(std::future::pending::<()>);
        let start = Instant::now();
        let waited = pending.wait(Duration::from_secs(30));
        let until = pending.wait_deadline(Instant::now() + Duration::from_secs(30));
        let forever = pending.wait(Duration::MAX);
        (waited, until, forever, start.elapsed())
    });
    let (waited, until, forever, elapsed) = seen.wait(LONG).unwrap();
    assert_eq!(waited, Err(Error::WaitInReactorThread));
    assert_eq!(until, Err(Error::WaitInReactorThread));
    assert_eq!(forever, Err(Error::WaitInReactorThread));
    assert!(elapsed < BOUND, "refused only after {elapsed:?}");
}

pub fn wait_in_reactor_future_is_refused_at_once<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let inner = (*fx).clone();
    let seen = fx.run_in_reactor(move || async move {
        // After a suspension the task may resume on another worker thread.
        R::sleep(Duration::from_millis(1)).await;
        let pending = inner.run_in_reactor(std::future::pending::<()>);
        let start = Instant::now();
        (pending.wait(Duration::from_secs(30)), start.elapsed())
    });
    let (waited, elapsed) = seen.wait(LONG).unwrap();
    assert_eq!(waited, Err(Error::WaitInReactorThread));
    assert!(elapsed < BOUND, "refused only after {elapsed:?}");
}

pub fn wait_for_in_reactor_thread_is_refused_without_running_work<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let inner = (*fx).clone();
    let ran = Arc::new(AtomicBool::new(false));
    let (probe, report) = probe::<R>();
    let flag = ran.clone();
    let seen = fx.call_in_reactor(move || {
        inner.wait_for(Duration::from_secs(30), move || {
            let _probe = probe;
            flag.store(true, Ordering::SeqCst);
            async {}
        })
    });
    assert_eq!(seen.wait(LONG), Ok(Err(Error::WaitInReactorThread)));
    // The closure is gone: it was dropped unrun, not queued.
    report.dropped();
    assert!(!ran.load(Ordering::SeqCst));
}

pub fn wait_on_another_loops_result_in_reactor_thread_works<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let other = crochet::start();
    let theirs = other.run_in_reactor(|| async { 5 });
    let seen = fx.call_in_reactor(move || theirs.wait(LONG));
    assert_eq!(seen.wait(LONG), Ok(Ok(5)));
    assert!(other.shutdown(LONG));
}

pub fn try_wait_never_blocks_and_works_in_reactor_thread<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (open, gated) = gate::<u32>();
    let result = Arc::new(fx.run_in_reactor(move || gated));
    assert_eq!(result.try_wait(), Err(Error::Timeout));
    let inside = result.clone();
    let seen = fx.call_in_reactor(move || inside.try_wait());
    assert_eq!(seen.wait(LONG), Ok(Err(Error::Timeout)));
    open.send(4).unwrap();
    eventually("the value arrives", || result.is_ready());
    let inside = result.clone();
    let seen = fx.call_in_reactor(move || inside.try_wait());
    assert_eq!(seen.wait(LONG), Ok(Ok(4)));
    assert_eq!(result.try_wait(), Err(Error::AlreadyRetrieved));
}

pub fn is_ready_reports_an_outcome<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (open, gated) = gate::<u32>();
    let result = fx.run_in_reactor(move || gated);
    assert!(!result.is_ready());
    open.send(1).unwrap();
    eventually("the value arrives", || result.is_ready());
    assert_eq!(result.wait(LONG), Ok(1));
    assert!(result.is_ready(), "a taken value is still an outcome");
    let cancelled = fx.run_in_reactor(std::future::pending::<()>);
    assert!(!cancelled.is_ready());
    cancelled.cancel();
    assert!(cancelled.is_ready());
}

pub fn original_failure_is_none_none_then_the_panic<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let message = panic_message::<R>("original-failure");
    let (open, gated) = gate::<String>();
    let failing = fx.run_in_reactor(move || async move { fail::<u32>(gated.await) });
    assert_eq!(failing.original_failure(), None, "no result yet");

    let succeeding = fx.run_in_reactor(|| async { 1 });
    eventually("the value arrives", || succeeding.is_ready());
    assert_eq!(
        succeeding.original_failure(),
        None,
        "before the value is taken"
    );
    assert_eq!(succeeding.wait(LONG), Ok(1));
    assert_eq!(
        succeeding.original_failure(),
        None,
        "after the value is taken"
    );

    open.send(message.clone()).unwrap();
    eventually("the panic arrives", || failing.is_ready());
    let failure = failing.original_failure().expect("the work panicked");
    assert_eq!(failure.message(), message);
    assert!(failure.location().file().contains("waiting"));
    assert_eq!(failing.wait(LONG), Err(Error::Panicked(failure.clone())));
    assert!(Error::Panicked(failure).to_string().contains(&message));

    let cancelled = fx.run_in_reactor(std::future::pending::<()>);
    cancelled.cancel();
    assert_eq!(
        cancelled.original_failure(),
        None,
        "cancellation is no panic"
    );
}

pub fn zero_timeout_checks_without_blocking<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let pending = fx.run_in_reactor(std::future::pending::<()>);
    let start = Instant::now();
    assert_eq!(pending.wait(Duration::ZERO), Err(Error::Timeout));
    assert!(start.elapsed() < BOUND);
    let ready = fx.run_in_reactor(|| async { 2 });
    eventually("the value arrives", || ready.is_ready());
    assert_eq!(ready.wait(Duration::ZERO), Ok(2));
}

pub fn duration_max_waits_until_the_outcome<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (open, gated) = gate::<u32>();
    let result = fx.run_in_reactor(move || gated);
    let sender = send_soon(open, 8);
    assert_eq!(result.wait(Duration::MAX), Ok(8));
    sender.join().unwrap();

    let cancelled = Arc::new(fx.run_in_reactor(std::future::pending::<()>));
    let canceller = cancelled.clone();
    let cancelling = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        canceller.cancel();
    });
    assert_eq!(cancelled.wait(Duration::MAX), Err(Error::Cancelled));
    cancelling.join().unwrap();

    assert_eq!(fx.wait_for(Duration::MAX, || async { 3 }), Ok(3));
}

pub fn deadline_in_the_past_checks_without_blocking<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let past = Instant::now()
        .checked_sub(Duration::from_secs(1))
        .unwrap_or_else(Instant::now);
    let pending = fx.run_in_reactor(std::future::pending::<()>);
    let start = Instant::now();
    assert_eq!(pending.wait_deadline(past), Err(Error::Timeout));
    assert!(start.elapsed() < BOUND);
    let ready = fx.run_in_reactor(|| async { 6 });
    eventually("the value arrives", || ready.is_ready());
    assert_eq!(ready.wait_deadline(past), Ok(6));
}

pub fn wait_for_with_zero_timeout_cancels_at_once<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (probe, report) = probe::<R>();
    let start = Instant::now();
    let outcome = fx.wait_for(Duration::ZERO, move || async move {
        let _probe = probe;
        std::future::pending::<()>().await
    });
    assert_eq!(outcome, Err(Error::Timeout));
    assert!(start.elapsed() < BOUND);
    report.dropped();
}
