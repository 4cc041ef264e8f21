//! The context hook: something the application's context system captures
//! when work is submitted (a `tracing` span, a request id), entered on the
//! reactor around every poll and the drop of that work.
//!
//! Unset, it costs one relaxed load per submit, and nothing per poll: the
//! work's future is wrapped only when something was captured.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::task::{Context, Poll};

use crate::error::catch_panic;

/// A context captured when work was submitted, entered on the reactor
/// around every poll and the drop of that work.
///
/// Made by the hook set with [`set_context_hook`]. The facade's `tracing`
/// feature implements it for the current span; any other context system
/// can implement it the same way.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::time::Duration;
///
/// thread_local!(static REQUEST: Cell<u32> = const { Cell::new(0) });
///
/// // The request id of the submitting thread follows the work.
/// struct RequestId(u32);
///
/// impl crochet_core::WorkContext for RequestId {
///     fn in_scope(&self, run: &mut dyn FnMut()) {
///         let outer = REQUEST.with(|id| id.replace(self.0));
///         run();
///         REQUEST.with(|id| id.set(outer));
///     }
/// }
///
/// crochet_core::set_context_hook(|| {
///     let id = REQUEST.with(Cell::get);
///     (id != 0).then(|| Box::new(RequestId(id)) as Box<dyn crochet_core::WorkContext>)
/// });
/// REQUEST.with(|id| id.set(7));
/// let reactor = crochet_core::start();
/// let seen = reactor.wait_for(Duration::from_secs(5), || async { REQUEST.with(Cell::get) });
/// assert_eq!(seen, Ok(7));
/// crochet_core::reset_context_hook();
/// ```
pub trait WorkContext: Send + 'static {
    /// Runs `run` once, with this context entered on the calling thread,
    /// and leaves it afterwards (also when `run` panics, if the context
    /// system can; crochet catches the panic outside).
    fn in_scope(&self, run: &mut dyn FnMut());
}

type Capture = Arc<dyn Fn() -> Option<Box<dyn WorkContext>> + Send + Sync>;

/// Whether a hook is set: the only thing a submit reads when none is.
// ORDERING: Relaxed: the hook itself is read under `HOOK`'s lock; a submit
// that races with setting the hook may miss it, as if it came first.
static SET: AtomicBool = AtomicBool::new(false);
static HOOK: RwLock<Option<Capture>> = RwLock::new(None);

/// Sets the hook that captures the submitting thread's context: it runs on
/// the caller's thread at each submit (`run_in_reactor`, `call_in_reactor`,
/// `wait_for`, and the macros), and what it returns is entered around every
/// poll and the drop of that work on the reactor. `None` means no context:
/// the work runs as it would without a hook.
///
/// Process-wide, like the other hooks. The hook runs outside crochet's
/// locks; a panic of the hook is caught and the work runs without context.
///
/// # Examples
///
/// See [`WorkContext`].
pub fn set_context_hook(
    capture: impl Fn() -> Option<Box<dyn WorkContext>> + Send + Sync + 'static,
) {
    replace(Some(Arc::new(capture)));
}

/// Removes the context hook: work runs in no captured context.
///
/// # Examples
///
/// ```
/// crochet_core::set_context_hook(|| None);
/// crochet_core::reset_context_hook();
/// ```
pub fn reset_context_hook() {
    replace(None);
}

fn replace(capture: Option<Capture>) {
    let mut hook = HOOK.write().unwrap_or_else(PoisonError::into_inner);
    SET.store(capture.is_some(), Ordering::Relaxed);
    let old = std::mem::replace(&mut *hook, capture);
    drop(hook);
    // Dropped after the lock is released, so that its `Drop` may use crochet.
    drop(catch_panic(move || drop(old)));
}

/// The work's future, wrapped to run in the context the hook captures now
/// (on the submitting thread), or unchanged if there is none.
pub(crate) fn wrap(
    future: Pin<Box<dyn Future<Output = ()> + Send>>,
) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    if !SET.load(Ordering::Relaxed) {
        return future;
    }
    let capture = HOOK.read().unwrap_or_else(PoisonError::into_inner).clone();
    match capture.map(|capture| catch_panic(move || capture())) {
        Some(Ok(Some(context))) => Box::pin(InContext {
            context,
            future: Some(future),
        }),
        _ => future,
    }
}

/// A future polled, and dropped, inside its context.
struct InContext {
    context: Box<dyn WorkContext>,
    /// Taken only by `drop`, to drop it inside the context.
    future: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl Future for InContext {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let future = &mut this.future;
        let mut poll = Poll::Pending;
        this.context.in_scope(&mut || {
            if let Some(future) = future.as_mut() {
                poll = future.as_mut().poll(cx);
            }
        });
        poll
    }
}

impl Drop for InContext {
    fn drop(&mut self) {
        let mut future = self.future.take();
        self.context.in_scope(&mut || drop(future.take()));
        // A context that did not run the closure: dropped out of it.
        drop(future);
    }
}
