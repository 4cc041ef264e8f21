//! Which loop the calling thread belongs to: the mark behind the refusal of
//! a blocking wait on a reactor thread, which would otherwise deadlock.

use std::cell::Cell;
use std::marker::PhantomData;

use crate::id::LoopId;

thread_local! {
    /// The loop whose thread this is, or whose task this thread is polling.
    static CURRENT: Cell<Option<LoopId>> = const { Cell::new(None) };
}

/// Marks the calling thread as a reactor thread of loop `id` for the rest of
/// its life, so that a blocking wait on it is refused instead of
/// deadlocking. Adapters call it first thing on the threads their runtime
/// runs on; [`ReactorThread`](crate::reactor::ReactorThread) does it for its
/// thread.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use crochet_core::{Error, EventLoop};
/// use crochet_core::reactor::{self, Reactor, Task};
///
/// struct ThreadPerTask(crochet_core::LoopId);
///
/// impl Reactor for ThreadPerTask {
///     fn spawn(&self, task: Task) {
///         let id = self.0;
///         std::thread::spawn(move || {
///             reactor::enter_thread(id);
///             reactor::block_on(task);
///         });
///     }
///     fn shutdown(&self, _timeout: Duration) -> bool {
///         true
///     }
/// }
///
/// let toy = EventLoop::new(ThreadPerTask);
/// let inner = toy.clone();
/// let nested = toy.wait_for(Duration::from_secs(5), move || async move {
///     inner.wait_for(Duration::from_secs(5), || async { 1 })
/// });
/// assert_eq!(nested, Ok(Err(Error::WaitInReactorThread)));
/// ```
pub fn enter_thread(id: LoopId) {
    CURRENT.with(|current| current.set(Some(id)));
}

/// Marks the calling thread as a reactor thread of loop `id` until the
/// returned [`ThreadMark`] is dropped, which puts back the mark the thread
/// had before. For a thread that drives the loop's runtime only for a while,
/// such as an application's thread running an attached executor.
///
/// # Examples
///
/// See [`ThreadMark`].
pub fn enter_thread_scope(id: LoopId) -> ThreadMark {
    ThreadMark {
        previous: CURRENT.with(|current| current.replace(Some(id))),
        not_send: PhantomData,
    }
}

/// Whether the calling thread is marked as loop `id`'s, or is polling one of
/// its tasks (or dropping one). [`EventLoop::is_reactor_thread`] adds what
/// the reactor itself recognises.
///
/// [`EventLoop::is_reactor_thread`]: crate::EventLoop::is_reactor_thread
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use crochet_core::reactor;
///
/// let event_loop = crochet_core::start();
/// let id = event_loop.id();
/// assert!(!reactor::is_marked(id));
/// let inside = event_loop.call_in_reactor(move || reactor::is_marked(id));
/// assert_eq!(inside.wait(Duration::from_secs(5)), Ok(true));
/// ```
pub fn is_marked(id: LoopId) -> bool {
    CURRENT.with(|current| current.get()) == Some(id)
}

/// The scoped mark of [`enter_thread_scope`]: dropping it restores the
/// thread's previous mark, so marks nest.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use crochet_core::Error;
///
/// let reactor = crochet_core::start();
/// let probe = || reactor.wait_for(Duration::from_secs(5), || async { 1 });
/// {
///     let _driving = crochet_core::reactor::enter_thread_scope(reactor.id());
///     assert!(reactor.is_reactor_thread());
///     assert_eq!(probe(), Err(Error::WaitInReactorThread));
/// }
/// assert!(!reactor.is_reactor_thread());
/// assert_eq!(probe(), Ok(1));
/// ```
#[must_use = "the thread is unmarked again when the mark is dropped"]
#[derive(Debug)]
pub struct ThreadMark {
    previous: Option<LoopId>,
    /// A mark belongs to the thread it was made on: dropped elsewhere, it
    /// would overwrite another thread's mark.
    not_send: PhantomData<*const ()>,
}

impl Drop for ThreadMark {
    fn drop(&mut self) {
        CURRENT.with(|current| current.set(self.previous));
    }
}
