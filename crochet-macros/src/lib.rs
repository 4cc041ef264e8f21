//! The attribute macros of [crochet]: `#[wait_for]` and `#[run_in_reactor]`
//! turn an `async fn` into a blocking function, or into one that returns an
//! `EventualResult` at once, whose body runs on crochet's reactor thread.
//!
//! Use them through the facade, with its `macros` feature:
//! `crochet::wait_for` and `crochet::run_in_reactor`. They are Python
//! Crochet's decorators of the same names:
//!
//! ```
//! use std::time::Duration;
//!
//! // The async layer and the crochet layer in one: the body runs on tokio's
//! // reactor thread, the caller blocks for at most five seconds.
//! #[crochet::wait_for(timeout = "5s", runtime = tokio)]
//! async fn sendmail(to: String, body: String) -> Result<usize, std::io::Error> {
//!     tokio::time::sleep(Duration::from_millis(10)).await;
//!     Ok(to.len() + body.len())
//! }
//!
//! // The application layer: blocking, and one error type for `?`.
//! fn notify() -> Result<(), crochet::WorkError<std::io::Error>> {
//!     let sent = sendmail("ops@example.com".into(), "disk full".into())?;
//!     assert_eq!(sent, 24);
//!     Ok(())
//! }
//!
//! notify().unwrap();
//! ```
//!
//! Each attribute also keeps the function as written, under the name
//! `<name>_async` (`sendmail_async` above), so that the async layer can be
//! unit-tested on its runtime directly: Crochet's `__wrapped__`.
//!
//! `examples/sendmail_macro.rs` in this crate sends mail to a toy server over
//! tokio's TCP, and shows a send that times out being cancelled
//! (`cargo run -p crochet-macros --example sendmail_macro`).
//!
//! [crochet]: https://docs.rs/crochet

// Maintainer notes: `args` parses the attribute, `function` checks the
// decorated function and refuses misuses, `expand` writes the code, and
// `duration` parses readable timeouts at compile time.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use proc_macro::TokenStream;

mod args;
mod duration;
mod expand;
mod function;

use args::Kind;

