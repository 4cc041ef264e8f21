//! What the layers below the slot know of one: a piece of work that can be
//! failed from outside (by shutdown, by a panic the task caught), whatever
//! the type of its value, and a way to drop the last reference to it where
//! a panic must not escape.

use std::panic::Location;
use std::sync::Arc;

use crate::error::{catch_panic, Error, Failure};
use crate::monitor::Monitor;
use crate::unhandled;

/// Who moves the outcome out of `Pending`: the task, or someone else.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum By {
    Task,
    Outsider,
}

/// Drops a reference to a slot where a panic must not escape (the reactor
/// thread, `shutdown`): if it was the last one, the value the slot still
/// holds is dropped, and a panic of its `Drop` is reported as unhandled.
pub(crate) fn release(slot: Arc<dyn Settle>) {
    let location = slot.location();
    if let Err(message) = catch_panic(move || drop(slot)) {
        unhandled::report(&Error::Panicked(Failure::new(message, location)));
    }
}

/// A slot of any type, as the registry and the task's panic guard see it.
pub(crate) trait Settle: Send + Sync {
    /// Fails the work with `err` if it has no outcome yet; says whether it did.
    fn fail(&self, err: Error, by: By) -> bool;
    /// The location the work was submitted from.
    fn location(&self) -> &'static Location<'static>;
    /// The monitor of the loop the work runs on.
    fn monitor(&self) -> &Monitor;
}
