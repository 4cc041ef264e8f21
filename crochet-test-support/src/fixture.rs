//! The runtime setups of the matrix: what each one starts, and the
//! runtime-specific pieces (a timer, a socket, a foreign executor) that the
//! suite's tests use without naming a runtime.

use std::io;
use std::ops::Deref;
use std::time::Duration;

use crochet::EventLoop;
use futures::future::BoxFuture;

use crate::helpers::{self, LONG};

/// Stamps a module of `#[test]`s per runtime setup, each behind the feature
/// it needs, from one list of test bodies written as `topic::body` (each a
/// function generic over [`Runtime`], in a module `topic` at the root of the
/// calling test crate), optionally with attributes such as `#[ignore]`. A
/// failing test is then named after its runtime
/// (`tokio_multi::cancel_is_idempotent`), and a new setup is added here
/// once for every suite.
///
/// The features are the calling crate's: it names them as this crate does
/// (`tokio`, `smol`, `async-std`) and turns on this crate's with its own.
// The plain `crate::$topic` is meant: the bodies are in the calling crate.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! stamp_suite {
    (@setup [$cfg:meta] $runtime:ident: $fixture:ident;
        $($(#[$attr:meta])* $topic:ident::$test:ident,)*) => {
        #[cfg($cfg)]
        mod $runtime {
            $(
                #[test]
                $(#[$attr])*
                fn $test() {
                    crate::$topic::$test::<$crate::fixture::$fixture>();
                }
            )*
        }
    };
    ($($tests:tt)*) => {
        $crate::stamp_suite!(@setup [all()] builtin: Builtin; $($tests)*);
        $crate::stamp_suite!(@setup [feature = "tokio"] tokio_current: TokioCurrent; $($tests)*);
        $crate::stamp_suite!(@setup [feature = "tokio"] tokio_multi: TokioMulti; $($tests)*);
        $crate::stamp_suite!(@setup [feature = "tokio"] tokio_attached: TokioAttached; $($tests)*);
        $crate::stamp_suite!(@setup [feature = "smol"] smol: Smol; $($tests)*);
        $crate::stamp_suite!(@setup [feature = "async-std"] async_std: AsyncStd; $($tests)*);
    };
}

/// One runtime setup of the matrix.
///
/// Each test body is generic over this trait; [`stamp_suite!`](crate::stamp_suite) stamps it out
/// once per setup, so that a failing test is named after the runtime it broke on.
pub trait Runtime: 'static {
    /// The name of the setup, as in the test paths; it also makes the panic
    /// messages of different setups distinct.
    const NAME: &'static str;
    /// How many threads run the loop's work. Tests that need the reactor
    /// busy block them all.
    const REACTOR_THREADS: usize;
    /// What the test must keep alive beside the loop, such as the runtime
    /// an attached loop runs on.
    type Owned;

    /// Starts a fresh loop of this setup.
    fn start() -> (EventLoop, Self::Owned);

    /// A future driven by this runtime's timer.
    fn sleep(duration: Duration) -> BoxFuture<'static, ()>;

    /// A loopback TCP echo through this runtime's sockets: a listener, a
    /// client that sends `payload`, a server that sends it back; resolves to
    /// what the client read.
    fn tcp_echo(payload: Vec<u8>) -> BoxFuture<'static, io::Result<Vec<u8>>>;

    /// Whether the calling thread is running this runtime, by the runtime's
    /// own account where it has one (its thread names otherwise).
    fn in_runtime() -> bool;

    /// Runs `future` as a task of a runtime other than this one, and blocks
    /// until it finishes.
    fn await_in_foreign_task<T: Send + 'static>(future: BoxFuture<'static, T>) -> T;
}

/// A fresh loop of setup `R`, shut down (and checked to stop) when the test
/// ends. It dereferences to the [`EventLoop`].
pub struct Fixture<R: Runtime> {
    event_loop: EventLoop,
    owned: Option<R::Owned>,
}

impl<R: Runtime> Fixture<R> {
    /// Starts the loop.
    // Starting a runtime is not what `Default` promises.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Fixture<R> {
        helpers::init();
        let (event_loop, owned) = R::start();
        Fixture {
            event_loop,
            owned: Some(owned),
        }
    }
}

impl<R: Runtime> Deref for Fixture<R> {
    type Target = EventLoop;

    fn deref(&self) -> &EventLoop {
        &self.event_loop
    }
}

impl<R: Runtime> Drop for Fixture<R> {
    fn drop(&mut self) {
        let stopped = self.event_loop.shutdown(LONG);
        // The runtime an attached loop ran on outlives the loop.
        drop(self.owned.take());
        if !std::thread::panicking() {
            assert!(
                stopped,
                "{}: the loop did not stop within {LONG:?}",
                R::NAME
            );
        }
    }
}

/// The built-in reactor of crochet-core: one std thread, no timers or I/O of
/// its own.
pub struct Builtin;

impl Runtime for Builtin {
    const NAME: &'static str = "builtin";
    const REACTOR_THREADS: usize = 1;
    type Owned = ();

