//! The canceller: cleanup given with the work, run once on the reactor
//! after a cancel, never after the work finished; and `wait_or_cancel`,
//! which cancels on timeout without losing a result that won the race.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::{self, ThreadId};
use std::time::Duration;

use crochet::Error;
use futures::future::{BoxFuture, FutureExt};

use crochet_test_support::fixture::{Fixture, Runtime};
use crochet_test_support::helpers::{
    assert_panicked, eventually, fail, gate, panic_message, reports, LONG, SHORT,
};

/// What a canceller saw when it ran.
#[derive(Debug)]
struct Ran {
    thread: ThreadId,
    in_runtime: bool,
    /// Whether the work's future had been dropped before.
    after_drop: bool,
}

/// A work future that records its drop, and a canceller that reports.
fn watched<R: Runtime>() -> (
    impl FnOnce() -> BoxFuture<'static, ()> + Send + 'static,
    impl FnOnce() -> std::future::Ready<()> + Send + 'static,
    mpsc::Receiver<Ran>,
    mpsc::Receiver<()>,
) {
    let dropped = Arc::new(AtomicBool::new(false));
    let (ran, runs) = mpsc::channel();
    let (started, starts) = mpsc::channel();
    let marker = DropFlag(dropped.clone());
    let work = move || {
        async move {
            // Dropped with the future.
            let _marker = marker;
            let _ = started.send(());
            std::future::pending::<()>().await
        }
        .boxed()
    };
    let canceller = move || {
        let _ = ran.send(Ran {
            thread: thread::current().id(),
            in_runtime: R::in_runtime(),
            after_drop: dropped.load(Ordering::SeqCst),
        });
        std::future::ready(())
    };
    (work, canceller, runs, starts)
}

struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[track_caller]
fn assert_ran_once_on_the_reactor(runs: &mpsc::Receiver<Ran>) {
    let ran = runs.recv_timeout(LONG).expect("the canceller did not run");
    assert_ne!(ran.thread, thread::current().id(), "ran on the caller");
    assert!(ran.in_runtime, "the canceller ran off the runtime");
    assert!(
        ran.after_drop,
        "the canceller ran before the work was dropped"
    );
    assert!(runs.recv_timeout(SHORT).is_err(), "the canceller ran twice");
}

pub fn canceller_runs_once_on_the_reactor_after_cancel<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(dropped.clone());
    let (ran, runs) = mpsc::channel();
    let (started, starts) = mpsc::channel();
    let result = fx.run_in_reactor_with_canceller(
        move || async move {
            let _flag = flag;
            started.send(()).unwrap();
            std::future::pending::<()>().await
        },
        move || async move {
            ran.send(Ran {
                thread: thread::current().id(),
                in_runtime: R::in_runtime(),
                after_drop: dropped.load(Ordering::SeqCst),
            })
            .unwrap();
        },
    );
    starts.recv_timeout(LONG).expect("the work did not start");
    assert!(runs.recv_timeout(SHORT).is_err(), "ran before the cancel");
    result.cancel();
    result.cancel();
    assert_eq!(result.wait(LONG), Err(Error::Cancelled));
    assert_ran_once_on_the_reactor(&runs);
}

pub fn canceller_runs_after_a_wait_for_timeout<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (work, canceller, runs, _starts) = watched::<R>();
    assert_eq!(
        fx.wait_for_with_canceller(SHORT, work, canceller),
        Err(Error::Timeout)
    );
    assert_ran_once_on_the_reactor(&runs);

    let (work, canceller, runs, starts) = watched::<R>();
    let result = fx.run_in_reactor_with_canceller(work, canceller);
    starts.recv_timeout(LONG).unwrap();
    assert_eq!(result.wait_or_cancel(SHORT), Err(Error::Timeout));
    assert_ran_once_on_the_reactor(&runs);
}

