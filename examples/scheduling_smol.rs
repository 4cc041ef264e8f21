//! Background work, after Crochet's scheduling example: a task on the
//! reactor refreshes an exchange rate periodically, and the blocking method
//! `latest_value()` reads it through `wait_for` with a short timeout. The
//! program is in `common/scheduling.rs`; this file gives it smol,
//! and `scheduling.rs` gives it the other runtime: only these lines differ.
//!
//! Run it with `cargo run --example scheduling_smol --features smol`.

use std::future::Future;
use std::time::Duration;

#[path = "common/scheduling.rs"]
mod scheduling;

struct Smol;

impl scheduling::Runtime for Smol {
    fn setup() -> crochet::EventLoop {
        crochet::smol::setup()
    }

    fn sleep(delay: Duration) -> impl Future<Output = ()> + Send {
        let timer = smol::Timer::after(delay);
        async move {
            timer.await;
        }
    }
}

fn main() {
    scheduling::main::<Smol>();
}
