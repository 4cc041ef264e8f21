//! `fork()`: sibling processes never hand out the same stash id, and a loop
//! started before the fork fails fast in the child, whose copy of the
//! process has no reactor thread, instead of timing out or hanging.
//!
//! Each test forks real children. A child reports through a socket and its
//! exit code, and leaves with `_exit` before a deadline whatever happens, so
//! a child that would hang fails the test instead of stalling it.

#![cfg(target_os = "linux")]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crochet::{Error, EventLoop, StashId};

/// How long a wait in a child may take: a loop without a thread would time
/// out after this, which the tests must tell from failing fast.
const WAIT: Duration = Duration::from_secs(3);

/// What "fast" means for a call that must fail at once, on a noisy machine.
const FAST: Duration = Duration::from_secs(1);

/// A child still running after this ends itself with exit code 3.
const CHILD_DEADLINE: Duration = Duration::from_secs(20);

#[test]
fn sibling_children_stash_under_different_ids() {
    let _turn = one_at_a_time();
    let reactor = crochet::start();
    // The stash's key and counter exist before the fork, as in a server
    // that stashed something while starting up.
    let before = stash_one(&reactor);
    crochet::retrieve_result::<u32>(before).unwrap();

    let stash_in_child = || {
        let reactor = crochet::start();
        let id = stash_one(&reactor);
        Ok(id.to_string())
    };
    let first = in_child(stash_in_child).expect("the first child");
    let second = in_child(stash_in_child).expect("the second child");
    let after = stash_one(&reactor).to_string();

    assert_ne!(first, second, "two sibling processes made the same id");
    assert_ne!(first, after, "a child and its parent made the same id");
    assert_ne!(second, after, "a child and its parent made the same id");
    for id in [&first, &second] {
        assert!(id.parse::<StashId>().is_ok(), "not an id: {id}");
    }
    assert!(reactor.shutdown(WAIT));
}

#[test]
fn a_loop_started_before_fork_fails_fast_in_the_child() {
    let _turn = one_at_a_time();
    let reactor = crochet::setup();
    let pending = reactor.run_in_reactor(std::future::pending::<()>);
    let awaited = reactor.run_in_reactor(std::future::pending::<()>);

    let outcome = in_child(|| {
        // A new submit fails at once, before anything reaches the reactor.
        let (err, took) = timed(|| reactor.run_in_reactor(|| async { 1 }).wait(WAIT));
        check_started_before_fork("a new submit", err, took)?;
        let (err, took) = timed(|| reactor.call_in_reactor(|| 2).try_wait());
        check_started_before_fork("try_wait after a new submit", err, took)?;
        // A result submitted before the fork can never arrive here.
        let (err, took) = timed(|| pending.wait(WAIT));
        check_started_before_fork("a wait on a result of the parent", err, took)?;
        let (err, took) = timed(|| pending.wait(Duration::MAX));
        check_started_before_fork("a wait without a deadline", err, took)?;
        let (err, took) = timed(|| crochet::reactor::block_on(awaited));
        check_started_before_fork("awaiting a result of the parent", err, took)?;
        let (err, took) = timed(|| reactor.wait_for(WAIT, || async { 3 }));
        check_started_before_fork("wait_for", err, took)?;
        // setup() in the child still names the parent's loop.
        let (err, took) = timed(|| crochet::setup().wait_for(WAIT, || async { 4 }));
        check_started_before_fork("setup() after the fork", err, took)?;
        // Shutting the stale loop down touches nothing and returns at once.
        let start = Instant::now();
        let stopped = reactor.shutdown(WAIT);
        if stopped || start.elapsed() > FAST {
            return Err(format!(
                "shutdown returned {stopped} after {:?}",
                start.elapsed()
            ));
        }
        // A loop started in the child works.
        let own = crochet::start();
        match own.wait_for(WAIT, || async { 5 }) {
            Ok(5) => Ok(String::new()),
            other => Err(format!("the child's own loop gave {other:?}")),
        }
    });
    assert_eq!(outcome, Ok(String::new()));

    // The parent's loop is untouched by what the child did.
    assert_eq!(reactor.wait_for(WAIT, || async { 6 }), Ok(6));
    assert_eq!(pending.try_wait(), Err(Error::Timeout));
    pending.cancel();
    assert_eq!(pending.wait(WAIT), Err(Error::Cancelled));
}

