//! Crochet with `tracing` (feature `tracing`): work runs in the span it was
//! submitted in, and crochet's reports are events.

use crochet_core::{Error, Stall, WorkContext};

/// Plugs `tracing` into crochet, for the whole process; call it once at
/// startup, where the subscriber is installed.
///
/// - Work submitted while a span is entered (`run_in_reactor`,
///   `call_in_reactor`, `wait_for`, the macros) runs inside that span on the
///   reactor: every poll and the drop of the work enter it, so the work's
///   events carry the request's fields. Work submitted outside any span
///   runs in none.
/// - Failures nobody looked at are reported as `error` events (target
///   `crochet`, fields `failure` and `submitted_at`) instead of a line on
///   stderr; a hook set with [`set_unhandled_error_hook`](crate::set_unhandled_error_hook)
///   still wins.
/// - Stalls are reported as `warn` events (target `crochet`, fields
///   `submitted_at`, `blocked_ms` and `still_running`); a hook set with
///   [`set_stall_hook`](crate::set_stall_hook) still wins.
///
/// It sets the process's context hook ([`set_context_hook`](crate::set_context_hook)),
/// replacing any other.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// crochet::tracing::install();
/// let reactor = crochet::setup();
/// let span = tracing::info_span!("request", id = 42);
/// let _entered = span.enter();
/// // Runs in the span `request`: its events carry `id = 42`.
/// let inside = reactor.wait_for(Duration::from_secs(5), || async {
///     tracing::info!("on the reactor");
///     tracing::Span::current().metadata().map(|span| span.name())
/// });
/// # // Without a subscriber spans are disabled, and none is current.
/// # let _ = inside;
/// ```
pub fn install() {
    crochet_core::set_context_hook(|| {
        let span = ::tracing::Span::current();
        if span.is_none() {
            None
        } else {
            Some(Box::new(InSpan(span)) as Box<dyn WorkContext>)
        }
    });
    crochet_core::set_default_unhandled_error_report(Some(report_unhandled));
    crochet_core::set_default_stall_report(Some(report_stall));
}

/// The span the work was submitted in.
struct InSpan(::tracing::Span);

impl WorkContext for InSpan {
    fn in_scope(&self, run: &mut dyn FnMut()) {
        self.0.in_scope(run);
    }
}

fn report_unhandled(err: &Error) {
    match err {
        Error::Panicked(failure) => ::tracing::error!(
            target: "crochet",
            failure = failure.message(),
            submitted_at = %failure.location(),
            "unhandled error in EventualResult: {err}"
        ),
        other => ::tracing::error!(
            target: "crochet",
            failure = %other,
            "unhandled error in EventualResult: {other}"
        ),
    }
}

fn report_stall(stall: &Stall) {
    ::tracing::warn!(
        target: "crochet",
        submitted_at = %stall.location(),
        blocked_ms = u64::try_from(stall.blocked_for().as_millis()).unwrap_or(u64::MAX),
        still_running = !stall.finished(),
        "{stall}"
    );
}
