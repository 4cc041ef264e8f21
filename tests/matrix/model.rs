//! The model-based random test: random sequences of submit, wait, try_wait,
//! cancel, stash, retrieve, drop and shutdown, from several threads at once,
//! each outcome checked against a small model of the contract.
//!
//! Every sequence starts a fresh loop and a few threads that share its
//! handles. The threads only record what each call returned and when it
//! began and ended; once they are joined and the loop is stopped, the
//! history of every piece of work is checked. Where the threads race (a
//! cancel against the work finishing, a wait against shutdown) the model
//! accepts exactly the outcomes that some order of the overlapping calls
//! could give: a call that ended before another began happened first.
//!
//! `CROCHET_MODEL_SEED` sets the seed of the first sequence (the next ones
//! count up from it) and `CROCHET_MODEL_SEQUENCES` how many sequences run
//! per runtime. A failure prints the seed of its sequence and the command
//! that replays it: the operations replay exactly, the interleaving of the
//! threads only likely, so a replay may need a few runs.

use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Wake, Waker};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use crochet::{CancellationToken, Error, EventLoop, EventualResult, Failure, LoopId, StashId};

use crochet_test_support::fixture::{Fixture, Runtime};
use crochet_test_support::helpers::{fail, panic_message, reports, LONG};

/// Runs the random sequences on this runtime and fails at the first one
/// whose history the model refuses.
pub fn random_operations_match_the_model<R: Runtime>() {
    let first = env_u64("CROCHET_MODEL_SEED").unwrap_or(DEFAULT_SEED);
    let count = env_u64("CROCHET_MODEL_SEQUENCES").unwrap_or(DEFAULT_SEQUENCES);
    for n in 0..count {
        run_sequence::<R>(first.wrapping_add(n));
    }
}

/// A shutdown that returns while another one is still failing the pending
/// results must not leave any of them pending: the second caller, too, is
/// promised that every pending result has failed. Found by the random
/// sequences (see `SECOND_SHUTDOWN_WAITS`).
pub fn second_shutdown_returns_after_every_pending_result_failed<R: Runtime>() {
    let fx = Fixture::<R>::new();
    // The first shutdown fails `first` before `second` (they share a shard),
    // and stays inside `first`'s waker until released.
    let mut first = fx.run_in_reactor(std::future::pending::<u64>);
    let second = fx.run_in_reactor(std::future::pending::<u64>);
    let (blocked, in_wake) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let waker = Waker::from(Arc::new(BlockingWaker {
        blocked: Mutex::new(blocked),
        released: Mutex::new(released),
    }));
    let polled = Pin::new(&mut first).poll(&mut Context::from_waker(&waker));
    assert!(polled.is_pending());
    let event_loop = (*fx).clone();
    let shutter = thread::spawn(move || event_loop.shutdown(LONG));
    in_wake
        .recv_timeout(LONG)
        .expect("the first shutdown did not wake the awaiting task");
    fx.shutdown(Duration::ZERO);
    let outcome = second.try_wait();
    drop(release);
    assert!(shutter.join().unwrap());
    assert_eq!(
        outcome,
        Err(Error::ReactorStopped),
        "pending after a second shutdown returned"
    );
}

/// A waker whose `wake` tells it was called, then blocks until released.
struct BlockingWaker {
    blocked: Mutex<mpsc::Sender<()>>,
    released: Mutex<mpsc::Receiver<()>>,
}

impl Wake for BlockingWaker {
    fn wake(self: Arc<Self>) {
        let _ = lock(&self.blocked).send(());
        let _ = lock(&self.released).recv_timeout(LONG);
    }
}

/// The seed of the first sequence when `CROCHET_MODEL_SEED` is not set, so
/// that CI runs are repeatable.
const DEFAULT_SEED: u64 = 0x00C0_C4E7_0000;

/// Whether a shutdown that returns while another is still failing the
/// pending results waits for them too, as its documentation promises
/// (`second_shutdown_returns_after_every_pending_result_failed` shows it
/// does); with `false`, the model would accept a result still pending after
/// such a shutdown.
const SECOND_SHUTDOWN_WAITS: bool = true;

/// How many sequences run per runtime when `CROCHET_MODEL_SEQUENCES` is not
/// set: a few seconds in a debug build.
const DEFAULT_SEQUENCES: u64 = 2_000;

/// How much later than its timeout a call may return, or how long a call
/// that must not block may take: far above what any run needs, on a noisy
/// machine running the whole suite.
const SLACK: Duration = LONG;

/// Timers may fire this much before their nominal time by the model's
/// clock, which is not the timer's own.
const MARGIN: Duration = Duration::from_millis(1);

/// The longest timer of the work and the longest short timeout.
const MAX_MICROS: u64 = 3_000;

