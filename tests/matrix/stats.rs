//! `EventLoop::stats`: every piece of work is counted once when submitted
//! and once by how it was settled, and `pending` returns to zero.

use std::time::Duration;

use crochet::Error;

use crochet_test_support::fixture::{Fixture, Runtime};
use crochet_test_support::helpers::{
    assert_panicked, eventually, fail, panic_message, LONG, SHORT,
};

pub fn stats_count_a_known_mix_of_outcomes<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let fresh = fx.stats();
    assert_eq!(
        (
            fresh.submitted(),
            fresh.pending(),
            fresh.longest_poll_nanos()
        ),
        (0, 0, 0)
    );
    assert_eq!(fresh.longest_poll_location(), None);

    // Three successes, one of them a poll that blocks for a while.
    assert_eq!(fx.wait_for(LONG, || async { 1 }), Ok(1));
    assert_eq!(fx.call_in_reactor(|| 2).wait(LONG), Ok(2));
    let slow_line = line!() + 1;
    let slow = fx.call_in_reactor(|| std::thread::sleep(Duration::from_millis(20)));
    assert_eq!(slow.wait(LONG), Ok(()));

    // Two cancellations, one of them of work that never started.
    let stuck = fx.run_in_reactor(std::future::pending::<()>);
    assert_eq!(fx.stats().pending(), 1, "the pending work is counted");
    stuck.cancel();
    assert_eq!(stuck.wait(LONG), Err(Error::Cancelled));
    let never = fx.call_in_reactor(|| 3);
    never.cancel();
    // It may have finished before the cancel: then it is a success.
    let never_cancelled = never.wait(LONG) == Err(Error::Cancelled);

    // One timeout of `wait_for`, which cancels the work but counts as a
    // timeout.
    assert_eq!(
        fx.wait_for(SHORT, std::future::pending::<()>),
        Err(Error::Timeout)
    );

    // Two panics, one in a closure and one in a future.
    let message = panic_message::<R>("stats-mix");
    let thrown = message.clone();
    assert_panicked(
        fx.call_in_reactor(move || fail::<u8>(thrown)).wait(LONG),
        &message,
    );
    let thrown = message.clone();
    assert_panicked(
        fx.wait_for(LONG, move || async move { fail::<u8>(thrown) }),
        &message,
    );

    let stats = fx.stats();
    let (cancelled, completed) = if never_cancelled { (2, 3) } else { (1, 4) };
    assert_eq!(stats.submitted(), 8, "{stats:?}");
    assert_eq!(stats.completed(), completed, "{stats:?}");
    assert_eq!(stats.cancelled(), cancelled, "{stats:?}");
    assert_eq!(stats.timed_out(), 1, "{stats:?}");
    assert_eq!(stats.panicked(), 2, "{stats:?}");
    assert_eq!(stats.stopped(), 0, "{stats:?}");
    assert_eq!(stats.pending(), 0, "{stats:?}");
    // The result is handed over inside the poll: the poll ends (and is
    // recorded) a moment later.
    eventually("the slow poll is recorded", || {
        fx.stats().longest_poll() >= Duration::from_millis(20)
    });
    let location = fx
        .stats()
        .longest_poll_location()
        .expect("a poll was timed");
    assert!(location.file().ends_with("stats.rs"), "{location}");
    assert_eq!(location.line(), slow_line);

    // Work pending at shutdown is counted as stopped, and so is work
    // submitted after it.
    let stuck = fx.run_in_reactor(std::future::pending::<()>);
    assert!(fx.shutdown(LONG));
    assert_eq!(stuck.try_wait(), Err(Error::ReactorStopped));
    let late = fx.call_in_reactor(|| 4);
    assert_eq!(late.try_wait(), Err(Error::ReactorStopped));
    let stats = fx.stats();
    assert_eq!((stats.submitted(), stats.stopped()), (10, 2), "{stats:?}");
    assert_eq!(stats.pending(), 0, "{stats:?}");
}
