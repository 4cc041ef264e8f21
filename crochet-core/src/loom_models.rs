//! Loom models of the result slot's state machine: the pairs of complete,
//! wait, timed wait, cancel, drop of the handle, stash, retrieve and
//! shutdown, racing. (A wait and the drop of the same handle cannot race:
//! the borrow checker forbids it.) At the end, the stream's buffer: send,
//! next, finish and close, racing.
//!
//! Run with `RUSTFLAGS="--cfg crochet_loom" cargo test -p crochet-core --lib --release`.
//! Loom's condition variable never times out, so a timed wait is modelled by
//! its deadline-passed path (a check that must lose nothing) and blocking
//! waits always race with something that settles the slot.

use std::collections::HashMap;
use std::future::Future;
use std::panic::Location;
use std::sync::{Arc, Mutex as StdMutex, OnceLock};
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;

use crate::error::{Error, Failure};
use crate::id::LoopId;
use crate::loop_core::LoopCore;
use crate::reactor_trait::Reactor;
use crate::settle::By;
use crate::slot::Slot;
use crate::task::Task;
use crate::{CancellationToken, EventualResult};

/// A reactor that never runs anything: the models drive the slot by hand.
struct Idle;

impl Reactor for Idle {
    fn spawn(&self, task: Task) {
        drop(task);
    }

    fn shutdown(&self, _timeout: Duration) -> bool {
        true
    }
}

fn core() -> Arc<LoopCore> {
    Arc::new(LoopCore::new(LoopId::new(), Box::new(Idle)))
}

fn registered(core: &Arc<LoopCore>) -> Arc<Slot<u32>> {
    let slot = Arc::new(Slot::new(core.clone(), Location::caller()));
    core.registry
        .register(&slot)
        .expect("the registry has not stopped");
    slot
}

fn panic_of(message: &str) -> Error {
    Error::Panicked(Failure::new(message.to_owned(), Location::caller()))
}

/// Counts the unhandled reports whose text contains each model's marker.
fn reports(marker: &str) -> usize {
    counts().lock().unwrap().get(marker).copied().unwrap_or(0)
}

fn reset_reports(marker: &str) {
    counts().lock().unwrap().insert(marker.to_owned(), 0);
}

fn counts() -> &'static StdMutex<HashMap<String, usize>> {
    static COUNTS: OnceLock<StdMutex<HashMap<String, usize>>> = OnceLock::new();
    COUNTS.get_or_init(|| {
        crate::set_unhandled_error_hook(|err| {
            let text = err.to_string();
            let mut counts = counts().lock().unwrap();
            for (marker, count) in counts.iter_mut() {
                if text.contains(marker.as_str()) {
                    *count += 1;
                }
            }
        });
        StdMutex::new(HashMap::new())
    })
}

/// A waker that records that it was woken.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn complete_vs_wait() {
    loom::model(|| {
        let slot = registered(&core());
        let producer = slot.clone();
        let t = thread::spawn(move || assert!(producer.resolve(Ok(7), By::Task)));
        assert_eq!(slot.wait_until(None), Ok(7));
        assert_eq!(slot.wait_until(None), Err(Error::AlreadyRetrieved));
        t.join().unwrap();
    });
}

#[test]
fn complete_vs_timed_wait_loses_nothing() {
    loom::model(|| {
        let slot = registered(&core());
        let producer = slot.clone();
        let t = thread::spawn(move || producer.resolve(Ok(7), By::Task));
        let first = slot.wait_until(Some(Instant::now()));
        t.join().unwrap();
        match first {
            Ok(value) => assert_eq!(value, 7),
            Err(err) => {
                assert_eq!(err, Error::Timeout);
                assert_eq!(slot.wait_until(None), Ok(7));
            }
        }
    });
}

