//! The process-wide async-std loop of `crochet::async_std::setup()`. In a
//! test binary of its own, since the loop is process-wide.

#![cfg(feature = "async-std")]

use std::thread;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(5);

#[test]
fn setup_twice_gives_the_same_loop() {
    let first = crochet::async_std::setup();
    let second = crochet::async_std::setup();
    assert_eq!(first.id(), second.id());
    assert_ne!(first.id(), crochet::async_std::start().id());
    assert_ne!(
        first.id(),
        crochet::setup().id(),
        "each runtime has its own loop"
    );
    let slept = second.wait_for(LONG, || async {
        async_std::task::sleep(Duration::from_millis(1)).await;
        thread::current().name().map(str::to_owned)
    });
    assert_eq!(slept, Ok(Some("crochet-async-std".to_owned())));
}

#[test]
fn concurrent_first_setups_start_one_loop() {
    let setups: Vec<_> = (0..8)
        .map(|_| thread::spawn(|| crochet::async_std::setup().id()))
        .collect();
    let ids: Vec<_> = setups.into_iter().map(|s| s.join().unwrap()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
}
