//! A decorated function can take a canceller: `canceller = <expression>`,
//! evaluated on each call with the arguments in scope, runs on the reactor
//! after the work is cancelled (here: by the timeout), never after it
//! finished.

#![deny(unused_variables)]

use std::sync::mpsc;
use std::time::Duration;

#[crochet::wait_for(
    timeout = timeout,
    runtime = builtin,
    canceller = {
        let cleaned = cleaned.clone();
        move || async move { cleaned.send("cleaned").unwrap() }
    }
)]
async fn lookup(timeout: Duration, cleaned: mpsc::Sender<&'static str>, found: Option<u32>) -> u32 {
    match found {
        Some(found) => found,
        None => std::future::pending().await,
    }
}

#[crochet::run_in_reactor(runtime = builtin, canceller = move || async move { cleaned.send(7).unwrap() })]
async fn forever(cleaned: mpsc::Sender<u8>) {
    std::future::pending::<()>().await
}

#[test]
fn the_canceller_runs_after_a_timeout_and_never_after_completion() {
    let (cleaned, cleanup) = mpsc::channel();
    let short = Duration::from_millis(20);
    assert_eq!(
        lookup(short, cleaned.clone(), None),
        Err(crochet::Error::Timeout)
    );
    assert_eq!(cleanup.recv_timeout(Duration::from_secs(5)), Ok("cleaned"));
    assert_eq!(lookup(Duration::from_secs(5), cleaned, Some(3)), Ok(3));
    assert_eq!(
        cleanup.recv_timeout(Duration::from_millis(100)),
        Err(mpsc::RecvTimeoutError::Disconnected)
    );
}

#[test]
fn an_eventual_function_takes_a_canceller_too() {
    let (cleaned, cleanup) = mpsc::channel();
    let result = forever(cleaned);
    result.cancel();
    assert_eq!(cleanup.recv_timeout(Duration::from_secs(5)), Ok(7));
}
