//! The stash: results parked under an id, to be retrieved once; one per
//! process.

use std::any::{type_name, Any};
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::str::FromStr;
#[cfg(not(all(test, crochet_loom)))]
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::Error;
use crate::eventual::EventualResult;
use crate::id::{LoopId, StashId};
use crate::sync::{lock, Mutex};
use crate::unhandled;

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

// `stash` is a method of `EventualResult` but lives here, with the stash
// it parks the result in, so that the result's layer does not import this
// one.
impl<T: Send + 'static> EventualResult<T> {
    /// Parks the result in the process-wide stash and returns an id to get
    /// it back with [`retrieve_result`](crate::retrieve_result), for example
    /// from a later web request. Each id works once.
    ///
    /// # Errors
    ///
    /// [`StashFull`] when the stash holds its capacity of results
    /// (see [`set_stash_capacity`](crate::set_stash_capacity)); it gives the
    /// result back.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let id = reactor.run_in_reactor(|| async { 5_u32 }).stash().unwrap();
    /// let cookie = id.to_string();
    /// // ... later, in another request:
    /// let id: crochet_core::StashId = cookie.parse().unwrap();
    /// let result = crochet_core::retrieve_result::<u32>(id).unwrap();
    /// assert_eq!(result.wait(Duration::from_secs(5)), Ok(5));
    /// assert!(crochet_core::retrieve_result::<u32>(id).is_err());
    /// ```
    pub fn stash(self) -> Result<StashId, StashFull<T>> {
        stash(self)
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
    global().retrieve(id)
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
    lock(&global().inner).capacity = capacity;
}

/// Sets how long a result may stay stashed unretrieved; older entries are
/// dropped (and an unseen panic among them reported as unhandled) the next
/// time the stash is used, which frees their room.
///
/// The default is 30 minutes, the usual idle timeout of a web session: the
/// stash exists to hand a result to a later request of the same user, and
/// a result nobody came back for in that time most likely belongs to a
/// session that has ended. Without a limit, ids handed out and never
/// retrieved (abandoned cookies) would fill the stash for good, and every
/// later [`stash`](EventualResult::stash) in the process would fail.
/// `Duration::MAX` keeps entries until they are retrieved.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// // Long-running reports that users fetch the next day.
/// crochet_core::set_stash_time_to_live(Duration::from_secs(24 * 60 * 60));
/// # crochet_core::set_stash_time_to_live(Duration::from_secs(30 * 60));
/// ```
pub fn set_stash_time_to_live(ttl: Duration) {
    lock(&global().inner).ttl = ttl;
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

/// Parks `result` under a fresh id of the process-wide stash, unless it is
/// full.
pub(crate) fn stash<T: Send + 'static>(result: EventualResult<T>) -> Result<StashId, StashFull<T>> {
    global().stash(result)
}

/// Reports the unseen panics of loop `loop_id`'s results in the process-wide
/// stash, once each. They stay stashed.
pub(crate) fn report_unhandled(loop_id: LoopId) {
    global().report_unhandled(loop_id);
}

/// How long an unretrieved result stays stashed unless
/// [`set_stash_time_to_live`] says otherwise; see there for why.
const DEFAULT_TIME_TO_LIVE: Duration = Duration::from_secs(30 * 60);

/// How many results the stash holds unless [`set_stash_capacity`] says
/// otherwise.
const DEFAULT_CAPACITY: usize = 65_536;

/// A stash: results parked under ids, each to be retrieved once.
///
/// The process has one (behind [`global`]); a value of its own lets the
/// loom models build a fresh one for each run, and its lock comes from the
/// `sync` shim so that loom explores the interleavings inside it.
pub(crate) struct Stash {
    /// # Deadlock safety
    ///
    /// The outer of the one pair of crochet locks ever held together: while
    /// holding it, the stash may take a parked result's slot lock (through
    /// `take_unobserved`), never the other way round. Parked results are
    /// dropped, and the unhandled hook called, only after it is released.
    inner: Mutex<Inner>,
}

