//! Stall reports, on every runtime: one poll that keeps a reactor thread
//! past the loop's threshold is reported once, with where its work was
//! submitted, and a wait that times out meanwhile names it; work that
//! awaits is never a stall.

use std::sync::{mpsc, Mutex, Once, PoisonError};
use std::time::Duration;

use crochet::{Error, LoopId, Stall};

use crochet_test_support::fixture::{Fixture, Runtime};
use crochet_test_support::helpers::{eventually, LONG, SHORT};

crochet_test_support::stamp_suite! {
    stalls::a_blocking_poll_is_reported_once_and_named_by_a_timed_out_wait,
    stalls::awaiting_a_long_sleep_is_not_a_stall,
}

/// Every stall reported in this process (the hook is process-wide; each
/// test looks at its own loop's).
static STALLS: Mutex<Vec<Stall>> = Mutex::new(Vec::new());

fn collect() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        crochet::set_stall_hook(|stall| {
            STALLS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(stall.clone());
        });
    });
}

fn stalls_of(id: LoopId) -> Vec<Stall> {
    STALLS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter(|stall| stall.loop_id() == id)
        .cloned()
        .collect()
}

mod stalls {
    use super::*;

    pub fn a_blocking_poll_is_reported_once_and_named_by_a_timed_out_wait<R: Runtime>() {
        collect();
        let fx = Fixture::<R>::new();
        assert_eq!(fx.stall_threshold(), Duration::from_millis(100));
        let (started, start) = mpsc::channel();
        let line = line!() + 1;
        let blocking = fx.call_in_reactor(move || {
            started.send(()).unwrap();
            // A blocking call inside the work, as in the bug it finds.
            std::thread::sleep(Duration::from_millis(300));
        });
        start.recv_timeout(LONG).unwrap();
        // Reported while the poll still runs (by the watchdog).
        eventually("the stall is reported", || !stalls_of(fx.id()).is_empty());
        assert!(
            !blocking.is_ready(),
            "the stall was reported only after the poll"
        );
        let stall = stalls_of(fx.id()).remove(0);
        assert!(!stall.finished());
        assert!(stall.location().file().ends_with("stalls.rs"), "{stall}");
        assert_eq!(stall.location().line(), line);
        assert!(stall.blocked_for() >= Duration::from_millis(100), "{stall}");

        // Another caller's wait times out meanwhile, and says why.
        let err = fx.wait_for(SHORT, std::future::pending::<()>).unwrap_err();
        assert_eq!(err, Error::Timeout);
        assert!(!blocking.is_ready(), "the wait did not overlap the stall");
        let named = err
            .blocked_by()
            .expect("the timeout names the blocking work");
        assert_eq!(named.location(), stall.location());
        assert!(named.blocked_for() >= Duration::from_millis(150), "{named}");
        let text = err.to_string();
        assert!(text.contains(&stall.location().to_string()), "{text}");
        assert!(
            text.starts_with("timed out waiting for the result"),
            "{text}"
        );

        assert_eq!(blocking.wait(LONG), Ok(()));
        // The result is handed over inside the poll: the poll ends (and is
        // recorded, after any report of its own) a moment later.
        eventually("the poll ends", || {
            fx.stats().longest_poll() >= Duration::from_millis(300)
        });
        assert_eq!(fx.stats().longest_poll_location(), Some(stall.location()));
        assert_eq!(stalls_of(fx.id()).len(), 1, "{:?}", stalls_of(fx.id()));
    }

    pub fn awaiting_a_long_sleep_is_not_a_stall<R: Runtime>() {
        collect();
        let fx = Fixture::<R>::new();
        let sleeping = fx.wait_for(LONG, || R::sleep(Duration::from_millis(300)));
        assert_eq!(sleeping, Ok(()));
        // A wait that times out while the loop is idle names nothing.
        let err = fx.wait_for(SHORT, std::future::pending::<()>).unwrap_err();
        assert_eq!(err.blocked_by(), None, "{err}");
        assert_eq!(stalls_of(fx.id()), Vec::new());
    }
}
