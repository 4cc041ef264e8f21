//! The process-wide stash: results parked under an id, to be retrieved once.

use std::any::{type_name, Any};
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use crate::error::Error;
use crate::eventual::EventualResult;
use crate::reactor::LoopId;
use crate::unhandled;

/// The id of a stashed result.
///
/// Opaque and `Copy`; its text form (32 hexadecimal digits) goes into
/// cookies and URLs and parses back with [`FromStr`]. Ids are 128-bit keyed
/// hashes, not counters, so one id tells nothing about another.
///
/// # Examples
///
/// ```
/// use crochet_core::StashId;
///
/// let id = crochet_core::setup().run_in_reactor(|| async { 1 }).stash();
/// let text = id.to_string();
/// assert_eq!(text.len(), 32);
/// assert_eq!(text.parse::<StashId>(), Ok(id));
/// assert!("not an id".parse::<StashId>().is_err());
/// # crochet_core::retrieve_result::<i32>(id).unwrap();
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StashId(u128);

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

impl FromStr for StashId {
    type Err = Error;

    /// # Errors
    ///
    /// [`Error::InvalidStashId`] unless `text` is exactly 32 hexadecimal digits.
    fn from_str(text: &str) -> Result<StashId, Error> {
        if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::InvalidStashId);
        }
        u128::from_str_radix(text, 16)
            .map(StashId)
            .map_err(|_| Error::InvalidStashId)
    }
}

/// Takes the result stashed under `id` out of the stash.
///
/// # Errors
///
/// - [`Error::UnknownStashId`] if nothing is stashed under `id` (never was,
///   or already retrieved);
/// - [`Error::StashTypeMismatch`] if the result stashed under `id` is not an
///   `EventualResult<T>`; it stays stashed for a retrieval with the right type.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let id = crochet_core::setup().run_in_reactor(|| async { 'x' }).stash();
/// assert!(matches!(
///     crochet_core::retrieve_result::<u64>(id),
///     Err(crochet_core::Error::StashTypeMismatch { .. })
/// ));
/// let result = crochet_core::retrieve_result::<char>(id).unwrap();
/// assert_eq!(result.wait(Duration::from_secs(5)), Ok('x'));
/// assert_eq!(
///     crochet_core::retrieve_result::<char>(id).unwrap_err(),
///     crochet_core::Error::UnknownStashId(id)
/// );
/// ```
pub fn retrieve_result<T: Send + 'static>(id: StashId) -> Result<EventualResult<T>, Error> {
    let mut entries = lock();
    let entry = entries.get(&id.0).ok_or(Error::UnknownStashId(id))?;
    if !entry.result.is::<EventualResult<T>>() {
        return Err(Error::StashTypeMismatch {
            id,
            expected: type_name::<T>(),
            found: entry.type_name,
        });
    }
    let entry = entries
        .remove(&id.0)
        .expect("stash entry vanished while the stash was locked");
    drop(entries);
    Ok(*entry
        .result
        .downcast::<EventualResult<T>>()
        .expect("stash entry changed type while the stash was locked"))
}

struct Entry {
    result: Box<dyn Any + Send>,
    type_name: &'static str,
    loop_id: LoopId,
    /// Takes the unseen panic of `result`, which is an `EventualResult` of
    /// the type this function was made for.
    take_unobserved: fn(&(dyn Any + Send)) -> Option<Error>,
}

/// Parks `result` under a fresh id.
pub(crate) fn stash<T: Send + 'static>(result: EventualResult<T>) -> StashId {
    let entry = Entry {
        loop_id: result.loop_id(),
        result: Box::new(result),
        type_name: type_name::<T>(),
        take_unobserved: take_unobserved::<T>,
    };
    let mut entries = lock();
    loop {
        let id = fresh_id();
        if let std::collections::hash_map::Entry::Vacant(slot) = entries.entry(id) {
            slot.insert(entry);
            return StashId(id);
        }
    }
}

/// Reports the unseen panics of loop `loop_id`'s stashed results, once each.
/// They stay stashed.
pub(crate) fn report_unhandled(loop_id: LoopId) {
    let unseen: Vec<Error> = lock()
        .values()
        .filter(|entry| entry.loop_id == loop_id)
        .filter_map(|entry| (entry.take_unobserved)(&*entry.result))
        .collect();
    for err in &unseen {
        unhandled::report(err);
    }
}

fn take_unobserved<T: 'static>(result: &(dyn Any + Send)) -> Option<Error> {
    result
        .downcast_ref::<EventualResult<T>>()
        .and_then(EventualResult::take_unobserved)
}

fn lock() -> MutexGuard<'static, HashMap<u128, Entry>> {
    static STASH: OnceLock<Mutex<HashMap<u128, Entry>>> = OnceLock::new();
    STASH
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// A 128-bit id that cannot be guessed from other ids: a counter hashed
/// twice with SipHash under a random key drawn once per process.
fn fresh_id() -> u128 {
    static KEY: OnceLock<RandomState> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let key = KEY.get_or_init(RandomState::new);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let half = |lane: u8| {
        let mut hasher = key.build_hasher();
        hasher.write_u8(lane);
        hasher.write_u64(n);
        hasher.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}
