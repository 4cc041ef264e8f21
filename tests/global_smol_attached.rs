//! `crochet::smol::no_setup` before any `setup()`: later `setup()` calls
//! return the attached loop, which runs work on the application's executor.
//! In a test binary of its own, since the loop is process-wide.

#![cfg(feature = "smol")]

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crochet::Error;

const LONG: Duration = Duration::from_secs(5);

#[test]
fn no_setup_then_setup_returns_the_attached_loop() {
    // The application's executor, driven by a thread of the application.
    let executor = Arc::new(smol::Executor::<'static>::new());
    let (stop, stopped) = smol::channel::bounded::<()>(1);
    let driver = {
        let executor = executor.clone();
        thread::Builder::new()
            .name("app-executor".to_owned())
            .spawn(move || smol::block_on(executor.run(stopped.recv())))
            .unwrap()
    };

    let attached = crochet::smol::no_setup(executor.clone()).unwrap();
    let from_setup = crochet::smol::setup();
    assert_eq!(from_setup.id(), attached.id());

    let ran_on = from_setup.wait_for(LONG, || async {
        smol::Timer::after(Duration::from_millis(1)).await;
        thread::current().name().map(str::to_owned)
    });
    assert_eq!(ran_on, Ok(Some("app-executor".to_owned())));

    let again = crochet::smol::no_setup(executor.clone());
    assert_eq!(again.unwrap_err(), Error::AlreadySetUp);

    // Stopping the attached loop leaves the application's executor running.
    assert!(from_setup.shutdown(LONG));
    let still_running = executor.spawn(async { 2 });
    assert_eq!(smol::block_on(still_running), 2);

    stop.send_blocking(()).unwrap();
    driver.join().unwrap().unwrap();
}
