//! The cross-runtime suite: one set of behaviour tests, stamped out for
//! every runtime setup, so that a failure names the runtime that broke
//! (`builtin::wait_returns_value_arriving_later`,
//! `tokio_multi::cancel_is_idempotent`, ...).
//!
//! Each test body is written once, as a function generic over
//! `crochet_test_support::fixture::Runtime`, in the module of its topic.
//! `stamp_suite!` lists them all and stamps a module of `#[test]`s per
//! setup; a body missing from the list is dead code, which the lints refuse.
//! The setups and helpers are in the workspace's `crochet-test-support`.

mod blocking_io;
mod bound;
mod cancel;
mod canceller;
mod model;
mod running;
mod runtime;
mod shutdown;
mod stash;
mod stats;
mod stream;
mod unhandled;
mod waiting;

crochet_test_support::stamp_suite! {
    waiting::wait_returns_value_ready_before,
    waiting::wait_returns_value_arriving_later,
    waiting::wait_returns_panic_ready_before,
    waiting::wait_returns_panic_arriving_later,
    waiting::failure_is_returned_to_every_wait,
    waiting::failure_reaches_waiters_in_several_threads,
    waiting::value_is_handed_out_once,
    waiting::value_goes_to_one_of_several_waiters,
    waiting::wait_times_out_after_about_the_timeout_and_again,
    waiting::timed_out_wait_loses_no_value,
    waiting::timed_out_wait_loses_no_failure,
    waiting::wait_in_reactor_closure_is_refused_at_once,
    waiting::wait_in_reactor_future_is_refused_at_once,
    waiting::wait_for_in_reactor_thread_is_refused_without_running_work,
    waiting::wait_on_another_loops_result_in_reactor_thread_works,
    waiting::try_wait_never_blocks_and_works_in_reactor_thread,
    waiting::is_ready_reports_an_outcome,
    waiting::original_failure_is_none_none_then_the_panic,
    waiting::zero_timeout_checks_without_blocking,
    waiting::duration_max_waits_until_the_outcome,
    waiting::deadline_in_the_past_checks_without_blocking,
    waiting::wait_for_with_zero_timeout_cancels_at_once,
    cancel::cancel_gives_every_waiter_cancelled,
    cancel::cancel_drops_the_work_on_a_reactor_thread_after_its_token_fires,
    cancel::cancel_fires_the_token_for_cleanup_outside_the_work,
    cancel::cancel_before_the_work_starts_means_it_never_starts,
    cancel::cancel_right_after_submit_always_cancels,
    cancel::cancel_after_completion_keeps_the_outcome,
    cancel::cancel_is_idempotent,
    cancel::wait_for_timeout_cancels_then_reports_timeout,
    cancel::dropping_the_result_does_not_cancel_the_work,
    unhandled::panic_dropped_without_wait_is_reported_once,
    unhandled::panic_after_a_timed_out_wait_is_reported_once,
    unhandled::panic_arriving_after_the_handle_was_dropped_is_reported_once,
    unhandled::stashed_panic_is_reported_once_at_shutdown,
    unhandled::failures_somebody_saw_are_not_reported,
    shutdown::shutdown_releases_waits_blocked_in_several_threads,
    shutdown::work_submitted_after_shutdown_fails_at_once,
    shutdown::outcomes_there_before_shutdown_are_kept,
    shutdown::shutdown_is_idempotent_and_says_it_finished,
    shutdown::shutdown_drops_pending_work_and_fires_its_token,
    shutdown::dropped_results_are_not_kept_alive,
    shutdown::dropping_the_last_handle_stops_the_loop,
    shutdown::shutdown_on_the_reactor_thread_does_not_deadlock,
    shutdown::shutdown_guard_stops_the_loop_when_dropped,
    running::work_runs_on_a_reactor_thread,
    running::plain_closures_run_on_a_reactor_thread,
    running::arguments_reach_the_work,
    running::methods_work_as_well_as_free_functions,
    running::futures_async_fns_and_plain_values_are_accepted,
    running::failures_pass_through_every_kind_of_work,
    running::a_panic_does_not_take_the_runtime_down,
    running::result_returning_work_flattens_for_question_mark,
    running::work_can_await_results_of_its_own_loop,
    running::futures_on_the_reactor_interleave,
    running::work_from_several_threads_all_completes,
    stash::stashed_result_is_retrieved_once,
    stash::unknown_stash_id_is_refused,
    stash::wrong_type_leaves_the_result_stashed,
    stash::stash_id_text_round_trips_and_garbage_is_refused,
    stash::stashed_pending_result_is_delivered_to_another_thread,
    runtime::timer_driven_future_completes,
    runtime::timed_out_wait_for_drops_a_sleeping_future_on_the_reactor,
    runtime::tcp_echo_through_the_runtime_completes,
    runtime::result_is_awaited_from_a_task_of_another_runtime,
    runtime::result_is_awaited_from_a_plain_executor,
    runtime::dropped_await_loses_nothing,
    runtime::cancel_and_shutdown_wake_an_awaiting_task,
    stream::stream_items_arrive_in_order_then_the_end_for_every_read,
    stream::stream_producer_never_read_stops_at_capacity,
    stream::stream_read_that_timed_out_loses_nothing,
    stream::stream_producer_panic_reaches_every_later_read_after_its_items,
    stream::stream_producer_panic_is_reported_once_unless_a_read_saw_it,
    stream::stream_dropped_midway_drops_its_producer_on_the_reactor_after_the_token,
    stream::stream_cancel_drops_unread_items_and_later_reads_are_cancelled,
    stream::stream_read_blocked_at_shutdown_is_released,
    stream::stream_of_chunks_reads_to_the_end_through_into_reader,
    stream::stream_of_fallible_chunks_reads_up_to_the_failure_which_is_the_reads_error,
    stream::stream_reader_read_that_times_out_is_timed_out_and_loses_nothing,
    stream::stream_iter_timeout_ends_after_the_last_item_or_the_first_error,
    stream::stream_is_awaited_from_a_task_of_another_runtime,
    stream::stream_try_next_never_blocks_and_blocking_reads_are_refused_on_the_reactor,
    stats::stats_count_a_known_mix_of_outcomes,
    model::random_operations_match_the_model,
    model::second_shutdown_returns_after_every_pending_result_failed,
    bound::bound_value_is_made_on_the_reactor_and_used_by_calls,
    bound::bound_calls_run_concurrently,
    bound::call_mut_is_exclusive_and_in_submission_order,
    bound::shared_calls_wait_while_a_call_mut_runs,
    bound::cancelling_a_call_drops_it_and_releases_its_access,
    bound::bound_value_is_dropped_on_the_reactor_after_the_last_handle_and_call,
    bound::shutdown_fails_blocked_and_later_calls,
    bound::a_panicking_call_fails_alone_and_the_value_stays_usable,
    bound::bound_stream_reads_the_value_in_order_and_an_early_drop_cancels_it,
    canceller::canceller_runs_once_on_the_reactor_after_cancel,
    canceller::canceller_runs_after_a_wait_for_timeout,
    canceller::canceller_never_runs_after_the_work_finished,
    canceller::canceller_runs_after_a_cancelled_bound_call,
    canceller::canceller_runs_after_a_dropped_stream_and_not_after_a_finished_one,
    canceller::canceller_runs_after_a_stream_dropped_while_its_producer_ran,
    canceller::a_panicking_canceller_is_reported_once_and_the_reactor_goes_on,
    canceller::wait_or_cancel_returns_a_value_that_won_the_race,
    blocking_io::blocking_io_reads_a_stream_to_the_end,
    blocking_io::blocking_io_read_times_out_and_loses_nothing,
    blocking_io::blocking_io_honours_write_flush_and_shutdown,
    blocking_io::blocking_io_object_is_dropped_on_the_reactor,
    blocking_io::blocking_io_fails_after_shutdown_with_the_crochet_error,
}