/// Runs one sequence from `seed` and checks its history.
fn run_sequence<R: Runtime>(seed: u64) {
    let fx = Fixture::<R>::new();
    let seq = Arc::new(Sequence::new::<R>(seed, fx.id()));
    let mut rng = Rng::new(seed, 0);
    let threads = 2 + rng.below(3) as usize;
    let (done, finished) = mpsc::channel();
    let workers: Vec<JoinHandle<()>> = (1..=threads)
        .map(|thread| {
            let seq = seq.clone();
            let event_loop = (*fx).clone();
            let done = done.clone();
            let rng = Rng::new(seed, thread as u64);
            thread::Builder::new()
                .name(format!("model-{thread}"))
                .spawn(move || worker::<R>(&seq, &event_loop, rng, thread, &done))
                .expect("could not spawn a thread of the model")
        })
        .collect();
    drop(done);

    let mut violations = Vec::new();
    for _ in 0..threads {
        if finished.recv_timeout(SLACK * 2).is_err() {
            violations.push(format!(
                "a thread did not finish its operations within {:?}",
                SLACK * 2
            ));
            break;
        }
    }
    if violations.is_empty() {
        // Some threads are now most likely blocked in their last wait,
        // which shutdown must release; the model holds in any order.
        thread::sleep(Duration::from_micros(rng.below(2_000)));
        shutdown_loop(&seq, &fx, 0, LONG);
        let deadline = Instant::now() + SLACK * 2;
        while Instant::now() < deadline && !workers.iter().all(JoinHandle::is_finished) {
            thread::sleep(Duration::from_millis(1));
        }
        let hung = workers.iter().filter(|w| !w.is_finished()).count();
        if hung > 0 {
            violations.push(format!(
                "{hung} threads still blocked {:?} after shutdown returned",
                SLACK * 2
            ));
        } else {
            for worker in workers {
                if worker.join().is_err() {
                    violations.push("a thread of the model panicked".to_owned());
                }
            }
        }
    }
    if violations.is_empty() {
        finish(&seq);
        let alive = seq.tracker.wait_until_all_dropped(SLACK);
        if !alive.is_empty() {
            violations.push(format!(
                "work still alive {SLACK:?} after shutdown: {alive:?}"
            ));
        }
        check(&seq, &mut violations);
    }
    if !violations.is_empty() {
        panic!(
            "{name}: the model refused sequence seed {seed} ({count} violations):\n{list}\n\
             history:\n{history}\n\
             replay: CROCHET_MODEL_SEED={seed} CROCHET_MODEL_SEQUENCES=1 \
             cargo test --all-features --test matrix {name}::random_operations_match_the_model",
            name = R::NAME,
            count = violations.len(),
            list = violations
                .iter()
                .take(20)
                .map(|v| format!("  - {v}"))
                .collect::<Vec<_>>()
                .join("\n"),
            history = seq.history(),
        );
    }
    drop(fx);
}

/// One thread of the sequence: a few random operations, then perhaps a
/// wait that only an outcome or shutdown can end.
fn worker<R: Runtime>(
    seq: &Sequence,
    event_loop: &EventLoop,
    mut rng: Rng,
    thread: usize,
    done: &mpsc::Sender<()>,
) {
    let operations = 3 + rng.below(8);
    for _ in 0..operations {
        step::<R>(seq, event_loop, &mut rng, thread);
    }
    let last = if rng.chance(60) {
        seq.pick(&mut rng)
    } else {
        None
    };
    let long = if rng.chance(50) { Duration::MAX } else { LONG };
    // Told before the wait starts: the main thread shuts the loop down then.
    let _ = done.send(());
    if let Some(handle) = last {
        wait(&handle, thread, Wait::Timeout(long, true));
    }
}

/// One random operation.
fn step<R: Runtime>(seq: &Sequence, event_loop: &EventLoop, rng: &mut Rng, thread: usize) {
    let roll = rng.below(100);
    // With no handle to act on, the operations on handles submit instead.
    if roll < 30 || (roll < 80 && lock(&seq.handles).is_empty()) {
        submit_op::<R>(seq, event_loop, rng, thread);
        return;
    }
    match roll {
        30..=49 => {
            if let Some(handle) = seq.pick(rng) {
                let kind = Wait::random(rng, seq.must_return(&handle.record));
                wait(&handle, thread, kind);
            }
        }
        50..=57 => {
            if let Some(handle) = seq.pick(rng) {
                wait(&handle, thread, Wait::Try);
            }
        }
        58..=62 => {
            if let Some(handle) = seq.pick(rng) {
                if rng.chance(50) {
                    let start = Instant::now();
                    let ready = handle.result.is_ready();
                    handle
                        .record
                        .push(thread, Op::IsReady, start, Seen::Ready(ready));
                } else {
                    let start = Instant::now();
                    let failure = handle.result.original_failure();
                    handle
                        .record
                        .push(thread, Op::OriginalFailure, start, Seen::Failure(failure));
                }
            }
        }
        63..=72 => {
            if let Some(handle) = seq.pick(rng) {
                let start = Instant::now();
                handle.result.cancel();
                // ORDERING: Relaxed: only a hint for choosing later waits;
                // the history itself is read after every thread is joined.
                handle.record.cancel_returned.store(true, Ordering::Relaxed);
                handle.record.push(thread, Op::Cancel, start, Seen::Nothing);
            }
        }
        73..=79 => {
            let taken = {
                let mut handles = lock(&seq.handles);
                if handles.is_empty() {
                    None
                } else {
                    let index = rng.below(handles.len() as u64) as usize;
                    Some(handles.swap_remove(index))
                }
            };
            if let Some(handle) = taken {
                let record = handle.record.clone();
                let start = Instant::now();
                // Another thread may still hold it for a wait; the result
                // itself goes with the last of them.
                drop(handle);
                record.push(thread, Op::Drop, start, Seen::Nothing);
            }
        }
        80..=85 => stash_op(seq, rng, thread),
        86..=91 => retrieve_op(seq, rng, thread),
        92..=96 => wait_for_op::<R>(seq, event_loop, rng, thread),
        _ => {
            let timeout = if rng.chance(50) { Duration::ZERO } else { LONG };
            shutdown_loop(seq, event_loop, thread, timeout);
        }
    }
}

/// Submits random work and shares its handle.
fn submit_op<R: Runtime>(seq: &Sequence, event_loop: &EventLoop, rng: &mut Rng, thread: usize) {
    let form = match rng.below(3) {
        0 => Form::Closure,
        1 => Form::Future,
        _ => Form::WithToken,
    };
    let record = seq.new_record::<R>(form, Behaviour::random(rng, form), Via::Handle);
    let start = Instant::now();
    let result = submit::<R>(event_loop, &record, &seq.tracker);
    record.push(thread, Op::Submit, start, Seen::Nothing);
    if rng.chance(20) {
        let start = Instant::now();
        let ready = result.is_ready();
        record.push(thread, Op::IsReady, start, Seen::Ready(ready));
    }
    lock(&seq.handles).push(Arc::new(Handle { record, result }));
}

/// Runs random work through `wait_for` with a random timeout.
fn wait_for_op<R: Runtime>(seq: &Sequence, event_loop: &EventLoop, rng: &mut Rng, thread: usize) {
    let behaviour = Behaviour::random(rng, Form::Future);
    let timeout = if behaviour.finishes() && rng.chance(30) {
        LONG
    } else {
        Duration::from_micros(rng.below(MAX_MICROS))
    };
    let record = seq.new_record::<R>(Form::Future, behaviour, Via::WaitFor);
    let part = seq.tracker.track::<R>(record.id, Part::Closure);
    let tracker = seq.tracker.clone();
    let work = record.work.clone();
    let start = Instant::now();
    let outcome = event_loop.wait_for(timeout, move || {
        part.ran();
        let future_part = tracker.track::<R>(work.id, Part::Future);
        body::<R>(work, None, future_part)
    });
    record.push(
        thread,
        Op::WaitFor(timeout, timeout == LONG),
        start,
        Seen::Outcome(outcome),
    );
}

