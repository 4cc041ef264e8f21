//! What the tests share: time bounds, the collecting unhandled-error hook,
//! drop probes, gates, and a way to keep every reactor thread busy.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::sync::{Mutex, Once, PoisonError};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use crochet::{Error, EventLoop};
use futures::channel::oneshot;

use crate::fixture::Runtime;

/// How long a test waits for something that should happen promptly. Far
/// above what any run needs: reaching it means the rule broke.
pub const LONG: Duration = Duration::from_secs(5);

/// The timeout of waits that are meant to time out.
pub const SHORT: Duration = Duration::from_millis(50);

/// The generous upper bound on "about `SHORT`", and on "at once".
pub const BOUND: Duration = Duration::from_secs(2);

/// Installs, once per process, the hook that collects unhandled failures
/// and a panic hook that silences the suite's deliberate panics.
///
/// The unhandled-error hook is process-wide and tests run in parallel, so it
/// is never replaced afterwards: each test counts only the reports of its
/// own panic message.
pub fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        crochet::set_unhandled_error_hook(|err| {
            // Counted by panic message, so that a test that causes thousands
            // of reports can count its own in constant time.
            let key = match err {
                Error::Panicked(failure) => failure.message().to_owned(),
                other => other.to_string(),
            };
            let mut reports = REPORTS.lock().unwrap_or_else(PoisonError::into_inner);
            *reports.entry(key).or_insert(0) += 1;
        });
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied());
            if !message.is_some_and(|message| message.starts_with(EXPECTED)) {
                default(info);
            }
        }));
    });
}

/// A panic message unique to this runtime and test, for counting reports.
pub fn panic_message<R: Runtime>(test: &str) -> String {
    format!("{EXPECTED}{}::{test}", R::NAME)
}

/// Panics with `message` as a `String` payload; usable as a value of any
/// type in work that fails.
pub fn fail<T>(message: String) -> T {
    std::panic::panic_any(message)
}

/// How many unhandled failures with exactly this panic message were reported.
pub fn reports(message: &str) -> usize {
    REPORTS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(message)
        .copied()
        .unwrap_or(0)
}

/// Asserts that `outcome` is the panic `message`, submitted from the suite.
#[track_caller]
pub fn assert_panicked<T: std::fmt::Debug>(outcome: Result<T, Error>, message: &str) {
    match outcome {
        Err(Error::Panicked(failure)) => {
            assert_eq!(failure.message(), message);
            assert!(
                failure.location().file().contains("matrix"),
                "the failure names where the work was submitted, not {}",
                failure.location()
            );
        }
        other => panic!("expected the panic {message:?}, got {other:?}"),
    }
}

/// Polls `done` until it holds; fails the test if that takes longer than
/// [`LONG`]. For conditions no channel can announce, such as "the result
/// has arrived" without taking it.
#[track_caller]
pub fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + LONG;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {LONG:?}");
        thread::sleep(Duration::from_millis(1));
    }
}

/// A future that finishes with the value sent on the returned sender. It
/// stays pending forever if the sender is dropped unused.
pub fn gate<T: Send + 'static>() -> (oneshot::Sender<T>, impl Future<Output = T> + Send + 'static) {
    let (open, opened) = oneshot::channel();
    let gated = async move {
        match opened.await {
            Ok(value) => value,
            Err(oneshot::Canceled) => std::future::pending().await,
        }
    };
    (open, gated)
}

/// Sends `value` through `open` from another thread, a little later, so
/// that it most likely arrives while the test is blocked in a wait. The
/// tests hold either way; the delay only makes the interesting order likely.
pub fn send_soon<T: Send + 'static>(open: oneshot::Sender<T>, value: T) -> JoinHandle<()> {
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        let _ = open.send(value);
    })
}

/// What a [`Probe`] saw when it was dropped.
#[derive(Debug)]
pub struct Dropped {
    /// The thread that dropped it.
    pub thread: ThreadId,
    /// Whether that thread was running the runtime under test.
    pub in_runtime: bool,
}

/// Reports its drop: moved into work, it tells when and where the work was
/// dropped (or, in a closure, dropped unrun).
pub struct Probe {
    dropped: mpsc::Sender<Dropped>,
    in_runtime: fn() -> bool,
}

impl Drop for Probe {
    fn drop(&mut self) {
        let _ = self.dropped.send(Dropped {
            thread: thread::current().id(),
            in_runtime: (self.in_runtime)(),
        });
    }
}

/// The receiving end of a [`Probe`].
pub struct ProbeReport(mpsc::Receiver<Dropped>);

impl ProbeReport {
    /// Waits for the probe's drop; fails the test after [`LONG`].
    #[track_caller]
    pub fn dropped(&self) -> Dropped {
        match self.0.recv_timeout(LONG) {
            Ok(dropped) => dropped,
            Err(RecvTimeoutError::Timeout) => panic!("the probe was not dropped within {LONG:?}"),
            Err(RecvTimeoutError::Disconnected) => unreachable!("a probe reports before it goes"),
        }
    }

    /// Whether the probe is still alive.
    pub fn alive(&self) -> bool {
        matches!(self.0.try_recv(), Err(TryRecvError::Empty))
    }
}

/// A probe for work of runtime `R`.
pub fn probe<R: Runtime>() -> (Probe, ProbeReport) {
    let (dropped, report) = mpsc::channel();
    let probe = Probe {
        dropped,
        in_runtime: R::in_runtime,
    };
    (probe, ProbeReport(report))
}

/// Asserts that the work was dropped by the runtime, not by the test thread
/// that cancelled it.
#[track_caller]
pub fn assert_dropped_in_runtime(dropped: &Dropped) {
    assert_ne!(
        dropped.thread,
        thread::current().id(),
        "the work was dropped by the cancelling thread"
    );
    assert!(dropped.in_runtime, "the work was dropped off the runtime");
}

/// Every reactor thread of a loop, blocked until this is dropped.
pub struct Held {
    _release: Vec<mpsc::Sender<()>>,
}

/// Blocks every reactor thread of `event_loop` with work that waits for the
/// returned [`Held`] to be dropped, so that work submitted meanwhile cannot
/// start.
pub fn hold_reactor<R: Runtime>(event_loop: &EventLoop) -> Held {
    let threads = R::REACTOR_THREADS;
    let (arrived, arrivals) = mpsc::channel();
    let mut release = Vec::new();
    for _ in 0..threads {
        let (releaser, released) = mpsc::channel::<()>();
        let arrived = arrived.clone();
        drop(event_loop.call_in_reactor(move || {
            let _ = arrived.send(());
            // Bounded, so that a failing test cannot leave a runtime stuck.
            let _ = released.recv_timeout(Duration::from_secs(20));
        }));
        release.push(releaser);
    }
    for _ in 0..threads {
        arrivals
            .recv_timeout(LONG)
            .expect("a reactor thread did not pick up the blocking work");
    }
    Held { _release: release }
}

/// The prefix of every panic the suite causes on purpose; the panic hook
/// keeps them off stderr.
pub const EXPECTED: &str = "expected panic: ";

/// How often each failure was reported to the unhandled-error hook: by panic
/// message for panics, as displayed for anything else.
static REPORTS: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());
