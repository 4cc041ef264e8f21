//! The process-wide smol loop of `crochet::smol::setup()`. In a test binary
//! of its own, since the loop is process-wide; `no_setup` before `setup` is
//! in `global_smol_attached.rs`. The bodies, shared with the other runtimes'
//! `global_*` binaries, are in `crochet_test_support::global`.

#![cfg(feature = "smol")]

crochet_test_support::stamp_global! {
    Smol:
    setup_twice_gives_the_same_loop,
    concurrent_first_setups_start_one_loop,
    no_setup_after_setup_is_already_set_up,
}