    fn start() -> (EventLoop, ()) {
        (crochet::start(), ())
    }

    fn sleep(duration: Duration) -> BoxFuture<'static, ()> {
        // The built-in reactor has no timer: a thread of the test plays it.
        let (done, fired) = futures::channel::oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(duration);
            let _ = done.send(());
        });
        Box::pin(async move {
            let _ = fired.await;
        })
    }

    fn tcp_echo(payload: Vec<u8>) -> BoxFuture<'static, io::Result<Vec<u8>>> {
        // No I/O driver either: blocking std sockets, which the reactor
        // thread may use as any plain closure would.
        Box::pin(async move { blocking_tcp_echo(&payload) })
    }

    fn in_runtime() -> bool {
        std::thread::current().name() == Some("crochet-reactor")
    }

    fn await_in_foreign_task<T: Send + 'static>(future: BoxFuture<'static, T>) -> T {
        in_tokio_task(future)
    }
}

/// `crochet::tokio::start()`: a current-thread tokio runtime on a thread of
/// crochet's.
#[cfg(feature = "tokio")]
pub struct TokioCurrent;

#[cfg(feature = "tokio")]
impl Runtime for TokioCurrent {
    const NAME: &'static str = "tokio_current";
    const REACTOR_THREADS: usize = 1;
    type Owned = ();

    fn start() -> (EventLoop, ()) {
        (crochet::tokio::start(), ())
    }

    fn sleep(duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }

    fn tcp_echo(payload: Vec<u8>) -> BoxFuture<'static, io::Result<Vec<u8>>> {
        Box::pin(tokio_tcp_echo(payload))
    }

    fn in_runtime() -> bool {
        tokio::runtime::Handle::try_current().is_ok()
    }

    fn await_in_foreign_task<T: Send + 'static>(future: BoxFuture<'static, T>) -> T {
        in_smol_task(future)
    }
}

/// A multi-thread tokio runtime with two workers, started by crochet.
#[cfg(feature = "tokio")]
pub struct TokioMulti;

#[cfg(feature = "tokio")]
impl Runtime for TokioMulti {
    const NAME: &'static str = "tokio_multi";
    const REACTOR_THREADS: usize = 2;
    type Owned = ();

    fn start() -> (EventLoop, ()) {
        let event_loop = crochet::tokio::Builder::new_multi_thread()
            .worker_threads(2)
            .start()
            .expect("tokio_multi: could not start the runtime");
        (event_loop, ())
    }

    fn sleep(duration: Duration) -> BoxFuture<'static, ()> {
        TokioCurrent::sleep(duration)
    }

    fn tcp_echo(payload: Vec<u8>) -> BoxFuture<'static, io::Result<Vec<u8>>> {
        TokioCurrent::tcp_echo(payload)
    }

    fn in_runtime() -> bool {
        TokioCurrent::in_runtime()
    }

    fn await_in_foreign_task<T: Send + 'static>(future: BoxFuture<'static, T>) -> T {
        in_smol_task(future)
    }
}

/// A multi-thread tokio runtime that the test owns (as an application
/// would), with crochet attached to it.
#[cfg(feature = "tokio")]
pub struct TokioAttached;

/// The application's runtime of [`TokioAttached`], stopped with a bound so
/// that a test that failed with a worker blocked cannot hang the suite.
#[cfg(feature = "tokio")]
pub struct AppRuntime(Option<tokio::runtime::Runtime>);

#[cfg(feature = "tokio")]
impl Drop for AppRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_timeout(LONG);
        }
    }
}

#[cfg(feature = "tokio")]
impl Runtime for TokioAttached {
    const NAME: &'static str = "tokio_attached";
    const REACTOR_THREADS: usize = 2;
    type Owned = AppRuntime;

    fn start() -> (EventLoop, AppRuntime) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("app-runtime")
            .enable_all()
            .build()
            .expect("tokio_attached: could not build the application's runtime");
        let event_loop = crochet::tokio::attach(runtime.handle().clone());
        (event_loop, AppRuntime(Some(runtime)))
    }

    fn sleep(duration: Duration) -> BoxFuture<'static, ()> {
        TokioCurrent::sleep(duration)
    }

    fn tcp_echo(payload: Vec<u8>) -> BoxFuture<'static, io::Result<Vec<u8>>> {
        TokioCurrent::tcp_echo(payload)
    }

    fn in_runtime() -> bool {
        TokioCurrent::in_runtime() && std::thread::current().name() == Some("app-runtime")
    }

    fn await_in_foreign_task<T: Send + 'static>(future: BoxFuture<'static, T>) -> T {
        in_smol_task(future)
    }
}

/// `crochet::smol::start()`.
#[cfg(feature = "smol")]
pub struct Smol;

#[cfg(feature = "smol")]
impl Runtime for Smol {
    const NAME: &'static str = "smol";
    const REACTOR_THREADS: usize = 1;
    type Owned = ();

    fn start() -> (EventLoop, ()) {
        (crochet::smol::start(), ())
    }

