//! Load: many application threads on one loop, and shutdown racing with
//! hundreds of blocked waits. The engine is `crochet_test_support::stress`; these bodies
//! run it, print its figures (run with `--nocapture` to see them) and check
//! that they add up.

use crochet_test_support::fixture::Runtime;
use crochet_test_support::reliability;
use crochet_test_support::stress::{self, MixConfig, RaceConfig, OVERRUN};

pub fn random_mix_of_calls_loses_nothing<R: Runtime>() {
    let fx = reliability::fixture::<R>();
    let config = MixConfig::from_env();
    let figures = stress::run_mix::<R>(&fx, config);
    eprintln!("stress {} (seed {:#x}): {figures}", R::NAME, config.seed);
    let outcomes = figures.immediate
        + figures.delayed
        + figures.panics_seen
        + figures.panics_unhandled
        + figures.timeouts
        + figures.timeout_races_won
        + figures.cancels
        + figures.cancels_too_late
        + figures.handles_dropped
        + figures.stashed;
    assert_eq!(
        outcomes, figures.calls,
        "every call has exactly one outcome"
    );
    assert!(
        figures.calls >= config.threads as u64,
        "{}: only {} calls",
        R::NAME,
        figures.calls
    );
    assert!(figures.worst_overrun <= OVERRUN);
    assert_eq!(figures.leaks, 0);
}

pub fn shutdown_races_with_blocked_waits<R: Runtime>() {
    let config = RaceConfig::from_env();
    let figures = stress::run_shutdown_races::<R>(config);
    eprintln!("shutdown {} (seed {:#x}): {figures}", R::NAME, config.seed);
    assert_eq!(
        figures.released + figures.values + figures.panics,
        figures.blocked_waits,
        "every blocked wait returned once"
    );
    assert!(
        figures.released > 0,
        "no wait was still blocked at shutdown"
    );
    assert!(figures.late_calls > 0);
    assert_eq!(figures.leaks, 0);
}
