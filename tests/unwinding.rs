//! A reactor's thread that panics: the tasks it drops while unwinding still
//! settle their results, and a loop whose reactor thread died fails every
//! pending and later result with `ReactorStopped` at once instead of
//! letting waits time out. In a binary of its own, since each test panics a
//! thread on purpose.

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::sync::Once;
use std::task::{Context, Waker};
use std::time::{Duration, Instant};

use crochet::reactor::OwnedReactor;
use crochet::{Error, EventLoop};

/// Far above what any run needs.
const LONG: Duration = Duration::from_secs(5);

/// How long "at once" may take on a loaded machine.
const PROMPT: Duration = Duration::from_secs(1);

const PANIC: &str = "deliberate panic of the test's runtime thread";

/// Keeps the deliberate panics quiet.
fn quiet() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let deliberate = info
                .payload()
                .downcast_ref::<&str>()
                .is_some_and(|message| *message == PANIC);
            if !deliberate {
                default(info);
            }
        }));
    });
}

/// Asserts that `result` fails with `ReactorStopped` promptly, with no
/// timeout of its own in the way.
fn assert_released<T: std::fmt::Debug>(what: &str, result: &crochet::EventualResult<T>) {
    let start = Instant::now();
    let outcome = result.wait(LONG);
    assert_eq!(outcome.unwrap_err(), Error::ReactorStopped, "{what}");
    assert!(
        start.elapsed() < PROMPT,
        "{what}: released after {:?}",
        start.elapsed()
    );
}

/// An application runs a current-thread tokio runtime, attaches crochet to
/// it, and its thread panics: the runtime and crochet's tasks are dropped
/// while the thread unwinds. Every pending result must be released, before
/// and after `shutdown`, and nothing may stay in the registry unsettled.
#[cfg(feature = "tokio")]
#[test]
fn tasks_dropped_while_their_thread_unwinds_release_their_results() {
    quiet();
    let (loops, attached) = mpsc::channel();
    let (go, panic_now) = mpsc::channel::<()>();
    let runtime_thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let event_loop = crochet::tokio::attach(runtime.handle().clone());
        loops.send(event_loop).unwrap();
        runtime.block_on(async {
            // Let crochet's task start, then panic with it pending.
            tokio::task::yield_now().await;
            tokio::task::spawn_blocking(move || panic_now.recv())
                .await
                .ok();
        });
        panic!("{}", PANIC);
    });
    let event_loop: EventLoop = attached.recv_timeout(LONG).unwrap();
    let pending = event_loop.run_in_reactor(std::future::pending::<()>);
    let started = event_loop.run_in_reactor(|| async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    });
    go.send(()).unwrap();
    assert!(runtime_thread.join().is_err(), "the thread did not panic");
    assert_released("pending work, before shutdown", &pending);
    assert_released("started work, before shutdown", &started);
    event_loop.shutdown(LONG);
    assert_released("pending work, after shutdown", &pending);
}

/// A reactor whose thread panics out of its run loop, with tasks pending
/// and more submitted afterwards: every result fails with
/// `ReactorStopped` at once, none waits out its timeout.
#[test]
fn a_reactor_thread_that_dies_releases_every_result() {
    quiet();
    let (die, dying) = mpsc::channel::<()>();
    let event_loop = EventLoop::new(|id| {
        OwnedReactor::start("dying-reactor", id, move |mut run, _stop| {
            // Runs the tasks it was given, then dies with them.
            let mut cx = Context::from_waker(Waker::noop());
            loop {
                if dying.try_recv().is_ok() {
                    panic!("{}", PANIC);
                }
                let _ = Pin::new(&mut run).poll(&mut cx);
                std::thread::sleep(Duration::from_millis(1));
            }
        })
        .unwrap()
    });
    let before = event_loop.run_in_reactor(std::future::pending::<()>);
    die.send(()).unwrap();
    assert_released("work pending when the thread died", &before);
    let later = event_loop.run_in_reactor(|| async { 1 });
    assert_released("work submitted after the thread died", &later);
    let start = Instant::now();
    assert_eq!(
        event_loop.wait_for(LONG, || async { 2 }),
        Err(Error::ReactorStopped)
    );
    assert!(
        start.elapsed() < PROMPT,
        "wait_for waited {:?}",
        start.elapsed()
    );
}