pub fn canceller_never_runs_after_the_work_finished<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (ran, runs) = mpsc::channel::<&str>();
    let done = {
        let ran = ran.clone();
        fx.run_in_reactor_with_canceller(
            || async { 3 },
            move || async move { ran.send("value").unwrap() },
        )
    };
    assert_eq!(done.wait(LONG), Ok(3));
    done.cancel();
    let message = panic_message::<R>("canceller-after-panic");
    let thrown = message.clone();
    let failed = {
        let ran = ran.clone();
        fx.run_in_reactor_with_canceller(
            move || async move { fail::<u32>(thrown) },
            move || async move { ran.send("panic").unwrap() },
        )
    };
    assert_panicked(failed.wait(LONG), &message);
    failed.cancel();
    let quick = fx.wait_for_with_canceller(
        LONG,
        || async { 4 },
        move || async move { ran.send("wait_for").unwrap() },
    );
    assert_eq!(quick, Ok(4));
    assert_eq!(
        runs.recv_timeout(SHORT * 2),
        Err(mpsc::RecvTimeoutError::Disconnected),
        "a canceller ran after its work finished"
    );
}

pub fn canceller_runs_after_a_cancelled_bound_call<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let bound = fx.bind(|| async { 0_u32 }).wait(LONG).unwrap();
    let (work, canceller, runs, starts) = watched::<R>();
    let shared = bound.call_with_canceller(
        move |access| {
            let work = work();
            async move {
                let _access = access;
                work.await
            }
        },
        canceller,
    );
    starts.recv_timeout(LONG).unwrap();
    shared.cancel();
    assert_ran_once_on_the_reactor(&runs);

    let (work, canceller, runs, starts) = watched::<R>();
    let exclusive = bound.call_mut_with_canceller(
        move |access| {
            let work = work();
            async move {
                let _access = access;
                work.await
            }
        },
        canceller,
    );
    starts.recv_timeout(LONG).unwrap();
    assert_eq!(exclusive.wait_or_cancel(SHORT), Err(Error::Timeout));
    assert_ran_once_on_the_reactor(&runs);
    // The access was given back before the canceller ran.
    assert_eq!(bound.call_mut(|n| async move { *n }).wait(LONG), Ok(0));

    // A timed-out wait_for_with_canceller cancels its call the same way,
    // and a call that finishes in time leaves its canceller unrun.
    let (work, canceller, runs, _starts) = watched::<R>();
    let waited = bound.wait_for_with_canceller(
        SHORT,
        move |access| {
            let work = work();
            async move {
                let _access = access;
                work.await
            }
        },
        canceller,
    );
    assert_eq!(waited, Err(Error::Timeout));
    assert_ran_once_on_the_reactor(&runs);
    let (ran, unrun) = mpsc::channel::<()>();
    let quick = bound.wait_for_with_canceller(
        LONG,
        |n| async move { *n + 1 },
        move || async move { ran.send(()).unwrap() },
    );
    assert_eq!(quick, Ok(1));
    assert!(
        unrun.recv_timeout(SHORT).is_err(),
        "the canceller ran after the call finished"
    );
}

pub fn a_panicking_canceller_is_reported_once_and_the_reactor_goes_on<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let message = panic_message::<R>("canceller-panics");
    let thrown = message.clone();
    let (started, starts) = mpsc::channel();
    let result = fx.run_in_reactor_with_canceller(
        move || async move {
            started.send(()).unwrap();
            std::future::pending::<()>().await
        },
        move || async move { fail::<()>(thrown) },
    );
    starts.recv_timeout(LONG).unwrap();
    result.cancel();
    assert_eq!(result.wait(LONG), Err(Error::Cancelled));
    eventually("the canceller's panic is reported", || {
        reports(&message) == 1
    });
    assert_eq!(fx.wait_for(LONG, || async { 1 }), Ok(1), "the reactor died");
    assert_eq!(reports(&message), 1);
}

