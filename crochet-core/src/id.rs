//! The ids at the bottom of the crate: the identity of a loop and that of
//! a stashed result. Plain values; what they mean is decided above.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// The identity of one event loop: what [`EventLoop::id`](crate::EventLoop::id)
/// returns. Opaque; two loops never share one.
///
/// # Examples
///
/// ```
/// let first = crochet_core::start();
/// let second = crochet_core::start();
/// assert_ne!(first.id(), second.id());
/// assert_eq!(first.id(), first.clone().id());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct LoopId(u64);

impl LoopId {
    /// A fresh id, different from every other. Only the core makes ids, one
    /// per loop, and hands it to the reactor it builds the loop around.
    pub(crate) fn new() -> LoopId {
        // ORDERING: Relaxed: only uniqueness matters, which `fetch_add` gives.
        static NEXT: AtomicU64 = AtomicU64::new(1);
        LoopId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// The id of a stashed result.
///
/// Opaque and `Copy`; its text form (32 hexadecimal digits) goes into
/// cookies and URLs and parses back with
/// [`FromStr`](std::str::FromStr). Ids are 128-bit keyed
/// hashes, not counters, so one id tells nothing about another.
///
/// # Examples
///
/// ```
/// use crochet_core::StashId;
///
/// let id = crochet_core::setup().run_in_reactor(|| async { 1 }).stash().unwrap();
/// let text = id.to_string();
/// assert_eq!(text.len(), 32);
/// assert_eq!(text.parse::<StashId>(), Ok(id));
/// assert!("not an id".parse::<StashId>().is_err());
/// # crochet_core::retrieve_result::<i32>(id).unwrap();
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StashId(pub(crate) u128);

impl fmt::Display for StashId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Debug for StashId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StashId({self})")
    }
}
