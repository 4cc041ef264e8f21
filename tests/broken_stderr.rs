//! Standard error is a pipe whose reader has gone (a log collector
//! restarting behind a daemon): reporting an unhandled failure must not
//! panic, neither on an application thread nor on the reactor thread, and
//! the reactor keeps serving. The scenario runs in a child process (this
//! same binary, re-run with an environment variable), since it breaks the
//! process's stderr.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crochet::Error;
use futures::channel::oneshot;

/// Set in the child's environment; its value names the scenario.
const CHILD: &str = "CROCHET_BROKEN_STDERR_CHILD";

const LONG: Duration = Duration::from_secs(5);

/// What the child prints on stdout when every check passed.
const PASSED: &str = "child passed";

#[test]
fn reports_survive_a_closed_stderr_on_the_builtin_reactor() {
    run_child(
        "reports_survive_a_closed_stderr_on_the_builtin_reactor",
        "builtin",
    );
}

#[cfg(feature = "tokio")]
#[test]
fn reports_survive_a_closed_stderr_on_tokio() {
    run_child("reports_survive_a_closed_stderr_on_tokio", "tokio");
}

#[cfg(feature = "smol")]
#[test]
fn reports_survive_a_closed_stderr_on_smol() {
    run_child("reports_survive_a_closed_stderr_on_smol", "smol");
}

#[cfg(feature = "async-std")]
#[test]
fn reports_survive_a_closed_stderr_on_async_std() {
    run_child("reports_survive_a_closed_stderr_on_async_std", "async-std");
}

/// Runs the scenario `name` in a child (the test `test` of this binary)
/// whose stderr is a pipe closed before the child writes to it, and checks
/// what it says on stdout.
fn run_child(test: &str, name: &str) {
    if let Ok(scenario) = std::env::var(CHILD) {
        // Run by the parent: only the named scenario's own test does
        // anything.
        if scenario == name {
            child(name);
        }
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--test-threads=1", "--nocapture"])
        .env(CHILD, name)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end of its stderr, then let it start.
    drop(child.stderr.take());
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("the child for {name} hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(
        status.success() && out.contains(PASSED),
        "the child for {name} failed ({status}); its stdout:\n{out}"
    );
}

/// The scenario, in the child: once stderr is broken, an unseen panic is
/// reported on this thread (dropping its handle) and on the reactor thread
/// (arriving after the handle was dropped), several times, and the loop
/// still serves work, pending work included.
fn child(name: &str) {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    // Panics are told on stdout, so that the only writes to the broken
    // stderr are crochet's reports.
    std::panic::set_hook(Box::new(|info| println!("panic: {info}")));
    let event_loop = match name {
        #[cfg(feature = "tokio")]
        "tokio" => crochet::tokio::start(),
        #[cfg(feature = "smol")]
        "smol" => crochet::smol::start(),
        #[cfg(feature = "async-std")]
        "async-std" => crochet::async_std::start(),
        _ => crochet::start(),
    };
    let (release, released) = std::sync::mpsc::channel::<()>();
    let released = std::sync::Mutex::new(released);
    let waiting = event_loop.run_in_reactor(move || async move {
        // Parked until the end of the test, on a thread of its own.
        let (tx, rx) = oneshot::channel::<()>();
        std::thread::spawn(move || {
            let _ = released.lock().unwrap().recv();
            let _ = tx.send(());
        });
        let _ = rx.await;
        7
    });
    for round in 0..3 {
        // Reported on this thread, when the handle is dropped.
        let seen_here = event_loop.call_in_reactor(move || -> u32 { panic!("here {round}") });
        while !seen_here.is_ready() {
            std::thread::yield_now();
        }
        drop(seen_here);
        // Reported on the reactor thread: the handle is gone first.
        let (open, gated) = oneshot::channel::<()>();
        drop(event_loop.run_in_reactor(move || async move {
            let _ = gated.await;
            panic!("on the reactor {round}")
        }));
        open.send(()).unwrap();
        assert_eq!(
            event_loop.wait_for(LONG, move || async move { round }),
            Ok(round),
            "the reactor died in round {round}"
        );
    }
    release.send(()).unwrap();
    assert_eq!(waiting.wait(LONG), Ok(7), "pending work was lost");
    assert!(event_loop.shutdown(LONG));
    let late = event_loop.run_in_reactor(|| async { 1 });
    assert_eq!(late.try_wait(), Err(Error::ReactorStopped));
    println!("{PASSED}");
    std::io::stdout().flush().unwrap();
}