/// Parks a handle nobody else holds in the stash.
fn stash_op(seq: &Sequence, rng: &mut Rng, thread: usize) {
    let alone = {
        let mut handles = lock(&seq.handles);
        if handles.is_empty() {
            return;
        }
        let index = rng.below(handles.len() as u64) as usize;
        match Arc::try_unwrap(handles.swap_remove(index)) {
            Ok(handle) => handle,
            // A waiter holds it; stashing needs the only handle.
            Err(shared) => {
                handles.push(shared);
                return;
            }
        }
    };
    let Handle { record, result } = alone;
    let start = Instant::now();
    match result.stash() {
        Ok(id) => {
            // ORDERING: Relaxed: read after every thread is joined.
            record.stashed.store(true, Ordering::Relaxed);
            record.push(thread, Op::Stash(id), start, Seen::Nothing);
            lock(&seq.stashed).push((id, record));
        }
        Err(full) => {
            record.push(thread, Op::StashFull, start, Seen::Nothing);
            lock(&seq.handles).push(Arc::new(Handle {
                record,
                result: full.into_result(),
            }));
        }
    }
}

/// Retrieves a stashed id (perhaps asking for the wrong type first, and
/// always asking once more after): other threads may race for the same id.
fn retrieve_op(seq: &Sequence, rng: &mut Rng, thread: usize) {
    let chosen = {
        let stashed = lock(&seq.stashed);
        if stashed.is_empty() {
            return;
        }
        stashed[rng.below(stashed.len() as u64) as usize].clone()
    };
    let (id, record) = chosen;
    if rng.chance(30) {
        let start = Instant::now();
        let outcome = crochet::retrieve_result::<String>(id).map(drop);
        seq.retrieved(thread, id, start, outcome, true);
    }
    let start = Instant::now();
    match crochet::retrieve_result::<u64>(id) {
        Ok(result) => {
            seq.retrieved(thread, id, start, Ok(()), false);
            let start = Instant::now();
            let again = crochet::retrieve_result::<u64>(id).map(drop);
            seq.retrieved(thread, id, start, again, false);
            lock(&seq.stashed).retain(|(stashed, _)| *stashed != id);
            record.push(thread, Op::Retrieve(id), start, Seen::Nothing);
            lock(&seq.handles).push(Arc::new(Handle { record, result }));
        }
        Err(err) => seq.retrieved(thread, id, start, Err(err), false),
    }
}

/// Shuts the loop down from a thread of the model.
fn shutdown_loop(seq: &Sequence, event_loop: &EventLoop, thread: usize, timeout: Duration) {
    let start = Instant::now();
    let stopped = event_loop.shutdown(timeout);
    seq.shut_down(thread, start, timeout, stopped);
}

/// Waits on `handle` as `kind` says and records the outcome.
fn wait(handle: &Handle, thread: usize, kind: Wait) {
    let start = Instant::now();
    let (op, outcome) = match kind {
        Wait::Timeout(timeout, must_return) => {
            (Op::Wait(timeout, must_return), handle.result.wait(timeout))
        }
        Wait::Deadline(deadline) => (
            Op::WaitDeadline(deadline),
            handle.result.wait_deadline(deadline),
        ),
        Wait::Try => (Op::TryWait, handle.result.try_wait()),
    };
    handle
        .record
        .push(thread, op, start, Seen::Outcome(outcome));
}

/// After the threads are joined and the loop stopped: retrieves what is
/// still stashed, checks every handle once more, and drops them all.
fn finish(seq: &Sequence) {
    let stashed = std::mem::take(&mut *lock(&seq.stashed));
    for (id, record) in stashed {
        let start = Instant::now();
        match crochet::retrieve_result::<u64>(id) {
            Ok(result) => {
                seq.retrieved(0, id, start, Ok(()), false);
                record.push(0, Op::Retrieve(id), start, Seen::Nothing);
                lock(&seq.handles).push(Arc::new(Handle { record, result }));
            }
            Err(err) => seq.retrieved(0, id, start, Err(err), false),
        }
    }
    let handles = std::mem::take(&mut *lock(&seq.handles));
    for handle in &handles {
        let start = Instant::now();
        let outcome = handle.result.try_wait();
        let pending = outcome == Err(Error::Timeout);
        handle
            .record
            .push(0, Op::Final, start, Seen::Outcome(outcome));
        if pending {
            // Already wrong; what comes later tells what went wrong.
            wait(handle, 0, Wait::Timeout(LONG, true));
        }
    }
    drop(handles);
}

/// Checks the whole history of the sequence.
fn check(seq: &Sequence, violations: &mut Vec<String>) {
    let shutdowns = lock(&seq.shutdowns).clone();
    for shutdown in &shutdowns {
        if shutdown.timeout == LONG && !shutdown.stopped {
            violations.push(format!(
                "shutdown({LONG:?}) by thread {} said the loop did not stop",
                shutdown.thread
            ));
        }
        if shutdown.end - shutdown.start > shutdown.timeout.saturating_add(SLACK) {
            violations.push(format!(
                "shutdown({:?}) took {:?}",
                shutdown.timeout,
                shutdown.end - shutdown.start
            ));
        }
    }
    let first_end = shutdowns.iter().map(|s| s.end).min();
    // Until the defect is fixed, a shutdown that returns while an earlier
    // one still runs promises nothing: the results are surely failed only
    // once a shutdown and every one begun before it returned.
    let all_failed = if SECOND_SHUTDOWN_WAITS {
        first_end
    } else {
        shutdowns
            .iter()
            .map(|s| {
                shutdowns
                    .iter()
                    .filter(|other| other.start < s.end)
                    .map(|other| other.end)
                    .fold(s.end, Instant::max)
            })
            .min()
    };
    let loop_stops = Stops {
        first_start: shutdowns.iter().map(|s| s.start).min(),
        first_end,
        all_failed,
    };
    let records = lock(&seq.records).clone();
    let log = seq.tracker.log();
    for record in &records {
        let mut found = Vec::new();
        check_record(record, &loop_stops, &log, &mut found);
        violations.extend(
            found
                .into_iter()
                .map(|v| format!("work {} ({:?}): {v}", record.id, record.work)),
        );
    }
    check_stash(seq, violations);
}