struct Inner {
    entries: HashMap<u128, Entry>,
    /// Ids in the order they were stashed, for the time to live; may hold
    /// ids already retrieved, which are skipped (and compacted away).
    order: VecDeque<(Instant, u128)>,
    capacity: usize,
    ttl: Duration,
    ids: IdSource,
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
    pub(crate) fn new() -> Stash {
        Stash {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                order: VecDeque::new(),
                capacity: DEFAULT_CAPACITY,
                ttl: DEFAULT_TIME_TO_LIVE,
                ids: IdSource::new(),
            }),
        }
    }

    /// Parks `result` under a fresh id, unless the stash is full.
    pub(crate) fn stash<T: Send + 'static>(
        &self,
        result: EventualResult<T>,
    ) -> Result<StashId, StashFull<T>> {
        let mut inner = lock(&self.inner);
        let expired = inner.expire();
        let outcome = inner.insert(result);
        drop(inner);
        // Dropped unlocked: dropping a result may report its panic.
        drop(expired);
        outcome
    }

    /// Takes the result stashed under `id`; see [`retrieve_result`].
    pub(crate) fn retrieve<T: Send + 'static>(
        &self,
        id: StashId,
    ) -> Result<EventualResult<T>, Error> {
        let mut inner = lock(&self.inner);
        let expired = inner.expire();
        let result = inner.take::<T>(id);
        drop(inner);
        drop(expired);
        result
    }

    /// Reports the unseen panics of loop `loop_id`'s stashed results, once
    /// each. They stay stashed.
    pub(crate) fn report_unhandled(&self, loop_id: LoopId) {
        let unseen: Vec<Error> = lock(&self.inner)
            .entries
            .values()
            .filter(|entry| entry.loop_id == loop_id)
            .filter_map(|entry| (entry.take_unobserved)(&*entry.result))
            .collect();
        for err in &unseen {
            unhandled::report(err);
        }
    }
}

impl Inner {
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
            let id = self.ids.fresh();
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

/// Makes the ids: 128 bits that cannot be guessed from other ids, and that
/// never repeat across the processes that `fork()` makes from one another.
///
/// An id is a counter hashed twice with SipHash under a random key, together
/// with the process id and the moment the key was drawn. A child made by
/// `fork()` inherits the key and the counter, so the process id is checked
/// at every id: in a new process the source draws a new key. std draws keys
/// from per-thread state that the child inherits too, so two children of
/// one parent may draw the same new key; the process id in the hashed input
/// (distinct for live processes), and the moment of the draw (distinct when
/// a dead child's pid is reused), keep their ids apart all the same.
struct IdSource {
    pid: u32,
    key: RandomState,
    keyed_at: u128,
    counter: u64,
}

impl IdSource {
    fn new() -> IdSource {
        IdSource {
            pid: std::process::id(),
            key: RandomState::new(),
            keyed_at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_nanos()),
            counter: 0,
        }
    }

    fn fresh(&mut self) -> u128 {
        if std::process::id() != self.pid {
            *self = IdSource::new();
        }
        let n = self.counter;
        self.counter = self.counter.wrapping_add(1);
        let half = |lane: u8| {
            let mut hasher = self.key.build_hasher();
            hasher.write_u8(lane);
            hasher.write_u32(self.pid);
            hasher.write_u128(self.keyed_at);
            hasher.write_u64(n);
            hasher.finish()
        };
        (u128::from(half(0)) << 64) | u128::from(half(1))
    }
}

fn take_unobserved<T: 'static>(result: &(dyn Any + Send)) -> Option<Error> {
    result
        .downcast_ref::<EventualResult<T>>()
        .and_then(EventualResult::take_unobserved)
}

/// The process-wide stash.
#[cfg(not(all(test, crochet_loom)))]
fn global() -> &'static Stash {
    static STASH: OnceLock<Stash> = OnceLock::new();
    STASH.get_or_init(Stash::new)
}

/// The stash of the current loom run: loom's lock cannot outlive a run, so
/// each run gets a fresh one, dropped when it ends.
#[cfg(all(test, crochet_loom))]
fn global() -> &'static Stash {
    loom::lazy_static! {
        static ref STASH: Stash = Stash::new();
    }
    &STASH
}

#[cfg(all(test, not(crochet_loom)))]
mod tests {
    use super::*;

    #[test]
    fn the_default_time_to_live_is_finite() {
        let stash = Stash::new();
        let ttl = lock(&stash.inner).ttl;
        assert_eq!(ttl, DEFAULT_TIME_TO_LIVE);
        assert!(ttl <= Duration::from_secs(24 * 60 * 60), "{ttl:?}");
    }

    #[test]
    fn ids_of_one_source_do_not_repeat() {
        let mut ids = IdSource::new();
        let seen: std::collections::HashSet<u128> = (0..10_000).map(|_| ids.fresh()).collect();
        assert_eq!(seen.len(), 10_000);
    }
}
