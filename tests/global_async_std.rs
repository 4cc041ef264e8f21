//! The process-wide async-std loop of `crochet::async_std::setup()`. In a
//! test binary of its own, since the loop is process-wide; the bodies,
//! shared with the other runtimes' `global_*` binaries, are in
//! `crochet_test_support::global`. async-std has no `no_setup`.

#![cfg(feature = "async-std")]

crochet_test_support::stamp_global! {
    AsyncStd:
    setup_twice_gives_the_same_loop,
    concurrent_first_setups_start_one_loop,
}
