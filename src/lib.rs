//! Use async Rust from synchronous code.
//!
//! Crochet runs an async reactor on a thread of its own. Blocking code hands
//! it work, gets an [`EventualResult`] back at once, waits for it with a
//! timeout, and cancels the work it gave up on. It is a port of Python's
//! Crochet (which does this for Twisted) to Rust's runtimes.
//!
//! ```
//! use std::time::Duration;
//!
//! // The async layer: plain async code, unit-testable on its own.
//! async fn add(a: u32, b: u32) -> u32 {
//!     a + b
//! }
//!
//! // The public blocking API: waits with a timeout, cancels on timeout.
//! fn add_blocking(a: u32, b: u32) -> Result<u32, crochet::Error> {
//!     crochet::setup().wait_for(Duration::from_secs(1), move || add(a, b))
//! }
//!
//! assert_eq!(add_blocking(2, 3), Ok(5));
//! ```
//!
//! Without features, [`setup`] starts the built-in reactor, which runs
//! runtime-independent futures. The features `tokio`, `smol` and `async-std`
//! add a module each with the same `setup()`/`start()` over that runtime, so
//! that work can use its timers and I/O.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use crochet_core::{
    block_on, default_loop, reset_unhandled_error_hook, retrieve_result, set_stash_capacity,
    set_stash_time_to_live, set_unhandled_error_hook, setup, start, CancellationToken, Cancelled,
    Error, EventLoop, EventualResult, Failure, GlobalLoop, LoopId, OwnedReactor, Reactor,
    ReactorThread, ResultExt, ShutdownGuard, StashFull, StashId, Task, WaitStrategy, WorkError,
};

/// Crochet over tokio (feature `tokio`).
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use crochet_tokio as tokio;

/// Crochet over smol (feature `smol`).
#[cfg(feature = "smol")]
#[cfg_attr(docsrs, doc(cfg(feature = "smol")))]
pub use crochet_smol as smol;

/// Crochet over async-std (feature `async-std`).
#[cfg(feature = "async-std")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-std")))]
pub use crochet_asyncstd as async_std;

// The attribute macros (feature `macros`); their docs come with them.
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
pub use crochet_macros::{run_in_reactor, wait_for};

// The README's examples are tested as doc-tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