pub fn wait_or_cancel_returns_a_value_that_won_the_race<R: Runtime>() {
    let fx = Fixture::<R>::new();
    // A value there before the wait, and one arriving during it.
    let ready = fx.run_in_reactor(|| async { 1 });
    crochet_test_support::helpers::eventually("the value arrives", || ready.is_ready());
    assert_eq!(ready.wait_or_cancel(Duration::ZERO), Ok(1));
    let (open, gated) = gate::<u32>();
    let later = fx.run_in_reactor(move || gated);
    crochet_test_support::helpers::send_soon(open, 2);
    assert_eq!(later.wait_or_cancel(LONG), Ok(2));
    // Values finishing around the timeout: each is returned, or the work
    // was cancelled before it finished; none is lost, and the wait never
    // reports its own cancel.
    let mut won = 0;
    for round in 0..40_u64 {
        let (open, gated) = gate::<u64>();
        let result = fx.run_in_reactor(move || gated);
        let opener = thread::spawn(move || {
            thread::sleep(Duration::from_micros(round * 50));
            open.send(round).is_ok()
        });
        match result.wait_or_cancel(Duration::from_micros(1000)) {
            Ok(value) => {
                assert_eq!(value, round);
                won += 1;
            }
            Err(Error::Timeout) => assert_eq!(result.try_wait(), Err(Error::Cancelled)),
            other => panic!("round {round}: {other:?}"),
        }
        opener.join().unwrap();
    }
    assert!(won > 0, "no value won in 40 rounds");
}

pub fn canceller_runs_after_a_dropped_stream_and_not_after_a_finished_one<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(dropped.clone());
    let (ran, runs) = mpsc::channel();
    let mut endless = fx.stream_with_canceller(
        1,
        move |sender| async move {
            let _flag = flag;
            for n in 0_u32.. {
                if sender.send(n).await.is_err() {
                    return;
                }
            }
        },
        move || async move {
            ran.send(Ran {
                thread: thread::current().id(),
                in_runtime: R::in_runtime(),
                after_drop: dropped.load(Ordering::SeqCst),
            })
            .unwrap();
        },
    );
    assert_eq!(endless.next_timeout(LONG), Ok(Some(0)));
    assert!(runs.recv_timeout(SHORT).is_err(), "ran before the drop");
    drop(endless);
    assert_ran_once_on_the_reactor(&runs);

    let (ran, runs) = mpsc::channel::<()>();
    let mut finite = fx.stream_with_canceller(
        4,
        |sender| async move {
            let _ = sender.send(1_u32).await;
        },
        move || async move { ran.send(()).unwrap() },
    );
    assert_eq!(finite.next_timeout(LONG), Ok(Some(1)));
    assert_eq!(finite.next_timeout(LONG), Ok(None));
    drop(finite);
    assert!(
        runs.recv_timeout(SHORT).is_err(),
        "the canceller ran after the producer finished"
    );
}

/// The producer is being polled when the stream is dropped, and ends
/// because its next send fails: it stopped early, so the canceller runs
/// (the query it stands for is still running on the server).
pub fn canceller_runs_after_a_stream_dropped_while_its_producer_ran<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (dropped_tx, dropped_rx) = mpsc::channel::<()>();
    let (ran, runs) = mpsc::channel();
    let mut stream = fx.stream_with_canceller(
        1,
        move |sender| async move {
            sender.send(1_u32).await.expect("the first send");
            // Still inside the poll that sent the first item: the consumer
            // reads it and drops the stream meanwhile.
            dropped_rx
                .recv_timeout(LONG)
                .expect("the stream was dropped");
            if sender.send(2).await.is_err() {
                return; // the consumer is gone
            }
            fail::<()>("the second send succeeded after the drop".into());
        },
        move || async move { ran.send(()).unwrap() },
    );
    assert_eq!(stream.next_timeout(LONG), Ok(Some(1)));
    drop(stream);
    dropped_tx.send(()).unwrap();
    assert!(
        runs.recv_timeout(LONG).is_ok(),
        "the canceller did not run after the producer stopped early"
    );
}