#[test]
fn two_waiters_vs_complete() {
    loom::model(|| {
        let slot = registered(&core());
        let other = slot.clone();
        let waiter = thread::spawn(move || other.wait_until(None));
        let producer = slot.clone();
        let t = thread::spawn(move || producer.resolve(Ok(7), By::Task));
        let mine = slot.wait_until(None);
        let theirs = waiter.join().unwrap();
        t.join().unwrap();
        let mut outcomes = [mine, theirs];
        outcomes.sort_by_key(|outcome| outcome.is_err());
        assert_eq!(outcomes, [Ok(7), Err(Error::AlreadyRetrieved)]);
    });
}

#[test]
fn complete_vs_cancel() {
    loom::model(|| {
        let slot = registered(&core());
        let producer = slot.clone();
        let t = thread::spawn(move || producer.resolve(Ok(7), By::Task));
        let cancelled = slot.resolve(Err(Error::Cancelled), By::Outsider);
        let completed = t.join().unwrap();
        assert!(cancelled != completed, "exactly one outcome wins");
        let expected = if completed {
            Ok(7)
        } else {
            Err(Error::Cancelled)
        };
        assert_eq!(slot.wait_until(None), expected);
    });
}

#[test]
fn cancel_vs_task_poll_wakes_the_task() {
    loom::model(|| {
        let slot = registered(&core());
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(flag.clone());
        let canceller = slot.clone();
        let t = thread::spawn(move || canceller.resolve(Err(Error::Cancelled), By::Outsider));
        let must_stop = slot.task_must_stop(&waker, true);
        t.join().unwrap();
        assert!(
            must_stop || flag.0.load(Ordering::SeqCst),
            "the task neither saw the cancellation nor was woken for it"
        );
        assert!(slot.task_must_stop(&waker, false));
    });
}

#[test]
fn cancel_vs_wait() {
    loom::model(|| {
        let slot = registered(&core());
        let canceller = slot.clone();
        let t = thread::spawn(move || canceller.resolve(Err(Error::Cancelled), By::Outsider));
        assert_eq!(slot.wait_until(None), Err(Error::Cancelled));
        assert_eq!(slot.wait_until(None), Err(Error::Cancelled));
        t.join().unwrap();
    });
}

#[test]
fn complete_vs_shutdown() {
    loom::model(|| {
        let core = core();
        let slot = registered(&core);
        let producer = slot.clone();
        let t = thread::spawn(move || producer.resolve(Ok(7), By::Task));
        for pending in core.registry.stop() {
            pending.fail(Error::ReactorStopped, By::Outsider);
        }
        let outcome = slot.wait_until(None);
        let completed = t.join().unwrap();
        let expected = if completed {
            Ok(7)
        } else {
            Err(Error::ReactorStopped)
        };
        assert_eq!(outcome, expected);
    });
}

#[test]
fn shutdown_releases_a_blocked_wait() {
    loom::model(|| {
        let core = core();
        let slot = registered(&core);
        let waiter = slot.clone();
        let t = thread::spawn(move || waiter.wait_until(None));
        for pending in core.registry.stop() {
            pending.fail(Error::ReactorStopped, By::Outsider);
        }
        assert_eq!(t.join().unwrap(), Err(Error::ReactorStopped));
    });
}

#[test]
fn cancel_vs_shutdown() {
    loom::model(|| {
        let core = core();
        let slot = registered(&core);
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        assert!(!slot.task_must_stop(&Waker::from(flag.clone()), true));
        let canceller = slot.clone();
        let t = thread::spawn(move || canceller.resolve(Err(Error::Cancelled), By::Outsider));
        for pending in core.registry.stop() {
            pending.fail(Error::ReactorStopped, By::Outsider);
        }
        let cancelled = t.join().unwrap();
        let expected = if cancelled {
            Error::Cancelled
        } else {
            Error::ReactorStopped
        };
        assert_eq!(slot.wait_until(None), Err(expected));
        assert!(
            flag.0.load(Ordering::SeqCst),
            "the task was not woken to stop"
        );
    });
}