/// Turns an `async fn` into a blocking function: its body runs on a
/// reactor thread, and the caller waits at most `timeout` for the result;
/// on timeout the work is cancelled and `Error::Timeout` returned.
///
/// This is Python Crochet's `@wait_for(timeout=..)`, and exactly
/// `EventLoop::wait_for` applied to the body.
///
/// ```
/// #[crochet::wait_for(timeout = "1s", runtime = builtin)]
/// async fn add(a: u32, b: u32) -> u32 {
///     a + b
/// }
///
/// assert_eq!(add(2, 3), Ok(5));
/// ```
///
/// # What it generates
///
/// From `async fn f(args) -> T`:
///
/// - `fn f(args) -> Result<T, crochet::Error>`, with the doc comment,
///   attributes, visibility and generics of `f` (type parameters and
///   `impl Trait` arguments gain `Send + 'static` bounds). It is
///   `#[track_caller]`: a panic of the work is reported with the place that
///   called `f`.
/// - When `T` is written `Result<U, E>` (any path ending in `Result`, with
///   two arguments) or `io::Result<U>`, it returns
///   `Result<U, crochet::WorkError<E>>` instead, so that `?` works with one
///   error type. Other one-argument aliases (`anyhow::Result<U>`, say) hide
///   their error type from the attribute and stay plain values: write
///   `Result<U, E>` in full to flatten them.
/// - `async fn f_async(args) -> T`, the function as written: await it
///   directly on a runtime, for example in a unit test of the async layer.
///
/// On a plain `fn f(args) -> T`, the same: its body runs on the reactor
/// thread as it is (blocking that thread while it runs, so keep it short),
/// and `f_async` is an `async fn` with that body.
///
/// # Arguments
///
/// - `timeout` (required): a string with a number and a unit (`"250ms"`,
///   `"1.5s"`, `"2m"`, `"1m30s"`; units `h`, `m`, `s`, `ms`, `us`, `ns`),
///   checked when the code compiles, or any expression of type `Duration`
///   (`Duration::from_millis(250)`, a constant, `self.timeout`), evaluated
///   on each call, before the work is submitted: it may use the arguments.
/// - `runtime`, optional: `tokio`, `smol` or `async_std` (the loop of that
///   runtime's `setup()`, e.g. `crochet::tokio::setup()`, started on first
///   use; the facade needs the runtime's feature), or `builtin` (the
///   built-in reactor of `crochet::setup()`).
/// - `event_loop`, optional, instead of `runtime`: an expression of type
///   `EventLoop` or `&EventLoop`, evaluated on each call; for instance a
///   private loop kept in a `static` or a field.
/// - `canceller`, optional: an expression, evaluated on each call before
///   the work takes the arguments (it may use them, cloning what the work
///   needs too), that gives the canceller: a closure `FnOnce() -> Fut`
///   whose future runs on the reactor after the work was cancelled (by the
///   timeout, here), never after it finished (see
///   `EventLoop::run_in_reactor_with_canceller`).
///
/// With neither `runtime` nor `event_loop`, the work goes to `crochet::default_loop()`: the loop of
/// the first runtime whose `setup()` (or `no_setup()`) the program called.
/// So a library can decorate its functions and leave the choice of runtime
/// to the application.
///
/// # Errors
///
/// The generated function returns:
///
/// - `Error::NotSetUp` if it names no loop and no runtime was set up;
/// - `Error::Timeout` when no result came within `timeout`; the work was
///   cancelled first (its future is dropped on the reactor thread);
/// - `Error::Panicked` if the work panicked (the reactor keeps running);
/// - `Error::ReactorStopped` if the loop was shut down;
/// - `Error::WaitInReactorThread` when called on the reactor thread itself,
///   where waiting would deadlock (await `f_async` there instead).
///
/// With a `Result<U, E>` body these come as `WorkError::Crochet`, and the
/// body's own errors as `WorkError::Work`:
///
/// ```
/// use crochet::WorkError;
///
/// #[crochet::wait_for(timeout = "1s", runtime = builtin)]
/// async fn parse(text: String) -> Result<u32, std::num::ParseIntError> {
///     text.trim().parse()
/// }
///
/// fn total(a: &str, b: &str) -> Result<u32, WorkError<std::num::ParseIntError>> {
///     Ok(parse(a.to_owned())? + parse(b.to_owned())?)
/// }
///
/// assert_eq!(total("40", " 2"), Ok(42));
/// assert!(matches!(total("40", "two"), Err(WorkError::Work(_))));
/// ```
///
/// # Timeouts and cancellation
///
/// ```
/// use std::time::Duration;
///
/// const PATIENCE: Duration = Duration::from_millis(20);
///
/// #[crochet::wait_for(timeout = PATIENCE, runtime = smol)]
/// async fn never() {
///     smol::Timer::after(Duration::from_secs(3600)).await;
/// }
///
/// assert_eq!(never(), Err(crochet::Error::Timeout));
/// ```
///
/// A canceller stops what dropping the future does not (a statement the
/// server still runs):
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
///
/// #[crochet::wait_for(
///     timeout = timeout,
///     runtime = builtin,
///     canceller = move || async move { cancelled.send("cancel the query").unwrap() }
/// )]
/// async fn query(timeout: Duration, cancelled: mpsc::Sender<&'static str>) -> u32 {
///     std::future::pending().await
/// }
///
/// let (cancelled, cancels) = mpsc::channel();
/// assert_eq!(query(Duration::from_millis(20), cancelled), Err(crochet::Error::Timeout));
/// assert_eq!(cancels.recv_timeout(Duration::from_secs(5)), Ok("cancel the query"));
/// ```
///
/// # Methods
///
/// A method taking `&self` works when `Self` is `Clone + Send + Sync +
/// 'static`: `self` is cloned into the work, which is the usual shape of a
/// blocking wrapper around an `Arc`'d async client. A method taking `self`
/// (or `self: Arc<Self>`...) moves it into the work; `&mut self` is refused.
/// Associated functions without `self` work too. Only inherent `impl`
/// blocks can hold them, since `f_async` is added beside `f`.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// struct Client {
///     greeting: String,
/// }
///
/// /// The blocking face of a `Client`.
/// #[derive(Clone)]
/// struct Blocking {
///     client: Arc<Client>,
///     timeout: Duration,
/// }
///
/// impl Blocking {
///     /// Greets `name`, waiting at most `self.timeout`.
///     #[crochet::wait_for(timeout = self.timeout, runtime = tokio)]
///     async fn greet(&self, name: String) -> String {
///         tokio::task::yield_now().await;
///         format!("{}, {name}", self.client.greeting)
///     }
/// }
///
/// let client = Arc::new(Client { greeting: "hello".into() });
/// let blocking = Blocking { client, timeout: Duration::from_secs(1) };
/// assert_eq!(blocking.greet("world".into()).unwrap(), "hello, world");
/// ```
///
/// # Compile errors
///
/// Everything the function takes crosses to the reactor thread, and the
/// work may outlive the call (a timed-out call returns before the work is
/// dropped). So these are compile errors that say what to write instead: an
/// argument that borrows (`&str`, `&T`, a type with a lifetime), `&mut self`,
/// a result that borrows, an argument that is not `Send` (the message names
/// the argument), a `&self` method on a `Self` that is not
/// `Clone + Send + Sync`, a malformed timeout string, an unknown runtime, a
/// missing timeout, and a function that is not `async`.
///
/// ```compile_fail
/// #[crochet::wait_for(timeout = "1s", runtime = builtin)]
/// async fn length(text: &str) -> usize {
///     text.len()
/// }
/// ```
#[proc_macro_attribute]
pub fn wait_for(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::WaitFor, args.into(), item.into()).into()
}

