//! `crochet::tokio::no_setup` before any `setup()`: later `setup()` calls
//! return the attached loop, which runs work on the application's runtime.
//! In a test binary of its own, since the loop is process-wide.

#![cfg(feature = "tokio")]

use std::thread;
use std::time::Duration;

use crochet::Error;

const LONG: Duration = Duration::from_secs(5);

#[test]
fn no_setup_then_setup_returns_the_attached_loop() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("app-runtime")
        .enable_all()
        .build()
        .unwrap();
    let attached = crochet::tokio::no_setup(runtime.handle().clone()).unwrap();
    let from_setup = crochet::tokio::setup();
    assert_eq!(from_setup.id(), attached.id());

    let ran_on = from_setup.wait_for(LONG, || async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        thread::current().name().map(str::to_owned)
    });
    assert_eq!(ran_on, Ok(Some("app-runtime".to_owned())));

    let again = crochet::tokio::no_setup(runtime.handle().clone());
    assert_eq!(again.unwrap_err(), Error::AlreadySetUp);

    // Stopping the attached loop leaves the application's runtime running.
    assert!(from_setup.shutdown(LONG));
    assert_eq!(runtime.block_on(async { 1 + 1 }), 2);
    let still_running = runtime.spawn(async { tokio::time::sleep(Duration::from_millis(1)).await });
    runtime.block_on(still_running).unwrap();
    runtime.shutdown_timeout(LONG);
}