#[test]
fn register_vs_shutdown() {
    loom::model(|| {
        let core = core();
        let registrar = core.clone();
        let t = thread::spawn(move || {
            let slot = Arc::new(Slot::<u32>::new(registrar.clone(), Location::caller()));
            registrar.registry.register(&slot).map(|_| slot)
        });
        for pending in core.registry.stop() {
            pending.fail(Error::ReactorStopped, By::Outsider);
        }
        if let Some(slot) = t.join().unwrap() {
            // Registered before the stop, so the stop must have settled it.
            assert_eq!(slot.wait_until(None), Err(Error::ReactorStopped));
        }
        assert_eq!(core.registry.len(), 0);
    });
}

#[test]
fn panic_vs_drop_of_the_handle_is_reported_once() {
    let marker = "loom: panic vs drop";
    loom::model(move || {
        reset_reports(marker);
        let slot = registered(&core());
        let producer = slot.clone();
        let t = thread::spawn(move || producer.resolve(Err(panic_of(marker)), By::Task));
        slot.release_handle();
        t.join().unwrap();
        assert_eq!(reports(marker), 1);
    });
}

#[test]
fn panic_vs_timed_wait_then_drop_is_reported_once() {
    let marker = "loom: panic vs timed wait";
    loom::model(move || {
        reset_reports(marker);
        let slot = registered(&core());
        let producer = slot.clone();
        let t = thread::spawn(move || producer.resolve(Err(panic_of(marker)), By::Task));
        // A wait whose deadline has passed: it sees the panic or times out.
        let seen = match slot.wait_until(Some(Instant::now())) {
            Err(Error::Panicked(_)) => true,
            Err(Error::Timeout) => false,
            other => panic!("unexpected outcome {other:?}"),
        };
        t.join().unwrap();
        slot.release_handle();
        assert_eq!(reports(marker), usize::from(!seen));
    });
}

#[test]
fn token_cancel_vs_cancelled_future() {
    loom::model(|| {
        let token = CancellationToken::new();
        let firer = token.clone();
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(flag.clone());
        let mut cancelled = Box::pin(token.cancelled());
        let t = thread::spawn(move || firer.cancel());
        let ready = cancelled
            .as_mut()
            .poll(&mut std::task::Context::from_waker(&waker))
            .is_ready();
        t.join().unwrap();
        assert!(
            ready || flag.0.load(Ordering::SeqCst),
            "lost the token's wake-up"
        );
    });
}

/// The handle over a registered slot, as `EventLoop::submit` makes it.
fn handle(core: &Arc<LoopCore>) -> (EventualResult<u32>, Arc<Slot<u32>>) {
    let slot = registered(core);
    (EventualResult::new(slot.clone()), slot)
}

/// Counts drops of the value it is part of.
struct Counted(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn complete_vs_drop_of_the_handle_frees_the_value_once() {
    loom::model(|| {
        let drops = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let core = core();
        let slot = Arc::new(Slot::<Counted>::new(core.clone(), Location::caller()));
        core.registry.register(&slot).unwrap();
        let result = EventualResult::new(slot.clone());
        let value = Counted(drops.clone());
        let t = thread::spawn(move || slot.resolve(Ok(value), By::Task));
        drop(result);
        assert!(t.join().unwrap());
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 1);
    });
}

#[test]
fn timed_wait_vs_cancel() {
    loom::model(|| {
        let (result, slot) = handle(&core());
        let t = thread::spawn(move || slot.resolve(Err(Error::Cancelled), By::Outsider));
        match result.wait_deadline(Instant::now()) {
            Err(Error::Timeout) | Err(Error::Cancelled) => {}
            other => panic!("unexpected outcome {other:?}"),
        }
        t.join().unwrap();
        assert_eq!(result.try_wait(), Err(Error::Cancelled));
    });
}

#[test]
fn panic_vs_cancel_after_the_handle_was_dropped() {
    let marker = "loom: panic vs cancel";
    loom::model(move || {
        reset_reports(marker);
        let (result, slot) = handle(&core());
        drop(result);
        let producer = slot.clone();
        let t = thread::spawn(move || producer.resolve(Err(panic_of(marker)), By::Task));
        let cancelled = slot.resolve(Err(Error::Cancelled), By::Outsider);
        let panicked = t.join().unwrap();
        assert!(cancelled != panicked, "exactly one outcome wins");
        assert_eq!(reports(marker), usize::from(panicked));
    });
}

