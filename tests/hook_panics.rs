//! The unhandled-error hook itself panics: the panic is caught wherever the
//! report happens (the thread that drops a result, a reactor thread, a
//! shutdown), the default line is written instead, and nothing else
//! notices. In a binary of its own, since the hook is process-wide.

use std::sync::{Mutex, Once, PoisonError};

use crochet::Error;

use crochet_test_support::fixture::{Fixture, Runtime};
use crochet_test_support::helpers::{self, eventually, fail, gate, panic_message, LONG};

crochet_test_support::stamp_suite! {
    hook::hook_panicking_in_the_dropping_thread_is_contained,
    hook::hook_panicking_on_a_reactor_thread_is_contained,
    hook::hook_panicking_in_shutdown_is_contained,
}

/// The test bodies, under a name the stamped tests can reach.
use crate as hook;

/// A panic dropped unseen is reported on the thread that drops its
/// handle: the hook's panic does not escape the drop.
fn hook_panicking_in_the_dropping_thread_is_contained<R: Runtime>() {
    let fx = fixture::<R>();
    let message = panic_message::<R>("hook-in-dropping-thread");
    let thrown = message.clone();
    let result = fx.call_in_reactor(move || -> u32 { fail(thrown) });
    eventually("the panic arrives", || result.is_ready());
    drop(result);
    assert_eq!(hook_calls(&message), 1);
    assert_eq!(fx.wait_for(LONG, || async { 1 }), Ok(1));
}

/// A panic arriving after its handle was dropped is reported on the
/// reactor thread: the hook's panic does not take the reactor down, however
/// many times it happens.
fn hook_panicking_on_a_reactor_thread_is_contained<R: Runtime>() {
    let fx = fixture::<R>();
    for round in 0..5 {
        let message = panic_message::<R>(&format!("hook-on-reactor-{round}"));
        let (open, gated) = gate::<String>();
        let result = fx.run_in_reactor(move || async move { fail::<u32>(gated.await) });
        drop(result);
        open.send(message.clone()).unwrap();
        eventually("the report", || hook_calls(&message) == 1);
        assert_eq!(
            fx.wait_for(LONG, move || async move { round }),
            Ok(round),
            "the reactor died with the hook"
        );
    }
}

/// Unretrieved stashed panics are reported by `shutdown`: the hook's panic
/// does not escape it, and the loop still stops.
fn hook_panicking_in_shutdown_is_contained<R: Runtime>() {
    let fx = fixture::<R>();
    let message = panic_message::<R>("hook-in-shutdown");
    let thrown = message.clone();
    let result = fx.call_in_reactor(move || -> u32 { fail(thrown) });
    eventually("the panic arrives", || result.is_ready());
    let id = result.stash().unwrap();
    assert!(fx.shutdown(LONG), "the loop did not stop");
    assert_eq!(hook_calls(&message), 1);
    let retrieved = crochet::retrieve_result::<u32>(id).unwrap();
    assert!(matches!(retrieved.wait(LONG), Err(Error::Panicked(_))));
    drop(retrieved);
    assert_eq!(hook_calls(&message), 1, "reported again once seen");
}

/// A fresh loop, with the panicking hook installed.
fn fixture<R: Runtime>() -> Fixture<R> {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // The matrix's panic hook keeps the deliberate panics quiet; its
        // unhandled-error hook is replaced at once.
        helpers::init();
        crochet::set_unhandled_error_hook(|err| {
            if let Error::Panicked(failure) = err {
                lock().push(failure.message().to_owned());
            }
            std::panic::panic_any(format!("{}the hook panics", helpers::EXPECTED));
        });
    });
    Fixture::new()
}

/// How many times the hook was called for the panic `message`.
fn hook_calls(message: &str) -> usize {
    lock().iter().filter(|seen| *seen == message).count()
}

fn lock() -> std::sync::MutexGuard<'static, Vec<String>> {
    static CALLS: Mutex<Vec<String>> = Mutex::new(Vec::new());
    CALLS.lock().unwrap_or_else(PoisonError::into_inner)
}
