//! The adapter's own tests: what the cross-runtime matrix cannot check
//! without naming the runtime.

use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crochet_core::{Error, EventLoop};
use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::net::{TcpListener, TcpStream};
use smol::{Executor, Timer};

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
fn setup_is_idempotent_and_no_setup_after_it_fails() {
    let first = crochet_smol::setup();
    let again = thread::spawn(crochet_smol::setup).join().unwrap();
    assert_eq!(first.id(), again.id());
    assert_ne!(first.id(), crochet_smol::start().id());
    let app = Arc::new(Executor::new());
    assert_eq!(
        crochet_smol::no_setup(app).unwrap_err(),
        Error::AlreadySetUp
    );
    assert_eq!(crochet_smol::setup().id(), first.id());
    assert_eq!(first.wait_for(LONG, || async { 5 }), Ok(5));
}

#[test]
fn timer_future_completes() {
    let reactor = crochet_smol::start();
    let started = Instant::now();
    let slept = reactor.wait_for(LONG, || async {
        Timer::after(Duration::from_millis(30)).await;
        "slept"
    });
    assert_eq!(slept, Ok("slept"));
    assert!(started.elapsed() >= Duration::from_millis(30));
    assert!(reactor.shutdown(LONG));
}

#[test]
fn loopback_tcp_echo_completes() {
    let reactor = crochet_smol::start();
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
fn timed_out_wait_for_drops_the_future_on_the_reactor_thread() {
    let reactor = crochet_smol::start();
    let (dropped_tx, dropped_rx) = mpsc::channel();
    let guard = DropGuard(dropped_tx);
    let outcome = reactor.wait_for(Duration::from_millis(50), move || async move {
        let _guard = guard;
        Timer::after(Duration::from_secs(3600)).await;
    });
    assert_eq!(outcome, Err(Error::Timeout));
    let thread = dropped_rx.recv_timeout(LONG).unwrap();
    assert_eq!(thread.as_deref(), Some("crochet-smol"));
    assert!(reactor.shutdown(LONG));
}

#[test]
fn panicking_work_leaves_the_loop_serving() {
    let reactor = crochet_smol::start();
    let failed = reactor.wait_for(LONG, || async { panic!("boom") });
    match failed {
        Err(Error::Panicked(failure)) => assert_eq!(failure.message(), "boom"),
        other => panic!("expected a panic, got {other:?}"),
    }
    let later = reactor.wait_for(LONG, || async {
        Timer::after(Duration::from_millis(1)).await;
        2
    });
    assert_eq!(later, Ok(2));
    assert!(reactor.shutdown(LONG));
}

#[test]
fn shutdown_stops_the_thread_and_releases_waiters() {
    let reactor = crochet_smol::start();
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
    assert_eq!(thread.as_deref(), Some("crochet-smol"));
    let late = reactor.run_in_reactor(|| async { 1 });
    assert_eq!(late.try_wait(), Err(Error::ReactorStopped));
}

#[test]
fn attached_loop_runs_work_on_the_applications_executor() {
    let executor = Arc::new(Executor::new());
    let (stop, stopped) = smol::channel::bounded::<()>(1);
    let driver = executor.clone();
    let app = thread::Builder::new()
        .name("app-executor".into())
        .spawn(move || smol::block_on(driver.run(stopped.recv())))
        .unwrap();

    let reactor: EventLoop = crochet_smol::attach(executor.clone());
    let ran_on = reactor.wait_for(LONG, || async {
        Timer::after(Duration::from_millis(1)).await;
        thread::current().name().map(String::from)
    });
    assert_eq!(ran_on.unwrap().as_deref(), Some("app-executor"));
    assert!(!reactor.is_reactor_thread());

    // Shutting the loop down fails its pending work and leaves the
    // application's executor running.
    let pending = reactor.run_in_reactor(std::future::pending::<()>);
    assert!(reactor.shutdown(LONG));
    assert_eq!(pending.wait(LONG), Err(Error::ReactorStopped));
    let still_running = executor.spawn(async { 3 });
    assert_eq!(smol::block_on(still_running), 3);

    stop.send_blocking(()).unwrap();
    app.join().unwrap().unwrap();
}

#[test]
fn dropping_the_last_handle_stops_the_loop() {
    let reactor = crochet_smol::start();
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
    assert_eq!(thread.as_deref(), Some("crochet-smol"));
}
