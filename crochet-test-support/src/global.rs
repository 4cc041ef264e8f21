//! The rules of the process-wide loops (`setup()` and `no_setup()`), written
//! once for every runtime. A process has one such loop per runtime, so each
//! runtime's tests are a test binary of their own (`tests/global_*.rs`),
//! stamped by [`stamp_global!`](crate::stamp_global) from the bodies here.

use std::thread;
use std::time::Duration;

use crochet::{Error, EventLoop};

use crate::fixture::{Builtin, Runtime};
use crate::helpers::LONG;

/// Stamps one `#[test]` per body of this module, for one runtime setup of
/// [`fixture`](crate::fixture) that implements [`Global`] (and [`Lend`] for
/// the bodies that lend an application's runtime).
#[macro_export]
macro_rules! stamp_global {
    ($runtime:ident: $($test:ident),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                $crate::global::$test::<$crate::fixture::$runtime>();
            }
        )*
    };
}

/// A runtime with a process-wide loop.
pub trait Global: Runtime {
    /// The name of the thread the process-wide loop runs work on.
    const THREAD: &'static str;

    /// The runtime's `setup()`: the process-wide loop, started on first use.
    fn setup() -> EventLoop;
}

/// A runtime whose process-wide loop can run on the application's own
/// runtime, lent with `no_setup()`.
pub trait Lend: Global {
    /// The application's runtime, running until [`Lend::stop`].
    type App;

    /// The name of the threads the application's runtime runs tasks on.
    const APP_THREAD: &'static str;

    /// Starts the application's runtime.
    fn app() -> Self::App;

    /// The runtime's `no_setup()`, given the application's runtime.
    fn no_setup(app: &Self::App) -> Result<EventLoop, Error>;

    /// Runs a small task on the application's runtime and returns its
    /// output, 2: proof that the runtime still runs.
    fn run_on_app(app: &Self::App) -> u32;

    /// Stops the application's runtime, with a bound.
    fn stop(app: Self::App);
}

/// `setup()` twice is one loop, `start()` another, and the runtime's loop
/// is not the built-in one; work runs on the loop's thread.
pub fn setup_twice_gives_the_same_loop<R: Global>() {
    let first = R::setup();
    let second = R::setup();
    assert_eq!(first.id(), second.id());
    assert_ne!(
        first.id(),
        R::start().0.id(),
        "start() makes a loop of its own"
    );
    if R::NAME != Builtin::NAME {
        assert_ne!(
            first.id(),
            crochet::setup().id(),
            "each runtime has its own loop"
        );
    }
    let thread = second.call_in_reactor(|| thread::current().name().map(str::to_owned));
    assert_eq!(thread.wait(LONG), Ok(Some(R::THREAD.to_owned())));
    let slept = second.wait_for(LONG, || async {
        R::sleep(Duration::from_millis(1)).await;
        thread::current().name().map(str::to_owned)
    });
    assert_eq!(slept, Ok(Some(R::THREAD.to_owned())));
}

