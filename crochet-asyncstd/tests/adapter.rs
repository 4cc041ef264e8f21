//! The adapter's own tests: what the cross-runtime matrix cannot check
//! without naming the runtime.

use std::cell::Cell;
use std::sync::mpsc;
use std::time::Duration;

use async_std::task;
use crochet_core::Error;
use crochet_test_support::ThreadNameOnDrop;

const LONG: Duration = Duration::from_secs(10);

// Every assertion about the process-wide loop lives in this one test, so that
// no other test of this binary races with it over the global state.
#[test]
fn work_sees_an_async_std_task_and_its_locals() {
    async_std::task_local! {
        static CALLS: Cell<u32> = Cell::new(0);
    }
    let reactor = crochet_asyncstd::start();
    let seen = reactor.wait_for(LONG, || async {
        CALLS.with(|calls| calls.set(calls.get() + 1));
        task::yield_now().await;
        let name = task::current().name().map(String::from);
        (name, CALLS.with(Cell::get), task::try_current().is_some())
    });
    assert_eq!(seen, Ok((Some("crochet-async-std".into()), 1, true)));
    // Work spawned from the loop onto async-std's own executor runs too.
    let spawned = reactor.wait_for(LONG, || task::spawn(async { 6 }));
    assert_eq!(spawned, Ok(6));
    assert!(reactor.shutdown(LONG));
}

#[test]
fn dropping_the_last_handle_stops_the_loop() {
    let reactor = crochet_asyncstd::start();
    let (dropped_tx, dropped_rx) = mpsc::channel();
    let guard = ThreadNameOnDrop(dropped_tx);
    let (started_tx, started_rx) = mpsc::channel();
    let pending = reactor.run_in_reactor(move || async move {
        let _guard = guard;
        started_tx.send(()).unwrap();
        std::future::pending::<()>().await;
    });
    started_rx.recv_timeout(LONG).unwrap();
    drop(reactor);
    assert_eq!(pending.wait(LONG), Err(Error::ReactorStopped));
    let thread = dropped_rx.recv_timeout(LONG).unwrap();
    assert_eq!(thread.as_deref(), Some("crochet-async-std"));
}

#[test]
fn only_the_loops_own_thread_refuses_waits() {
    // The loop's executor is crochet's alone, on a thread that is marked;
    // async-std's own executor and blocking pool run on other threads, where
    // a wait blocks nothing of the loop's and is allowed.
    let reactor = crochet_asyncstd::start();
    let inner = reactor.clone();
    let seen = reactor.wait_for(LONG, move || async move {
        let on_loop = inner.wait_for(LONG, || async { 1 });
        let spawned = inner.clone();
        let spawned = task::spawn(async move { spawned.wait_for(LONG, || async { 2 }) }).await;
        let blocking = task::spawn_blocking(move || inner.wait_for(LONG, || async { 3 })).await;
        (on_loop, spawned, blocking)
    });
    assert_eq!(seen, Ok((Err(Error::WaitInReactorThread), Ok(2), Ok(3))));
    assert!(reactor.shutdown(LONG));
}
