//! The facade's re-exports still resolve, on both sides of its two
//! boundaries: the root holds what applications use, `crochet::reactor`
//! what only adapter authors need, and each feature's module its entry
//! points.
//!
//! Nothing of the adapter API resolves at the root (`crochet::Reactor`,
//! `crochet::Task`, `crochet::ReactorThread`, `crochet::OwnedReactor`,
//! `crochet::GlobalLoop`, `crochet::block_on`): the compile-fail examples
//! in `crochet_core::reactor`'s documentation check that for the core, and
//! the facade re-exports the core's root by name, item by item.

#![allow(dead_code)]

use std::time::Duration;

/// Names every type an application uses, at the root; it compiles or the
/// test fails to build.
type RootTypes = (
    crochet::BlockingIo<()>,
    crochet::Bound<()>,
    crochet::BoundMut<()>,
    crochet::BoundRef<()>,
    crochet::CancellationToken,
    crochet::WaitForCancellation,
    crochet::Error,
    crochet::EventLoop,
    crochet::EventualResult<()>,
    crochet::EventualStream<()>,
    crochet::Failure,
    crochet::LoopId,
    crochet::LoopStats,
    crochet::ShutdownGuard,
    crochet::Stall,
    crochet::StashFull<()>,
    crochet::StashId,
    crochet::StreamReader<Vec<u8>>,
    crochet::StreamSender<()>,
    crochet::WaitStrategy,
    Box<dyn crochet::WorkContext>,
    crochet::WorkError<()>,
);

/// Names every type of the adapter API, in `crochet::reactor`.
type ReactorTypes = (
    crochet::reactor::GlobalLoop,
    crochet::reactor::OwnedReactor,
    Box<dyn crochet::reactor::Reactor>,
    Box<dyn crochet::reactor::PollRead>,
    Box<dyn crochet::reactor::PollWrite>,
    crochet::reactor::ReactorThread,
    crochet::reactor::StopSignal,
    crochet::reactor::RunTasks,
    crochet::reactor::Task,
    crochet::reactor::TaskQueue,
    crochet::reactor::ThreadMark,
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
    let _ = <Result<Result<u8, ()>, crochet::Error> as crochet::ResultExt<u8, ()>>::flatten_work;
    let _: fn(fn(crochet::LoopId) -> Idle) -> crochet::EventLoop = crochet::EventLoop::new;
}

#[test]
fn adapter_functions_resolve_in_reactor() {
    let _ = crochet::reactor::block_on::<std::future::Ready<()>>;
    let _: fn(crochet::LoopId) = crochet::reactor::enter_thread;
    let _: fn(crochet::LoopId) -> crochet::reactor::ThreadMark =
        crochet::reactor::enter_thread_scope;
    let _: fn(crochet::LoopId) -> bool = crochet::reactor::is_marked;
    assert!(crochet::reactor::block_on(crochet::reactor::until_done(
        || true,
        std::time::Duration::ZERO
    )));
    static LOOP: crochet::reactor::GlobalLoop = crochet::reactor::GlobalLoop::new();
    let _ = |build: fn() -> crochet::EventLoop| LOOP.install(build);
}

/// A reactor that runs nothing, to name `EventLoop::new`'s builder type.
struct Idle;

impl crochet::reactor::Reactor for Idle {
    fn spawn(&self, task: crochet::reactor::Task) {
        drop(task);
    }
    fn shutdown(&self, _timeout: Duration) -> bool {
        true
    }
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

#[cfg(feature = "stream")]
#[test]
fn stream_module_resolves() {
    use crochet::stream::EventLoopExt;
    let _: fn(crochet::EventualStream<u8>) -> crochet::stream::Items<u8> =
        crochet::stream::Items::new;
    let _ = <crochet::EventLoop as EventLoopExt>::stream_from::<
        futures::stream::Empty<u8>,
        fn() -> futures::stream::Empty<u8>,
    >;
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
