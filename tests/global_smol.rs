//! The process-wide smol loop of `crochet::smol::setup()`. In a test binary
//! of its own, since the loop is process-wide; `no_setup` before `setup` is
//! in `global_smol_attached.rs`.

#![cfg(feature = "smol")]

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crochet::Error;

const LONG: Duration = Duration::from_secs(5);

#[test]
fn setup_twice_gives_the_same_loop() {
    let first = crochet::smol::setup();
    let second = crochet::smol::setup();
    assert_eq!(first.id(), second.id());
    assert_ne!(first.id(), crochet::smol::start().id());
    assert_ne!(
        first.id(),
        crochet::setup().id(),
        "each runtime has its own loop"
    );
    let slept = second.wait_for(LONG, || async {
        smol::Timer::after(Duration::from_millis(1)).await;
        thread::current().name().map(str::to_owned)
    });
    assert_eq!(slept, Ok(Some("crochet-smol".to_owned())));
}

#[test]
fn concurrent_first_setups_start_one_loop() {
    let setups: Vec<_> = (0..8)
        .map(|_| thread::spawn(|| crochet::smol::setup().id()))
        .collect();
    let ids: Vec<_> = setups.into_iter().map(|s| s.join().unwrap()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
}

#[test]
fn no_setup_after_setup_is_already_set_up() {
    let global = crochet::smol::setup();
    let refused = crochet::smol::no_setup(Arc::new(smol::Executor::new()));
    assert_eq!(refused.unwrap_err(), Error::AlreadySetUp);
    assert_eq!(crochet::smol::setup().id(), global.id());
}
