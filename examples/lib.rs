//! The clients the examples build on crochet's middle layer, shared by the
//! examples, their tests and the benchmarks. Not published.
//!
//! - [`postgres`]: a blocking PostgreSQL client over tokio-postgres;
//! - [`http`]: a blocking HTTP client over hyper, and the small hyper server
//!   its example, tests and benchmark talk to.

#[cfg(feature = "tokio")]
#[path = "clients/postgres.rs"]
pub mod postgres;

#[cfg(feature = "tokio")]
#[path = "clients/http.rs"]
pub mod http;
