//! Reliability under load, faults and careless use: one suite, stamped out
//! for every runtime setup of the matrix (`builtin::random_mix_of_calls_loses_nothing`,
//! `tokio_multi::blocked_reactor_still_times_out_on_time`, ...), plus the
//! stash's safety, which does not depend on the runtime.
//!
//! It reuses the matrix's fixtures and helpers, and runs the stress engine,
//! all in the workspace's `crochet-test-support`. What is process-wide and
//! would disturb the other tests lives in binaries of its own: a panicking
//! unhandled-error hook (`tests/hook_panics.rs`), the stash's capacity and
//! time to live (`tests/stash_limits.rs`), and resident memory
//! (`tests/memory.rs`). `RELIABILITY.md` says what each test proves, with
//! the figures of a run; `CROCHET_SOAK_SECS=600` makes the stress tests run
//! that long per runtime.

mod bad_input;
mod bound;
mod faults;
mod load;
mod stash_safety;
mod streams;

crochet_test_support::stamp_suite! {
    load::random_mix_of_calls_loses_nothing,
    load::shutdown_races_with_blocked_waits,
    faults::panic_in_drop_while_finishing_reaches_the_waiter,
    faults::panic_in_drop_while_cancelled_leaves_the_reactor_running,
    faults::panic_in_drop_at_shutdown_leaves_nothing_behind,
    faults::panic_in_drop_after_cancel_is_reported,
    faults::panic_in_drop_of_an_unclaimed_value_leaves_the_reactor_running,
    faults::blocked_reactor_still_times_out_on_time,
    faults::panic_payload_whose_drop_panics_reaches_the_waiter,
    faults::a_waker_whose_drop_reenters_crochet_does_not_deadlock,
    faults::work_woken_while_the_loop_stops_is_dropped,
    faults::dropping_the_last_handle_with_work_pending_loses_nothing,
    faults::dropping_the_last_handle_on_the_reactor_thread_stops_the_loop,
    bad_input::every_reactor_thread_refuses_blocking_waits,
    bad_input::huge_timeouts_do_not_overflow,
    bad_input::huge_spin_budget_still_honours_timeouts,
    bad_input::zero_timeout_races_lose_nothing,
    streams::streams_dropped_at_random_points_drop_every_producer_once_on_the_reactor,
    bound::bound_shared_by_many_threads_with_random_cancels_loses_nothing,
}
