//! `TaskQueue` and `RunTasks`: crochet's own executor of a loop's tasks, one
//! future that an adapter spawns once on its runtime (and the built-in
//! reactor drives on its thread), so that a call costs no spawn of the
//! runtime's, and the loop stays awake briefly after work.
//!
//! # Invariants
//!
//! 1. A task lives in one place at a time: the queue's `new` list, then the
//!    table of the runner that took it, until it ends or that runner is
//!    dropped; it is dropped on that runner's thread, or on the
//!    submitter's if the queue had closed.
//! 2. A runner is `sleeping` only with its waker stored; whoever gives it
//!    work then takes that waker (under the lock, clearing `sleeping`) and
//!    wakes it after releasing the lock.
//! 3. No task is polled, and no waker cloned, woken or dropped, under the
//!    queue's lock.
//! 4. Each place of the runner's table has one waker for its lifetime, so
//!    a task costs no allocation of its own beyond its future; a stale
//!    waker at most polls the place's next task once more, which a future
//!    must allow.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
#[cfg(not(all(test, crochet_loom)))]
use std::thread;
#[cfg(not(all(test, crochet_loom)))]
use std::time::{Duration, Instant};

use crate::slab::Slab;
use crate::sync::{lock, AtomicBool, AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::task::Task;

#[cfg(not(all(test, crochet_loom)))]
/// How long the runner watches for new work after a piece of work ended,
/// before it sleeps: work comes in bursts (a caller submits again as soon
/// as it has its result), and waking a sleeping thread costs far more.
const KEEP_AWAKE: Duration = Duration::from_micros(50);

/// After this many watches in a row found no work, a watch is a short
/// look, `KEEP_AWAKE / 32`.
#[cfg(not(all(test, crochet_loom)))]
const MAX_MISSED: u32 = 5;

/// How many tasks the runner polls before it lets its runtime run other
/// tasks and its I/O driver (and, on tokio, renews its cooperative budget).
const FAIRNESS: usize = 64;

/// The submitting side of a loop's task queue: a [`Reactor`](crate::reactor::Reactor)
/// hands it every [`Task`], and the [`RunTasks`] futures made with it poll
/// them on the reactor's threads.
///
/// Each `RunTasks` is one task of the runtime that polls the loop's tasks
/// one at a time; a runtime with several worker threads gets as many
/// runners, which share the new tasks (a runner that leaves some in the
/// queue wakes a sleeping one), so that one piece of work that blocks its
/// thread does not hold up the others. After a piece of work ended, when
/// it has no other to run, a runner stays awake for 50 µs, giving its CPU
/// to any other thread that wants it between checks, so a burst of calls
/// pays no wake-up per call; after polls that left every task waiting (on
/// I/O, a timer) it sleeps at once, and the runtime wakes it.
/// [`is_awake`](Self::is_awake) tells waiting callers whether spinning can
/// pay off.
///
/// # Examples
///
/// A reactor that runs its loop's tasks on a thread of its own:
///
/// ```
/// use std::time::Duration;
/// use crochet_core::reactor::{self, Reactor, Task, TaskQueue};
/// use crochet_core::EventLoop;
///
/// struct OneThread(TaskQueue);
///
/// impl Reactor for OneThread {
///     fn spawn(&self, task: Task) {
///         self.0.push(task);
///     }
///     fn is_awake(&self) -> bool {
///         self.0.is_awake()
///     }
///     fn shutdown(&self, _timeout: Duration) -> bool {
///         // The runner finishes once the tasks left have ended.
///         self.0.close();
///         true
///     }
/// }
///
/// let toy = EventLoop::new(|id| {
///     let (queue, run) = TaskQueue::new();
///     std::thread::spawn(move || {
///         reactor::enter_thread(id);
///         reactor::block_on(run);
///     });
///     OneThread(queue)
/// });
/// assert_eq!(toy.wait_for(Duration::from_secs(5), || async { 6 * 7 }), Ok(42));
/// assert!(toy.shutdown(Duration::from_secs(5)));
/// ```
#[derive(Clone)]
pub struct TaskQueue {
    shared: Arc<Shared>,
}

/// A future that runs a loop's tasks; see [`TaskQueue`].
///
/// It completes once the queue is [closed](TaskQueue::close), no new task
/// is left in it, and every task this runner took has ended. Dropping it
/// drops those tasks (failing their results with
/// [`Error::ReactorStopped`](crate::Error::ReactorStopped) if they had
/// none) on the dropping thread; once every runner of a queue is dropped,
/// the queue is closed for good and tasks pushed afterwards are dropped at
/// once.
///
/// # Examples
///
/// See [`TaskQueue`].
#[must_use = "a loop's tasks run only while a runner is polled"]
pub struct RunTasks {
    shared: Arc<Shared>,
    /// Which runner of the queue this is.
    me: usize,
    tasks: Slab<Task>,
    /// The waker of each place of `tasks` (invariant 4).
    wakers: Vec<Arc<TaskWaker>>,
    /// Lists taken from the queue, kept for their capacity.
    new: Vec<Task>,
    woken: Vec<usize>,
    /// Whether the queue was closed, with no new task left, when it was
    /// last looked at.
    closed: bool,
    /// When the runner ran out of work, while it watches for more.
    #[cfg(not(all(test, crochet_loom)))]
    idle_since: Option<Instant>,
    /// Whether a task ended since the runner last started watching.
    ended: bool,
    /// Whether this runner counts in `Shared::running`.
    running: bool,
    /// How many watches in a row found no work (at most `MAX_MISSED`):
    /// the next one lasts `KEEP_AWAKE / 2^missed`.
    #[cfg(not(all(test, crochet_loom)))]
    missed: u32,
}

struct Shared {
    inner: Mutex<Queued>,
    /// Whether `new` may hold tasks, and whether each runner's `woken` list
    /// may hold places (or the queue closed): read without the lock by the
    /// runners while they watch for work.
    // ORDERING: written under the lock only (set with Release after
    // queueing); a runner loads them with Acquire before taking the lock,
    // which orders the rest.
    new_work: AtomicBool,
    woken_work: Box<[AtomicBool]>,
    /// How many runners are watching for work with nothing to do, and so
    /// will see new work without a wake-up; a runner busy with a task will
    /// not, however awake.
    // ORDERING: Relaxed: a pusher that reads a stale count and skips the
    // wake-up is safe, because a watcher checks for work under the lock
    // before it sleeps.
    watching: AtomicUsize,
    /// How many runners are being polled, or yielded to be polled again at
    /// once (watching for work): those that see a result settle without
    /// first being woken, unlike a runner that was woken and whose thread
    /// may not run yet.
    // ORDERING: Relaxed: only advice to waiting callers on whether to spin.
    running: AtomicUsize,
}

struct Queued {
    /// No new task is taken; the runners end once their tasks have.
    closed: bool,
    new: VecDeque<Task>,
    runners: Vec<Runner>,
    /// How many runners were dropped; with all of them gone, the queue
    /// drops tasks at once.
    gone: usize,
}

/// The queue's side of one runner.
#[derive(Default)]
struct Runner {
    /// Places of the runner's table whose task was woken.
    woken: Vec<usize>,
    /// The runner's waker while it sleeps.
    waker: Option<Waker>,
    sleeping: bool,
    gone: bool,
}

/// The waker of one place of a runner's table.
struct TaskWaker {
    shared: Arc<Shared>,
    runner: usize,
    index: usize,
    /// Whether the place is in `woken` already, to queue it once.
    // ORDERING: AcqRel swap against the runner's Release reset before each
    // poll, so a wake-up after that reset always queues the place again.
    scheduled: AtomicBool,
}

impl TaskQueue {
    /// A new, open queue and the one future that runs its tasks.
    ///
    /// # Examples
    ///
    /// See [`TaskQueue`].
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> (TaskQueue, RunTasks) {
        let (queue, mut runners) = TaskQueue::with_runners(1);
        let run = runners.pop().expect("one runner was asked for");
        (queue, run)
    }

    /// A new, open queue and `count` futures (at least one) that share its
    /// tasks, for a runtime with that many worker threads.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use crochet_core::reactor::TaskQueue;
    ///
    /// let (queue, runners) = TaskQueue::with_runners(2);
    /// assert_eq!(runners.len(), 2);
    /// let threads: Vec<_> = runners
    ///     .into_iter()
    ///     .map(|run| std::thread::spawn(move || crochet_core::reactor::block_on(run)))
    ///     .collect();
    /// queue.close();
    /// for thread in threads {
    ///     thread.join().unwrap();
    /// }
    /// ```
    pub fn with_runners(count: usize) -> (TaskQueue, Vec<RunTasks>) {
        let count = count.max(1);
        let shared = Arc::new(Shared {
            inner: Mutex::new(Queued {
                closed: false,
                new: VecDeque::new(),
                runners: (0..count).map(|_| Runner::default()).collect(),
                gone: 0,
            }),
            new_work: AtomicBool::new(false),
            woken_work: (0..count).map(|_| AtomicBool::new(false)).collect(),
            watching: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
        });
        let runners = (0..count)
            .map(|me| RunTasks {
                shared: shared.clone(),
                me,
                tasks: Slab::default(),
                wakers: Vec::new(),
                new: Vec::new(),
                woken: Vec::new(),
                closed: false,
                #[cfg(not(all(test, crochet_loom)))]
                idle_since: None,
                running: false,
                ended: false,
                #[cfg(not(all(test, crochet_loom)))]
                missed: 0,
            })
            .collect();
        (TaskQueue { shared }, runners)
    }

    /// Queues `task` for the runners, waking one if they all sleep. Once
    /// the queue is closed, the task is dropped here instead, which fails
    /// its result with [`Error::ReactorStopped`](crate::Error::ReactorStopped).
    ///
    /// # Examples
    ///
    /// See [`TaskQueue`].
    pub fn push(&self, task: Task) {
        let mut queued = self.shared.lock();
        if queued.closed {
            drop(queued);
            drop(task);
            return;
        }
        queued.new.push_back(task);
        self.shared.new_work.store(true, Ordering::Release);
        let sleeping = self.shared.wake_one(&mut queued);
        drop(queued);
        if let Some(waker) = sleeping {
            waker.wake();
        }
    }

    /// Takes no new task from now on: the runners poll the tasks they hold
    /// until those end (after a loop's shutdown every one ends at its next
    /// poll), then complete. Idempotent.
    ///
    /// # Examples
    ///
    /// See [`TaskQueue`].
    pub fn close(&self) {
        let mut queued = self.shared.lock();
        if queued.closed {
            return;
        }
        queued.closed = true;
        let mut sleeping = Vec::new();
        for runner in 0..queued.runners.len() {
            self.shared.woken_work[runner].store(true, Ordering::Release);
            sleeping.extend(self.shared.wake(&mut queued, runner));
        }
        drop(queued);
        for waker in sleeping {
            waker.wake();
        }
    }

    /// Whether a runner is being polled, polling tasks or watching for new
    /// ones, rather than sleeping or woken but not running yet: a caller
    /// waiting for a result can hope to see it soon without being woken
    /// only then. Advice, not a promise: it may change at once.
    ///
    /// # Examples
    ///
    /// ```
    /// let (queue, run) = crochet_core::reactor::TaskQueue::new();
    /// // Nothing polls the runner yet.
    /// assert!(!queue.is_awake());
    /// # drop(run);
    /// ```
    pub fn is_awake(&self) -> bool {
        self.shared.running.load(Ordering::Relaxed) > 0
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queued> {
        lock(&self.inner)
    }

    /// Marks `runner` no longer sleeping, and returns its waker for the
    /// caller to wake once the lock is released (invariants 2 and 3).
    fn wake(&self, queued: &mut Queued, runner: usize) -> Option<Waker> {
        let runner = &mut queued.runners[runner];
        if !runner.sleeping {
            return None;
        }
        runner.sleeping = false;
        runner.waker.take()
    }

    /// Wakes a sleeping runner, unless the runners watching for work are
    /// enough to take every new task themselves.
    ///
    /// Pushers count too, not only runners that leave tasks behind: on
    /// tokio a runner woken from a worker thread waits in that worker's
    /// unstealable next-task slot, behind the task it runs, while one woken
    /// from another thread can be picked up by any worker.
    fn wake_one(&self, queued: &mut Queued) -> Option<Waker> {
        if queued.new.len() <= self.watching.load(Ordering::Relaxed) {
            return None;
        }
        let sleeping = queued
            .runners
            .iter()
            .position(|runner| runner.sleeping && !runner.gone)?;
        self.wake(queued, sleeping)
    }
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut queued = self.shared.lock();
        if queued.runners[self.runner].gone {
            return;
        }
        queued.runners[self.runner].woken.push(self.index);
        self.shared.woken_work[self.runner].store(true, Ordering::Release);
        let sleeping = self.shared.wake(&mut queued, self.runner);
        drop(queued);
        if let Some(waker) = sleeping {
            waker.wake();
        }
    }
}

/// What a runner does when it has no work.
enum Idle {
    /// Work arrived meanwhile.
    Work,
    /// It stays awake: it gives its thread back to its runtime for a
    /// moment, to be polled again at once.
    #[cfg_attr(all(test, crochet_loom), allow(dead_code))]
    Watch,
    /// It sleeps until work is queued.
    Sleep,
}

impl RunTasks {
    /// Whether the queue may hold work for this runner.
    fn has_work(&self) -> bool {
        self.shared.woken_work[self.me].load(Ordering::Acquire)
            || self.shared.new_work.load(Ordering::Acquire)
    }

    /// Moves the work queued for this runner into its lists: its woken
    /// places, and the new tasks (one at a time when runners share them, so
    /// that the others get theirs).
    fn take_queued(&mut self) {
        if !self.has_work() {
            return;
        }
        // The flags are written under the lock only.
        let mut queued = self.shared.lock();
        self.shared.woken_work[self.me].store(false, Ordering::Relaxed);
        mem::swap(&mut queued.runners[self.me].woken, &mut self.woken);
        if queued.runners.len() == 1 {
            self.new.extend(queued.new.drain(..));
        } else {
            self.new.extend(queued.new.pop_front());
        }
        let left = !queued.new.is_empty();
        if !left {
            // A burst of submissions that outran the runner grew the queue:
            // its memory goes back once it is empty (no task is dropped
            // here, only the empty storage).
            queued.new = keep_small_deque(mem::take(&mut queued.new));
        }
        self.shared.new_work.store(left, Ordering::Release);
        self.closed = queued.closed && !left;
        // With work in hand this runner no longer watches, so it must not
        // count as the one that will see what is left.
        #[cfg(not(all(test, crochet_loom)))]
        if (!self.new.is_empty() || !self.woken.is_empty()) && self.idle_since.take().is_some() {
            self.shared.watching.fetch_sub(1, Ordering::Relaxed);
        }
        // The rest goes to a runner that sleeps, if none watches.
        let sleeping = if left {
            self.shared.wake_one(&mut queued)
        } else {
            None
        };
        drop(queued);
        if let Some(waker) = sleeping {
            waker.wake();
        }
    }

    /// Polls the work taken from the queue; returns how many tasks it polled.
    fn run_taken(&mut self) -> usize {
        let mut new = mem::take(&mut self.new);
        let mut woken = mem::take(&mut self.woken);
        let polled = new.len() + woken.len();
        for task in new.drain(..) {
            let index = self.tasks.insert(task);
            if index == self.wakers.len() {
                self.wakers.push(Arc::new(TaskWaker {
                    shared: self.shared.clone(),
                    runner: self.me,
                    index,
                    scheduled: AtomicBool::new(false),
                }));
            }
            self.poll_task(index);
        }
        for index in woken.drain(..) {
            self.poll_task(index);
        }
        self.new = keep_small(new);
        self.woken = keep_small(woken);
        polled
    }

    fn poll_task(&mut self, index: usize) {
        let Some(task) = self.tasks.get_mut(index) else {
            return;
        };
        let waker = &self.wakers[index];
        waker.scheduled.store(false, Ordering::Release);
        let waker = Waker::from(waker.clone());
        if Pin::new(task)
            .poll(&mut Context::from_waker(&waker))
            .is_ready()
        {
            self.ended = true;
            let ended = self.tasks.remove(index);
            // The table may have given places back; their wakers go too.
            self.wakers.truncate(self.tasks.places());
            if self.wakers.capacity() > 4 * self.wakers.len().max(256) {
                self.wakers.shrink_to(self.wakers.len() * 2);
            }
            drop(ended);
        }
    }

    /// Counts this runner out of the watchers, if it watched.
    #[cfg(not(all(test, crochet_loom)))]
    fn stop_watching(&mut self) {
        if self.idle_since.take().is_some() {
            self.shared.watching.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Watches for work until `KEEP_AWAKE` has passed since the last of
    /// it, checking a few times, then yielding the CPU and its thread (to
    /// be polled again at once, after its runtime ran in between); `None`
    /// once the time is up.
    #[cfg(not(all(test, crochet_loom)))]
    fn watch(&mut self) -> Option<Idle> {
        // A watch starts only after a task ended: its caller is about to
        // submit again. Polls that left every task waiting (on I/O, on a
        // timer) are followed by sleep, and the runtime wakes the runner
        // when the wait is over; watching would only spin through it.
        if self.idle_since.is_none() && !mem::take(&mut self.ended) {
            return None;
        }
        let since = *self.idle_since.get_or_insert_with(|| {
            self.shared.watching.fetch_add(1, Ordering::Relaxed);
            Instant::now()
        });
        for _ in 0..32 {
            if self.has_work() {
                self.missed = 0;
                return Some(Idle::Work);
            }
            std::hint::spin_loop();
        }
        // Each watch that found nothing halves the next one, down to a
        // short look: callers that park (their work waits on a server,
        // say) come back later than a watch lasts, and watching for them
        // only burns the CPU. One that finds work restores the full watch.
        if since.elapsed() >= KEEP_AWAKE / (1 << self.missed) {
            self.missed = (self.missed + 1).min(MAX_MISSED);
            self.stop_watching();
            return None;
        }
        // The CPU goes to any thread that wants it, such as a caller on
        // this CPU that is about to submit.
        thread::yield_now();
        if self.has_work() {
            self.missed = 0;
            return Some(Idle::Work);
        }
        Some(Idle::Watch)
    }

    /// Watches for work for a moment after the last of it, then sleeps.
    fn idle(&mut self, cx: &mut Context<'_>) -> Idle {
        // The loom models sleep at once: they have no clock.
        #[cfg(not(all(test, crochet_loom)))]
        if let Some(watched) = self.watch() {
            return watched;
        }
        // Cloned, and the old one dropped, outside the lock (invariant 3).
        let clone = cx.waker().clone();
        let mut queued = self.shared.lock();
        let runner = &mut queued.runners[self.me];
        let old = runner.waker.replace(clone);
        let raced = self.has_work();
        // A runner polled while it sleeps (its runtime may poll it without
        // a wake-up) is awake again.
        runner.sleeping = !raced;
        drop(queued);
        drop(old);
        if raced {
            Idle::Work
        } else {
            Idle::Sleep
        }
    }
}

impl RunTasks {
    /// Runs the loop's tasks as polling the future does, except where the
    /// runner gives its thread back to be polled again at once (while it
    /// watches for work after the last of it, and after many tasks in a
    /// row): there it returns `Ready(Turn::Yield)` instead of waking
    /// itself, for the adapter to yield its runtime's way. Tokio's
    /// `yield_now`, for one, polls the runtime's I/O driver and timers
    /// before the runner again, where a task that wakes itself may be
    /// polled again before them, which holds up the loop's own I/O while
    /// the runner watches. `Ready(Turn::Done)` once the runner is done (as
    /// the future's `Ready(())`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::time::Duration;
    /// use crochet_core::reactor::{self, Reactor, Task, TaskQueue, Turn};
    /// use crochet_core::EventLoop;
    ///
    /// struct OneThread(TaskQueue);
    ///
    /// impl Reactor for OneThread {
    ///     fn spawn(&self, task: Task) {
    ///         self.0.push(task);
    ///     }
    ///     fn is_reactor_thread(&self) -> bool {
    ///         false
    ///     }
    ///     fn shutdown(&self, _timeout: Duration) -> bool {
    ///         self.0.close();
    ///         true
    ///     }
    /// }
    ///
    /// let (queue, mut run) = TaskQueue::new();
    /// std::thread::spawn(move || {
    ///     reactor::block_on(async move {
    ///         while poll_fn(|cx| run.poll_turn(cx)).await == Turn::Yield {
    ///             // A runtime's own yield goes here.
    ///         }
    ///     })
    /// });
    /// let reactor = EventLoop::new(|_id| OneThread(queue));
    /// assert_eq!(reactor.wait_for(Duration::from_secs(5), || async { 2 }), Ok(2));
    /// assert!(reactor.shutdown(Duration::from_secs(5)));
    /// ```
    pub fn poll_turn(&mut self, cx: &mut Context<'_>) -> Poll<Turn> {
        self.set_running(true);
        let turn = self.turn(cx);
        // A runner that yields is polled again at once: it still runs.
        if turn != Poll::Ready(Turn::Yield) {
            self.set_running(false);
        }
        turn
    }

    /// Counts this runner in or out of those running (`Shared::running`).
    fn set_running(&mut self, running: bool) {
        if self.running != running {
            self.running = running;
            if running {
                self.shared.running.fetch_add(1, Ordering::Relaxed);
            } else {
                self.shared.running.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    fn turn(&mut self, cx: &mut Context<'_>) -> Poll<Turn> {
        let mut polled = 0;
        loop {
            self.take_queued();
            if self.new.is_empty() && self.woken.is_empty() {
                if self.closed && self.tasks.is_empty() {
                    return Poll::Ready(Turn::Done);
                }
                match self.idle(cx) {
                    Idle::Work => continue,
                    Idle::Watch => return Poll::Ready(Turn::Yield),
                    Idle::Sleep => return Poll::Pending,
                }
            }
            #[cfg(not(all(test, crochet_loom)))]
            self.stop_watching();
            polled += self.run_taken();
            if polled >= FAIRNESS {
                return Poll::Ready(Turn::Yield);
            }
        }
    }
}

/// What [`RunTasks::poll_turn`] returns when it is ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turn {
    /// The runner gives its thread back to be polled again at once, after
    /// the runtime ran its other tasks and its I/O.
    Yield,
    /// The queue was closed and the runner's tasks have ended.
    Done,
}

impl Future for RunTasks {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.poll_turn(cx) {
            Poll::Ready(Turn::Done) => Poll::Ready(()),
            Poll::Ready(Turn::Yield) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for RunTasks {
    fn drop(&mut self) {
        #[cfg(not(all(test, crochet_loom)))]
        self.stop_watching();
        self.set_running(false);
        let (new, waker) = {
            let mut queued = self.shared.lock();
            let runner = &mut queued.runners[self.me];
            runner.gone = true;
            runner.woken = Vec::new();
            let waker = runner.waker.take();
            // A runner that is gone is woken by nobody.
            runner.sleeping = false;
            queued.gone += 1;
            let new = if queued.gone == queued.runners.len() {
                queued.closed = true;
                mem::take(&mut queued.new)
            } else {
                VecDeque::new()
            };
            (new, waker)
        };
        // Outside the lock (invariants 1 and 3); this runner's table
        // follows when the fields are dropped.
        drop(new);
        drop(waker);
    }
}

/// How many entries a list keeps room for once it is empty again.
const BURST: usize = 1024;

/// Gives back the memory of a list that a burst of work grew, once it is
/// empty again.
fn keep_small<T>(list: Vec<T>) -> Vec<T> {
    if list.capacity() > BURST {
        Vec::new()
    } else {
        list
    }
}

/// As [`keep_small`], for the queue of new tasks.
fn keep_small_deque<T>(list: VecDeque<T>) -> VecDeque<T> {
    if list.capacity() > BURST {
        VecDeque::new()
    } else {
        list
    }
}

impl fmt::Debug for TaskQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskQueue")
            .field("awake", &self.is_awake())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for RunTasks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunTasks")
            .field("tasks", &self.tasks.len())
            .finish_non_exhaustive()
    }
}
