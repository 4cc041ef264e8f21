//! The result slot: the state one piece of work shares between its
//! [`EventualResult`](crate::EventualResult) (the waiting side), its task on
//! the reactor (the producing side) and the loop's registry.
//!
//! # Invariants
//!
//! 1. The outcome leaves `Pending` exactly once, under the state lock; the
//!    first of completion, cancellation and shutdown wins and the others do
//!    nothing.
//! 2. A value is moved out once (`Ready` -> `Taken`); a failure stays, and
//!    every wait gets a clone of it.
//! 3. The move out of `Pending` notifies the blocked sleepers (right after
//!    the lock is released, and only when there were any) and wakes the async waiter (after
//!    the lock is released, since a waker may run arbitrary code). Taking
//!    the value (`Ready` -> `Taken`) wakes nobody: it is a waiter's own act.
//! 4. A panic is reported as unhandled at most once: when it arrives after
//!    the handle was dropped, or when the handle is dropped without anyone
//!    having seen it. Whoever reports sets `observed`.
//! 5. When the outcome leaves `Pending` from outside the task (cancel,
//!    shutdown) the task's waker is woken, so the task drops the work's
//!    future at its next poll.
//! 6. No waker is cloned, woken or dropped while the state lock is held: a
//!    waker's code may use crochet again, even this very slot.

use std::mem;
use std::panic::Location;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use crate::error::{Error, Failure};
use crate::loop_core::LoopCore;
use crate::settle::{By, Settle};
use crate::sleep::sleep_once;
use crate::sync::{lock, AtomicBool, Condvar, Mutex, Ordering};
use crate::unhandled;

/// What [`Slot::register`] did.
enum Registered<R> {
    /// The caller's condition held: nothing was stored.
    Done(R),
    /// A waker that wakes the same task was stored already.
    Kept,
    /// `waker` was stored, replacing any other.
    Stored,
}

/// The shared state of one piece of work.
pub(crate) struct Slot<T> {
    /// # Deadlock safety
    ///
    /// The innermost crochet lock: the stash takes it while holding its own
    /// (to ask a parked result for an unseen panic), and nothing is locked
    /// while it is held. No user code runs under it (invariant 6).
    state: Mutex<State<T>>,
    /// Whether the outcome has left `Pending` (it never goes back), readable
    /// without the lock by a spinning waiter and by `is_ready`.
    // ORDERING: stored with Release under the lock after the outcome is
    // set; a reader that loads `true` with Acquire and wants the outcome
    // still takes the lock, so the flag says only that there is one.
    resolved: AtomicBool,
    sleepers: Condvar,
    /// The loop the work runs on.
    pub(crate) core: Arc<LoopCore>,
    /// Where the work was submitted, for [`Failure::location`].
    pub(crate) location: &'static Location<'static>,
}

/// What became of the work.
enum Outcome<T> {
    /// Nothing yet. Left once (invariant 1) for `Ready` by the task, or for
    /// `Failed` by the task (panic), `cancel` or shutdown.
    Pending,
    /// The work's value, not yet handed out. Left only by a wait, for `Taken`.
    Ready(T),
    /// A failure. Final: every later wait gets a clone of it.
    Failed(Error),
    /// The value was moved out by a wait. Final.
    Taken,
}

struct State<T> {
    outcome: Outcome<T>,
    /// Whether a failure was handed to someone (or already reported).
    observed: bool,
    /// Whether the `EventualResult` still exists (stashed counts).
    handle_alive: bool,
    /// Threads blocked on `sleepers`; notifying is skipped when zero.
    sleepers: usize,
    /// The async waiter, if the result is being awaited.
    waker: Option<Waker>,
    /// The task that drives the work, woken when it must stop.
    task: Option<Waker>,
}

impl<T> Slot<T> {
    pub(crate) fn new(core: Arc<LoopCore>, location: &'static Location<'static>) -> Slot<T> {
        Slot {
            resolved: AtomicBool::new(false),
            state: Mutex::new(State {
                outcome: Outcome::Pending,
                observed: false,
                handle_alive: true,
                sleepers: 0,
                waker: None,
                task: None,
            }),
            sleepers: Condvar::new(),
            core,
            location,
        }
    }