/// When the loop's shutdowns began and returned.
struct Stops {
    /// When the first began.
    first_start: Option<Instant>,
    /// When the first returned: later work is refused.
    first_end: Option<Instant>,
    /// From when every result is surely settled (see `SECOND_SHUTDOWN_WAITS`).
    all_failed: Option<Instant>,
}

/// Checks the history of one piece of work against the model.
fn check_record(record: &Record, stops: &Stops, log: &TrackLog, out: &mut Vec<String>) {
    let events = lock(&record.events).clone();
    let Some(submit) = events
        .iter()
        .find(|e| matches!(e.op, Op::Submit | Op::WaitFor(..)))
    else {
        out.push("no submission recorded".to_owned());
        return;
    };
    let work = &record.work;
    let refused = stops.first_end.is_some_and(|end| end < submit.start);
    let earliest = submit.start + work.behaviour.delay().saturating_sub(MARGIN);
    let cancels: Vec<&Event> = events.iter().filter(|e| e.op == Op::Cancel).collect();
    let first_cancel_start = cancels.iter().map(|e| e.start).min();
    let first_cancel_end = cancels.iter().map(|e| e.end).min();

    // What every wait saw.
    let mut value_takes = Vec::new();
    let mut failures: Vec<(&Event, Fail)> = Vec::new();
    for event in &events {
        let Seen::Outcome(outcome) = &event.seen else {
            continue;
        };
        match outcome {
            Ok(value) => {
                if *value != work.value {
                    out.push(format!("{} gave the value {value} of other work", event.op));
                }
                value_takes.push(event);
            }
            Err(Error::Cancelled) => failures.push((event, Fail::Cancelled)),
            Err(Error::ReactorStopped) => failures.push((event, Fail::Stopped)),
            Err(Error::Panicked(failure)) => {
                if !failure.location().file().ends_with("model.rs") {
                    out.push(format!(
                        "the panic names {} as where the work was submitted",
                        failure.location()
                    ));
                }
                failures.push((event, Fail::Panicked(failure.message().to_owned())));
            }
            Err(Error::Timeout | Error::AlreadyRetrieved) => {}
            Err(other) => out.push(format!("{} gave the unexpected {other:?}", event.op)),
        }
    }
    if value_takes.len() > 1 {
        out.push(format!(
            "the value was handed out {} times",
            value_takes.len()
        ));
    }
    if !value_takes.is_empty() && !failures.is_empty() {
        out.push("waits saw both the value and a failure".to_owned());
    }
    if let Some((_, first)) = failures.first() {
        if failures.iter().any(|(_, other)| other != first) {
            out.push("waits saw different failures".to_owned());
        }
    }

    // The outcome, and the first time a call returned it.
    let outcome = match (value_takes.first(), failures.first()) {
        (Some(take), _) => Some((Fail::Value, take.end)),
        (None, Some((_, fail))) => {
            let seen = failures
                .iter()
                .map(|(e, _)| e.end)
                .min()
                .expect("non-empty");
            Some((fail.clone(), seen))
        }
        (None, None) => None,
    };
    if let Some((outcome, seen)) = &outcome {
        match outcome {
            Fail::Value | Fail::Panicked(_) => {
                if *outcome == Fail::Value && !work.behaviour.gives_value() {
                    out.push("a value from work that never returns one".to_owned());
                }
                if let Fail::Panicked(message) = outcome {
                    if !work.behaviour.panics() {
                        out.push("a panic from work that does not panic".to_owned());
                    } else if *message != work.message {
                        out.push(format!("the panic of other work: {message:?}"));
                    }
                }
                if refused {
                    out.push("an outcome from work submitted after shutdown returned".to_owned());
                }
                if first_cancel_end.is_some_and(|end| end < earliest) {
                    out.push(
                        "it finished, though cancelled before its timer could fire".to_owned(),
                    );
                }
                if stops.all_failed.is_some_and(|end| end < earliest) {
                    out.push(
                        "it finished, though shutdown returned before its timer could fire"
                            .to_owned(),
                    );
                }
            }
            Fail::Cancelled => match first_cancel_start {
                _ if record.via == Via::WaitFor => {
                    out.push("wait_for returned Cancelled".to_owned());
                }
                None => out.push("Cancelled, and nobody cancelled it".to_owned()),
                Some(cancel) => {
                    if cancel >= *seen {
                        out.push("Cancelled before any cancel began".to_owned());
                    }
                    if stops.all_failed.is_some_and(|end| end < cancel) {
                        out.push(
                            "Cancelled, though shutdown had returned before the first cancel"
                                .to_owned(),
                        );
                    }
                }
            },
            Fail::Stopped => match stops.first_start {
                None => out.push("ReactorStopped without a shutdown".to_owned()),
                Some(stop) => {
                    if stop >= *seen {
                        out.push("ReactorStopped before any shutdown began".to_owned());
                    }
                    if first_cancel_end.is_some_and(|end| end < stop) {
                        out.push(
                            "ReactorStopped, though a cancel had returned before shutdown began"
                                .to_owned(),
                        );
                    }
                }
            },
        }
    }

    // The first moment the outcome was surely there: a call that saw it,
    // a cancel or a shutdown that returned.
    let settled = events
        .iter()
        .filter(|e| match &e.seen {
            Seen::Outcome(Err(Error::Timeout)) => false,
            Seen::Outcome(_) => true,
            Seen::Ready(ready) => *ready,
            Seen::Failure(failure) => failure.is_some(),
            Seen::Nothing => e.op == Op::Cancel,
        })
        .map(|e| e.end)
        .chain(stops.all_failed)
        .min();
    let panic_seen = events
        .iter()
        .filter(|e| match &e.seen {
            Seen::Outcome(Err(Error::Panicked(_))) => true,
            Seen::Failure(failure) => failure.is_some(),
            _ => false,
        })
        .map(|e| e.end)
        .min();

    for event in &events {
        let took = event.end - event.start;
        let after_settled = settled.is_some_and(|settled| settled < event.start);
        match (&event.op, &event.seen) {
            (op, Seen::Outcome(Err(Error::Timeout))) => {
                match *op {
                    Op::Wait(timeout, must_return) | Op::WaitFor(timeout, must_return) => {
                        if timeout == Duration::MAX {
                            out.push(format!("{op} returned Timeout"));
                        } else if must_return {
                            out.push(format!("{op} timed out, though the outcome was due"));
                        }
                        if took < timeout {
                            out.push(format!("{op} returned Timeout early, after {took:?}"));
                        }
                    }
                    Op::WaitDeadline(deadline) if event.end < deadline => {
                        out.push(format!("{op} returned Timeout before its deadline"));
                    }
                    Op::Final => out.push("still pending after shutdown returned".to_owned()),
                    _ => {}
                }
                if after_settled {
                    out.push(format!(
                        "{op} returned Timeout after the outcome was settled"
                    ));
                }
            }
            (op, Seen::Outcome(Err(Error::AlreadyRetrieved)))
                if !value_takes.iter().any(|take| take.start < event.end) =>
            {
                out.push(format!(
                    "{op} returned AlreadyRetrieved, though no wait had taken the value"
                ));
            }
            (Op::IsReady, Seen::Ready(false)) if after_settled => {
                out.push("is_ready said false after the outcome was settled".to_owned());
            }
            (Op::OriginalFailure, Seen::Failure(Some(failure))) => {
                if !work.behaviour.panics() {
                    out.push("original_failure of work that does not panic".to_owned());
                } else if failure.message() != work.message {
                    out.push("original_failure gave another work's panic".to_owned());
                }
                if outcome
                    .as_ref()
                    .is_some_and(|(o, _)| !matches!(o, Fail::Panicked(_)))
                {
                    out.push("original_failure gave a panic, waits another outcome".to_owned());
                }
            }
            (Op::OriginalFailure, Seen::Failure(None))
                if panic_seen.is_some_and(|seen| seen < event.start) =>
            {
                out.push("original_failure said None after the panic was seen".to_owned());
            }
            _ => {}
        }
        // Nothing returns long after its time.
        let bound = match event.op {
            Op::Wait(timeout, _) | Op::WaitFor(timeout, _) => timeout.saturating_add(SLACK),
            Op::WaitDeadline(deadline) => deadline.saturating_duration_since(event.start) + SLACK,
            _ => SLACK,
        };
        if took > bound {
            out.push(format!("{} took {took:?}", event.op));
        }
    }

    check_drops(record, submit, refused, stops, log, out);

    if work.behaviour.panics() {
        let reported = reports(&work.message);
        // ORDERING: Relaxed: written before the threads were joined.
        let stashed = record.stashed.load(Ordering::Relaxed);
        if reported > 1 {
            out.push(format!("its panic was reported {reported} times"));
        } else if reported == 1 {
            // A panic that lost the race to a cancel or shutdown is reported:
            // nobody else sees it. One that a wait saw is not.
            if let Some(seen) = panic_seen {
                let reported_at_shutdown =
                    stashed && stops.first_start.is_some_and(|stop| stop < seen);
                if !reported_at_shutdown {
                    out.push("its panic was seen, yet reported as unhandled".to_owned());
                }
            }
        }
    }
}

