//! The process-wide stash: results parked under an id, to be retrieved once.

use std::any::{type_name, Any};
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

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
/// let id = crochet_core::setup().run_in_reactor(|| async { 1 }).stash().unwrap();
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
///   already retrieved, or dropped after its time to live);
/// - [`Error::StashTypeMismatch`] if the result stashed under `id` is not an
///   `EventualResult<T>`; it stays stashed for a retrieval with the right type.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let id = crochet_core::setup().run_in_reactor(|| async { 'x' }).stash().unwrap();
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
    let mut stash = lock();
    let expired = stash.expire();
    let result = stash.take::<T>(id);
    drop(stash);
    drop(expired);
    result
}

/// Sets how many results the stash holds at most; a full stash refuses
/// [`stash`](EventualResult::stash) with [`StashFull`]. The default is
/// 65,536. Lowering it below the current count drops nothing.
///
/// # Examples
///
/// ```
/// crochet_core::set_stash_capacity(1_000_000);
/// ```
pub fn set_stash_capacity(capacity: usize) {
    lock().capacity = capacity;
}

/// Sets how long a result may stay stashed unretrieved; older entries are
/// dropped (and an unseen panic among them reported as unhandled) the next
/// time the stash is used. The default, `Duration::MAX`, keeps them until
/// retrieved.
///
/// # Examples
///
/// ```
/// crochet_core::set_stash_time_to_live(std::time::Duration::from_secs(15 * 60));
/// # crochet_core::set_stash_time_to_live(std::time::Duration::MAX);
/// ```
pub fn set_stash_time_to_live(ttl: std::time::Duration) {
    lock().ttl = ttl;
}

/// The stash was full: the result comes back, unharmed.
///
/// Converts into [`Error::StashFull`] for `?`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// crochet_core::set_stash_capacity(0);
/// let refused = crochet_core::setup().run_in_reactor(|| async { 1 }).stash().unwrap_err();
/// assert_eq!(refused.capacity(), 0);
/// crochet_core::set_stash_capacity(65_536);
/// // Nothing is lost: the result is still there to wait on.
/// assert_eq!(refused.into_result().wait(Duration::from_secs(5)), Ok(1));
/// ```
pub struct StashFull<T> {
    result: EventualResult<T>,
    capacity: usize,
}

impl<T> StashFull<T> {
    /// The result that could not be stashed.
    ///
    /// # Examples
    ///
    /// See [`StashFull`].
    pub fn into_result(self) -> EventualResult<T> {
        self.result
    }

    /// The capacity the stash was full at.
    ///
    /// # Examples
    ///
    /// See [`StashFull`].
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

impl<T> fmt::Debug for StashFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StashFull")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Display for StashFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Error::StashFull {
            capacity: self.capacity,
        }
        .fmt(f)
    }
}

impl<T> std::error::Error for StashFull<T> {}

impl<T> From<StashFull<T>> for Error {
    fn from(full: StashFull<T>) -> Error {
        Error::StashFull {
            capacity: full.capacity,
        }
    }
}

/// Parks `result` under a fresh id, unless the stash is full.
pub(crate) fn stash<T: Send + 'static>(result: EventualResult<T>) -> Result<StashId, StashFull<T>> {
    let mut stash = lock();
    let expired = stash.expire();
    let outcome = stash.insert(result);
    drop(stash);
    drop(expired);
    outcome
}

/// Reports the unseen panics of loop `loop_id`'s stashed results, once each.
/// They stay stashed.
pub(crate) fn report_unhandled(loop_id: LoopId) {
    let unseen: Vec<Error> = lock()
        .entries
        .values()
        .filter(|entry| entry.loop_id == loop_id)
        .filter_map(|entry| (entry.take_unobserved)(&*entry.result))
        .collect();
    for err in &unseen {
        unhandled::report(err);
    }
}

struct Stash {
    entries: HashMap<u128, Entry>,
    /// Ids in the order they were stashed, for the time to live; may hold
    /// ids already retrieved, which are skipped (and compacted away).
    order: VecDeque<(Instant, u128)>,
    capacity: usize,
    ttl: Duration,
}

struct Entry {
    result: Box<dyn Any + Send>,
    type_name: &'static str,
    loop_id: LoopId,
    /// Takes the unseen panic of `result`, which is an `EventualResult` of
    /// the type this function was made for.
    take_unobserved: fn(&(dyn Any + Send)) -> Option<Error>,
}

impl Stash {
    fn insert<T: Send + 'static>(
        &mut self,
        result: EventualResult<T>,
    ) -> Result<StashId, StashFull<T>> {
        if self.entries.len() >= self.capacity {
            return Err(StashFull {
                result,
                capacity: self.capacity,
            });
        }
        let entry = Entry {
            loop_id: result.loop_id(),
            result: Box::new(result),
            type_name: type_name::<T>(),
            take_unobserved: take_unobserved::<T>,
        };
        let id = loop {
            let id = fresh_id();
            if !self.entries.contains_key(&id) {
                break id;
            }
        };
        self.entries.insert(id, entry);
        self.order.push_back((Instant::now(), id));
        if self.order.len() > 2 * self.entries.len() + 64 {
            let entries = &self.entries;
            self.order.retain(|(_, id)| entries.contains_key(id));
        }
        Ok(StashId(id))
    }

    fn take<T: Send + 'static>(&mut self, id: StashId) -> Result<EventualResult<T>, Error> {
        let entry = self.entries.get(&id.0).ok_or(Error::UnknownStashId(id))?;
        if !entry.result.is::<EventualResult<T>>() {
            return Err(Error::StashTypeMismatch {
                id,
                expected: type_name::<T>(),
                found: entry.type_name,
            });
        }
        let entry = self
            .entries
            .remove(&id.0)
            .expect("stash entry vanished while the stash was locked");
        Ok(*entry
            .result
            .downcast::<EventualResult<T>>()
            .expect("stash entry changed type while the stash was locked"))
    }

    /// Removes the entries older than the time to live; the caller drops
    /// them after unlocking, which reports their unseen panics.
    fn expire(&mut self) -> Vec<Entry> {
        let mut expired = Vec::new();
        let now = Instant::now();
        while let Some(&(stashed_at, id)) = self.order.front() {
            if now.saturating_duration_since(stashed_at) < self.ttl {
                break;
            }
            self.order.pop_front();
            expired.extend(self.entries.remove(&id));
        }
        expired
    }
}

fn take_unobserved<T: 'static>(result: &(dyn Any + Send)) -> Option<Error> {
    result
        .downcast_ref::<EventualResult<T>>()
        .and_then(EventualResult::take_unobserved)
}

fn lock() -> MutexGuard<'static, Stash> {
    static STASH: OnceLock<Mutex<Stash>> = OnceLock::new();
    STASH
        .get_or_init(|| {
            Mutex::new(Stash {
                entries: HashMap::new(),
                order: VecDeque::new(),
                capacity: 65_536,
                ttl: Duration::MAX,
            })
        })
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// A 128-bit id that cannot be guessed from other ids: a counter hashed
/// twice with SipHash under a random key drawn once per process.
fn fresh_id() -> u128 {
    static KEY: OnceLock<RandomState> = OnceLock::new();
    // ORDERING: Relaxed: only uniqueness matters, which `fetch_add` gives.
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
