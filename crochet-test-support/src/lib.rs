//! What crochet's tests share, in one crate of the workspace that is never
//! published: the facade's test suites (`tests/matrix/`,
//! `tests/reliability/`, the `global_*` binaries), the `soak` example and
//! the adapters' own tests use it as a dev-dependency.
//!
//! - [`fixture`]: the runtime setups of the matrix behind the [`Runtime`]
//!   trait, and [`stamp_suite!`], which stamps one suite out for each.
//! - [`global`]: the rules of the process-wide loops, for every runtime,
//!   and [`stamp_global!`], which stamps them into one test binary per
//!   runtime.
//! - [`helpers`]: time bounds, the collecting unhandled-error hook, drop
//!   probes, gates, and a way to keep every reactor thread busy.
//! - [`reliability`]: a seeded random number generator, drop counters, an
//!   exact count of unhandled reports and bounded joins.
//! - [`stress`]: the stress engine the reliability suite runs for seconds
//!   and the soak for as long as asked.
//! - [`postgres_server`]: the PostgreSQL server of the PostgreSQL client's
//!   tests, example and benchmark (`CROCHET_POSTGRES`, or a private one).
//! - [`ThreadNameOnDrop`]: tells which thread dropped it; all the adapters'
//!   tests need, so it is there without the feature `fixture` (on by
//!   default), which brings the rest and with it the facade and the
//!   runtimes.
//!
//! The runtime setups follow this crate's features `tokio`, `smol` and
//! `async-std`, which the crate under test turns on with its own.
//!
//! [`Runtime`]: fixture::Runtime

#[cfg(feature = "fixture")]
pub mod fixture;
#[cfg(feature = "fixture")]
pub mod global;
#[cfg(feature = "fixture")]
pub mod helpers;
#[cfg(feature = "fixture")]
pub mod reliability;
#[cfg(feature = "fixture")]
pub mod stress;

pub mod postgres_server;
pub mod refusal;
pub mod tcp_io;
mod thread_name_on_drop;
pub use thread_name_on_drop::ThreadNameOnDrop;
