//! The report of failures nobody looked at.

use std::io::Write;
use std::sync::{Arc, PoisonError, RwLock};

use crate::error::{catch_panic, Error};

type Hook = Arc<dyn Fn(&Error) + Send + Sync>;

static HOOK: RwLock<Option<Hook>> = RwLock::new(None);
static DEFAULT: RwLock<Option<fn(&Error)>> = RwLock::new(None);

/// Replaces the function that reports failures nobody retrieved.
///
/// A failure is reported once when work panics and nobody sees the panic:
/// its [`EventualResult`](crate::EventualResult) is dropped without a wait
/// that returned it (including after a wait that timed out), the panic
/// arrives after the handle was dropped, or it sits unretrieved in the stash
/// when its loop shuts down. Cancellation and `ReactorStopped` are not
/// reported: they are what the program asked for.
///
/// The default hook writes one line to stderr, ignoring write errors (a
/// closed stderr loses the line, nothing else), unless an integration
/// replaced that default with [`set_default_unhandled_error_report`] (the
/// facade's `tracing` and `log` features do); a hook set here wins over
/// either. The hook runs on whichever
/// thread noticed the failure, outside crochet's locks; if it panics, the
/// panic is caught and the default line is written instead.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// crochet_core::set_unhandled_error_hook(move |err| sink.lock().unwrap().push(err.to_string()));
///
/// let reactor = crochet_core::start();
/// drop(reactor.call_in_reactor(|| -> () { panic!("nobody waits for me") }));
/// // The built-in reactor runs work in order: once this is done, so is the panic.
/// reactor.wait_for(Duration::from_secs(5), || async {}).unwrap();
/// assert!(seen.lock().unwrap().iter().any(|line| line.contains("nobody waits for me")));
/// crochet_core::reset_unhandled_error_hook();
/// ```
pub fn set_unhandled_error_hook(hook: impl Fn(&Error) + Send + Sync + 'static) {
    replace_hook(Some(Arc::new(hook)));
}

/// Restores the default hook, which writes one line to stderr.
///
/// # Examples
///
/// ```
/// crochet_core::set_unhandled_error_hook(|_| {});
/// crochet_core::reset_unhandled_error_hook();
/// ```
pub fn reset_unhandled_error_hook() {
    replace_hook(None);
}

/// Sets the default report of unhandled failures, the one used when no
/// hook is set with [`set_unhandled_error_hook`]; for integrations with a
/// logging system, such as the facade's `tracing` and `log` features.
/// `None` restores the line on stderr.
///
/// # Examples
///
/// ```
/// fn to_stdout(err: &crochet_core::Error) {
///     println!("unhandled: {err}");
/// }
/// crochet_core::set_default_unhandled_error_report(Some(to_stdout));
/// crochet_core::set_default_unhandled_error_report(None);
/// ```
pub fn set_default_unhandled_error_report(report: Option<fn(&Error)>) {
    *DEFAULT.write().unwrap_or_else(PoisonError::into_inner) = report;
}

/// Installs `hook`; the old one is dropped after the lock is released, so
/// that its `Drop` may use crochet.
fn replace_hook(hook: Option<Hook>) {
    let old = std::mem::replace(
        &mut *HOOK.write().unwrap_or_else(PoisonError::into_inner),
        hook,
    );
    drop(catch_panic(move || drop(old)));
}

/// Reports `err` through the hook. Never panics: a panic of the hook (or
/// of dropping it) is caught, and the default line ignores write errors.
pub(crate) fn report(err: &Error) {
    let hook = HOOK.read().unwrap_or_else(PoisonError::into_inner).clone();
    let handled = hook.is_some_and(|hook| catch_panic(move || hook(err)).is_ok()) || {
        // Copied out, so that the report runs outside the lock.
        let default = *DEFAULT.read().unwrap_or_else(PoisonError::into_inner);
        default.is_some_and(|default| catch_panic(|| default(err)).is_ok())
    };
    if !handled {
        let _ = writeln!(
            std::io::stderr(),
            "crochet: unhandled error in EventualResult: {err}"
        );
    }
}
