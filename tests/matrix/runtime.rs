//! What each runtime must offer the work: its timers and its sockets, real
//! cancellation of what it drives, and results that tasks of any other
//! runtime can await.

use std::future::{self, Future};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crochet::Error;
use futures::FutureExt;

use crochet_test_support::fixture::{Fixture, Runtime};
use crochet_test_support::helpers::{
    assert_dropped_in_runtime, assert_panicked, fail, gate, panic_message, probe, send_soon, LONG,
    SHORT,
};

pub fn timer_driven_future_completes<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let nap = Duration::from_millis(20);
    let start = Instant::now();
    let result = fx.run_in_reactor(move || async move {
        R::sleep(nap).await;
        "rested"
    });
    assert_eq!(result.wait(LONG), Ok("rested"));
    assert!(start.elapsed() >= nap, "the timer fired early");
}

pub fn timed_out_wait_for_drops_a_sleeping_future_on_the_reactor<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (probe, report) = probe::<R>();
    let (started, running) = std::sync::mpsc::channel();
    let outcome = fx.wait_for(SHORT, move || async move {
        let _probe = probe;
        started.send(()).unwrap();
        R::sleep(Duration::from_secs(60)).await;
    });
    assert_eq!(outcome, Err(Error::Timeout));
    running.recv_timeout(LONG).expect("the work never started");
    assert_dropped_in_runtime(&report.dropped());
}

pub fn tcp_echo_through_the_runtime_completes<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let payload = b"hello from a blocking caller".to_vec();
    let sent = payload.clone();
    let echoed = fx.wait_for(LONG, move || R::tcp_echo(sent));
    match echoed {
        Ok(Ok(echoed)) => assert_eq!(echoed, payload),
        other => panic!("the echo failed: {other:?}"),
    }
}

pub fn result_is_awaited_from_a_task_of_another_runtime<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (open, gated) = gate::<u32>();
    let result = fx.run_in_reactor(move || gated);
    let sender = send_soon(open, 21);
    let outcome = R::await_in_foreign_task(Box::pin(result));
    assert_eq!(outcome, Ok(21));
    sender.join().unwrap();

    let message = panic_message::<R>("awaited-failure");
    let (open, gated) = gate::<String>();
    let result = fx.run_in_reactor(move || async move { fail::<u32>(gated.await) });
    let sender = send_soon(open, message.clone());
    assert_panicked(R::await_in_foreign_task(Box::pin(result)), &message);
    sender.join().unwrap();
}

pub fn result_is_awaited_from_a_plain_executor<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (open, gated) = gate::<u32>();
    let mut result = fx.run_in_reactor(move || gated);
    let sender = send_soon(open, 22);
    assert_eq!(pollster::block_on(&mut result), Ok(22));
    assert_eq!(
        pollster::block_on(&mut result),
        Err(Error::AlreadyRetrieved)
    );
    sender.join().unwrap();
}

pub fn dropped_await_loses_nothing<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (open, gated) = gate::<u32>();
    let mut result = fx.run_in_reactor(move || gated);
    // Polled once and abandoned, as a `select!` that took another branch.
    assert_eq!((&mut result).now_or_never(), None);
    open.send(23).unwrap();
    assert_eq!(result.wait(LONG), Ok(23));

    let (open, gated) = gate::<u32>();
    let result = fx.run_in_reactor(move || gated);
    assert_eq!(result.wait(SHORT), Err(Error::Timeout));
    let sender = send_soon(open, 24);
    assert_eq!(R::await_in_foreign_task(Box::pin(result)), Ok(24));
    sender.join().unwrap();
}

pub fn cancel_and_shutdown_wake_an_awaiting_task<R: Runtime>() {
    let fx = Fixture::<R>::new();
    // Shared so that another thread can cancel while the task awaits; the
    // lock is held only while the task polls.
    let cancelled = Arc::new(Mutex::new(fx.run_in_reactor(std::future::pending::<u32>)));
    let canceller = cancelled.clone();
    let cancelling = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        canceller.lock().unwrap().cancel();
    });
    let awaiting = future::poll_fn(move |cx| Pin::new(&mut *cancelled.lock().unwrap()).poll(cx));
    assert_eq!(
        R::await_in_foreign_task(Box::pin(awaiting)),
        Err(Error::Cancelled)
    );
    cancelling.join().unwrap();

    let stopped = fx.run_in_reactor(std::future::pending::<u32>);
    let event_loop = (*fx).clone();
    let stopping = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        event_loop.shutdown(LONG)
    });
    assert_eq!(
        R::await_in_foreign_task(Box::pin(stopped)),
        Err(Error::ReactorStopped)
    );
    assert!(stopping.join().unwrap());
}
