//! Misuses of the attributes are compile errors that say what to change; the
//! expected messages are checked in beside each case in `tests/ui/`.
//!
//! After changing a message, regenerate them with
//! `TRYBUILD=overwrite cargo test -p crochet-macros --test compile_fail`
//! and read the new `.stderr` files before committing them.

#[test]
fn misuses_are_compile_errors_that_say_what_to_change() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
