//! The built-in reactor: one dedicated std thread that polls submitted work.
//!
//! It has no I/O driver and no timers; it runs futures that are woken by
//! something else (channels, other threads, other runtimes' I/O) and plain
//! computation, so crochet works with no runtime at all.

use std::future::Future;
use std::mem;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

use crate::event_loop::EventLoop;
use crate::global::GlobalLoop;
use crate::reactor_thread::{ReactorThread, StopSignal};
use crate::reactor_trait::Reactor;
use crate::slab::Slab;
use crate::spin;
use crate::task::Task;

/// The process-wide built-in loop: started on the first call, the same loop
/// on every later call.
///
/// # Fork
///
/// A process made by `fork()` gets a copy of the loop but not its reactor
/// thread. There, every use of a loop started before the fork fails at once
/// with [`Error::StartedBeforeFork`](crate::Error::StartedBeforeFork): new
/// work, waits on results submitted before the fork, `wait_for`, and
/// `setup()`, which still returns that loop. Call `setup()` only after
/// forking: in a pre-fork server, in each worker process, not in the parent
/// (or start a private loop in the child with [`start`]).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::setup();
/// assert_eq!(reactor.id(), crochet_core::setup().id());
/// assert_eq!(reactor.wait_for(Duration::from_secs(5), || async { 3 }), Ok(3));
/// ```
pub fn setup() -> EventLoop {
    static GLOBAL: GlobalLoop = GlobalLoop::new();
    GLOBAL.get_or_start(start)
}

/// A new, private built-in loop on a thread of its own, stopped when its last
/// handle is dropped or by [`EventLoop::shutdown`].
///
/// # Panics
///
/// If the operating system cannot create a thread.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::start();
/// assert_eq!(reactor.wait_for(Duration::from_secs(5), || async { 4 }), Ok(4));
/// assert!(reactor.shutdown(Duration::from_secs(5)));
/// ```
pub fn start() -> EventLoop {
    EventLoop::new(|id| {
        let queue = Arc::new(RunQueue::default());
        let runner = queue.clone();
        let thread = ReactorThread::spawn("crochet-reactor", id, move |stop| run(&runner, stop))
            .expect("crochet: could not spawn the reactor thread");
        Builtin { queue, thread }
    })
}

/// How long the reactor thread watches for new work before it parks.
const KEEP_AWAKE: Duration = Duration::from_micros(50);

struct Builtin {
    queue: Arc<RunQueue>,
    thread: ReactorThread,
}

impl Reactor for Builtin {
    fn spawn(&self, task: Task) {
        if self.queue.push_new(task) {
            self.thread.thread().unpark();
        }
    }

    fn shutdown(&self, timeout: Duration) -> bool {
        self.thread.stop(timeout)
    }
}

/// Work waiting for the reactor thread.
#[derive(Default)]
struct RunQueue {
    inner: Mutex<Queued>,
    /// Whether `inner` may hold work, so that the thread can watch for work
    /// without taking the lock.
    // ORDERING: set with Release after queueing, swapped with Acquire by
    // the thread before it takes the queue; the lock orders the rest.
    has_work: AtomicBool,
    /// Set by the stop signal's waker.
    // ORDERING: Release/AcqRel so that the thread, seeing it, also sees what
    // the waker's caller did before waking; it then polls the signal, which
    // has its own synchronisation.
    stop_woken: AtomicBool,
}

#[derive(Default)]
struct Queued {
    /// Set when the thread exits; later tasks are dropped at once.
    closed: bool,
    new: Vec<Task>,
    /// Woken tasks: slab index and generation.
    woken: Vec<(usize, u64)>,
}

impl RunQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queued> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a new task; says whether it was taken (the thread must be
    /// unparked). A refused task is dropped here, outside the lock.
    fn push_new(&self, task: Task) -> bool {
        let mut queued = self.lock();
        if queued.closed {
            drop(queued);
            drop(task);
            return false;
        }
        queued.new.push(task);
        self.has_work.store(true, Ordering::Release);
        true
    }
}

/// The waker of one task of the slab.
struct TaskWaker {
    queue: Arc<RunQueue>,
    thread: Thread,
    index: usize,
    generation: u64,
    /// Whether the task is already in `woken`, to queue it once.
    scheduled: AtomicBool,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // ORDERING: AcqRel pairs with the Release store in `poll_entry`, so a
        // wake that follows a poll's reset always queues the task again.
        if self.scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut queued = self.queue.lock();
        if !queued.closed {
            queued.woken.push((self.index, self.generation));
            self.queue.has_work.store(true, Ordering::Release);
            drop(queued);
            self.thread.unpark();
        }
    }
}

