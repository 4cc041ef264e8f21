//! One blocking sleep of a waiter until its deadline: what a result's wait
//! and a stream's read share.

use std::sync::PoisonError;
use std::time::Instant;

use crate::error::Error;
use crate::sync::{Condvar, MutexGuard};

/// Sleeps once on `condvar`, releasing `guard` meanwhile and counting the
/// sleeper in the count `sleepers` picks (whoever changes the state
/// notifies only when someone sleeps). Returns the guard after a wake-up,
/// which may be spurious, so the caller checks its state again; or the
/// error to return instead of sleeping: [`Error::Timeout`] once `deadline`
/// (`None`: none) has passed, [`Error::StartedBeforeFork`] when `forked`
/// says this is a process forked after the loop started, where nothing
/// would ever wake the sleep.
pub(crate) fn sleep_once<'a, S>(
    condvar: &Condvar,
    mut guard: MutexGuard<'a, S>,
    sleepers: fn(&mut S) -> &mut usize,
    deadline: Option<Instant>,
    forked: impl FnOnce() -> bool,
) -> Result<MutexGuard<'a, S>, Error> {
    let left = match deadline {
        None => None,
        Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Some(left),
            _ => return Err(Error::Timeout),
        },
    };
    if forked() {
        return Err(Error::StartedBeforeFork);
    }
    *sleepers(&mut guard) += 1;
    guard = match left {
        None => condvar.wait(guard).unwrap_or_else(PoisonError::into_inner),
        Some(left) => {
            condvar
                .wait_timeout(guard, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0
        }
    };
    *sleepers(&mut guard) -= 1;
    Ok(guard)
}
