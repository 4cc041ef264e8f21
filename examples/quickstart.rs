//! Crochet's three layers on the built-in reactor: a value, a timeout that
//! cancels the work, and a panic caught on the reactor thread.
//!
//! Run it with `cargo run --example quickstart`.

use std::time::{Duration, Instant};

/// Layer 1, the async code: runs only on the reactor thread and knows
/// nothing of crochet beyond the token it may watch.
mod inventory {
    use std::time::Duration;

    use futures::channel::oneshot;

    /// Looks up how many of `item` are in stock, taking `latency` to answer.
    pub async fn stock(item: String, latency: Duration) -> u32 {
        sleep(latency).await;
        match item.as_str() {
            "widget" => 12,
            "gadget" => 3,
            "gizmo" => panic!("the gizmo table is corrupt"),
            _ => 0,
        }
    }

    /// A timer for the built-in reactor, which has none of its own: a
    /// helper thread completes a channel after `delay`.
    async fn sleep(delay: Duration) {
        let (done, wait) = oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(delay);
            let _ = done.send(());
        });
        let _ = wait.await;
    }
}

/// Layer 2, the crochet layer: as thin as possible, it only moves the call
/// onto the reactor thread.
mod wrappers {
    use std::time::Duration;

    use crochet::EventualResult;

    pub fn stock(item: &str, latency: Duration) -> EventualResult<u32> {
        let item = item.to_owned();
        crochet::setup().run_in_reactor_with_token(move |token| async move {
            // Dropped on the reactor thread when the lookup ends; says why.
            let _report = Report(token);
            super::inventory::stock(item, latency).await
        })
    }

    struct Report(crochet::CancellationToken);

    impl Drop for Report {
        fn drop(&mut self) {
            if self.0.is_cancelled() {
                println!("  (reactor: lookup cancelled, connection closed)");
            }
        }
    }
}

/// Layer 3, the public blocking API: no futures, no reactor, a timeout.
pub fn stock(item: &str, latency: Duration, timeout: Duration) -> Result<u32, crochet::Error> {
    let result = wrappers::stock(item, latency);
    match result.wait(timeout) {
        Err(err) if err.is_timeout() => {
            result.cancel();
            Err(crochet::Error::Timeout)
        }
        outcome => outcome,
    }
}

fn main() {
    let fast = Duration::from_millis(10);
    let slow = Duration::from_secs(10);
    let timeout = Duration::from_millis(200);

    println!("widgets in stock: {:?}", stock("widget", fast, timeout));

    let started = Instant::now();
    let late = stock("gadget", slow, timeout);
    println!(
        "gadgets with a slow backend: {late:?} after {:?}",
        started.elapsed()
    );

    // The panic is caught on the reactor thread and comes back as an error.
    match stock("gizmo", fast, timeout) {
        Err(crochet::Error::Panicked(failure)) => println!(
            "gizmos: the lookup panicked with {:?}, submitted at {}",
            failure.message(),
            failure.location()
        ),
        other => println!("gizmos: {other:?}"),
    }

    // The reactor survived the panic.
    println!("widgets again: {:?}", stock("widget", fast, timeout));
    let finished = crochet::setup().shutdown(Duration::from_secs(1));
    println!("reactor stopped cleanly: {finished}");
}
