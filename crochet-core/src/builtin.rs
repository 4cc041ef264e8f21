//! The built-in reactor: one dedicated std thread that runs the loop's
//! [`TaskQueue`].
//!
//! It has no I/O driver and no timers; it runs futures that are woken by
//! something else (channels, other threads, other runtimes' I/O) and plain
//! computation, so crochet works with no runtime at all.

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::Poll;
use std::time::Duration;

use crate::block_on::block_on;
use crate::event_loop::EventLoop;
use crate::global::GlobalLoop;
use crate::reactor_thread::{ReactorThread, StopSignal};
use crate::reactor_trait::Reactor;
use crate::task::Task;
use crate::task_queue::{RunTasks, TaskQueue};

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
        let (queue, run) = TaskQueue::new();
        let thread = ReactorThread::spawn("crochet-reactor", id, move |stop| drive(run, stop))
            .expect("crochet: could not spawn the reactor thread");
        Builtin { queue, thread }
    })
}

struct Builtin {
    queue: TaskQueue,
    thread: ReactorThread,
}

impl Reactor for Builtin {
    fn spawn(&self, task: Task) {
        self.queue.push(task);
    }

    fn is_awake(&self) -> bool {
        self.queue.is_awake()
    }

    fn shutdown(&self, timeout: Duration) -> bool {
        // The runner ends once the tasks left (settled by now) have ended.
        self.queue.close();
        self.thread.stop(timeout)
    }
}

/// The reactor thread's loop: runs the loop's tasks, parking when there is
/// nothing to do, until the stop signal fires or the closed queue's tasks
/// have all ended. The runner is dropped on this thread when it returns,
/// with every task still alive, by return or by panic alike.
fn drive(run: RunTasks, stop: StopSignal) {
    let mut run = run;
    let mut stop = pin!(stop);
    block_on(poll_fn(|cx| {
        if stop.as_mut().poll(cx).is_ready() || Pin::new(&mut run).poll(cx).is_ready() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }));
}