/// Threads racing to the first `setup()` all get the one loop.
pub fn concurrent_first_setups_start_one_loop<R: Global>() {
    let setups: Vec<_> = (0..8).map(|_| thread::spawn(|| R::setup().id())).collect();
    let ids: Vec<_> = setups.into_iter().map(|s| s.join().unwrap()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
}

/// `no_setup()` after `setup()` is refused and changes nothing.
pub fn no_setup_after_setup_is_already_set_up<R: Lend>() {
    let global = R::setup();
    let app = R::app();
    let refused = R::no_setup(&app);
    assert_eq!(refused.unwrap_err(), Error::AlreadySetUp);
    assert_eq!(R::setup().id(), global.id());
    R::stop(app);
}

/// `no_setup()` before any `setup()`: later `setup()` calls return the
/// attached loop, which runs work on the application's runtime, and
/// stopping it leaves that runtime running.
pub fn no_setup_then_setup_returns_the_attached_loop<R: Lend>() {
    let app = R::app();
    let attached = R::no_setup(&app).unwrap();
    let from_setup = R::setup();
    assert_eq!(from_setup.id(), attached.id());

    let ran_on = from_setup.wait_for(LONG, || async {
        R::sleep(Duration::from_millis(1)).await;
        thread::current().name().map(str::to_owned)
    });
    assert_eq!(ran_on, Ok(Some(R::APP_THREAD.to_owned())));

    let again = R::no_setup(&app);
    assert_eq!(again.unwrap_err(), Error::AlreadySetUp);

    // Stopping the attached loop leaves the application's runtime running.
    assert!(from_setup.shutdown(LONG));
    assert_eq!(R::run_on_app(&app), 2);
    R::stop(app);
}

impl Global for Builtin {
    const THREAD: &'static str = "crochet-reactor";

    fn setup() -> EventLoop {
        crochet::setup()
    }
}

#[cfg(feature = "tokio")]
mod tokio_global {
    use super::*;
    use crate::fixture::TokioCurrent;

    impl Global for TokioCurrent {
        const THREAD: &'static str = "crochet-tokio";

        fn setup() -> EventLoop {
            crochet::tokio::setup()
        }
    }

    impl Lend for TokioCurrent {
        type App = tokio::runtime::Runtime;
        const APP_THREAD: &'static str = "app-runtime";

        fn app() -> tokio::runtime::Runtime {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name(Self::APP_THREAD)
                .enable_all()
                .build()
                .expect("could not build the application's runtime")
        }

        fn no_setup(app: &tokio::runtime::Runtime) -> Result<EventLoop, Error> {
            crochet::tokio::no_setup(app.handle().clone())
        }

        fn run_on_app(app: &tokio::runtime::Runtime) -> u32 {
            let slept = app.spawn(async {
                tokio::time::sleep(Duration::from_millis(1)).await;
                1 + 1
            });
            app.block_on(slept).expect("the application's task failed")
        }

        fn stop(app: tokio::runtime::Runtime) {
            app.shutdown_timeout(LONG);
        }
    }
}

#[cfg(feature = "smol")]
mod smol_global {
    use std::sync::Arc;
    use std::thread::JoinHandle;

    use super::*;
    use crate::fixture::Smol;

    /// The application's executor, driven by a thread of the application
    /// until `stop` is sent.
    pub struct SmolApp {
        executor: Arc<smol::Executor<'static>>,
        stop: smol::channel::Sender<()>,
        driver: JoinHandle<Result<(), smol::channel::RecvError>>,
    }

    impl Global for Smol {
        const THREAD: &'static str = "crochet-smol";

        fn setup() -> EventLoop {
            crochet::smol::setup()
        }
    }

    impl Lend for Smol {
        type App = SmolApp;
        const APP_THREAD: &'static str = "app-executor";

        fn app() -> SmolApp {
            let executor = Arc::new(smol::Executor::new());
            let (stop, stopped) = smol::channel::bounded::<()>(1);
            let driven = executor.clone();
            let driver = thread::Builder::new()
                .name(Self::APP_THREAD.to_owned())
                .spawn(move || smol::block_on(driven.run(stopped.recv())))
                .expect("could not spawn the application's executor thread");
            SmolApp {
                executor,
                stop,
                driver,
            }
        }

        fn no_setup(app: &SmolApp) -> Result<EventLoop, Error> {
            crochet::smol::no_setup(app.executor.clone())
        }

        fn run_on_app(app: &SmolApp) -> u32 {
            smol::block_on(app.executor.spawn(async { 2 }))
        }

        fn stop(app: SmolApp) {
            app.stop
                .send_blocking(())
                .expect("the application's executor stopped early");
            app.driver
                .join()
                .expect("the application's executor panicked")
                .expect("the stop channel closed");
        }
    }
}

#[cfg(feature = "async-std")]
impl Global for crate::fixture::AsyncStd {
    const THREAD: &'static str = "crochet-async-std";

    fn setup() -> EventLoop {
        crochet::async_std::setup()
    }
}