/// Checks that the work's closure and future were each dropped once, on a
/// reactor thread, except work refused after shutdown, which is dropped
/// unrun where it was submitted.
fn check_drops(
    record: &Record,
    submit: &Event,
    refused: bool,
    stops: &Stops,
    log: &TrackLog,
    out: &mut Vec<String>,
) {
    let id = record.id;
    for message in log.anomalies.iter().filter(|(work, _)| *work == id) {
        out.push(message.1.clone());
    }
    let runs: Vec<&(usize, bool)> = log.runs.iter().filter(|(work, _)| *work == id).collect();
    if runs.len() > 1 {
        out.push(format!("it ran {} times", runs.len()));
    }
    if runs.iter().any(|(_, in_runtime)| !in_runtime) {
        out.push("it ran off the runtime".to_owned());
    }
    if refused && !runs.is_empty() {
        out.push("it ran, though submitted after shutdown returned".to_owned());
    }
    let made = |part| {
        log.made
            .iter()
            .filter(|&&(work, made)| work == id && made == part)
            .count()
    };
    for part in [Part::Closure, Part::Future] {
        let drops: Vec<&DropSeen> = log
            .drops
            .iter()
            .filter(|d| d.work == id && d.part == part)
            .collect();
        if drops.len() != made(part) {
            out.push(format!(
                "its {part:?} was made {} times and dropped {} times",
                made(part),
                drops.len()
            ));
        }
        for dropped in drops {
            let where_submitted = dropped.thread == record.submitter
                && dropped.at <= submit.end
                && part == Part::Closure
                && runs.is_empty();
            if refused && !where_submitted {
                out.push(format!(
                    "its {part:?} was refused after shutdown but not dropped unrun by the submitter"
                ));
            }
            let raced_shutdown = stops.first_start.is_some_and(|stop| stop < submit.end);
            if !(dropped.in_runtime || where_submitted && raced_shutdown) {
                out.push(format!(
                    "its {part:?} was dropped off the runtime, by thread {:?}",
                    dropped.thread_name
                ));
            }
        }
    }
    if made(Part::Future) != runs.len() && record.work.form != Form::Closure {
        out.push("its future was not made exactly when its closure ran".to_owned());
    }
}

