//! The adapter's own tests: what the cross-runtime matrix cannot check
//! without naming the runtime.

use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crochet_core::{Error, EventLoop};
use crochet_test_support::refusal::{assert_refused_at_once, wait_on_pending};
use crochet_test_support::ThreadNameOnDrop;
use smol::{Executor, Timer};

const LONG: Duration = Duration::from_secs(10);

// Every assertion about the process-wide loop lives in this one test, so that
// no other test of this binary races with it over the global state.
#[test]
fn attached_loop_runs_work_on_the_applications_executor() {
    let executor = Arc::new(Executor::new());
    let (stop, stopped) = smol::channel::bounded::<()>(1);
    let driver = executor.clone();
    let app = thread::Builder::new()
        .name("app-executor".into())
        .spawn(move || smol::block_on(driver.run(stopped.recv())))
        .unwrap();

    let reactor: EventLoop = crochet_smol::attach(executor.clone());
    let ran_on = reactor.wait_for(LONG, || async {
        Timer::after(Duration::from_millis(1)).await;
        thread::current().name().map(String::from)
    });
    assert_eq!(ran_on.unwrap().as_deref(), Some("app-executor"));
    assert!(!reactor.is_reactor_thread());

    // Shutting the loop down fails its pending work and leaves the
    // application's executor running.
    let pending = reactor.run_in_reactor(std::future::pending::<()>);
    assert!(reactor.shutdown(LONG));
    assert_eq!(pending.wait(LONG), Err(Error::ReactorStopped));
    let still_running = executor.spawn(async { 3 });
    assert_eq!(smol::block_on(still_running), 3);

    stop.send_blocking(()).unwrap();
    app.join().unwrap().unwrap();
}

#[test]
fn dropping_the_last_handle_stops_the_loop() {
    let reactor = crochet_smol::start();
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
    assert_eq!(thread.as_deref(), Some("crochet-smol"));
}

#[test]
fn an_executor_driven_through_crochet_refuses_waits_in_its_tasks() {
    let executor = Arc::new(Executor::new());
    let reactor = crochet_smol::attach(executor.clone());
    let (stop, stopped) = smol::channel::bounded::<()>(1);
    let (driver, on_driver) = (executor.clone(), reactor.clone());
    let app = thread::spawn(move || {
        crochet_smol::run(&on_driver, &driver, stopped.recv()).unwrap();
        // Its own `run` has returned: the thread may wait again.
        on_driver.is_reactor_thread()
    });
    // A task of the application, on the thread that drives the executor.
    let inner = reactor.clone();
    let (refused, blocking) = smol::block_on(executor.spawn(async move {
        let refused = wait_on_pending(&inner);
        let blocking = smol::unblock(move || inner.wait_for(LONG, || async { 3 })).await;
        (refused, blocking)
    }));
    assert_refused_at_once("a task of the driven executor", refused);
    // Blocking code off the executor's threads may wait.
    assert_eq!(blocking, Ok(3));
    stop.send_blocking(()).unwrap();
    assert!(!app.join().unwrap());
}

#[test]
fn which_threads_of_a_smol_executor_are_recognised() {
    // An executor the application drives with `smol::block_on` itself:
    // crochet sees its thread only while one of its own tasks is polled.
    let executor = Arc::new(Executor::new());
    let reactor = crochet_smol::attach(executor.clone());
    let (stop, stopped) = smol::channel::bounded::<()>(1);
    let driver = executor.clone();
    let app = thread::spawn(move || smol::block_on(driver.run(stopped.recv())));
    let inner = reactor.clone();
    let in_app_task = smol::block_on(executor.spawn(async move { inner.is_reactor_thread() }));
    assert!(!in_app_task, "an application's task is not recognised");
    let inner = reactor.clone();
    let in_work = reactor.wait_for(LONG, move || async move { inner.is_reactor_thread() });
    assert_eq!(in_work, Ok(true));
    stop.send_blocking(()).unwrap();
    app.join().unwrap().unwrap();
    // A loop crochet runs: its thread is marked; `smol::unblock` and smol's
    // global executor run elsewhere, and a wait there cannot block the loop.
    let owned = crochet_smol::start();
    let inner = owned.clone();
    let seen = owned.wait_for(LONG, move || async move {
        let unblocked = inner.clone();
        let unblocked = smol::unblock(move || unblocked.is_reactor_thread()).await;
        let global = inner.clone();
        let global = smol::spawn(async move { global.is_reactor_thread() }).await;
        (inner.is_reactor_thread(), unblocked, global)
    });
    assert_eq!(seen, Ok((true, false, false)));
    assert!(owned.shutdown(LONG));
}