#[test]
fn a_stream_of_a_loop_started_before_fork_fails_fast_in_the_child() {
    let _turn = one_at_a_time();
    let reactor = crochet::setup();
    let mut stream = reactor.stream(1, |_sender: crochet::StreamSender<u8>| {
        std::future::pending::<()>()
    });
    let mut awaited = reactor.stream(1, |_sender: crochet::StreamSender<u8>| {
        std::future::pending::<()>()
    });

    let outcome = in_child(|| {
        // A read on a stream of the parent can never get an item here.
        let (err, took) = timed(|| stream.next_timeout(WAIT));
        check_started_before_fork("a read of the parent's stream", err, took)?;
        let (err, took) = timed(|| crochet::reactor::block_on(awaited.next()));
        check_started_before_fork("awaiting the parent's stream", err, took)?;
        // A new stream fails at once.
        let mut late = reactor.stream(1, |_sender: crochet::StreamSender<u8>| async {});
        let (err, took) = timed(|| late.next_timeout(WAIT));
        check_started_before_fork("a read of a new stream", err, took)?;
        Ok(String::new())
    });
    assert_eq!(outcome, Ok(String::new()));
    assert_eq!(stream.try_next(), Err(Error::Timeout));
}

/// Stashes a result of `reactor` and returns its id.
fn stash_one(reactor: &EventLoop) -> StashId {
    reactor.run_in_reactor(|| async { 1_u32 }).stash().unwrap()
}

/// Runs `f`, timing it; returns its error (if any) and how long it took.
fn timed<T>(f: impl FnOnce() -> Result<T, Error>) -> (Option<Error>, Duration) {
    let start = Instant::now();
    let outcome = f();
    (outcome.err(), start.elapsed())
}

/// Checks that a call failed fast with the error for a loop of a parent
/// process, whose message says what to do.
fn check_started_before_fork(call: &str, err: Option<Error>, took: Duration) -> Result<(), String> {
    let Some(err) = err else {
        return Err(format!("{call} succeeded on a loop without a thread"));
    };
    if err != Error::StartedBeforeFork {
        return Err(format!("{call} failed with {err:?} after {took:?}"));
    }
    let text = err.to_string();
    if !text.contains("fork()") || !text.contains("setup()") {
        return Err(format!(
            "{call}: the message does not say what to do: {text}"
        ));
    }
    if took > FAST {
        return Err(format!("{call} took {took:?} to fail"));
    }
    Ok(())
}

/// Runs `body` in a forked child and returns what it reported: `Ok` with
/// its text if it succeeded, `Err` with a description otherwise.
fn in_child(body: impl FnOnce() -> Result<String, String>) -> Result<String, String> {
    let (mut ours, mut theirs) = UnixStream::pair().unwrap();
    // SAFETY: the child runs only `body` and the watchdog, then leaves with
    // `_exit`, so it never returns into the test harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        drop(ours);
        thread::spawn(|| {
            thread::sleep(CHILD_DEADLINE);
            // SAFETY: ends the child at once, which is the point.
            unsafe { libc::_exit(3) }
        });
        let outcome = catch_unwind(AssertUnwindSafe(body))
            .unwrap_or_else(|_| Err("the child panicked".to_owned()));
        let (code, text) = match outcome {
            Ok(text) => (0, text),
            Err(text) => (1, text),
        };
        let _ = theirs.write_all(text.as_bytes());
        // SAFETY: leaves the child without running the parent's exit code.
        unsafe { libc::_exit(code) }
    }
    drop(theirs);
    ours.set_read_timeout(Some(CHILD_DEADLINE + Duration::from_secs(10)))
        .unwrap();
    let mut text = String::new();
    if ours.read_to_string(&mut text).is_err() {
        // SAFETY: kills the child this test forked, by its pid.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    let mut status = 0;
    // SAFETY: reaps the child this test forked.
    let reaped = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(reaped, pid, "waitpid failed");
    match (libc::WIFEXITED(status), libc::WEXITSTATUS(status)) {
        (true, 0) => Ok(text),
        (true, 1) => Err(text),
        (true, 3) => Err(format!("the child hit its deadline of {CHILD_DEADLINE:?}")),
        _ => Err(format!("the child ended with status {status:#x}: {text}")),
    }
}

/// The children inherit every descriptor open at the fork, including the
/// sockets of other tests' children: forking one at a time keeps each
/// test's socket closed when its own child exits.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}
