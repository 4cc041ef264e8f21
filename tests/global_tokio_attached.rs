//! `crochet::tokio::no_setup` before any `setup()`: later `setup()` calls
//! return the attached loop, which runs work on the application's runtime.
//! In a test binary of its own, since the loop is process-wide; the body,
//! shared with smol's, is in `crochet_test_support::global`.

#![cfg(feature = "tokio")]

crochet_test_support::stamp_global! {
    TokioCurrent:
    no_setup_then_setup_returns_the_attached_loop,
}
