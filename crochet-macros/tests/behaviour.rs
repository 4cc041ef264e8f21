//! What the decorated functions do, on every runtime: one suite, stamped
//! out per runtime by `suite!`, so a failing test's name says which runtime
//! broke.

use std::fmt::Display;
use std::num::ParseIntError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crochet::{Error, WorkError};

/// How long a test waits for something that should happen at once.
const PATIENCE: Duration = Duration::from_secs(5);

/// Sends, when dropped, whether it was dropped on a reactor thread of `event_loop`.
struct DropGuard {
    on_drop: mpsc::Sender<bool>,
    event_loop: crochet::EventLoop,
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        let _ = self.on_drop.send(self.event_loop.is_reactor_thread());
    }
}

/// An async client, shared behind an `Arc`.
struct Client {
    greeting: String,
    calls: AtomicUsize,
}

macro_rules! suite {
    ($runtime:ident, setup = $setup:path, nap = $nap:expr) => {
        mod $runtime {
            use super::*;

            /// A future of this runtime that is ready after a short while.
            async fn nap() {
                $nap.await;
            }

            #[crochet::wait_for(timeout = "5s", runtime = $runtime)]
            async fn double(x: u32) -> u32 {
                nap().await;
                x * 2
            }

            #[test]
            fn wait_for_returns_the_value() {
                assert_eq!(double(21), Ok(42));
            }

            #[crochet::wait_for(timeout = "5s", runtime = $runtime)]
            async fn on_reactor_thread() -> bool {
                $setup().is_reactor_thread()
            }

            #[test]
            fn the_body_runs_on_the_reactor_thread() {
                assert_eq!(on_reactor_thread(), Ok(true));
            }

            #[crochet::wait_for(timeout = "5s", runtime = $runtime)]
            fn plain_on_reactor_thread(x: u32) -> (u32, bool) {
                (x + 1, $setup().is_reactor_thread())
            }

            #[test]
            fn a_plain_fn_runs_on_the_reactor_thread() {
                assert_eq!(plain_on_reactor_thread(1), Ok((2, true)));
                let direct = $setup().wait_for(PATIENCE, || plain_on_reactor_thread_async(2));
                assert_eq!(direct, Ok((3, true)));
            }

            #[test]
            fn the_async_original_stays_callable() {
                let doubled = $setup().wait_for(PATIENCE, || double_async(4));
                assert_eq!(doubled, Ok(8));
            }

            #[crochet::wait_for(timeout = "50ms", runtime = $runtime)]
            async fn stuck(on_drop: mpsc::Sender<bool>) -> u32 {
                let _guard = DropGuard {
                    on_drop,
                    event_loop: $setup(),
                };
                nap().await;
                std::future::pending().await
            }

            #[test]
            fn a_timeout_cancels_the_work_on_the_reactor_thread() {
                let (on_drop, dropped) = mpsc::channel();
                let started = Instant::now();
                assert_eq!(stuck(on_drop), Err(Error::Timeout));
                let waited = started.elapsed();
                assert!(waited >= Duration::from_millis(50), "{waited:?}");
                assert!(waited < PATIENCE, "{waited:?}");
                assert_eq!(dropped.recv_timeout(PATIENCE), Ok(true));
            }

            const SHORT: Duration = Duration::from_millis(20);

            #[crochet::wait_for(timeout = SHORT, runtime = $runtime)]
            async fn never() {
                std::future::pending().await
            }

            #[crochet::wait_for(timeout = Duration::from_millis(20), runtime = $runtime)]
            async fn never_either() -> Result<u8, ParseIntError> {
                std::future::pending().await
            }

            #[test]
            fn timeouts_can_be_duration_expressions() {
                assert_eq!(never(), Err(Error::Timeout));
                assert_eq!(never_either(), Err(WorkError::Crochet(Error::Timeout)));
            }

            #[crochet::wait_for(timeout = "5s", runtime = $runtime)]
            async fn explode() -> u32 {
                nap().await;
                panic!("boom on the reactor")
            }

            #[test]
            fn a_panic_is_returned_with_the_callers_place() {
                let (result, line) = (explode(), line!());
                let Err(Error::Panicked(failure)) = result else {
                    panic!("expected a panic, got {result:?}");
                };
                assert_eq!(failure.message(), "boom on the reactor");
                assert_eq!(failure.location().file(), file!());
                assert_eq!(failure.location().line(), line);
                // The reactor survived.
                assert_eq!(double(1), Ok(2));
            }

            /// The blocking face of a [`Client`].
            #[derive(Clone)]
            struct Blocking {
                client: Arc<Client>,
                timeout: Duration,
            }

            impl Blocking {
                /// An associated function, without `self`.
                #[crochet::wait_for(timeout = "5s", runtime = $runtime)]
                async fn connect(greeting: String) -> Self {
                    nap().await;
                    let client = Client {
                        greeting,
                        calls: AtomicUsize::new(0),
                    };
                    Blocking {
                        client: Arc::new(client),
                        timeout: PATIENCE,
                    }
                }

                #[crochet::wait_for(timeout = self.timeout, runtime = $runtime)]
                async fn greet(&self, name: String) -> String {
                    nap().await;
                    self.client.calls.fetch_add(1, Ordering::SeqCst);
                    format!("{}, {name}", self.client.greeting)
                }

                /// A pattern argument and a `mut` one, passed on to the
                /// original.
                #[crochet::wait_for(timeout = "5s", event_loop = &$setup())]
                async fn greet_all(
                    &self,
                    (first, second): (String, String),
                    mut more: Vec<String>,
                ) -> Vec<String> {
                    more.insert(0, second);
                    more.insert(0, first);
                    let mut greetings = Vec::new();
                    for name in more {
                        greetings.push(self.greet_async(name).await);
                    }
                    greetings
                }

                #[crochet::wait_for(timeout = "5s", runtime = $runtime)]
                async fn into_calls(self) -> usize {
                    nap().await;
                    self.client.calls.load(Ordering::SeqCst)
                }
            }

            #[test]
            fn methods_with_and_without_self() {
                let blocking = Blocking::connect("hello".to_owned()).unwrap();
                assert_eq!(blocking.greet("world".to_owned()).unwrap(), "hello, world");
                let pair = ("a".to_owned(), "b".to_owned());
                assert_eq!(
                    blocking.greet_all(pair, vec!["c".to_owned()]).unwrap(),
                    ["hello, a", "hello, b", "hello, c"]
                );
                // Every call went to the one client behind the `Arc`.
                let client = blocking.client.clone();
                assert_eq!(blocking.into_calls(), Ok(4));
                assert_eq!(Arc::strong_count(&client), 1);
            }

            #[test]
            fn a_methods_async_original_stays_callable() {
                let blocking = Blocking::connect("hi".to_owned()).unwrap();
                let greeting = $setup().wait_for(PATIENCE, move || async move {
                    blocking.greet_async("there".to_owned()).await
                });
                assert_eq!(greeting.unwrap(), "hi, there");
            }

            #[crochet::wait_for(timeout = "5s", runtime = $runtime)]
            async fn parse_sum(a: String, b: String) -> Result<u32, ParseIntError> {
                nap().await;
                Ok(a.parse::<u32>()? + b.parse::<u32>()?)
            }

            /// The application layer: `?` with one error type.
            fn twice_the_sum(a: &str, b: &str) -> Result<u32, WorkError<ParseIntError>> {
                let sum = parse_sum(a.to_owned(), b.to_owned())?;
                Ok(sum * 2)
            }

            #[test]
            fn a_result_body_gives_one_error_type_for_question_mark() {
                assert_eq!(twice_the_sum("1", "2"), Ok(6));
                assert!(matches!(twice_the_sum("1", "two"), Err(WorkError::Work(_))));
            }

            #[crochet::wait_for(timeout = "5s", runtime = $runtime)]
            async fn describe<T: Display>(value: T, suffix: impl Display) -> String {
                nap().await;
                format!("{value}{suffix}")
            }

            #[crochet::wait_for(timeout = "5s", runtime = $runtime)]
            async fn add((a, b): (u32, u32), mut more: Vec<u32>) -> u32 {
                more.push(a);
                more.push(b);
                more.iter().sum()
            }

            #[crochet::wait_for(timeout = "5s", runtime = $runtime)]
            async fn boxed(message: String) -> Box<dyn std::error::Error + Send + Sync> {
                // The tail is coerced to the declared output, as in the `async fn`.
                Box::new(std::io::Error::other(message))
            }

            #[test]
            fn generics_impl_trait_patterns_and_coercions() {
                assert_eq!(describe(7u8, "%").unwrap(), "7%");
                assert_eq!(add((1, 2), vec![3]), Ok(6));
                assert_eq!(boxed("no".to_owned()).unwrap().to_string(), "no");
            }

            #[test]
            fn waiting_on_the_reactor_thread_is_refused() {
                let inside = $setup().call_in_reactor(|| double(1));
                assert_eq!(inside.wait(PATIENCE), Ok(Err(Error::WaitInReactorThread)));
            }

            #[crochet::run_in_reactor(runtime = $runtime)]
            async fn later(x: u32) -> u32 {
                nap().await;
                x + 1
            }

            #[crochet::run_in_reactor(event_loop = $setup())]
            async fn forever(on_drop: mpsc::Sender<bool>) -> u32 {
                let _guard = DropGuard {
                    on_drop,
                    event_loop: $setup(),
                };
                std::future::pending().await
            }

            #[test]
            fn run_in_reactor_returns_an_eventual_result() {
                assert_eq!(later(41).wait(PATIENCE), Ok(42));

                let (on_drop, dropped) = mpsc::channel();
                let pending = forever(on_drop);
                assert_eq!(pending.wait(Duration::from_millis(10)), Err(Error::Timeout));
                pending.cancel();
                assert_eq!(pending.wait(PATIENCE), Err(Error::Cancelled));
                assert_eq!(dropped.recv_timeout(PATIENCE), Ok(true));
            }
        }
    };
}

suite!(
    tokio,
    setup = crochet::tokio::setup,
    nap = ::tokio::time::sleep(Duration::from_millis(1))
);
suite!(
    smol,
    setup = crochet::smol::setup,
    nap = ::smol::Timer::after(Duration::from_millis(1))
);
suite!(
    builtin,
    setup = crochet::setup,
    nap = std::future::ready(())
);