    /// Sets the outcome if it is still pending (invariant 1); says whether it did.
    pub(crate) fn resolve(&self, result: Result<T, Error>, by: By) -> bool {
        let (waker, task, report, sleepers) = {
            let mut state = lock(&self.state);
            if !matches!(state.outcome, Outcome::Pending) {
                return false;
            }
            self.core.monitor.stats.settled(&result);
            state.outcome = match result {
                Ok(value) => Outcome::Ready(value),
                Err(err) => Outcome::Failed(err),
            };
            // With the handle gone, nobody can see a panic any more.
            let report = if state.handle_alive {
                None
            } else {
                state.take_unobserved()
            };
            self.resolved.store(true, Ordering::Release);
            let task = match by {
                By::Outsider => state.task.take(),
                By::Task => None,
            };
            (state.waker.take(), task, report, state.sleepers > 0)
        };
        // Notified after the lock is released: a sleeper woken on this CPU
        // would otherwise run at once only to block on the lock still held.
        // It finds the outcome set, since it checks under the lock.
        if sleepers {
            self.sleepers.notify_all();
        }
        if let Some(waker) = waker {
            waker.wake();
        }
        if let Some(task) = task {
            task.wake();
        }
        if let Some(err) = report {
            unhandled::report(&err);
        }
        true
    }

    /// Waits until the outcome is known or `deadline` passes (`None`: no
    /// deadline), then takes it. Spins first, as the loop's wait strategy
    /// says.
    pub(crate) fn wait_until(&self, deadline: Option<Instant>) -> Result<T, Error> {
        #[cfg(not(all(test, crochet_loom)))]
        self.spin(deadline);
        let mut state = lock(&self.state);
        loop {
            if let Some(result) = state.take() {
                return result;
            }
            state = sleep_once(
                &self.sleepers,
                state,
                |state| &mut state.sleepers,
                deadline,
                || self.core.started_before_fork(),
            )?;
        }
    }

    /// Spins until the outcome is known, the spin budget is spent or the
    /// deadline passes, whichever comes first.
    #[cfg(not(all(test, crochet_loom)))]
    fn spin(&self, deadline: Option<Instant>) {
        self.core
            .spin(deadline, || self.resolved.load(Ordering::Acquire));
    }

    /// Takes the outcome if it is known, without blocking.
    pub(crate) fn try_take(&self) -> Option<Result<T, Error>> {
        lock(&self.state).take()
    }

    /// Takes the outcome if it is known, or registers `cx`'s waker.
    pub(crate) fn poll_take(&self, cx: &mut Context<'_>) -> Poll<Result<T, Error>> {
        match self.register(cx.waker(), |state| &mut state.waker, State::take, false) {
            Registered::Done(result) => Poll::Ready(result),
            // In a child forked after the loop started, nothing would ever
            // wake this task (checked when a waker is stored, not on every
            // poll).
            Registered::Stored if self.core.started_before_fork() => {
                Poll::Ready(Err(Error::StartedBeforeFork))
            }
            Registered::Stored | Registered::Kept => Poll::Pending,
        }
    }

    /// Whether the outcome is known (the result may have been taken).
    pub(crate) fn is_resolved(&self) -> bool {
        self.resolved.load(Ordering::Acquire)
    }

    /// Whether the work was cancelled (not stopped by a shutdown, not
    /// done): the condition of running its canceller (`canceller.rs`).
    pub(crate) fn was_cancelled(&self) -> bool {
        matches!(lock(&self.state).outcome, Outcome::Failed(Error::Cancelled))
    }

    /// The panic of the work, if it panicked; counts as seeing it.
    pub(crate) fn original_failure(&self) -> Option<Failure> {
        let mut state = lock(&self.state);
        match &state.outcome {
            Outcome::Failed(Error::Panicked(failure)) => {
                let failure = failure.clone();
                state.observed = true;
                Some(failure)
            }
            _ => None,
        }
    }