/// The waker of the stop signal.
struct StopWaker {
    queue: Arc<RunQueue>,
    thread: Thread,
}

impl Wake for StopWaker {
    fn wake(self: Arc<Self>) {
        self.queue.stop_woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

struct Entry {
    task: Task,
    waker: Arc<TaskWaker>,
}

/// The tasks the thread owns, by index.
#[derive(Default)]
struct Tasks {
    /// Shrinks once mostly empty, so a peak of pending work does not keep
    /// its memory.
    entries: Slab<Entry>,
    next_generation: u64,
}

/// The reactor thread's loop: polls new and woken tasks until `stop` fires,
/// parking when there is nothing to do. Every task still alive is dropped on
/// this thread when it returns.
fn run(queue: &Arc<RunQueue>, stop: StopSignal) {
    let thread = thread::current();
    let stop_waker = Waker::from(Arc::new(StopWaker {
        queue: queue.clone(),
        thread: thread.clone(),
    }));
    let mut stop = pin!(stop);
    let mut tasks = Tasks::default();
    // Declared after the tasks, so dropped before them, on return and on
    // a panic alike: the queue closes, then every task still alive is
    // dropped on this thread.
    let _close = CloseOnExit(queue);
    let mut new = Vec::new();
    let mut woken = Vec::new();
    queue.stop_woken.store(true, Ordering::Release);
    loop {
        if queue.stop_woken.swap(false, Ordering::AcqRel)
            && stop
                .as_mut()
                .poll(&mut Context::from_waker(&stop_waker))
                .is_ready()
        {
            break;
        }
        if queue.has_work.swap(false, Ordering::Acquire) {
            let mut queued = queue.lock();
            mem::swap(&mut queued.new, &mut new);
            mem::swap(&mut queued.woken, &mut woken);
        }
        if new.is_empty() && woken.is_empty() {
            // Work tends to come in bursts (a caller submits again as soon
            // as it has its result): stay awake a moment before parking,
            // since waking a parked thread costs far more than the check.
            let has_work = || {
                queue.has_work.load(Ordering::Acquire) || queue.stop_woken.load(Ordering::Acquire)
            };
            if !spin::watch(KEEP_AWAKE, has_work) {
                // An unpark that raced with the check makes this return at once.
                thread::park();
            }
            continue;
        }
        for task in new.drain(..) {
            let index = tasks.insert(task, queue, &thread);
            tasks.poll_entry(index);
        }
        for (index, generation) in woken.drain(..) {
            if tasks.generation_of(index) == Some(generation) {
                tasks.poll_entry(index);
            }
        }
        shrink_after_burst(&mut new);
        shrink_after_burst(&mut woken);
    }
}

impl Tasks {
    fn insert(&mut self, task: Task, queue: &Arc<RunQueue>, thread: &Thread) -> usize {
        self.next_generation += 1;
        let waker = Arc::new(TaskWaker {
            queue: queue.clone(),
            thread: thread.clone(),
            index: self.entries.next_index(),
            generation: self.next_generation,
            scheduled: AtomicBool::new(false),
        });
        self.entries.insert(Entry { task, waker })
    }

    fn generation_of(&self, index: usize) -> Option<u64> {
        self.entries.get(index).map(|entry| entry.waker.generation)
    }

    fn poll_entry(&mut self, index: usize) {
        let Some(entry) = self.entries.get_mut(index) else {
            return;
        };
        // ORDERING: see `TaskWaker::wake_by_ref`.
        entry.waker.scheduled.store(false, Ordering::Release);
        let waker = Waker::from(entry.waker.clone());
        let ready = Pin::new(&mut entry.task)
            .poll(&mut Context::from_waker(&waker))
            .is_ready();
        if ready {
            drop(self.entries.remove(index));
        }
    }
}

/// Gives back the memory of a queue that a burst of work grew, once it is
/// empty again.
fn shrink_after_burst<T>(queue: &mut Vec<T>) {
    const BURST: usize = 1024;
    if queue.is_empty() && queue.capacity() > BURST {
        *queue = Vec::new();
    }
}

/// Closes the queue when the reactor thread leaves its loop, by return or
/// by panic: tasks queued then and later are dropped, which fails their
/// results with `ReactorStopped` at once.
struct CloseOnExit<'a>(&'a RunQueue);

impl Drop for CloseOnExit<'_> {
    fn drop(&mut self) {
        let late = {
            let mut queued = self.0.lock();
            queued.closed = true;
            (mem::take(&mut queued.new), mem::take(&mut queued.woken))
        };
        drop(late);
    }
}
