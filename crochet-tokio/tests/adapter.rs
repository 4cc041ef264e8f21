//! The adapter's own tests: what the cross-runtime matrix cannot check
//! without naming tokio.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use crochet_core::{CancellationToken, Error, EventLoop};
use crochet_test_support::refusal::{assert_refused_at_once, wait_on_pending};
use crochet_test_support::ThreadNameOnDrop;
use tokio::runtime::Runtime;

use crochet_tokio::{attach, no_setup, setup, start, Builder};

const LONG: Duration = Duration::from_secs(10);

/// An application's runtime, as `no_setup` and `attach` expect.
fn app_runtime(multi_thread: bool) -> Runtime {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder
        .worker_threads(2)
        .thread_name("app-runtime")
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `body` on a loop of each kind, with the name its runtime's threads
/// carry.
fn each_kind(body: impl Fn(&EventLoop, &str)) {
    let current = start();
    body(&current, "crochet-tokio");
    assert!(current.shutdown(LONG));
    let multi = Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("crochet-multi")
        .start()
        .unwrap();
    body(&multi, "crochet-multi");
    assert!(multi.shutdown(LONG));
    let app = app_runtime(true);
    let attached = attach(app.handle().clone());
    body(&attached, "app-runtime");
    assert!(attached.shutdown(LONG));
    app.shutdown_timeout(LONG);
}

// Every assertion about the process-wide loop lives here: tests run in
// parallel in one process, so a second test would race this one.
#[test]
fn setup_is_idempotent_and_no_setup_after_it_fails() {
    let first = setup();
    let again = std::thread::spawn(setup).join().unwrap();
    assert_eq!(first.id(), again.id());
    let thread = first.call_in_reactor(|| std::thread::current().name().map(String::from));
    assert_eq!(thread.wait(LONG).unwrap().as_deref(), Some("crochet-tokio"));
    let app = app_runtime(true);
    assert_eq!(
        no_setup(app.handle().clone()).unwrap_err(),
        Error::AlreadySetUp
    );
    assert_eq!(setup().id(), first.id());
    app.shutdown_timeout(LONG);
}

#[test]
fn spawn_blocking_may_wait_but_tasks_of_the_runtime_may_not() {
    each_kind(|reactor, _| {
        assert!(!reactor.is_reactor_thread());
        let inner = reactor.clone();
        let seen = reactor.wait_for(LONG, move || async move {
            let in_task = inner.clone();
            let task = tokio::spawn(async move { in_task.wait_for(LONG, || async { 1 }) });
            let blocking = tokio::task::spawn_blocking(move || {
                (
                    inner.is_reactor_thread(),
                    inner.wait_for(LONG, || async { 2 }),
                )
            });
            (task.await.unwrap(), blocking.await.unwrap())
        });
        let (from_task, from_blocking) = seen.unwrap();
        assert_eq!(from_task, Err(Error::WaitInReactorThread));
        assert_eq!(from_blocking, (false, Ok(2)));
    });
}

#[test]
fn attached_loop_refuses_waits_on_the_applications_tasks() {
    for multi_thread in [true, false] {
        let app = app_runtime(multi_thread);
        let reactor = attach(app.handle().clone());
        let inner = reactor.clone();
        let in_block_on = app.block_on(async move { inner.wait_for(LONG, || async { 1 }) });
        assert_eq!(in_block_on, Err(Error::WaitInReactorThread));
        let inner = reactor.clone();
        let in_task = app.block_on(app.spawn(async move { inner.wait_for(LONG, || async { 2 }) }));
        assert_eq!(in_task.unwrap(), Err(Error::WaitInReactorThread));
        // The application's `block_on` drives a current-thread runtime while
        // the blocking thread waits.
        let inner = reactor.clone();
        let blocking = app.spawn_blocking(move || inner.wait_for(LONG, || async { 3 }));
        assert_eq!(app.block_on(blocking).unwrap(), Ok(3));
        // A task of another runtime is not this loop's.
        if multi_thread {
            let inner = reactor.clone();
            let other = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            let from_other = other.block_on(async move { inner.wait_for(LONG, || async { 4 }) });
            assert_eq!(from_other, Ok(4));
        }
    }
}

#[test]
fn attached_shutdown_leaves_the_application_running() {
    let app = app_runtime(true);
    let reactor = attach(app.handle().clone());
    let (dropped_tx, dropped) = mpsc::channel();
    let guard = ThreadNameOnDrop(dropped_tx);
    let stuck = reactor.run_in_reactor(move || async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    assert!(reactor.shutdown(LONG));
    assert_eq!(stuck.wait(LONG), Err(Error::ReactorStopped));
    let dropped_on = dropped.recv_timeout(LONG).unwrap();
    assert_eq!(dropped_on.as_deref(), Some("app-runtime"));
    let late = reactor.run_in_reactor(|| async { 1 });
    assert_eq!(late.try_wait(), Err(Error::ReactorStopped));
    let still_running = app.block_on(async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        5
    });
    assert_eq!(still_running, 5);
}

#[test]
fn multi_thread_shutdown_releases_waiters_and_drops_every_task() {
    let reactor = Builder::new_multi_thread()
        .worker_threads(2)
        .start()
        .unwrap();
    let (dropped_tx, dropped) = mpsc::channel();
    // A task crochet does not know of, left running by the work.
    let guard = ThreadNameOnDrop(dropped_tx.clone());
    let spawned = reactor.wait_for(LONG, move || async move {
        drop(tokio::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        }));
    });
    assert_eq!(spawned, Ok(()));
    let guard = ThreadNameOnDrop(dropped_tx);
    let stuck = reactor.run_in_reactor(move || async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    let waiter = std::thread::spawn(move || stuck.wait(LONG));
    let started = Instant::now();
    assert!(reactor.shutdown(LONG));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(waiter.join().unwrap(), Err(Error::ReactorStopped));
    // Both futures were dropped before `shutdown` returned.
    for _ in 0..2 {
        assert!(dropped.try_recv().is_ok());
    }
}

