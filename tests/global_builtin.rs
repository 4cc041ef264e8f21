//! The process-wide built-in loop of `crochet::setup()`. In a test binary of
//! its own, since the loop is process-wide; the bodies, shared with the
//! other runtimes' `global_*` binaries, are in `crochet_test_support::global`.

crochet_test_support::stamp_global! {
    Builtin:
    setup_twice_gives_the_same_loop,
    concurrent_first_setups_start_one_loop,
}