#[test]
fn drop_vs_shutdown_reports_nothing() {
    let marker = "loom: drop vs shutdown";
    loom::model(move || {
        reset_reports(marker);
        let core = core();
        let (result, slot) = handle(&core);
        let stopper = core.clone();
        let t =
            thread::spawn(move || stopper.shutdown(Duration::ZERO, crate::stash::report_unhandled));
        drop(result);
        assert!(t.join().unwrap());
        assert!(slot.is_resolved());
        assert_eq!(reports(marker), 0);
    });
}

#[test]
fn stash_then_retrieve_vs_complete_delivers_once() {
    let seen = Seen::new();
    let runs = seen.clone();
    loom::model(move || {
        let (result, slot) = handle(&core());
        let id = result.stash().unwrap();
        let t = thread::spawn(move || slot.resolve(Ok(7), By::Task));
        let thief = thread::spawn(move || crate::retrieve_result::<u32>(id).ok());
        let mine = crate::retrieve_result::<u32>(id).ok();
        let theirs = thief.join().unwrap();
        t.join().unwrap();
        runs.saw(if mine.is_some() { 0 } else { 1 });
        let retrieved: Vec<_> = mine.into_iter().chain(theirs).collect();
        assert_eq!(retrieved.len(), 1, "an id works exactly once");
        assert_eq!(retrieved[0].wait(Duration::MAX), Ok(7));
    });
    seen.assert_all(["the main thread retrieved", "the thief retrieved"]);
}

#[test]
fn stashed_panic_vs_shutdown_is_reported_once() {
    let marker = "loom: stashed panic vs shutdown";
    loom::model(move || {
        reset_reports(marker);
        let core = core();
        let (result, slot) = handle(&core);
        let id = result.stash().unwrap();
        let t = thread::spawn(move || slot.resolve(Err(panic_of(marker)), By::Task));
        core.shutdown(Duration::ZERO, crate::stash::report_unhandled);
        // The panic may lose to the shutdown, which settles the slot first.
        let panicked = t.join().unwrap();
        // Retrieved and dropped unseen: reported now unless shutdown did.
        drop(crate::retrieve_result::<u32>(id).unwrap());
        assert_eq!(reports(marker), usize::from(panicked));
    });
}

#[test]
fn retrieve_vs_shutdown() {
    let seen = Seen::new();
    let runs = seen.clone();
    loom::model(move || {
        let core = core();
        let (result, slot) = handle(&core);
        let id = result.stash().unwrap();
        let stopper = core.clone();
        let t =
            thread::spawn(move || stopper.shutdown(Duration::ZERO, crate::stash::report_unhandled));
        let result = crate::retrieve_result::<u32>(id).unwrap();
        runs.saw(usize::from(slot.is_resolved()));
        t.join().unwrap();
        assert_eq!(result.wait(Duration::MAX), Err(Error::ReactorStopped));
    });
    seen.assert_all([
        "retrieved before shutdown settled the result",
        "retrieved after shutdown settled the result",
    ]);
}

#[test]
fn retrieve_vs_shutdown_reports_a_stashed_panic_once() {
    let marker = "loom: retrieve vs shutdown";
    let seen = Seen::new();
    let runs = seen.clone();
    loom::model(move || {
        reset_reports(marker);
        let core = core();
        let (result, slot) = handle(&core);
        assert!(slot.resolve(Err(panic_of(marker)), By::Task));
        let id = result.stash().unwrap();
        let stopper = core.clone();
        let t =
            thread::spawn(move || stopper.shutdown(Duration::ZERO, crate::stash::report_unhandled));
        let retrieved = crate::retrieve_result::<u32>(id).unwrap();
        t.join().unwrap();
        // Shutdown reports the panic if it found it still stashed.
        let by_shutdown = reports(marker);
        assert!(by_shutdown <= 1, "shutdown reported the panic twice");
        runs.saw(by_shutdown);
        // Dropped unseen: reported now, unless shutdown did.
        drop(retrieved);
        assert_eq!(reports(marker), 1);
    });
    seen.assert_all([
        "the retrieval came first, and the drop reported",
        "shutdown saw the stashed entry, and reported",
    ]);
}

