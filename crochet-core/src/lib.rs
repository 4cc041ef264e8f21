//! The runtime-independent core of [crochet]: blocking code hands work to an
//! async reactor running on its own thread, waits for the result with a
//! timeout, and cancels the work it gave up on.
//!
//! This crate holds everything a runtime does not need to know (the result
//! slot and its waking, timeouts, cancellation, the registry of pending
//! results, the stash, panic capture, the report of unhandled failures) and a
//! built-in reactor: one std thread that drives submitted futures and
//! closures. It depends on std only.
//!
//! It has two boundaries. The root holds what applications use: `setup`,
//! `start`, [`EventLoop`], [`EventualResult`], the streams of results
//! ([`EventualStream`], [`StreamSender`], [`StreamReader`]), [`Error`] and its friends,
//! the stash, the hooks, [`WaitStrategy`], [`CancellationToken`] and the
//! opaque [`LoopId`], and the middle layer: [`Bound`] (a value kept on the
//! reactor, with [`BoundRef`] and [`BoundMut`]), [`BlockingIo`] (blocking
//! `Read`/`Write` over async I/O) and the cancellers of
//! [`EventLoop::run_in_reactor_with_canceller`]. The [`reactor`] module holds what only adapter
//! authors need: adapters for tokio, smol and async-std implement
//! [`reactor::Reactor`] in a few lines each.
//!
//! ```
//! use std::time::Duration;
//! use crochet_core::Error;
//!
//! // The async layer: plain async code.
//! async fn fetch_greeting(name: String) -> String {
//!     format!("hello {name}")
//! }
//!
//! // The public blocking API: knows nothing of futures or reactors.
//! fn greeting(name: &str, timeout: Duration) -> Result<String, Error> {
//!     let name = name.to_owned();
//!     crochet_core::setup().wait_for(timeout, move || fetch_greeting(name))
//! }
//!
//! assert_eq!(greeting("world", Duration::from_secs(5)).unwrap(), "hello world");
//! ```
//!
//! [crochet]: https://docs.rs/crochet

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

// The modules form layers: each imports only those listed before it, so
// the crate reads bottom-up and has no import circle.
//
// 1. Primitives and ids: `sync` (std's or loom's primitives), `spin` (the
//    wait strategy), `slab`, `stop` (the latch of `shutdown`), `id`
//    (`LoopId`, `StashId`), `thread_mark`
//    (which loop the calling thread belongs to), `cancel` (the token),
//    `stall` (`Stall`, the value).
// 2. Failures: `error`, then `unhandled` (the report of failures nobody
//    saw), `sleep` (a waiter's sleep until its deadline), then
//    `canceller` (cleanup after a cancel, whose panics are
//    reported). Observation: `context` (the context hook), `stats` (the
//    counters, `LoopStats`), `stall_report` (the stall hook), `monitor`
//    (times polls, notices stalls, holds the counters).
// 3. `settle`: a slot of any type as the layers below the slot see it
//    (`Settle`, `By`, `release`).
// 4. What a reactor sees: `registry` (pending results, held weakly),
//    `task` (`Task`), `reactor_trait` (`Reactor`), and the helpers an
//    adapter reuses: `block_on`, `until_done`, `reactor_thread`,
//    `owned_reactor`.
// 5. `loop_core` (`LoopCore`): what results and tasks share with a loop.
// 6. `slot`: the state machine of one result; then `eventual`
//    (`EventualResult`, its handle) and `stash` (which parks handles, and
//    holds `EventualResult::stash`).
// 7. `work`: the future that carries one piece of work on the reactor.
// 8. `event_loop` (`EventLoop`), `global` (the process-wide loops),
//    `builtin` (the built-in reactor); then the middle layer, each file
//    adding to `EventLoop` or `EventualResult`: `bound_access` (the access
//    rules of a kept value and its keeper; it uses only `sync`), `bound`
//    (`Bound`, `bind`), `wait_or_cancel`, `with_canceller` and
//    `blocking_io` (`BlockingIo`, `PollRead`, `PollWrite`), `stream_buffer`
//    (a stream's bounded buffer) and `stream` (`EventLoop::stream` and its
//    handles).
// 9. `reactor`: the public adapter API, which only gathers names from the
//    layers above; nothing imports it.
//
// The one lock order: the stash's lock, then a slot's state lock (the
// stash asks a parked result whether it has an unseen panic). No other
// crochet lock is taken while holding one.

mod spin;
mod sync;
pub use spin::WaitStrategy;
mod id;
mod slab;
// Every `shutdown` returns after the pending results are failed.
mod stop;
pub use id::{LoopId, StashId};
mod cancel;
mod thread_mark;
pub use cancel::{CancellationToken, WaitForCancellation};
// What a stall is, as a value (the errors carry it).
mod stall;
pub use stall::Stall;

mod error;
pub use error::{Error, Failure, ResultExt, WorkError};
mod unhandled;
// One blocking sleep until a deadline, for a result's wait and a stream's read.
mod sleep;
pub use unhandled::{
    reset_unhandled_error_hook, set_default_unhandled_error_report, set_unhandled_error_hook,
};
// Observing the work: the context hook, the loop's counters, the stall
// report and the monitor of polls that feeds both.
mod context;
pub use context::{reset_context_hook, set_context_hook, WorkContext};
mod stats;
pub use stats::LoopStats;
mod stall_report;
pub use stall_report::{reset_stall_hook, set_default_stall_report, set_stall_hook};
mod monitor;

mod settle;
// The canceller, given with work and run after it was cancelled.
mod canceller;

mod block_on;
mod owned_reactor;
mod reactor_thread;
mod reactor_trait;
mod registry;
mod task;
mod task_queue;
mod until_done;

mod loop_core;

mod eventual;
mod slot;
pub use eventual::EventualResult;
mod stash;
pub use stash::{retrieve_result, set_stash_capacity, set_stash_time_to_live, StashFull};

mod work;

mod event_loop;
pub use event_loop::{EventLoop, ShutdownGuard};
// `EventLoop::stats` and the stall threshold, beside the loop's handle
// (`observe`). The middle layer: values kept on the reactor, work with a canceller, and
// the wait that cancels on timeout (each adds to `EventLoop` or
// `EventualResult` in its own file).
mod bound;
mod bound_access;
mod bound_stream;
pub use bound::Bound;
pub use bound_access::{BoundMut, BoundRef};
mod blocking_io;
mod global;
mod observe;
mod wait_or_cancel;
mod with_canceller;
pub use blocking_io::BlockingIo;
pub use global::default_loop;
mod builtin;
pub use builtin::{setup, start};
// Streams of results: the bounded buffer, then `EventLoop::stream` and its
// handles (above `event_loop`, which they extend).
mod stream;
mod stream_buffer;
pub use stream::{EventualStream, StreamReader, StreamSender};

pub mod reactor;

#[cfg(all(test, crochet_loom))]
mod loom_models;
