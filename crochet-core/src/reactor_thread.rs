//! `ReactorThread`: a dedicated thread that runs a reactor until asked to
//! stop, and the signal that asks it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

use crate::cancel::{CancellationToken, WaitForCancellation};
use crate::id::LoopId;
use crate::thread_mark;

/// A dedicated, named thread that runs a reactor until asked to stop.
///
/// Adapters that start their runtime themselves (`setup()` and `start()`)
/// run it here: the thread is marked as the loop's, and
/// [`stop`](Self::stop) fires the stop signal handed to `run` and waits, up
/// to a timeout, for the thread to finish.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use crochet_core::reactor::{self, ReactorThread};
///
/// let reactor = crochet_core::start();
/// let thread = ReactorThread::spawn("my-reactor", reactor.id(), move |stop| {
///     assert!(reactor.is_reactor_thread());
///     reactor::block_on(stop);
/// })
/// .unwrap();
/// assert_eq!(thread.thread().name(), Some("my-reactor"));
/// assert!(thread.stop(Duration::from_secs(5)));
/// ```
#[derive(Debug)]
pub struct ReactorThread {
    stop: CancellationToken,
    thread: Thread,
    finished: Arc<Finished>,
    handle: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Debug, Default)]
struct Finished {
    done: Mutex<bool>,
    signal: Condvar,
}

/// Sets `Finished` when the thread ends, even by a panic.
struct FinishOnDrop(Arc<Finished>);

impl Drop for FinishOnDrop {
    fn drop(&mut self) {
        *self.0.done.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.0.signal.notify_all();
    }
}

impl ReactorThread {
    /// Spawns the thread `name`, marked as a thread of loop `id`, running
    /// `run(stop)`; `run` should return soon after `stop` completes.
    ///
    /// # Errors
    ///
    /// The operating system's error if it cannot create the thread.
    ///
    /// # Examples
    ///
    /// See [`ReactorThread`].
    pub fn spawn(
        name: impl Into<String>,
        id: LoopId,
        run: impl FnOnce(StopSignal) + Send + 'static,
    ) -> std::io::Result<ReactorThread> {
        let stop = CancellationToken::new();
        let finished = Arc::new(Finished::default());
        let signal = StopSignal(stop.cancelled());
        let on_exit = FinishOnDrop(finished.clone());
        let handle = thread::Builder::new().name(name.into()).spawn(move || {
            let _on_exit = on_exit;
            thread_mark::enter_thread(id);
            run(signal);
        })?;
        Ok(ReactorThread {
            stop,
            thread: handle.thread().clone(),
            finished,
            handle: Mutex::new(Some(handle)),
        })
    }

    /// The thread, for example to unpark it.
    ///
    /// # Examples
    ///
    /// See [`ReactorThread`].
    pub fn thread(&self) -> &Thread {
        &self.thread
    }

    /// Fires the stop signal and waits up to `timeout` for the thread to
    /// finish; returns whether it did. Called on the thread itself, it
    /// cannot wait and returns `false`. Idempotent.
    ///
    /// # Examples
    ///
    /// See [`ReactorThread`].
    pub fn stop(&self, timeout: Duration) -> bool {
        self.stop.cancel();
        if thread::current().id() == self.thread.id() {
            return false;
        }
        let deadline = Instant::now().checked_add(timeout);
        let mut done = self
            .finished
            .done
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while !*done {
            let left = match deadline {
                None => Duration::from_secs(3600),
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left,
                    _ => return false,
                },
            };
            done = self
                .finished
                .signal
                .wait_timeout(done, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        drop(done);
        let handle = self
            .handle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            // The thread has finished, so this returns at once; a panic of
            // the runtime itself was already printed by the thread, and its
            // payload is dropped without letting its `Drop` panic out.
            if let Err(payload) = handle.join() {
                drop(crate::error::panic_message(payload));
            }
        }
        true
    }
}

/// The stop signal of a [`ReactorThread`]: a future that completes once
/// [`ReactorThread::stop`] is called. The thread's run function drives its
/// runtime until then.
///
/// # Examples
///
/// See [`ReactorThread`].
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct StopSignal(WaitForCancellation);

impl Future for StopSignal {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}
