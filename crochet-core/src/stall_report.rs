//! The report of stalls, and its hooks: the application's hook, then the
//! default an integration (the facade's `tracing` or `log` feature) may
//! install, then one line on stderr.

use std::io::Write;
use std::sync::{Arc, PoisonError, RwLock};

use crate::error::catch_panic;
use crate::stall::Stall;

type Hook = Arc<dyn Fn(&Stall) + Send + Sync>;

static HOOK: RwLock<Option<Hook>> = RwLock::new(None);
static DEFAULT: RwLock<Option<fn(&Stall)>> = RwLock::new(None);

/// Replaces the function that reports a [`Stall`]: one poll of one piece of
/// work that kept a reactor thread longer than its loop's stall threshold.
///
/// Each such poll is reported once, by whoever notices it first: the end of
/// the poll, a wait that timed out meanwhile, or the process's watchdog
/// thread (which notices a poll that never returns). The hook runs on that
/// thread, outside crochet's locks; if it panics, the panic is caught and
/// the default report is made instead. The default is one line on stderr
/// (write errors ignored), or what an integration installed with
/// [`set_default_stall_report`].
///
/// # Examples
///
/// See [`Stall`].
pub fn set_stall_hook(hook: impl Fn(&Stall) + Send + Sync + 'static) {
    replace_hook(Some(Arc::new(hook)));
}

/// Restores the default stall report.
///
/// # Examples
///
/// ```
/// crochet_core::set_stall_hook(|_| {});
/// crochet_core::reset_stall_hook();
/// ```
pub fn reset_stall_hook() {
    replace_hook(None);
}

/// Sets the default stall report, the one used when no hook is set with
/// [`set_stall_hook`]; for integrations with a logging system, such as the
/// facade's `tracing` and `log` features. `None` restores the line on
/// stderr.
///
/// # Examples
///
/// ```
/// fn to_stdout(stall: &crochet_core::Stall) {
///     println!("{stall}");
/// }
/// crochet_core::set_default_stall_report(Some(to_stdout));
/// crochet_core::set_default_stall_report(None);
/// ```
pub fn set_default_stall_report(report: Option<fn(&Stall)>) {
    *DEFAULT.write().unwrap_or_else(PoisonError::into_inner) = report;
}

fn replace_hook(hook: Option<Hook>) {
    let old = std::mem::replace(
        &mut *HOOK.write().unwrap_or_else(PoisonError::into_inner),
        hook,
    );
    // Dropped after the lock is released, so that its `Drop` may use crochet.
    drop(catch_panic(move || drop(old)));
}

/// Reports `stall`. Never panics.
pub(crate) fn report(stall: &Stall) {
    let hook = HOOK.read().unwrap_or_else(PoisonError::into_inner).clone();
    if hook.is_some_and(|hook| catch_panic(move || hook(stall)).is_ok()) {
        return;
    }
    let default = *DEFAULT.read().unwrap_or_else(PoisonError::into_inner);
    if default.is_some_and(|default| catch_panic(|| default(stall)).is_ok()) {
        return;
    }
    let _ = writeln!(std::io::stderr(), "crochet: {stall}");
}
