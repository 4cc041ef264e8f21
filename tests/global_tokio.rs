//! The process-wide tokio loop of `crochet::tokio::setup()`. In a test
//! binary of its own, since the loop is process-wide; `no_setup` before
//! `setup` is in `global_tokio_attached.rs`. The bodies, shared with the
//! other runtimes' `global_*` binaries, are in `crochet_test_support::global`.

#![cfg(feature = "tokio")]

crochet_test_support::stamp_global! {
    TokioCurrent:
    setup_twice_gives_the_same_loop,
    concurrent_first_setups_start_one_loop,
    no_setup_after_setup_is_already_set_up,
}
