//! The process-wide built-in loop of `crochet::setup()`. In a test binary of
//! its own, since the loop is process-wide.

use std::thread;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(5);

#[test]
fn setup_twice_gives_the_same_loop() {
    let first = crochet::setup();
    let second = crochet::setup();
    assert_eq!(first.id(), second.id());
    assert_ne!(
        first.id(),
        crochet::start().id(),
        "start() makes a loop of its own"
    );
    let thread = second.call_in_reactor(|| thread::current().name().map(str::to_owned));
    assert_eq!(thread.wait(LONG), Ok(Some("crochet-reactor".to_owned())));
}

#[test]
fn concurrent_first_setups_start_one_loop() {
    let setups: Vec<_> = (0..8)
        .map(|_| thread::spawn(|| crochet::setup().id()))
        .collect();
    let ids: Vec<_> = setups.into_iter().map(|s| s.join().unwrap()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
}