/// Checks that every stashed id was retrieved exactly once, and that every
/// refusal of an id was legal when it was made.
fn check_stash(seq: &Sequence, out: &mut Vec<String>) {
    let retrievals = lock(&seq.retrievals).clone();
    let stashed: Vec<(StashId, usize)> = lock(&seq.records)
        .iter()
        .flat_map(|record| {
            lock(&record.events)
                .iter()
                .filter_map(|e| match e.op {
                    Op::Stash(id) => Some((id, record.id)),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
        .collect();
    for (id, work) in stashed {
        let of_id: Vec<&Retrieval> = retrievals.iter().filter(|r| r.id == id).collect();
        let taken: Vec<&&Retrieval> = of_id.iter().filter(|r| r.outcome.is_ok()).collect();
        if taken.len() != 1 {
            out.push(format!(
                "work {work}: stashed id {id} was retrieved {} times",
                taken.len()
            ));
        }
        for retrieval in &of_id {
            let taken_before = taken.iter().any(|t| t.start < retrieval.end);
            let taken_earlier = taken.iter().any(|t| t.end < retrieval.start);
            match &retrieval.outcome {
                Ok(()) => {}
                Err(Error::UnknownStashId(unknown)) if *unknown == id && taken_before => {}
                Err(Error::StashTypeMismatch {
                    id: refused,
                    expected,
                    found,
                }) if retrieval.wrong_type
                    && *refused == id
                    && expected.contains("String")
                    && *found == "u64"
                    && !taken_earlier => {}
                Err(err) => out.push(format!(
                    "work {work}: retrieving stashed id {id} (as the wrong type: {}) gave {err:?}",
                    retrieval.wrong_type
                )),
            }
        }
    }
}

/// What one sequence shares between its threads.
struct Sequence {
    seed: u64,
    began: Instant,
    /// The handles the threads share; a wait clones one out first.
    handles: Mutex<Vec<Arc<Handle>>>,
    /// The ids in the stash, with the work they stand for.
    stashed: Mutex<Vec<(StashId, Arc<Record>)>>,
    retrievals: Mutex<Vec<Retrieval>>,
    records: Mutex<Vec<Arc<Record>>>,
    shutdowns: Mutex<Vec<Shutdown>>,
    /// Whether a shutdown has returned: then every wait must return.
    stopped: AtomicBool,
    next_work: AtomicUsize,
    tracker: Arc<Tracker>,
    /// The runtime's name, for the panic messages.
    name: &'static str,
}

impl Sequence {
    fn new<R: Runtime>(seed: u64, loop_id: LoopId) -> Sequence {
        Sequence {
            seed,
            began: Instant::now(),
            handles: Mutex::new(Vec::new()),
            stashed: Mutex::new(Vec::new()),
            retrievals: Mutex::new(Vec::new()),
            records: Mutex::new(Vec::new()),
            shutdowns: Mutex::new(Vec::new()),
            stopped: AtomicBool::new(false),
            next_work: AtomicUsize::new(0),
            tracker: Arc::new(Tracker {
                log: Mutex::default(),
                loop_id,
            }),
            name: R::NAME,
        }
    }

    /// A shared handle at random, cloned out of the lock.
    fn pick(&self, rng: &mut Rng) -> Option<Arc<Handle>> {
        let handles = lock(&self.handles);
        if handles.is_empty() {
            return None;
        }
        Some(handles[rng.below(handles.len() as u64) as usize].clone())
    }

    /// Whether a wait on this work must return: the work finishes, it was
    /// cancelled, or the loop was stopped.
    fn must_return(&self, record: &Record) -> bool {
        // ORDERING: Relaxed: both flags only pick the kind of wait; a stale
        // `false` just picks a shorter one.
        record.work.behaviour.finishes()
            || record.cancel_returned.load(Ordering::Relaxed)
            || self.stopped.load(Ordering::Relaxed)
    }

    fn new_record<R: Runtime>(&self, form: Form, behaviour: Behaviour, via: Via) -> Arc<Record> {
        // ORDERING: Relaxed: only uniqueness matters.
        let id = self.next_work.fetch_add(1, Ordering::Relaxed);
        let value = self.seed.rotate_left(17) ^ (id as u64);
        let message = panic_message::<R>(&format!("model seed {} work {id}", self.seed));
        let record = Arc::new(Record {
            work: Work {
                id,
                form,
                behaviour,
                value,
                message,
            },
            id,
            via,
            submitter: thread::current().id(),
            events: Mutex::new(Vec::new()),
            stashed: AtomicBool::new(false),
            cancel_returned: AtomicBool::new(false),
        });
        lock(&self.records).push(record.clone());
        record
    }

    fn retrieved(
        &self,
        thread: usize,
        id: StashId,
        start: Instant,
        outcome: Result<(), Error>,
        wrong_type: bool,
    ) {
        lock(&self.retrievals).push(Retrieval {
            thread,
            id,
            start,
            end: Instant::now(),
            outcome,
            wrong_type,
        });
    }

    fn shut_down(&self, thread: usize, start: Instant, timeout: Duration, stopped: bool) {
        lock(&self.shutdowns).push(Shutdown {
            thread,
            start,
            end: Instant::now(),
            timeout,
            stopped,
        });
        // ORDERING: Relaxed: a hint for choosing waits, as in `must_return`.
        self.stopped.store(true, Ordering::Relaxed);
    }

    /// The history, for a failure message: every call, by start time.
    fn history(&self) -> String {
        let at = |instant: Instant| instant.saturating_duration_since(self.began);
        let mut lines: Vec<(Instant, String)> = Vec::new();
        for shutdown in lock(&self.shutdowns).iter() {
            lines.push((
                shutdown.start,
                format!(
                    "{:>10.3?}..{:<10.3?} thread {} shutdown({:?}) -> {}",
                    at(shutdown.start),
                    at(shutdown.end),
                    shutdown.thread,
                    shutdown.timeout,
                    shutdown.stopped
                ),
            ));
        }
        for record in lock(&self.records).iter() {
            for event in lock(&record.events).iter() {
                lines.push((
                    event.start,
                    format!(
                        "{:>10.3?}..{:<10.3?} thread {} work {} {} -> {:?}",
                        at(event.start),
                        at(event.end),
                        event.thread,
                        record.id,
                        event.op,
                        event.seen
                    ),
                ));
            }
        }
        for retrieval in lock(&self.retrievals).iter() {
            lines.push((
                retrieval.start,
                format!(
                    "{:>10.3?}..{:<10.3?} thread {} retrieve {}{} -> {:?}",
                    at(retrieval.start),
                    at(retrieval.end),
                    retrieval.thread,
                    retrieval.id,
                    if retrieval.wrong_type {
                        " as String"
                    } else {
                        ""
                    },
                    retrieval.outcome
                ),
            ));
        }
        lines.sort_by_key(|(start, _)| *start);
        let mut text = String::new();
        for record in lock(&self.records).iter() {
            let _ = writeln!(text, "  work {}: {:?}", record.id, record.work);
        }
        for (_, line) in lines.iter().take(200) {
            let _ = writeln!(text, "  {line}");
        }
        let _ = writeln!(text, "  (runtime {}, {} calls)", self.name, lines.len());
        text
    }
}

/// A shared handle and the history of its work.
struct Handle {
    record: Arc<Record>,
    result: EventualResult<u64>,
}

/// What was submitted, and everything done with it since.
struct Record {
    id: usize,
    work: Work,
    via: Via,
    submitter: ThreadId,
    events: Mutex<Vec<Event>>,
    /// Whether it was ever stashed.
    stashed: AtomicBool,
    /// Whether a cancel of it has returned.
    cancel_returned: AtomicBool,
}

impl Record {
    fn push(&self, thread: usize, op: Op, start: Instant, seen: Seen) {
        let end = Instant::now();
        lock(&self.events).push(Event {
            thread,
            op,
            start,
            end,
            seen,
        });
    }
}

/// How the work was handed over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Via {
    /// `run_in_reactor` and friends, with a handle.
    Handle,
    /// `wait_for`, which keeps the handle to itself.
    WaitFor,
}

/// One call, when it began and ended, and what it returned.
#[derive(Clone, Debug)]
struct Event {
    thread: usize,
    op: Op,
    start: Instant,
    end: Instant,
    seen: Seen,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Submit,
    /// A wait with this timeout; whether the outcome was due, so that it
    /// must not time out.
    Wait(Duration, bool),
    WaitDeadline(Instant),
    TryWait,
    /// `wait_for` with this timeout; whether it must not time out.
    WaitFor(Duration, bool),
    IsReady,
    OriginalFailure,
    Cancel,
    Drop,
    Stash(StashId),
    StashFull,
    Retrieve(StashId),
    /// The `try_wait` of the final check, after shutdown.
    Final,
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Op::Wait(timeout, _) => write!(f, "wait({timeout:?})"),
            Op::WaitFor(timeout, _) => write!(f, "wait_for({timeout:?})"),
            Op::WaitDeadline(_) => f.write_str("wait_deadline"),
            other => write!(f, "{other:?}"),
        }
    }
}

#[derive(Clone, Debug)]
enum Seen {
    Nothing,
    Outcome(Result<u64, Error>),
    Ready(bool),
    Failure(Option<Failure>),
}

/// An outcome, as the model compares them.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Fail {
    Value,
    Cancelled,
    Panicked(String),
    Stopped,
}

