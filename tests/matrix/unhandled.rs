//! Failures nobody looked at are reported once through the hook; failures
//! somebody saw are not.

use std::sync::mpsc::{self, RecvTimeoutError};

use crochet::Error;

use crochet_test_support::fixture::{Fixture, Runtime};
use crochet_test_support::helpers::{
    assert_panicked, eventually, fail, gate, panic_message, reports, LONG, SHORT,
};

pub fn panic_dropped_without_wait_is_reported_once<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let message = panic_message::<R>("unhandled-dropped");
    let thrown = message.clone();
    let result = fx.call_in_reactor(move || -> u32 { fail(thrown) });
    eventually("the panic arrives", || result.is_ready());
    assert_eq!(
        reports(&message),
        0,
        "reported while a handle could still see it"
    );
    drop(result);
    assert_eq!(reports(&message), 1);
    drop(fx);
    assert_eq!(reports(&message), 1, "reported again at shutdown");
}

pub fn panic_after_a_timed_out_wait_is_reported_once<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let message = panic_message::<R>("unhandled-after-timeout");
    let (open, gated) = gate::<String>();
    let result = fx.run_in_reactor(move || async move { fail::<u32>(gated.await) });
    assert_eq!(result.wait(SHORT), Err(Error::Timeout));
    open.send(message.clone()).unwrap();
    eventually("the panic arrives", || result.is_ready());
    assert_eq!(reports(&message), 0);
    drop(result);
    assert_eq!(reports(&message), 1);
    drop(fx);
    assert_eq!(reports(&message), 1);
}

pub fn panic_arriving_after_the_handle_was_dropped_is_reported_once<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let message = panic_message::<R>("unhandled-after-drop");
    let (open, gated) = gate::<String>();
    let (finished, finish) = mpsc::channel::<()>();
    let result = fx.run_in_reactor(move || async move {
        // Tells the test when the work is over, panic included.
        let _finished = finished;
        fail::<u32>(gated.await)
    });
    drop(result);
    assert_eq!(reports(&message), 0);
    open.send(message.clone()).unwrap();
    assert_eq!(
        finish.recv_timeout(LONG),
        Err(RecvTimeoutError::Disconnected)
    );
    eventually("the report", || reports(&message) > 0);
    drop(fx);
    assert_eq!(reports(&message), 1);
}

pub fn stashed_panic_is_reported_once_at_shutdown<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let message = panic_message::<R>("unhandled-stashed");
    let thrown = message.clone();
    let result = fx.call_in_reactor(move || -> u32 { fail(thrown) });
    eventually("the panic arrives", || result.is_ready());
    let id = result.stash().unwrap();
    assert_eq!(reports(&message), 0, "reported while stashed");
    assert!(fx.shutdown(LONG));
    assert_eq!(reports(&message), 1);
    assert!(fx.shutdown(LONG));
    assert_eq!(reports(&message), 1, "reported again by a second shutdown");
    let retrieved = crochet::retrieve_result::<u32>(id).unwrap();
    assert_panicked(retrieved.wait(LONG), &message);
    drop(retrieved);
    assert_eq!(reports(&message), 1, "reported again after retrieval");
}

pub fn failures_somebody_saw_are_not_reported<R: Runtime>() {
    let fx = Fixture::<R>::new();

    let waited = panic_message::<R>("seen-by-wait");
    let thrown = waited.clone();
    let result = fx.call_in_reactor(move || -> u32 { fail(thrown) });
    assert_panicked(result.wait(LONG), &waited);
    drop(result);

    let looked_at = panic_message::<R>("seen-by-original-failure");
    let thrown = looked_at.clone();
    let result = fx.call_in_reactor(move || -> u32 { fail(thrown) });
    eventually("the panic arrives", || result.is_ready());
    assert!(result.original_failure().is_some());
    drop(result);

    let awaited = panic_message::<R>("seen-by-await");
    let thrown = awaited.clone();
    let mut result = fx.call_in_reactor(move || -> u32 { fail(thrown) });
    assert_panicked(pollster::block_on(&mut result), &awaited);
    drop(result);

    let stashed = panic_message::<R>("seen-after-stash");
    let thrown = stashed.clone();
    let id = fx
        .call_in_reactor(move || -> u32 { fail(thrown) })
        .stash()
        .unwrap();
    let retrieved = crochet::retrieve_result::<u32>(id).unwrap();
    assert_panicked(retrieved.wait(LONG), &stashed);
    drop(retrieved);

    drop(fx);
    for message in [waited, looked_at, awaited, stashed] {
        assert_eq!(reports(&message), 0, "{message} was seen, yet reported");
    }
}