/// Which of a model's outcomes its runs have seen, so that a model can
/// check that loom explored each of them (a lock loom does not model, for
/// one, leaves all runs on one path).
#[derive(Clone)]
struct Seen(Arc<[std::sync::atomic::AtomicBool; 2]>);

impl Seen {
    fn new() -> Seen {
        Seen(Arc::new(Default::default()))
    }

    fn saw(&self, outcome: usize) {
        self.0[outcome].store(true, std::sync::atomic::Ordering::SeqCst);
    }

    fn assert_all(&self, outcomes: [&str; 2]) {
        for (seen, outcome) in self.0.iter().zip(outcomes) {
            assert!(
                seen.load(std::sync::atomic::Ordering::SeqCst),
                "no run explored: {outcome}"
            );
        }
    }
}

/// A task for the task-queue models: it sets `ran` when polled, after
/// `gate` (if any) has opened, registering its waker until then.
fn gated_task(core: &Arc<LoopCore>, gate: Option<Arc<Gate>>, ran: Arc<AtomicBool>) -> Task {
    let settle: Arc<dyn crate::settle::Settle> = registered(core);
    let future = std::future::poll_fn(move |cx| {
        if let Some(gate) = &gate {
            if !gate.pass(cx.waker()) {
                return std::task::Poll::Pending;
            }
        }
        ran.store(true, Ordering::SeqCst);
        std::task::Poll::Ready(())
    });
    Task::new(future, settle, core.id)
}

/// A gate a task waits behind: `open` wakes the waker it left.
#[derive(Default)]
struct Gate {
    open: AtomicBool,
    waker: loom::sync::Mutex<Option<Waker>>,
}

impl Gate {
    fn pass(&self, waker: &Waker) -> bool {
        *self.waker.lock().unwrap() = Some(waker.clone());
        self.open.load(Ordering::SeqCst)
    }

