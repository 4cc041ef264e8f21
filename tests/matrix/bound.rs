//! Values kept on the reactor: `bind`, `try_bind` and the calls of a
//! `Bound`, their access rules, their cancellation, and where the value is
//! dropped.

use std::sync::mpsc;
use std::thread;

use crochet::{Bound, Error};

use crochet_test_support::fixture::{Fixture, Runtime};
use crochet_test_support::helpers::{
    assert_dropped_in_runtime, assert_panicked, fail, gate, panic_message, probe, Probe, LONG,
    SHORT,
};

pub fn bound_value_is_made_on_the_reactor_and_used_by_calls<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let bound = fx
        .bind(|| async { (R::in_runtime(), vec![1_u32, 2]) })
        .wait(LONG)
        .unwrap();
    assert_eq!(bound.call(|v| async move { v.0 }).wait(LONG), Ok(true));
    let sum = bound.call_mut(|mut v| async move {
        v.1.push(3);
        v.1.iter().sum::<u32>()
    });
    assert_eq!(sum.wait(LONG), Ok(6));
    let seen = bound.clone().call(|v| async move { v.1.clone() });
    assert_eq!(seen.wait(LONG), Ok(vec![1, 2, 3]));

    let refused = fx.try_bind(|| async { Err::<u32, _>("refused") });
    assert_eq!(refused.wait(LONG).unwrap().err(), Some("refused"));
    let made = fx.try_bind(|| async { Ok::<_, ()>(5_u32) });
    let made = made.wait(LONG).unwrap().unwrap();
    assert_eq!(made.wait_for(LONG, |n| async move { *n }), Ok(5));
}

pub fn bound_calls_run_concurrently<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let bound = fx.bind(|| async {}).wait(LONG).unwrap();
    let (open, gated) = gate::<u32>();
    // The first call waits for a signal only the second one sends: they
    // finish only if they overlap.
    // Each holds its shared access while it runs.
    let waiting = bound.call(move |v| async move {
        let _v = v;
        gated.await
    });
    let sending = bound.call(move |v| async move {
        let _v = v;
        open.send(9).is_ok()
    });
    assert_eq!(sending.wait(LONG), Ok(true));
    assert_eq!(waiting.wait(LONG), Ok(9));
}

pub fn call_mut_is_exclusive_and_in_submission_order<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let bound: Bound<Vec<u32>> = fx.bind(|| async { Vec::new() }).wait(LONG).unwrap();
    // A shared call holds the value: every later call waits behind it.
    let (open, gated) = gate::<()>();
    // The access lasts as long as its guard: the future holds it.
    let holding = bound.call(move |log| async move {
        let _log = log;
        gated.await
    });
    let pushes: Vec<_> = (0..20)
        .map(|i| bound.call_mut(move |mut log| async move { log.push(i) }))
        .collect();
    // A shared call submitted after them sees all of them.
    let seen = bound.call(|log| async move { log.clone() });
    assert_eq!(pushes[0].wait(SHORT), Err(Error::Timeout));
    open.send(()).unwrap();
    holding.wait(LONG).unwrap();
    for push in &pushes {
        push.wait(LONG).unwrap();
    }
    assert_eq!(seen.wait(LONG), Ok((0..20).collect::<Vec<_>>()));
}

pub fn shared_calls_wait_while_a_call_mut_runs<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let bound = fx.bind(|| async { 0_u32 }).wait(LONG).unwrap();
    let (open, gated) = gate::<u32>();
    let writing = bound.call_mut(move |mut n| async move {
        *n = gated.await;
    });
    let reading = bound.call(|n| async move { *n });
    assert_eq!(reading.wait(SHORT), Err(Error::Timeout));
    open.send(4).unwrap();
    writing.wait(LONG).unwrap();
    assert_eq!(reading.wait(LONG), Ok(4));
}

pub fn cancelling_a_call_drops_it_and_releases_its_access<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let bound = fx.bind(|| async { 0_u32 }).wait(LONG).unwrap();
    let (probe, report) = probe::<R>();
    let (started, running) = mpsc::channel();
    let stuck = bound.call_mut(move |n| async move {
        let _n = n;
        let _probe = probe;
        started.send(()).unwrap();
        std::future::pending::<()>().await
    });
    running.recv_timeout(LONG).expect("the call did not start");
    // One waiting for access, cancelled before it gets it, and one after.
    let queued = bound.call_mut(|mut n| async move { *n += 100 });
    let next = bound.call_mut(|mut n| async move {
        *n += 1;
        *n
    });
    queued.cancel();
    stuck.cancel();
    assert_eq!(stuck.wait(LONG), Err(Error::Cancelled));
    assert_dropped_in_runtime(&report.dropped());
    assert_eq!(next.wait(LONG), Ok(1));
    assert_eq!(queued.wait(LONG), Err(Error::Cancelled));
    // A timed-out wait_for cancels its call too.
    let slow = bound.wait_for(SHORT, |n| async move {
        let _n = n;
        std::future::pending::<()>().await
    });
    assert_eq!(slow, Err(Error::Timeout));
    assert_eq!(bound.call_mut(|n| async move { *n }).wait(LONG), Ok(1));
}