#[test]
fn dropping_the_last_handle_on_a_runtime_thread_stops_the_loop() {
    let current = start();
    let multi = Builder::new_multi_thread()
        .worker_threads(2)
        .start()
        .unwrap();
    for reactor in [current, multi] {
        let (dropped_tx, dropped) = mpsc::channel();
        let guard = ThreadNameOnDrop(dropped_tx.clone());
        // Left on the runtime, it is dropped when the runtime stops.
        let spawned = reactor.wait_for(LONG, move || async move {
            drop(tokio::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            }));
        });
        assert_eq!(spawned, Ok(()));
        let (release_tx, release) = mpsc::channel::<()>();
        let last = reactor.clone();
        let result = reactor.call_in_reactor(move || {
            release.recv().unwrap();
            // The last handle, dropped inside a task of the runtime.
            drop(last);
            drop(ThreadNameOnDrop(dropped_tx));
        });
        drop(reactor);
        release_tx.send(()).unwrap();
        assert!(dropped.recv_timeout(LONG).is_ok());
        assert!(dropped.recv_timeout(LONG).is_ok());
        assert!(matches!(
            result.wait(LONG),
            Ok(()) | Err(Error::ReactorStopped)
        ));
    }
}

#[test]
fn a_loop_can_be_started_and_dropped_in_another_runtimes_async_code() {
    let app = app_runtime(false);
    let answer = app.block_on(async {
        let reactor = Builder::new_multi_thread()
            .worker_threads(1)
            .start()
            .unwrap();
        let answer = reactor.wait_for(LONG, || async { 6 });
        // Its runtime is dropped on its own thread, not in this async code.
        drop(reactor);
        answer
    });
    assert_eq!(answer, Ok(6));
}

