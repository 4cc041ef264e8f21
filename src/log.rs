//! Crochet with `log` (feature `log`): crochet's reports are log records.

use crochet_core::{Error, Stall};

/// Makes crochet's reports `log` records, for the whole process; call it
/// once at startup, where the logger is installed.
///
/// - Failures nobody looked at are `error` records (target `crochet`, with
///   the key-values `failure` and `submitted_at`) instead of a line on
///   stderr; a hook set with [`set_unhandled_error_hook`](crate::set_unhandled_error_hook)
///   still wins.
/// - Stalls are `warn` records (target `crochet`, key-values
///   `submitted_at`, `blocked_ms` and `still_running`); a hook set with
///   [`set_stall_hook`](crate::set_stall_hook) still wins.
///
/// # Examples
///
/// ```
/// crochet::log::install();
/// // From now on, with a logger such as env_logger installed, a panic
/// // nobody waited for becomes a record of target `crochet`.
/// ```
pub fn install() {
    crochet_core::set_default_unhandled_error_report(Some(report_unhandled));
    crochet_core::set_default_stall_report(Some(report_stall));
}

fn report_unhandled(err: &Error) {
    match err {
        Error::Panicked(failure) => {
            let submitted_at = failure.location().to_string();
            ::log::error!(
                target: "crochet",
                failure = failure.message(),
                submitted_at = submitted_at.as_str();
                "unhandled error in EventualResult: {err}"
            );
        }
        other => {
            let failure = other.to_string();
            ::log::error!(
                target: "crochet",
                failure = failure.as_str();
                "unhandled error in EventualResult: {other}"
            );
        }
    }
}

fn report_stall(stall: &Stall) {
    let submitted_at = stall.location().to_string();
    ::log::warn!(
        target: "crochet",
        submitted_at = submitted_at.as_str(),
        blocked_ms = u64::try_from(stall.blocked_for().as_millis()).unwrap_or(u64::MAX),
        still_running = !stall.finished();
        "{stall}"
    );
}
