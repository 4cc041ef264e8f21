//! The facade's re-exports still resolve: every public item of the core,
//! and each feature's module with its entry points.

#![allow(dead_code)]

use std::time::Duration;

/// Names every re-exported type; it compiles or the test fails to build.
type Types = (
    crochet::CancellationToken,
    crochet::Cancelled,
    crochet::Error,
    crochet::EventLoop,
    crochet::EventualResult<()>,
    crochet::Failure,
    crochet::GlobalLoop,
    crochet::LoopId,
    crochet::OwnedReactor<()>,
    Box<dyn crochet::Reactor>,
    crochet::ReactorThread,
    crochet::ShutdownGuard,
    crochet::StashFull<()>,
    crochet::StashId,
    crochet::Task,
    crochet::WaitStrategy,
    crochet::WorkError<()>,
);

#[test]
fn functions_resolve() {
    let _: fn() -> crochet::EventLoop = crochet::setup;
    let _: fn() -> crochet::EventLoop = crochet::start;
    let _: fn() -> Result<crochet::EventLoop, crochet::Error> = crochet::default_loop;
    let _: fn(crochet::StashId) -> Result<crochet::EventualResult<u8>, crochet::Error> =
        crochet::retrieve_result::<u8>;
    let _: fn(usize) = crochet::set_stash_capacity;
    let _: fn(Duration) = crochet::set_stash_time_to_live;
    let _: fn() = crochet::reset_unhandled_error_hook;
    let _: fn(fn(&crochet::Error)) = crochet::set_unhandled_error_hook;
    let _ = crochet::block_on::<std::future::Ready<()>>;
    let _ = <Result<Result<u8, ()>, crochet::Error> as crochet::ResultExt<u8, ()>>::flatten_work;
}

#[cfg(feature = "tokio")]
#[test]
fn tokio_module_resolves() {
    let _: fn() -> crochet::EventLoop = crochet::tokio::setup;
    let _: fn() -> crochet::EventLoop = crochet::tokio::start;
    let _: fn(tokio::runtime::Handle) -> Result<crochet::EventLoop, crochet::Error> =
        crochet::tokio::no_setup;
    let _: fn(tokio::runtime::Handle) -> crochet::EventLoop = crochet::tokio::attach;
    let _: fn() -> crochet::tokio::Builder = crochet::tokio::Builder::new_multi_thread;
}

#[cfg(feature = "smol")]
#[test]
fn smol_module_resolves() {
    use std::sync::Arc;
    let _: fn() -> crochet::EventLoop = crochet::smol::setup;
    let _: fn() -> crochet::EventLoop = crochet::smol::start;
    let _: fn(Arc<smol::Executor<'static>>) -> Result<crochet::EventLoop, crochet::Error> =
        crochet::smol::no_setup;
    let _: fn(Arc<smol::Executor<'static>>) -> crochet::EventLoop = crochet::smol::attach;
}

#[cfg(feature = "async-std")]
#[test]
fn async_std_module_resolves() {
    let _: fn() -> crochet::EventLoop = crochet::async_std::setup;
    let _: fn() -> crochet::EventLoop = crochet::async_std::start;
}

#[cfg(feature = "macros")]
#[test]
fn macros_resolve() {
    #[crochet::wait_for(timeout = "1s", runtime = builtin)]
    async fn answer() -> u8 {
        42
    }
    #[crochet::run_in_reactor(runtime = builtin)]
    async fn eventual_answer() -> u8 {
        42
    }
    assert_eq!(answer(), Ok(42));
    assert_eq!(eventual_answer().wait(Duration::from_secs(5)), Ok(42));
}
