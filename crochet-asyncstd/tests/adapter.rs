//! The adapter's own tests: what the cross-runtime matrix cannot check
//! without naming the runtime.

use std::cell::Cell;
use std::sync::mpsc::{self, Sender};
use std::thread;
use std::time::{Duration, Instant};

use async_std::io::{ReadExt, WriteExt};
use async_std::net::{TcpListener, TcpStream};
use async_std::task;
use crochet_core::Error;

const LONG: Duration = Duration::from_secs(10);

/// Sends the name of the thread it is dropped on.
struct DropGuard(Sender<Option<String>>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        let name = thread::current().name().map(String::from);
        let _ = self.0.send(name);
    }
}

// Every assertion about the process-wide loop lives in this one test, so that
// no other test of this binary races with it over the global state.
#[test]
fn setup_is_idempotent() {
    let first = crochet_asyncstd::setup();
    let again = thread::spawn(crochet_asyncstd::setup).join().unwrap();
    assert_eq!(first.id(), again.id());
    assert_ne!(first.id(), crochet_asyncstd::start().id());
    assert_eq!(crochet_asyncstd::setup().id(), first.id());
    assert_eq!(first.wait_for(LONG, || async { 5 }), Ok(5));
}

#[test]
fn timer_future_completes() {
    let reactor = crochet_asyncstd::start();
    let started = Instant::now();
    let slept = reactor.wait_for(LONG, || async {
        task::sleep(Duration::from_millis(30)).await;
        "slept"
    });
    assert_eq!(slept, Ok("slept"));
    assert!(started.elapsed() >= Duration::from_millis(30));
    assert!(reactor.shutdown(LONG));
}

#[test]
fn loopback_tcp_echo_completes() {
    let reactor = crochet_asyncstd::start();
    let echoed = reactor.wait_for(LONG, || async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        // The kernel completes the handshake before `accept`, so one task
        // can play both sides in turn.
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        client.write_all(b"ping").await?;
        let (mut server, _) = listener.accept().await?;
        let mut buf = [0; 4];
        server.read_exact(&mut buf).await?;
        server.write_all(&buf).await?;
        let mut reply = [0; 4];
        client.read_exact(&mut reply).await?;
        std::io::Result::Ok(reply)
    });
    assert_eq!(echoed.unwrap().unwrap(), *b"ping");
    assert!(reactor.shutdown(LONG));
}

#[test]
fn work_sees_an_async_std_task_and_its_locals() {
    async_std::task_local! {
        static CALLS: Cell<u32> = Cell::new(0);
    }
    let reactor = crochet_asyncstd::start();
    let seen = reactor.wait_for(LONG, || async {
        CALLS.with(|calls| calls.set(calls.get() + 1));
        task::yield_now().await;
        let name = task::current().name().map(String::from);
        (name, CALLS.with(Cell::get), task::try_current().is_some())
    });
    assert_eq!(seen, Ok((Some("crochet-async-std".into()), 1, true)));
    // Work spawned from the loop onto async-std's own executor runs too.
    let spawned = reactor.wait_for(LONG, || task::spawn(async { 6 }));
    assert_eq!(spawned, Ok(6));
    assert!(reactor.shutdown(LONG));
}

#[test]
fn timed_out_wait_for_drops_the_future_on_the_reactor_thread() {
    let reactor = crochet_asyncstd::start();
    let (dropped_tx, dropped_rx) = mpsc::channel();
    let guard = DropGuard(dropped_tx);
    let outcome = reactor.wait_for(Duration::from_millis(50), move || async move {
        let _guard = guard;
        task::sleep(Duration::from_secs(3600)).await;
    });
    assert_eq!(outcome, Err(Error::Timeout));
    let thread = dropped_rx.recv_timeout(LONG).unwrap();
    assert_eq!(thread.as_deref(), Some("crochet-async-std"));
    assert!(reactor.shutdown(LONG));
}

#[test]
fn panicking_work_leaves_the_loop_serving() {
    let reactor = crochet_asyncstd::start();
    let failed = reactor.wait_for(LONG, || async { panic!("boom") });
    match failed {
        Err(Error::Panicked(failure)) => assert_eq!(failure.message(), "boom"),
        other => panic!("expected a panic, got {other:?}"),
    }
    let later = reactor.wait_for(LONG, || async {
        task::sleep(Duration::from_millis(1)).await;
        2
    });
    assert_eq!(later, Ok(2));
    assert!(reactor.shutdown(LONG));
}

#[test]
fn shutdown_stops_the_thread_and_releases_waiters() {
    let reactor = crochet_asyncstd::start();
    let (dropped_tx, dropped_rx) = mpsc::channel();
    let guard = DropGuard(dropped_tx);
    let (started_tx, started_rx) = mpsc::channel();
    let pending = reactor.run_in_reactor(move || async move {
        let _guard = guard;
        started_tx.send(()).unwrap();
        std::future::pending::<()>().await;
    });
    started_rx.recv_timeout(LONG).unwrap();
    let waiter = thread::spawn(move || pending.wait(LONG));
    let started = Instant::now();
    assert!(reactor.shutdown(Duration::from_secs(5)));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(waiter.join().unwrap(), Err(Error::ReactorStopped));
    let thread = dropped_rx.recv_timeout(LONG).unwrap();
    assert_eq!(thread.as_deref(), Some("crochet-async-std"));
    let late = reactor.run_in_reactor(|| async { 1 });
    assert_eq!(late.try_wait(), Err(Error::ReactorStopped));
}

#[test]
fn dropping_the_last_handle_stops_the_loop() {
    let reactor = crochet_asyncstd::start();
    let (dropped_tx, dropped_rx) = mpsc::channel();
    let guard = DropGuard(dropped_tx);
    let (started_tx, started_rx) = mpsc::channel();
    let pending = reactor.run_in_reactor(move || async move {
        let _guard = guard;
        started_tx.send(()).unwrap();
        std::future::pending::<()>().await;
    });
    started_rx.recv_timeout(LONG).unwrap();
    drop(reactor);
    assert_eq!(pending.wait(LONG), Err(Error::ReactorStopped));
    let thread = dropped_rx.recv_timeout(LONG).unwrap();
    assert_eq!(thread.as_deref(), Some("crochet-async-std"));
}