#[test]
fn unconstrained_tasks_of_the_runtime_may_not_wait() {
    // A task that tokio's cooperative budget does not constrain, left
    // running by the work.
    each_kind(|reactor, threads| {
        let inner = reactor.clone();
        let seen = reactor.wait_for(LONG, move || async move {
            let spawned = tokio::spawn(tokio::task::unconstrained(async move {
                wait_on_pending(&inner)
            }));
            spawned.await.unwrap()
        });
        assert_refused_at_once(threads, seen.unwrap());
    });
    // The application's own current-thread runtime: its tasks and its
    // `block_on` run on the thread that calls `block_on`.
    let app = app_runtime(false);
    let reactor = attach(app.handle().clone());
    let inner = reactor.clone();
    let in_task = app.block_on(app.spawn(tokio::task::unconstrained(async move {
        wait_on_pending(&inner)
    })));
    assert_refused_at_once("an application's task", in_task.unwrap());
    let in_block_on = app.block_on(tokio::task::unconstrained(async {
        wait_on_pending(&reactor)
    }));
    assert_refused_at_once("an application's block_on", in_block_on);
}

#[test]
fn blocking_code_may_still_wait_in_and_out_of_unconstrained_tasks() {
    let multi = Builder::new_multi_thread()
        .worker_threads(2)
        .start()
        .unwrap();
    let app = app_runtime(true);
    let attached = attach(app.handle().clone());
    for reactor in [&multi, &attached] {
        let inner = reactor.clone();
        let seen = reactor.wait_for(LONG, move || async move {
            let in_place = inner.clone();
            let in_place = tokio::spawn(async move {
                tokio::task::block_in_place(|| in_place.wait_for(LONG, || async { 1 }))
            });
            let unconstrained = inner.clone();
            let unconstrained = tokio::spawn(tokio::task::unconstrained(async move {
                tokio::task::block_in_place(|| unconstrained.wait_for(LONG, || async { 2 }))
            }));
            let blocking =
                tokio::task::spawn_blocking(move || inner.wait_for(LONG, || async { 3 }));
            (
                in_place.await.unwrap(),
                unconstrained.await.unwrap(),
                blocking.await.unwrap(),
            )
        });
        assert_eq!(seen, Ok((Ok(1), Ok(2), Ok(3))));
    }
    assert!(multi.shutdown(LONG));
    // A thread that entered the runtime without running it, and one whose
    // own `block_on` has returned.
    let entered = app.enter();
    assert_eq!(attached.wait_for(LONG, || async { 4 }), Ok(4));
    drop(entered);
    let current = app_runtime(false);
    let on_current = attach(current.handle().clone());
    assert_eq!(current.block_on(async { 5 }), 5);
    let stop = CancellationToken::new();
    std::thread::scope(|scope| {
        // Another thread drives the runtime now.
        scope.spawn(|| current.block_on(stop.cancelled()));
        assert_eq!(on_current.wait_for(LONG, || async { 6 }), Ok(6));
        stop.cancel();
    });
}

#[test]
fn which_threads_of_a_tokio_runtime_are_recognised() {
    // Each place a blocking wait can be attempted, and whether the loop
    // recognises it as one of its runtime's threads.
    let app = app_runtime(true);
    let reactor = attach(app.handle().clone());
    let is_reactor_thread = |reactor: &EventLoop| reactor.is_reactor_thread();
    let inner = reactor.clone();
    let seen = app.block_on(app.spawn(async move {
        let task = is_reactor_thread(&inner);
        let unconstrained = tokio::task::unconstrained(async { is_reactor_thread(&inner) }).await;
        let in_place = tokio::task::block_in_place(|| is_reactor_thread(&inner));
        let blocking = inner.clone();
        let blocking = tokio::task::spawn_blocking(move || is_reactor_thread(&blocking))
            .await
            .unwrap();
        (task, unconstrained, in_place, blocking)
    }));
    assert_eq!(seen.unwrap(), (true, true, false, false));
    // The application's `block_on` of a multi-thread runtime is recognised
    // by its budget only: unconstrained, it is not, and a wait there blocks
    // that thread alone while the workers run the work.
    assert!(app.block_on(async { is_reactor_thread(&reactor) }));
    let unconstrained = app.block_on(tokio::task::unconstrained(async {
        is_reactor_thread(&reactor)
    }));
    assert!(!unconstrained);
    let inner = reactor.clone();
    let outcome = app.block_on(tokio::task::unconstrained(async move {
        inner.wait_for(LONG, || async { 7 })
    }));
    assert_eq!(outcome, Ok(7));
    assert!(!is_reactor_thread(&reactor));
}
