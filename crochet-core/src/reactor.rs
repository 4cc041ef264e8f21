//! The adapter API: what a crate needs to run crochet's work on a runtime,
//! and nothing an application uses.
//!
//! An adapter implements [`Reactor`] (spawn a [`Task`], say which threads
//! are its own, stop) and builds a loop with
//! [`EventLoop::new`](crate::EventLoop::new), which hands the builder the
//! loop's id; the reactor marks its threads with that id
//! ([`enter_thread`], [`enter_thread_scope`], or a [`ReactorThread`] that
//! does it), so that a blocking wait there is refused rather than left to
//! deadlock. A runtime that crochet starts itself usually runs on an
//! [`OwnedReactor`]; the process-wide loop of each runtime is kept in a
//! [`GlobalLoop`]; [`block_on`] drives a reactor thread's main future, and
//! [`until_done`] lets an executor finish the tasks left at the stop.
//! [`is_marked`] tells whether the calling thread is a loop's.
//! [`PollRead`] and [`PollWrite`] are how an adapter's wrapper polls its
//! runtime's I/O objects for [`BlockingIo`](crate::BlockingIo).
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use crochet_core::reactor::{self, Reactor, Task};
//! use crochet_core::{EventLoop, LoopId};
//!
//! struct ThreadPerTask(LoopId);
//!
//! impl Reactor for ThreadPerTask {
//!     fn spawn(&self, task: Task) {
//!         let id = self.0;
//!         std::thread::spawn(move || {
//!             reactor::enter_thread(id);
//!             reactor::block_on(task);
//!         });
//!     }
//!     fn shutdown(&self, _timeout: Duration) -> bool {
//!         true
//!     }
//! }
//!
//! let toy = EventLoop::new(ThreadPerTask);
//! assert_eq!(toy.wait_for(Duration::from_secs(5), || async { 6 * 7 }), Ok(42));
//! ```
//!
//! None of it is at the crate's root:
//!
//! ```compile_fail
//! use crochet_core::Reactor;
//! ```
//!
//! ```compile_fail
//! use crochet_core::{block_on, GlobalLoop, OwnedReactor, ReactorThread, Task};
//! ```

// Nothing in the crate imports this module: it only gathers the adapter
// API, from every layer, in one public place.

pub use crate::block_on::block_on;
pub use crate::blocking_io::{PollRead, PollWrite};
pub use crate::global::GlobalLoop;
pub use crate::owned_reactor::OwnedReactor;
pub use crate::reactor_thread::{ReactorThread, StopSignal};
pub use crate::reactor_trait::Reactor;
pub use crate::task::Task;
pub use crate::task_queue::{RunTasks, TaskQueue, Turn};
pub use crate::thread_mark::{enter_thread, enter_thread_scope, is_marked, ThreadMark};
pub use crate::until_done::until_done;