pub fn bound_value_is_dropped_on_the_reactor_after_the_last_handle_and_call<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (probe, report) = probe::<R>();
    let bound = fx.bind(move || async move { probe }).wait(LONG).unwrap();
    let other = bound.clone();
    let (open, gated) = gate::<()>();
    let last_call = bound.call(move |access: crochet::BoundRef<Probe>| async move {
        let _access = access;
        gated.await
    });
    drop(bound);
    drop(other);
    assert!(report.alive(), "dropped while a call still ran");
    open.send(()).unwrap();
    last_call.wait(LONG).unwrap();
    assert_dropped_in_runtime(&report.dropped());
}

pub fn shutdown_fails_blocked_and_later_calls<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (probe, report) = probe::<R>();
    let bound = fx.bind(move || async move { probe }).wait(LONG).unwrap();
    let (waiting, started) = mpsc::channel();
    let waiter = {
        let bound = bound.clone();
        thread::spawn(move || {
            let blocked = bound.call(|v| async move {
                let _v = v;
                std::future::pending::<()>().await
            });
            waiting.send(()).unwrap();
            blocked.wait(LONG * 4)
        })
    };
    started.recv().unwrap();
    let queued = bound.call_mut(|_| async {});
    assert!(fx.shutdown(LONG));
    assert_eq!(waiter.join().unwrap(), Err(Error::ReactorStopped));
    assert_eq!(queued.wait(LONG), Err(Error::ReactorStopped));
    assert_eq!(
        bound.call(|_| async {}).wait(LONG),
        Err(Error::ReactorStopped)
    );
    assert_eq!(
        bound.wait_for(LONG, |_| async {}),
        Err(Error::ReactorStopped)
    );
    assert_dropped_in_runtime(&report.dropped());
}

pub fn a_panicking_call_fails_alone_and_the_value_stays_usable<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let bound = fx.bind(|| async { 1_u32 }).wait(LONG).unwrap();
    let message = panic_message::<R>("bound-call-panics");
    let thrown = message.clone();
    let failed = bound.call_mut(move |mut n| async move {
        *n = 2;
        fail::<()>(thrown)
    });
    assert_panicked(failed.wait(LONG), &message);
    assert_eq!(bound.call(|n| async move { *n }).wait(LONG), Ok(2));
    assert_eq!(bound.call_mut(|n| async move { *n }).wait(LONG), Ok(2));
}

pub fn bound_stream_reads_the_value_in_order_and_an_early_drop_cancels_it<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let bound = fx.bind(|| async { vec![1_u32, 2] }).wait(LONG).unwrap();
    // A stream opened after a call_mut sees what the call did.
    let pushed = bound.call_mut(|mut rows| async move { rows.push(3) });
    let mut rows = bound.stream(1, |rows, sender| async move {
        assert!(R::in_runtime(), "the producer ran off the runtime");
        for row in rows.iter() {
            if sender.send(*row).await.is_err() {
                return;
            }
        }
    });
    let read: Result<Vec<u32>, _> = rows.iter_timeout(LONG).collect();
    assert_eq!(read, Ok(vec![1, 2, 3]));
    assert_eq!(pushed.wait(LONG), Ok(()));

    // An endless producer holding shared access, dropped after one item:
    // its canceller runs, and the access is given back.
    let (ran, runs) = mpsc::channel();
    let mut endless = bound.stream_with_canceller(
        1,
        |rows, sender| async move { while sender.send(rows.len()).await.is_ok() {} },
        move || async move { ran.send(R::in_runtime()).unwrap() },
    );
    assert_eq!(endless.next_timeout(LONG), Ok(Some(3)));
    drop(endless);
    assert_eq!(
        runs.recv_timeout(LONG),
        Ok(true),
        "the canceller ran off the runtime"
    );
    let last = bound.call_mut(|mut rows| async move { rows.pop() });
    assert_eq!(last.wait(LONG), Ok(Some(3)));
}
