//! `crochet::smol::no_setup` before any `setup()`: later `setup()` calls
//! return the attached loop, which runs work on the application's executor.
//! In a test binary of its own, since the loop is process-wide; the body,
//! shared with tokio's, is in `crochet_test_support::global`.

#![cfg(feature = "smol")]

crochet_test_support::stamp_global! {
    Smol:
    no_setup_then_setup_returns_the_attached_loop,
}