    /// The panic nobody has seen, if any, marked as seen: the caller
    /// reports it (invariant 4).
    pub(crate) fn take_unobserved(&self) -> Option<Error> {
        lock(&self.state).take_unobserved()
    }

    /// The handle is gone: an unseen panic is reported now, and later ones
    /// when they arrive.
    pub(crate) fn release_handle(&self) {
        let report = {
            let mut state = lock(&self.state);
            state.handle_alive = false;
            state.take_unobserved()
        };
        if let Some(err) = report {
            unhandled::report(&err);
        }
    }

    /// Called by the task before each poll of the work: whether the work must
    /// stop because its outcome was settled from outside (cancel, shutdown).
    /// Otherwise remembers `waker` so that settling wakes the task
    /// (invariant 5). On the `first` poll no waker is stored yet, so it is
    /// cloned before the lock is taken, and the lock is taken once.
    pub(crate) fn task_must_stop(&self, waker: &Waker, first: bool) -> bool {
        let settled =
            |state: &mut State<T>| (!matches!(state.outcome, Outcome::Pending)).then_some(());
        matches!(
            self.register(waker, |state| &mut state.task, settled, first),
            Registered::Done(())
        )
    }

    /// Stores a clone of `waker` in the field `field` picks, unless `done`
    /// finds what the caller waits for, which is returned instead.
    ///
    /// Cloning a waker and dropping the one it replaces run the waker's
    /// own code, which may use crochet again (a waker owning the last
    /// handle of this very loop): both happen with the lock released
    /// (invariant 6). A caller that knows no waker is stored yet says
    /// `clone_first`, and the lock is taken once; otherwise a changed waker
    /// costs a second locking.
    fn register<R>(
        &self,
        waker: &Waker,
        field: fn(&mut State<T>) -> &mut Option<Waker>,
        done: impl Fn(&mut State<T>) -> Option<R>,
        clone_first: bool,
    ) -> Registered<R> {
        let mut clone = clone_first.then(|| waker.clone());
        loop {
            let mut state = lock(&self.state);
            if let Some(found) = done(&mut state) {
                drop(state);
                drop(clone);
                return Registered::Done(found);
            }
            let stored = field(&mut state);
            if stored.as_ref().is_some_and(|old| old.will_wake(waker)) {
                drop(state);
                drop(clone);
                return Registered::Kept;
            }
            if let Some(clone) = clone.take() {
                let old = stored.replace(clone);
                drop(state);
                drop(old);
                return Registered::Stored;
            }
            drop(state);
            clone = Some(waker.clone());
        }
    }
}

impl<T> State<T> {
    /// The panic nobody has seen, if any, marked as seen (invariant 4).
    fn take_unobserved(&mut self) -> Option<Error> {
        match &self.outcome {
            Outcome::Failed(err @ Error::Panicked(_)) if !self.observed => {
                self.observed = true;
                Some(err.clone())
            }
            _ => None,
        }
    }

    /// The outcome for a waiter, if known (invariant 2).
    fn take(&mut self) -> Option<Result<T, Error>> {
        match &self.outcome {
            Outcome::Pending => None,
            Outcome::Failed(err) => {
                self.observed = true;
                Some(Err(err.clone()))
            }
            Outcome::Taken => Some(Err(Error::AlreadyRetrieved)),
            Outcome::Ready(_) => match mem::replace(&mut self.outcome, Outcome::Taken) {
                Outcome::Ready(value) => Some(Ok(value)),
                _ => unreachable!("the outcome was Ready a moment ago, under the same lock"),
            },
        }
    }
}

impl<T: Send> Settle for Slot<T> {
    fn fail(&self, err: Error, by: By) -> bool {
        self.resolve(Err(err), by)
    }

    fn location(&self) -> &'static Location<'static> {
        self.location
    }

    fn monitor(&self) -> &crate::monitor::Monitor {
        &self.core.monitor
    }
}