    fn open(&self) {
        self.open.store(true, Ordering::SeqCst);
        let waker = self.waker.lock().unwrap().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Polls `run` once with a waker that sets `woken`.
fn poll_runner(run: &mut crate::task_queue::RunTasks, woken: &Arc<Flag>) -> bool {
    let waker = Waker::from(woken.clone());
    woken.0.store(false, Ordering::SeqCst);
    std::pin::Pin::new(run)
        .poll(&mut std::task::Context::from_waker(&waker))
        .is_ready()
}

#[test]
fn push_vs_runner_going_to_sleep_loses_no_task() {
    loom::model(|| {
        let core = core();
        let (queue, mut run) = crate::task_queue::TaskQueue::new();
        let ran = Arc::new(AtomicBool::new(false));
        let task = gated_task(&core, None, ran.clone());
        let pusher = thread::spawn(move || queue.push(task));
        let woken = Arc::new(Flag(AtomicBool::new(false)));
        assert!(!poll_runner(&mut run, &woken));
        pusher.join().unwrap();
        // The runner ran the task, or went to sleep before the push and
        // was woken by it.
        if !ran.load(Ordering::SeqCst) {
            assert!(
                woken.0.load(Ordering::SeqCst),
                "the push did not wake the runner"
            );
            assert!(!poll_runner(&mut run, &woken));
        }
        assert!(ran.load(Ordering::SeqCst));
    });
}

#[test]
fn wake_vs_runner_going_to_sleep_polls_the_task_again() {
    loom::model(|| {
        let core = core();
        let (queue, mut run) = crate::task_queue::TaskQueue::new();
        let gate = Arc::new(Gate::default());
        let ran = Arc::new(AtomicBool::new(false));
        queue.push(gated_task(&core, Some(gate.clone()), ran.clone()));
        let woken = Arc::new(Flag(AtomicBool::new(false)));
        // The first poll leaves the task behind its gate.
        assert!(!poll_runner(&mut run, &woken));
        let opener = thread::spawn(move || gate.open());
        let first = !poll_runner(&mut run, &woken);
        opener.join().unwrap();
        assert!(first);
        if !ran.load(Ordering::SeqCst) {
            assert!(
                woken.0.load(Ordering::SeqCst),
                "the wake-up did not reach the runner"
            );
            assert!(!poll_runner(&mut run, &woken));
        }
        assert!(ran.load(Ordering::SeqCst));
    });
}

#[test]
fn push_vs_close_runs_or_drops_the_task_and_the_runner_ends() {
    loom::model(|| {
        let core = core();
        let (queue, mut run) = crate::task_queue::TaskQueue::new();
        let ran = Arc::new(AtomicBool::new(false));
        let slot_task = gated_task(&core, None, ran.clone());
        let closer = queue.clone();
        let t = thread::spawn(move || closer.close());
        queue.push(slot_task);
        t.join().unwrap();
        let woken = Arc::new(Flag(AtomicBool::new(false)));
        // Closed, the runner runs what it took and then ends.
        assert!(
            poll_runner(&mut run, &woken),
            "the closed runner did not end"
        );
        drop(run);
        // Pushed after the close, a task is dropped at once.
        let late = Arc::new(AtomicBool::new(false));
        queue.push(gated_task(&core, None, late.clone()));
        assert!(!late.load(Ordering::SeqCst));
    });
}

// The stream's buffer: send, blocking and async next, finish (the
// producer's work settled: completion, panic, cancel, shutdown) and close
// (the consumer cancelled or dropped the stream), racing.

use std::sync::atomic::AtomicUsize as StdAtomicUsize;
use std::task::{Context, Poll};

use crate::stream_buffer::{Buffer, Taken};

fn flag_waker() -> (Arc<Flag>, Waker) {
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    (flag.clone(), Waker::from(flag))
}

/// Sends `item` with a waker that records its wake-up.
fn send_once(buffer: &Buffer<u32>, item: u32, waker: &Waker) -> Poll<Result<(), ()>> {
    let mut item = Some(item);
    buffer.poll_send(&mut item, &mut Context::from_waker(waker))
}

#[test]
fn stream_send_then_finish_vs_blocking_next_loses_nothing() {
    loom::model(|| {
        let buffer = Arc::new(Buffer::new(1));
        let producer = buffer.clone();
        let t = thread::spawn(move || {
            let (_flag, waker) = flag_waker();
            assert_eq!(send_once(&producer, 1, &waker), Poll::Ready(Ok(())));
            producer.finish();
        });
        let never = || false;
        assert!(matches!(
            buffer.wait_take(None, |_| (), never),
            Ok(Taken::Item(1))
        ));
        assert!(matches!(
            buffer.wait_take(None, |_| (), never),
            Ok(Taken::Finished)
        ));
        t.join().unwrap();
    });
}

#[test]
fn stream_send_into_a_full_buffer_vs_next_wakes_the_sender() {
    let seen = Seen::new();
    let runs = seen.clone();
    loom::model(move || {
        let seen = runs.clone();
        let buffer = Arc::new(Buffer::new(1));
        let (_flag, first) = flag_waker();
        assert_eq!(send_once(&buffer, 1, &first), Poll::Ready(Ok(())));
        let producer = buffer.clone();
        let t = thread::spawn(move || {
            let (flag, waker) = flag_waker();
            let mut item = Some(2);
            let mut cx = Context::from_waker(&waker);
            match producer.poll_send(&mut item, &mut cx) {
                Poll::Ready(sent) => {
                    assert_eq!(sent, Ok(()));
                    seen.saw(0);
                }
                Poll::Pending => {
                    seen.saw(1);
                    // Backpressure: the take that made room must wake it.
                    while !flag.0.load(Ordering::SeqCst) {
                        thread::yield_now();
                    }
                    assert_eq!(producer.poll_send(&mut item, &mut cx), Poll::Ready(Ok(())));
                }
            }
        });
        assert!(matches!(
            buffer.wait_take(None, |_| (), || false),
            Ok(Taken::Item(1))
        ));
        t.join().unwrap();
        assert!(matches!(buffer.try_take(), Some(Taken::Item(2))));
        assert!(buffer.try_take().is_none());
    });
    seen.assert_all(["the send found room", "the send waited for room"]);
}

#[test]
fn stream_send_vs_close_drops_the_item_once() {
    let seen = Seen::new();
    let runs = seen.clone();
    loom::model(move || {
        let seen = runs.clone();
        let drops = Arc::new(StdAtomicUsize::new(0));
        let buffer = Arc::new(Buffer::new(2));
        let producer = buffer.clone();
        let counted = Counted(drops.clone());
        let t = thread::spawn(move || {
            let (_flag, waker) = flag_waker();
            let mut item = Some(counted);
            let sent = producer.poll_send(&mut item, &mut Context::from_waker(&waker));
            match sent {
                // Refused: the item stayed with the sender.
                Poll::Ready(Err(())) => {
                    assert!(item.is_some());
                    seen.saw(0);
                }
                Poll::Ready(Ok(())) => {
                    assert!(item.is_none());
                    seen.saw(1);
                }
                Poll::Pending => panic!("a buffer with room made a send wait"),
            }
            drop(item);
        });
        let unread = buffer.close();
        drop(unread);
        t.join().unwrap();
        assert!(matches!(buffer.try_take(), Some(Taken::Closed)));
        drop(buffer);
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 1);
    });
    seen.assert_all([
        "the send refused after the close",
        "the item buffered, then closed",
    ]);
}

#[test]
fn stream_waiting_send_vs_close_fails_the_send() {
    loom::model(|| {
        let buffer = Arc::new(Buffer::new(1));
        let (_flag, first) = flag_waker();
        assert_eq!(send_once(&buffer, 1, &first), Poll::Ready(Ok(())));
        let producer = buffer.clone();
        let t = thread::spawn(move || {
            let (flag, waker) = flag_waker();
            let mut item = Some(2);
            let mut cx = Context::from_waker(&waker);
            if producer.poll_send(&mut item, &mut cx).is_pending() {
                while !flag.0.load(Ordering::SeqCst) {
                    thread::yield_now();
                }
            }
            assert_eq!(producer.poll_send(&mut item, &mut cx), Poll::Ready(Err(())));
        });
        assert_eq!(buffer.close().len(), 1);
        t.join().unwrap();
    });
}

#[test]
fn stream_finish_vs_blocking_and_async_next() {
    loom::model(|| {
        let buffer = Arc::new(Buffer::<u32>::new(1));
        let settler = buffer.clone();
        let t = thread::spawn(move || settler.finish());
        let (flag, waker) = flag_waker();
        match buffer.poll_take(&mut Context::from_waker(&waker), || false) {
            Poll::Ready(taken) => assert!(matches!(taken, Ok(Taken::Finished))),
            // The finish must wake the async consumer.
            Poll::Pending => {
                assert!(matches!(
                    buffer.wait_take(None, |_| (), || false),
                    Ok(Taken::Finished)
                ));
                t.join().unwrap();
                assert!(flag.0.load(Ordering::SeqCst), "the finish woke nobody");
                return;
            }
        }
        t.join().unwrap();
    });
}

#[test]
fn stream_items_left_at_the_drop_of_both_ends_are_dropped_once() {
    loom::model(|| {
        let drops = Arc::new(StdAtomicUsize::new(0));
        let buffer = Arc::new(Buffer::new(2));
        let producer = buffer.clone();
        let (one, two) = (Counted(drops.clone()), Counted(drops.clone()));
        let t = thread::spawn(move || {
            let (_flag, waker) = flag_waker();
            let mut cx = Context::from_waker(&waker);
            for item in [one, two] {
                let mut item = Some(item);
                let _ = producer.poll_send(&mut item, &mut cx);
            }
            producer.finish();
            drop(producer);
        });
        // The consumer reads at most one item, then goes.
        let read = buffer.try_take();
        let unread = buffer.close();
        drop((read, unread, buffer));
        t.join().unwrap();
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 2);
    });
}
