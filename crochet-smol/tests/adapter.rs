//! The adapter's own tests: what the cross-runtime matrix cannot check
//! without naming the runtime.

use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crochet_core::{Error, EventLoop};
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
