//! `Builder`: the private loops crochet can start over a tokio runtime of
//! its own.

use std::io;

use crochet_core::reactor::ReactorThread;
use crochet_core::EventLoop;
use tokio::runtime;

use crate::reactor::{OwnedRuntime, Tokio};

/// Starts a private loop over a new tokio runtime, with I/O and timers
/// enabled, owned by a dedicated thread.
///
/// A current-thread runtime runs the work on that thread. A multi-thread
/// runtime runs it on its worker threads, where blocking waits are refused
/// as on the dedicated thread. [`EventLoop::shutdown`] (or dropping the
/// last handle) stops the runtime, drops every task left on it, and joins
/// its threads, waiting for them up to the timeout.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_tokio::Builder::new_multi_thread()
///     .worker_threads(2)
///     .thread_name("billing-io")
///     .start()
///     .unwrap();
/// let thread = reactor.call_in_reactor(|| std::thread::current().name().map(String::from));
/// assert_eq!(thread.wait(Duration::from_secs(5)).unwrap().as_deref(), Some("billing-io"));
/// assert!(reactor.shutdown(Duration::from_secs(5)));
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    multi_thread: bool,
    worker_threads: Option<usize>,
    thread_name: String,
}

impl Builder {
    /// A builder for a current-thread runtime: the work runs on the loop's
    /// own thread, as with [`start`](crate::start).
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_tokio::Builder::new_current_thread().start().unwrap();
    /// let answer = reactor.wait_for(std::time::Duration::from_secs(5), || async { 1 });
    /// assert_eq!(answer, Ok(1));
    /// ```
    pub fn new_current_thread() -> Builder {
        Builder {
            multi_thread: false,
            worker_threads: None,
            thread_name: "crochet-tokio".to_owned(),
        }
    }

    /// A builder for a multi-thread runtime: the work runs on its worker
    /// threads (one per CPU unless [`worker_threads`](Self::worker_threads)
    /// says otherwise).
    ///
    /// # Examples
    ///
    /// See [`Builder`].
    pub fn new_multi_thread() -> Builder {
        Builder {
            multi_thread: true,
            ..Builder::new_current_thread()
        }
    }

    /// Sets the number of worker threads of a multi-thread runtime; a
    /// current-thread runtime ignores it.
    ///
    /// # Panics
    ///
    /// If `count` is zero.
    ///
    /// # Examples
    ///
    /// See [`Builder`].
    pub fn worker_threads(&mut self, count: usize) -> &mut Builder {
        assert!(
            count > 0,
            "crochet-tokio: a runtime needs at least one worker thread"
        );
        self.worker_threads = Some(count);
        self
    }

    /// Names the loop's threads (the owning thread, and the runtime's
    /// workers and blocking threads) so they show in a debugger. The
    /// default is `crochet-tokio`.
    ///
    /// # Examples
    ///
    /// See [`Builder`].
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Builder {
        self.thread_name = name.into();
        self
    }

    /// Builds the runtime and starts the loop's thread.
    ///
    /// # Errors
    ///
    /// The operating system's error if it cannot create a thread or the
    /// runtime's I/O driver.
    ///
    /// # Examples
    ///
    /// See [`Builder`].
    pub fn start(&self) -> io::Result<EventLoop> {
        let mut builder = if self.multi_thread {
            runtime::Builder::new_multi_thread()
        } else {
            runtime::Builder::new_current_thread()
        };
        if let Some(count) = self.worker_threads {
            builder.worker_threads(count);
        }
        let runtime = builder
            .enable_all()
            .thread_name(self.thread_name.clone())
            .build()?;
        let handle = runtime.handle().clone();
        let runtime = OwnedRuntime::new(runtime);
        EventLoop::try_new(|id| {
            let owner = ReactorThread::spawn(self.thread_name.clone(), id, move |stop| {
                runtime.run(stop);
            })?;
            Ok(Tokio::new(&handle, Some(owner)))
        })
    }
}