/// A `retrieve_result` call on a stashed id.
#[derive(Clone, Debug)]
struct Retrieval {
    thread: usize,
    id: StashId,
    start: Instant,
    end: Instant,
    outcome: Result<(), Error>,
    /// Whether it asked for the wrong type.
    wrong_type: bool,
}

#[derive(Clone, Debug)]
struct Shutdown {
    thread: usize,
    start: Instant,
    end: Instant,
    timeout: Duration,
    stopped: bool,
}

/// The kinds of wait.
enum Wait {
    /// `wait(timeout)`, and whether the outcome was due.
    Timeout(Duration, bool),
    Deadline(Instant),
    Try,
}

impl Wait {
    /// A wait at random; a long one only when the outcome is due, so that
    /// no wait hangs the sequence.
    fn random(rng: &mut Rng, must_return: bool) -> Wait {
        let short = |rng: &mut Rng| Duration::from_micros(rng.below(MAX_MICROS));
        match rng.below(10) {
            0 | 1 => Wait::Timeout(Duration::ZERO, false),
            2..=5 => Wait::Timeout(short(rng), false),
            6 => {
                let past = short(rng);
                Wait::Deadline(
                    Instant::now()
                        .checked_sub(past)
                        .unwrap_or_else(Instant::now),
                )
            }
            7 => Wait::Deadline(Instant::now() + short(rng)),
            _ if must_return => {
                if rng.chance(50) {
                    Wait::Timeout(Duration::MAX, true)
                } else {
                    Wait::Timeout(LONG, true)
                }
            }
            _ => Wait::Timeout(short(rng), false),
        }
    }
}

/// What was submitted.
#[derive(Clone)]
struct Work {
    id: usize,
    form: Form,
    behaviour: Behaviour,
    /// The value it returns, unique in the sequence.
    value: u64,
    /// The message it panics with, unique in the process.
    message: String,
}

impl std::fmt::Debug for Work {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} {:?}", self.form, self.behaviour)
    }
}

/// How the work is submitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// `call_in_reactor`.
    Closure,
    /// `run_in_reactor`.
    Future,
    /// `run_in_reactor_with_token`.
    WithToken,
}

/// What the work does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behaviour {
    Value,
    /// Returns its value after a runtime timer.
    ValueAfter(Duration),
    /// Never finishes; with a token, it awaits the token (and must never
    /// be polled again once it fired).
    Never,
    Panic,
    PanicAfter(Duration),
}

impl Behaviour {
    fn random(rng: &mut Rng, form: Form) -> Behaviour {
        let delay = Duration::from_micros(rng.below(MAX_MICROS));
        let behaviour = match rng.below(100) {
            0..=34 => Behaviour::Value,
            35..=59 => Behaviour::ValueAfter(delay),
            60..=79 => Behaviour::Never,
            80..=89 => Behaviour::Panic,
            _ => Behaviour::PanicAfter(delay),
        };
        // A plain closure runs at once; it cannot wait for a timer.
        match (form, behaviour) {
            (Form::Closure, Behaviour::ValueAfter(_) | Behaviour::Never) => Behaviour::Value,
            (Form::Closure, Behaviour::PanicAfter(_)) => Behaviour::Panic,
            _ => behaviour,
        }
    }