    fn sleep(duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            smol::Timer::after(duration).await;
        })
    }

    fn tcp_echo(payload: Vec<u8>) -> BoxFuture<'static, io::Result<Vec<u8>>> {
        Box::pin(smol_tcp_echo(payload))
    }

    fn in_runtime() -> bool {
        // smol has no notion of a current executor: its thread names it.
        std::thread::current()
            .name()
            .is_some_and(|name| name.starts_with("crochet-smol"))
    }

    fn await_in_foreign_task<T: Send + 'static>(future: BoxFuture<'static, T>) -> T {
        in_tokio_task(future)
    }
}

/// `crochet::async_std::start()`.
#[cfg(feature = "async-std")]
pub struct AsyncStd;

#[cfg(feature = "async-std")]
impl Runtime for AsyncStd {
    const NAME: &'static str = "async_std";
    const REACTOR_THREADS: usize = 1;
    type Owned = ();

    fn start() -> (EventLoop, ()) {
        (crochet::async_std::start(), ())
    }

    fn sleep(duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async_std::task::sleep(duration))
    }

    fn tcp_echo(payload: Vec<u8>) -> BoxFuture<'static, io::Result<Vec<u8>>> {
        Box::pin(async_std_tcp_echo(payload))
    }

    fn in_runtime() -> bool {
        async_std::task::try_current().is_some()
            && std::thread::current().name() == Some("crochet-async-std")
    }

    fn await_in_foreign_task<T: Send + 'static>(future: BoxFuture<'static, T>) -> T {
        in_tokio_task(future)
    }
}

/// Runs `future` as a task spawned on a current-thread tokio runtime.
fn in_tokio_task<T: Send + 'static>(future: BoxFuture<'static, T>) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("could not build the foreign tokio runtime");
    let task = runtime.spawn(future);
    runtime
        .block_on(task)
        .expect("the foreign tokio task failed")
}

/// Runs `future` as a task of a smol executor of the test's own.
#[cfg(feature = "tokio")]
fn in_smol_task<T: Send + 'static>(future: BoxFuture<'static, T>) -> T {
    let executor = smol::Executor::new();
    let task = executor.spawn(future);
    smol::block_on(executor.run(task))
}

/// Runs `server` and `client` of an echo exchange together, and returns
/// what the client read, or the first error.
#[cfg(any(feature = "tokio", feature = "smol", feature = "async-std"))]
async fn echo_exchange(
    server: impl std::future::Future<Output = io::Result<()>>,
    client: impl std::future::Future<Output = io::Result<Vec<u8>>>,
) -> io::Result<Vec<u8>> {
    let (served, echoed) = futures::join!(server, client);
    served?;
    echoed
}

fn blocking_tcp_echo(payload: &[u8]) -> io::Result<Vec<u8>> {
    use std::io::{Read, Write};

    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    let len = payload.len();
    let server = std::thread::spawn(move || -> io::Result<()> {
        let (mut stream, _) = listener.accept()?;
        let mut buffer = vec![0; len];
        stream.read_exact(&mut buffer)?;
        stream.write_all(&buffer)
    });
    let mut client = std::net::TcpStream::connect(address)?;
    client.set_read_timeout(Some(LONG))?;
    client.write_all(payload)?;
    let mut echoed = vec![0; len];
    client.read_exact(&mut echoed)?;
    server
        .join()
        .map_err(|_| io::Error::other("the echo server panicked"))??;
    Ok(echoed)
}

/// A loopback TCP echo through one runtime's own sockets: `$net` is the
/// runtime's `net` module and `$traits` brings its `read_exact` and
/// `write_all` into scope.
#[cfg(any(feature = "tokio", feature = "smol", feature = "async-std"))]
macro_rules! tcp_echo {
    ($name:ident, $($net:ident)::+, $traits:item) => {
        async fn $name(payload: Vec<u8>) -> io::Result<Vec<u8>> {
            $traits

            let listener = $($net)::+::TcpListener::bind("127.0.0.1:0").await?;
            let address = listener.local_addr()?;
            let len = payload.len();
            let server = async move {
                let (mut stream, _) = listener.accept().await?;
                let mut buffer = vec![0; len];
                stream.read_exact(&mut buffer).await?;
                stream.write_all(&buffer).await
            };
            let client = async move {
                let mut stream = $($net)::+::TcpStream::connect(address).await?;
                stream.write_all(&payload).await?;
                let mut echoed = vec![0; len];
                stream.read_exact(&mut echoed).await?;
                Ok(echoed)
            };
            echo_exchange(server, client).await
        }
    };
}

#[cfg(feature = "tokio")]
tcp_echo!(
    tokio_tcp_echo,
    tokio::net,
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
);

#[cfg(feature = "smol")]
tcp_echo!(
    smol_tcp_echo,
    smol::net,
    use smol::io::{AsyncReadExt, AsyncWriteExt};
);

#[cfg(feature = "async-std")]
tcp_echo!(
    async_std_tcp_echo,
    async_std::net,
    use async_std::io::{ReadExt, WriteExt};
);
