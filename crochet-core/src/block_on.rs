//! `block_on`: a minimal executor for a reactor thread's main future.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread::{self, Thread};

/// Runs a future to completion on the calling thread, parking between polls.
///
/// A minimal executor for a reactor thread's main future or for tests; it is
/// not meant for application code, which should use crochet's blocking
/// waits.
///
/// # Examples
///
/// ```
/// assert_eq!(crochet_core::reactor::block_on(async { 1 + 1 }), 2);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let signal = Arc::new(Signal {
        woken: AtomicBool::new(false),
        thread: thread::current(),
    });
    let waker = std::task::Waker::from(signal.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // The future may itself park this thread and be unparked (a std
        // channel, a lock, another `block_on`), which uses up the thread's
        // park token: only the flag says whether the waker was called.
        while !signal.woken.swap(false, Ordering::Acquire) {
            thread::park();
        }
    }
}

/// The waker of [`block_on`]: a flag, then an unpark of its thread.
struct Signal {
    // ORDERING: set with Release by `wake` and swapped with Acquire by
    // `block_on`, so the poll that follows sees what the waker's caller did
    // before waking.
    woken: AtomicBool,
    thread: Thread,
}

impl std::task::Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}
