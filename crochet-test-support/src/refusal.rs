//! What the adapters' tests of refused waits share: a wait on work that
//! never finishes, bounded so that a regression fails instead of hanging,
//! and the check that it was refused at once.

use std::time::{Duration, Instant};

use crochet_core::{Error, EventLoop};

/// How long a wait that should be refused may block before it times out:
/// long enough that a refusal is never confused with a timeout, short
/// enough that a regression fails the test instead of hanging it.
pub const REFUSAL_DEADLINE: Duration = Duration::from_secs(2);

/// Waits, on the calling thread, for work of `reactor` that never finishes,
/// then cancels it; returns the outcome and how long the wait took.
pub fn wait_on_pending(reactor: &EventLoop) -> (Result<(), Error>, Duration) {
    let pending = reactor.run_in_reactor(std::future::pending::<()>);
    let started = Instant::now();
    let outcome = pending.wait(REFUSAL_DEADLINE);
    let took = started.elapsed();
    pending.cancel();
    (outcome, took)
}

/// Checks that a wait was refused, and at once rather than after its
/// deadline.
pub fn assert_refused_at_once(place: &str, (outcome, took): (Result<(), Error>, Duration)) {
    assert_eq!(outcome, Err(Error::WaitInReactorThread), "{place}");
    assert!(
        took < REFUSAL_DEADLINE / 4,
        "{place}: refused after {took:?}"
    );
}
