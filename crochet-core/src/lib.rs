//! The runtime-independent core of [crochet]: blocking code hands work to an
//! async reactor running on its own thread, waits for the result with a
//! timeout, and cancels the work it gave up on.
//!
//! This crate holds everything a runtime does not need to know (the result
//! slot and its waking, timeouts, cancellation, the registry of pending
//! results, the stash, panic capture, the report of unhandled failures) and a
//! built-in reactor: one std thread that drives submitted futures and
//! closures. Adapters for tokio, smol and async-std implement [`Reactor`] in
//! a few lines each. It depends on std only.
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

// The state of one result, shared by its handle, its task and the registry.
mod slot;
// std's or loom's primitives, for the modelled parts.
mod sync;
// The reactor-side future that carries one piece of work.
mod task;
// Pending results of a loop, held weakly, for shutdown.
mod registry;
// Values under stable indices, shrinking when mostly empty.
mod slab;
// Every `shutdown` returns after the pending results are failed.
mod stop;

mod builtin;
pub use builtin::{setup, start};

mod cancel;
pub use cancel::{CancellationToken, Cancelled};

mod error;
pub use error::{Error, Failure, ResultExt, WorkError};

mod event_loop;
pub use event_loop::{EventLoop, ShutdownGuard};

mod eventual;
pub use eventual::EventualResult;

mod global;
pub use global::{default_loop, GlobalLoop};

mod reactor;
pub use reactor::{block_on, LoopId, OwnedReactor, Reactor, ReactorThread, Task};

mod spin;
pub use spin::WaitStrategy;

mod stash;
pub use stash::{retrieve_result, set_stash_capacity, set_stash_time_to_live, StashFull, StashId};

mod unhandled;
pub use unhandled::{reset_unhandled_error_hook, set_unhandled_error_hook};

#[cfg(all(test, crochet_loom))]
mod loom_models;
