//! Background work, after Crochet's scheduling example: a task on the
//! reactor refreshes an exchange rate periodically, and the blocking method
//! `latest_value()` reads it through `wait_for` with a short timeout. The
//! program is in `common/scheduling.rs`; this file gives it tokio,
//! and `scheduling_smol.rs` gives it the other runtime: only these lines differ.
//!
//! Run it with `cargo run --example scheduling --features tokio`.

use std::future::Future;
use std::time::Duration;

#[path = "common/scheduling.rs"]
mod scheduling;

struct Tokio;

impl scheduling::Runtime for Tokio {
    fn setup() -> crochet::EventLoop {
        crochet::tokio::setup()
    }

    fn sleep(delay: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(delay)
    }
}

fn main() {
    scheduling::main::<Tokio>();
}
