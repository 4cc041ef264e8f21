//! The process-wide tokio loop of `crochet::tokio::setup()`. In a test
//! binary of its own, since the loop is process-wide; `no_setup` before
//! `setup` is in `global_tokio_attached.rs`.

#![cfg(feature = "tokio")]

use std::thread;
use std::time::Duration;

use crochet::Error;

const LONG: Duration = Duration::from_secs(5);

#[test]
fn setup_twice_gives_the_same_loop() {
    let first = crochet::tokio::setup();
    let second = crochet::tokio::setup();
    assert_eq!(first.id(), second.id());
    assert_ne!(first.id(), crochet::tokio::start().id());
    assert_ne!(
        first.id(),
        crochet::setup().id(),
        "each runtime has its own loop"
    );
    let slept = second.wait_for(LONG, || async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        thread::current().name().map(str::to_owned)
    });
    assert_eq!(slept, Ok(Some("crochet-tokio".to_owned())));
}

#[test]
fn concurrent_first_setups_start_one_loop() {
    let setups: Vec<_> = (0..8)
        .map(|_| thread::spawn(|| crochet::tokio::setup().id()))
        .collect();
    let ids: Vec<_> = setups.into_iter().map(|s| s.join().unwrap()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
}

#[test]
fn no_setup_after_setup_is_already_set_up() {
    let global = crochet::tokio::setup();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let refused = crochet::tokio::no_setup(runtime.handle().clone());
    assert_eq!(refused.unwrap_err(), Error::AlreadySetUp);
    assert_eq!(crochet::tokio::setup().id(), global.id());
}