    fn delay(self) -> Duration {
        match self {
            Behaviour::ValueAfter(delay) | Behaviour::PanicAfter(delay) => delay,
            _ => Duration::ZERO,
        }
    }

    fn finishes(self) -> bool {
        self != Behaviour::Never
    }

    fn gives_value(self) -> bool {
        matches!(self, Behaviour::Value | Behaviour::ValueAfter(_))
    }

    fn panics(self) -> bool {
        matches!(self, Behaviour::Panic | Behaviour::PanicAfter(_))
    }
}

/// Submits the work of `record`, with its closure (and the future it makes)
/// tracked.
fn submit<R: Runtime>(
    event_loop: &EventLoop,
    record: &Record,
    tracker: &Arc<Tracker>,
) -> EventualResult<u64> {
    let work = record.work.clone();
    let part = tracker.track::<R>(work.id, Part::Closure);
    let tracker = tracker.clone();
    match work.form {
        Form::Closure => event_loop.call_in_reactor(move || {
            part.ran();
            if work.behaviour.panics() {
                fail(work.message)
            } else {
                work.value
            }
        }),
        Form::Future => event_loop.run_in_reactor(move || {
            part.ran();
            let future_part = tracker.track::<R>(work.id, Part::Future);
            body::<R>(work, None, future_part)
        }),
        Form::WithToken => event_loop.run_in_reactor_with_token(move |token| {
            part.ran();
            let future_part = tracker.track::<R>(work.id, Part::Future);
            body::<R>(work, Some(token), future_part)
        }),
    }
}

/// The future of the work.
async fn body<R: Runtime>(work: Work, token: Option<CancellationToken>, part: Tracked) -> u64 {
    let resumed = |part: &Tracked| {
        // The task polls the work and fires its token, never both at once.
        if token.as_ref().is_some_and(CancellationToken::is_cancelled) {
            part.anomaly("its future was polled after its token fired");
        }
    };
    match work.behaviour {
        Behaviour::Value => work.value,
        Behaviour::ValueAfter(delay) => {
            R::sleep(delay).await;
            resumed(&part);
            work.value
        }
        Behaviour::Never => {
            if let Some(token) = &token {
                token.cancelled().await;
                part.anomaly("its future was polled again after its token fired");
            }
            std::future::pending().await
        }
        Behaviour::Panic => fail(work.message),
        Behaviour::PanicAfter(delay) => {
            R::sleep(delay).await;
            resumed(&part);
            fail(work.message)
        }
    }
}

/// The closure of the work, or the future it made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Closure,
    Future,
}

/// Where and when a tracked part was dropped.
#[derive(Clone, Debug)]
struct DropSeen {
    work: usize,
    part: Part,
    thread: ThreadId,
    /// The dropping thread's name, for the failure message.
    thread_name: Option<String>,
    in_runtime: bool,
    at: Instant,
}

/// What the tracked parts of a sequence's work saw.
#[derive(Clone, Default)]
struct TrackLog {
    made: Vec<(usize, Part)>,
    drops: Vec<DropSeen>,
    /// Closures that ran, and whether on the runtime.
    runs: Vec<(usize, bool)>,
    anomalies: Vec<(usize, String)>,
}

struct Tracker {
    log: Mutex<TrackLog>,
    /// The loop under test, whose threads count as its reactor's.
    loop_id: LoopId,
}

impl Tracker {
    fn track<R: Runtime>(self: &Arc<Self>, work: usize, part: Part) -> Tracked {
        lock(&self.log).made.push((work, part));
        Tracked {
            work,
            part,
            tracker: self.clone(),
            in_runtime: R::in_runtime,
        }
    }

    fn log(&self) -> TrackLog {
        lock(&self.log).clone()
    }

    /// Waits up to `bound` for every part to be dropped; returns those
    /// still alive.
    fn wait_until_all_dropped(&self, bound: Duration) -> Vec<(usize, Part)> {
        let deadline = Instant::now() + bound;
        loop {
            let log = self.log();
            let mut alive = log.made.clone();
            for dropped in &log.drops {
                if let Some(index) = alive
                    .iter()
                    .position(|&(work, part)| work == dropped.work && part == dropped.part)
                {
                    alive.swap_remove(index);
                }
            }
            if alive.is_empty() || Instant::now() >= deadline {
                return alive;
            }
            thread::sleep(Duration::from_millis(1));
        }
    }
}

/// A part of the work whose drop (and run) the tracker records.
struct Tracked {
    work: usize,
    part: Part,
    tracker: Arc<Tracker>,
    in_runtime: fn() -> bool,
}

impl Tracked {
    /// Records that the closure ran, and where.
    fn ran(&self) {
        let in_runtime = self.on_reactor();
        lock(&self.tracker.log).runs.push((self.work, in_runtime));
    }

    /// Whether this is a reactor thread: one running the runtime, by the
    /// runtime's account, or one the loop marked as its own (where an
    /// executor drops its tasks when it stops, outside any task).
    fn on_reactor(&self) -> bool {
        (self.in_runtime)() || crochet::reactor::is_marked(self.tracker.loop_id)
    }

    fn anomaly(&self, what: &str) {
        lock(&self.tracker.log)
            .anomalies
            .push((self.work, what.to_owned()));
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let dropped = DropSeen {
            work: self.work,
            part: self.part,
            thread: thread::current().id(),
            thread_name: thread::current().name().map(str::to_owned),
            in_runtime: self.on_reactor(),
            at: Instant::now(),
        };
        lock(&self.tracker.log).drops.push(dropped);
    }
}

/// SplitMix64: small, fast and good enough to pick operations; seeded, so
/// that a sequence can be replayed.
struct Rng(u64);

impl Rng {
    /// The generator of stream `stream` (0 for the main thread, then one
    /// per thread) of the sequence `seed`.
    fn new(seed: u64, stream: u64) -> Rng {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        // Nearby seeds start with correlated outputs; skip them.
        rng.next_u64();
        rng.next_u64();
        rng
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`; `n` must not be zero.
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// An environment variable as a number, decimal or `0x` hexadecimal.
fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={text:?} is not a number")))
}

/// Locks `mutex`; a panic elsewhere in the model must not hide the history.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