/// Turns an `async fn` into a function that submits its body to a reactor
/// thread and returns at once with an `EventualResult` of its output.
///
/// This is Python Crochet's `@run_in_reactor`, and exactly
/// `EventLoop::run_in_reactor` applied to the body. The caller waits on the
/// `EventualResult` with the timeout of its choice, cancels it, stashes it,
/// or awaits it from async code.
///
/// ```
/// use std::time::Duration;
///
/// #[crochet::run_in_reactor(runtime = tokio)]
/// async fn download(url: String) -> usize {
///     tokio::time::sleep(Duration::from_millis(10)).await;
///     url.len()
/// }
///
/// let pending = download("https://example.com/".into());
/// // ... do something else meanwhile ...
/// assert_eq!(pending.wait(Duration::from_secs(5)), Ok(20));
/// ```
///
/// # What it generates
///
/// From `async fn f(args) -> T`:
///
/// - `fn f(args) -> crochet::EventualResult<T>` when the attribute names a
///   `runtime` or an `event_loop`;
/// - `fn f(args) -> Result<crochet::EventualResult<T>, crochet::Error>` when
///   it names neither, see below;
/// - `async fn f_async(args) -> T`, the function as written, for unit tests
///   and async callers.
///
/// The generated function keeps the doc comment, attributes, visibility and
/// generics of `f`, and is `#[track_caller]`: a panic of the work is
/// reported with the place that called `f`.
///
/// # Arguments
///
/// `runtime`, `event_loop` and `canceller`, as for
/// [`wait_for`](macro@wait_for); the canceller runs when the result is
/// cancelled. There is no `timeout`: the caller gives one to
/// `EventualResult::wait` (or `wait_or_cancel`).
///
/// # Errors
///
/// With neither `runtime` nor `event_loop`, the work goes to
/// `crochet::default_loop()`, which fails with `Error::NotSetUp` when no
/// runtime was set up. An `EventualResult` is the result of work that was
/// submitted, so it cannot carry that error; the function returns it
/// instead, and says so in its type. Falling back to some loop would be
/// worse: the built-in reactor cannot drive tokio's or smol's timers and
/// I/O, and starting it would make it the default loop of the whole
/// program, ahead of the runtime the application sets up later. Name a
/// runtime or a loop to get a plain `EventualResult<T>`.
///
/// ```
/// use std::time::Duration;
///
/// #[crochet::run_in_reactor]
/// async fn answer() -> u32 {
///     42
/// }
///
/// assert_eq!(answer().unwrap_err(), crochet::Error::NotSetUp);
/// crochet::smol::setup();
/// let pending = answer().unwrap();
/// assert_eq!(pending.wait(Duration::from_secs(5)), Ok(42));
/// ```
///
/// The work's own failures (a panic, cancellation, a stopped reactor) come
/// from waiting on the `EventualResult`, as for any other work.
///
/// # Methods and compile errors
///
/// As for [`wait_for`](macro@wait_for): `&self` methods on a
/// `Clone + Send + Sync + 'static` handle, `self` methods and associated
/// functions work; borrowed arguments and results, `&mut self` and
/// arguments that are not `Send` are compile errors that say what to change.
///
/// ```
/// use std::time::Duration;
///
/// #[derive(Clone)]
/// struct Counter {
///     step: u64,
/// }
///
/// impl Counter {
///     #[crochet::run_in_reactor(event_loop = crochet::setup())]
///     async fn next(&self, from: u64) -> u64 {
///         from + self.step
///     }
/// }
///
/// let counter = Counter { step: 2 };
/// assert_eq!(counter.next(40).wait(Duration::from_secs(5)), Ok(42));
/// ```
#[proc_macro_attribute]
pub fn run_in_reactor(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::RunInReactor, args.into(), item.into()).into()
}
