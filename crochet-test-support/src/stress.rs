//! The stress engine: many application threads hammer one loop with a
//! random mix of calls, or block in waits while the loop shuts down, and
//! every call, drop and report is counted and checked. The tests run it for
//! a few seconds per runtime; the `soak` example runs it for as long as
//! asked.

use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crochet::{Error, EventLoop, EventualResult, StashId};

use crate::fixture::Runtime;
use crate::helpers::{fail, panic_message};
use crate::reliability::{self, join_all_by, poll_until, reports, Rng, Tracked, Tracker};

/// The most a wait may return after its timeout. Generous, since the
/// machine runs dozens of busy threads on a couple of cores; reaching it
/// means a wait was held up, not just descheduled.
pub const OVERRUN: Duration = Duration::from_secs(2);

/// The random mix of calls: how many threads, for how long.
#[derive(Clone, Copy, Debug)]
pub struct MixConfig {
    /// The application threads submitting to the one loop.
    pub threads: usize,
    /// The threads that cancel and retrieve on the others' behalf.
    pub helpers: usize,
    /// How long the threads keep submitting.
    pub duration: Duration,
    /// The seed of every thread's choices.
    pub seed: u64,
}

impl MixConfig {
    /// The CI run: 64 threads for two seconds, or for `CROCHET_SOAK_SECS`
    /// seconds when that is set.
    pub fn from_env() -> MixConfig {
        MixConfig {
            threads: 64,
            helpers: 4,
            duration: soak_duration().unwrap_or(Duration::from_secs(2)),
            seed: reliability::seed(),
        }
    }
}

/// What a run of the mix did.
#[derive(Clone, Debug, Default)]
pub struct MixFigures {
    /// The application threads that made the calls.
    pub threads: usize,
    /// Calls made, of every kind.
    pub calls: u64,
    /// `wait_for` calls that returned their value.
    pub immediate: u64,
    /// Results of work that slept first, waited for with `wait`.
    pub delayed: u64,
    /// Panics the waiter saw.
    pub panics_seen: u64,
    /// Panics nobody saw, each reported once as unhandled.
    pub panics_unhandled: u64,
    /// `wait_for` calls that timed out (and cancelled their work).
    pub timeouts: u64,
    /// `wait_for` calls whose value beat a timeout of about the same length.
    pub timeout_races_won: u64,
    /// Results cancelled from another thread before they finished.
    pub cancels: u64,
    /// Results whose value beat the cancel from another thread.
    pub cancels_too_late: u64,
    /// Handles dropped without a wait.
    pub handles_dropped: u64,
    /// Results stashed, then retrieved and waited for in another thread.
    pub stashed: u64,
    /// The longest any wait ran past its timeout.
    pub worst_overrun: Duration,
    /// Tracked objects (futures, closures, values) never dropped.
    pub leaks: usize,
    /// How long the mix ran.
    pub elapsed: Duration,
}

impl MixFigures {
    /// Adds `other`'s counts to these (and keeps the worse overrun).
    pub fn add(&mut self, other: &MixFigures) {
        self.threads = self.threads.max(other.threads);
        self.calls += other.calls;
        self.immediate += other.immediate;
        self.delayed += other.delayed;
        self.panics_seen += other.panics_seen;
        self.panics_unhandled += other.panics_unhandled;
        self.timeouts += other.timeouts;
        self.timeout_races_won += other.timeout_races_won;
        self.cancels += other.cancels;
        self.cancels_too_late += other.cancels_too_late;
        self.handles_dropped += other.handles_dropped;
        self.stashed += other.stashed;
        self.worst_overrun = self.worst_overrun.max(other.worst_overrun);
        self.leaks += other.leaks;
        self.elapsed += other.elapsed;
    }
}

impl fmt::Display for MixFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} calls from {} threads in {:.1?}: {} immediate, {} delayed, \
             {} panics ({} seen by a wait, {} reported unhandled), \
             {} timeouts ({} more won by the value), \
             {} cancelled from another thread ({} more won by the value), \
             {} handles dropped unawaited, {} stashed and retrieved elsewhere; \
             worst overrun of a timeout {:.1?}; {} leaks",
            self.calls,
            self.threads,
            self.elapsed,
            self.immediate,
            self.delayed,
            self.panics_seen + self.panics_unhandled,
            self.panics_seen,
            self.panics_unhandled,
            self.timeouts,
            self.timeout_races_won,
            self.cancels,
            self.cancels_too_late,
            self.handles_dropped,
            self.stashed,
            self.worst_overrun,
            self.leaks,
        )
    }
}

/// Runs the mix on `event_loop`, a loop of setup `R`, and checks it:
/// every tracked object dropped exactly once, every value delivered once,
/// every unseen panic reported once and every seen one never, no wait past
/// its timeout by more than [`OVERRUN`], no thread hung. Panics with the
/// first failures otherwise.
pub fn run_mix<R: Runtime>(event_loop: &EventLoop, config: MixConfig) -> MixFigures {
    let shared = Arc::new(Shared::new());
    let (jobs, queue) = mpsc::channel::<Job>();
    let queue = Arc::new(Mutex::new(queue));
    let start = Instant::now();
    let deadline = start + config.duration;
    let helpers: Vec<_> = (0..config.helpers)
        .map(|index| {
            let shared = shared.clone();
            let queue = queue.clone();
            spawn(format!("stress-helper-{index}"), move || {
                helper_thread(&shared, &queue)
            })
        })
        .collect();
    let apps: Vec<_> = (0..config.threads)
        .map(|index| {
            let mut app = AppThread {
                event_loop: event_loop.clone(),
                shared: shared.clone(),
                jobs: jobs.clone(),
                rng: Rng::new(config.seed, index as u64),
                figures: MixFigures::default(),
                call: 0,
            };
            spawn(format!("stress-app-{index}"), move || {
                app.run::<R>(deadline);
                app.figures
            })
        })
        .collect();
    // The helpers stop once every application thread has let go of its
    // sender and the queue is empty.
    drop(jobs);
    let mut figures = MixFigures {
        threads: config.threads,
        ..MixFigures::default()
    };
    let hang = deadline + HANG;
    for one in join_all_by("application threads", apps, hang) {
        figures.add(&one);
    }
    for one in join_all_by("helper threads", helpers, Instant::now() + HANG) {
        figures.add(&one);
    }
    figures.elapsed = start.elapsed();
    shared.check(R::NAME);
    figures.leaks = shared.tracker.alive();
    figures
}

/// The shutdown race: how many waits block while the loop stops.
#[derive(Clone, Copy, Debug)]
pub struct RaceConfig {
    /// Threads that submit work and block in a wait until shutdown.
    pub waiters: usize,
    /// Threads that keep submitting while the loop stops, then check that
    /// calls fail at once.
    pub submitters: usize,
    /// At least this many rounds, a fresh loop each.
    pub rounds: u64,
    /// Then more rounds until this much time has passed.
    pub duration: Duration,
    /// The seed of every thread's choices.
    pub seed: u64,
}

impl RaceConfig {
    /// The CI run: three rounds of 256 blocked waits and 8 submitters, or
    /// rounds for `CROCHET_SOAK_SECS` seconds when that is set.
    pub fn from_env() -> RaceConfig {
        RaceConfig {
            waiters: 256,
            submitters: 8,
            rounds: 3,
            duration: soak_duration().unwrap_or(Duration::ZERO),
            seed: reliability::seed(),
        }
    }
}

/// What the shutdown races did.
#[derive(Clone, Debug, Default)]
pub struct RaceFigures {
    /// Shutdown races run, each on a fresh loop.
    pub rounds: u64,
    /// Waits blocked when shutdown began.
    pub blocked_waits: u64,
    /// Waits that shutdown released with `ReactorStopped`.
    pub released: u64,
    /// Waits that got their value first.
    pub values: u64,
    /// Waits that got their work's panic first.
    pub panics: u64,
    /// Calls made while the loop was stopping.
    pub racing_calls: u64,
    /// Calls made after shutdown returned, each refused at once.
    pub late_calls: u64,
    /// The slowest refusal of a late call.
    pub slowest_refusal: Duration,
    /// The slowest `shutdown` call.
    pub slowest_shutdown: Duration,
    /// Tracked objects never dropped.
    pub leaks: usize,
}

impl RaceFigures {
    /// Adds `other`'s counts to these (and keeps the slower times).
    pub fn add(&mut self, other: &RaceFigures) {
        self.rounds += other.rounds;
        self.blocked_waits += other.blocked_waits;
        self.released += other.released;
        self.values += other.values;
        self.panics += other.panics;
        self.racing_calls += other.racing_calls;
        self.late_calls += other.late_calls;
        self.slowest_refusal = self.slowest_refusal.max(other.slowest_refusal);
        self.slowest_shutdown = self.slowest_shutdown.max(other.slowest_shutdown);
        self.leaks += other.leaks;
    }
}

impl fmt::Display for RaceFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} shutdown races: {} waits blocked ({} released with ReactorStopped, \
             {} got their value first, {} their panic), {} calls racing the shutdown, \
             {} calls after it (slowest refusal {:.1?}); slowest shutdown {:.1?}; {} leaks",
            self.rounds,
            self.blocked_waits,
            self.released,
            self.values,
            self.panics,
            self.racing_calls,
            self.late_calls,
            self.slowest_refusal,
            self.slowest_shutdown,
            self.leaks,
        )
    }
}

/// Runs shutdown races on fresh loops of setup `R` and checks each: every
/// blocked wait returns (`ReactorStopped`, or the outcome that came first),
/// no thread hangs, every tracked object is dropped once, and calls after
/// shutdown fail at once. Panics with the first failures otherwise.
pub fn run_shutdown_races<R: Runtime>(config: RaceConfig) -> RaceFigures {
    let start = Instant::now();
    let mut figures = RaceFigures::default();
    let mut round = 0;
    while round < config.rounds || start.elapsed() < config.duration {
        figures.add(&shutdown_race::<R>(config, round));
        round += 1;
    }
    figures
}

/// The duration of `CROCHET_SOAK_SECS`, if set.
pub fn soak_duration() -> Option<Duration> {
    let secs = std::env::var("CROCHET_SOAK_SECS").ok()?.parse().ok()?;
    Some(Duration::from_secs(secs))
}

/// How long a wait that should succeed may take: far above what any run
/// needs.
const PATIENCE: Duration = Duration::from_secs(10);

/// How long threads get to finish once their work is over before they
/// count as hung.
const HANG: Duration = Duration::from_secs(30);

/// How long the reactor gets to drop what it still holds, and to report
/// what it still has to, once every thread is done.
const SETTLE: Duration = Duration::from_secs(10);

/// Tells runs apart in panic messages, which must be unique per process.
static RUNS: AtomicU64 = AtomicU64::new(0);

/// What the threads of one run share.
struct Shared {
    run: u64,
    tracker: Arc<Tracker>,
    next_call: AtomicU64,
    /// What went wrong, to report together at the end.
    failures: Mutex<Vec<String>>,
    /// Each panic message, and how many unhandled reports it must get.
    /// Per panic message, the least and the most reports it may get.
    expected_reports: Mutex<Vec<(String, usize, usize)>>,
    /// The calls whose value reached a waiter.
    delivered: Mutex<HashSet<u64>>,
}

impl Shared {
    fn new() -> Shared {
        Shared {
            run: RUNS.fetch_add(1, Ordering::Relaxed),
            tracker: Tracker::new(),
            next_call: AtomicU64::new(0),
            failures: Mutex::new(Vec::new()),
            expected_reports: Mutex::new(Vec::new()),
            delivered: Mutex::new(HashSet::new()),
        }
    }

    fn next_call(&self) -> u64 {
        self.next_call.fetch_add(1, Ordering::Relaxed)
    }

    /// The tracked object that call `call`'s work owns, and the maker of
    /// its tracked value.
    fn work_and_value(&self, call: u64) -> (Tracked, ValueMaker) {
        let work = self.tracker.track(call * 2, "work");
        let value = ValueMaker {
            tracker: self.tracker.clone(),
            id: call * 2 + 1,
        };
        (work, value)
    }

    /// A unique panic message for call `call`, silenced by the panic hook.
    fn panic_message<R: Runtime>(&self, call: u64) -> String {
        panic_message::<R>(&format!("stress-{}-{call}", self.run))
    }

    fn failure(&self, failure: String) {
        lock(&self.failures).push(failure);
    }

    fn expect_reports(&self, message: &str, count: usize) {
        self.expect_reports_between(message, count, count);
    }

    fn expect_reports_between(&self, message: &str, least: usize, most: usize) {
        lock(&self.expected_reports).push((message.to_owned(), least, most));
    }

    /// Checks that `outcome` is call `call`'s value, delivered for the
    /// first time.
    fn deliver(&self, what: &str, call: u64, outcome: Result<Tracked, Error>) {
        match outcome {
            Ok(value) if value.id() == call * 2 + 1 => {
                if !lock(&self.delivered).insert(call) {
                    self.failure(format!("{what} call {call}: value delivered twice"));
                }
            }
            other => self.failure(format!(
                "{what} call {call}: expected its value, got {other:?}"
            )),
        }
    }

    /// Checks that `outcome` is the panic `message`.
    fn expect_panic(&self, what: &str, call: u64, message: &str, outcome: &Result<Tracked, Error>) {
        match outcome {
            Err(Error::Panicked(failure)) if failure.message() == message => {}
            other => self.failure(format!(
                "{what} call {call}: expected the panic {message:?}, got {other:?}"
            )),
        }
    }

    /// Checks that the wait took between `timeout` and `timeout` plus
    /// [`OVERRUN`]; returns the overrun.
    fn check_overrun(
        &self,
        what: &str,
        call: u64,
        timeout: Duration,
        waited: Duration,
    ) -> Duration {
        if waited < timeout {
            self.failure(format!(
                "{what} call {call}: timed out after {waited:?}, before its {timeout:?}"
            ));
        }
        let overrun = waited.saturating_sub(timeout);
        if overrun > OVERRUN {
            self.failure(format!(
                "{what} call {call}: returned {overrun:?} after its {timeout:?} timeout"
            ));
        }
        overrun
    }

    /// The checks of the end of a run, once every thread is done: panics
    /// with what went wrong.
    fn check(&self, name: &str) {
        {
            let failures = lock(&self.failures);
            assert!(
                failures.is_empty(),
                "{name}: {} failures, such as {:#?}",
                failures.len(),
                &failures[..failures.len().min(10)]
            );
        }
        self.tracker.assert_all_dropped_once(name, SETTLE);
        let expected = lock(&self.expected_reports);
        // A panic that arrives after its handle was dropped is reported on
        // the reactor thread, possibly just after the work was dropped.
        poll_until(SETTLE, || {
            expected
                .iter()
                .all(|(message, least, _)| reports(message) >= *least)
        });
        let wrong: Vec<_> = expected
            .iter()
            .map(|(message, least, most)| (message, (*least, *most), reports(message)))
            .filter(|(_, (least, most), reported)| reported < least || reported > most)
            .take(10)
            .collect();
        assert!(
            wrong.is_empty(),
            "{name}: unhandled reports differ, as (panic, (least, most), reported): {wrong:?}"
        );
        assert_eq!(
            reliability::reports_of_other_errors(),
            0,
            "{name}: something other than a panic was reported as unhandled"
        );
    }
}

/// Makes call's tracked value, when (and only if) its work gets that far.
struct ValueMaker {
    tracker: Arc<Tracker>,
    id: u64,
}

impl ValueMaker {
    fn make(self) -> Tracked {
        self.tracker.track(self.id, "value")
    }
}

/// What an application thread asks a helper thread to do.
enum Job {
    /// Cancel this result.
    Cancel(Arc<EventualResult<Tracked>>),
    /// Retrieve the result stashed under `cookie` and wait for it: the
    /// value of call `call`, or the panic `panic`.
    Retrieve {
        cookie: String,
        call: u64,
        panic: Option<String>,
    },
}

/// One application thread of the mix.
struct AppThread {
    event_loop: EventLoop,
    shared: Arc<Shared>,
    jobs: mpsc::Sender<Job>,
    rng: Rng,
    figures: MixFigures,
    /// The call being made.
    call: u64,
}

impl AppThread {
    fn run<R: Runtime>(&mut self, deadline: Instant) {
        while Instant::now() < deadline {
            self.call = self.shared.next_call();
            self.figures.calls += 1;
            match self.rng.below(7) {
                0 => self.immediate(),
                1 => self.delayed::<R>(),
                2 => self.panic::<R>(),
                3 => self.time_out::<R>(),
                4 => self.cancel_from_another_thread::<R>(),
                5 => self.drop_the_handle::<R>(),
                _ => self.stash_for_another_thread::<R>(),
            }
        }
    }

    /// Work that completes at once, through `wait_for`.
    fn immediate(&mut self) {
        let (work, value) = self.shared.work_and_value(self.call);
        let outcome = self.event_loop.wait_for(PATIENCE, move || async move {
            let _work = work;
            value.make()
        });
        self.shared.deliver("immediate", self.call, outcome);
        self.figures.immediate += 1;
    }

    /// Work that completes after a runtime timer, through `wait`; a second
    /// wait now and then finds the value gone.
    fn delayed<R: Runtime>(&mut self) {
        let (work, value) = self.shared.work_and_value(self.call);
        let delay = self.rng.millis(20);
        let result = self.event_loop.run_in_reactor(move || async move {
            let _work = work;
            R::sleep(delay).await;
            value.make()
        });
        self.shared
            .deliver("delayed", self.call, result.wait(PATIENCE));
        if self.rng.chance(20)
            && !matches!(result.wait(Duration::ZERO), Err(Error::AlreadyRetrieved))
        {
            self.shared.failure(format!(
                "delayed call {}: a second wait did not find the value gone",
                self.call
            ));
        }
        self.figures.delayed += 1;
    }

    /// Work that panics at once or after a timer; the caller waits for
    /// the panic, drops the handle, or drops it after a short wait.
    fn panic<R: Runtime>(&mut self) {
        let call = self.call;
        let message = self.shared.panic_message::<R>(call);
        let work = self.shared.tracker.track(call * 2, "panicking work");
        let thrown = message.clone();
        let result = if self.rng.chance(50) {
            self.event_loop.call_in_reactor(move || -> Tracked {
                let _work = work;
                fail(thrown)
            })
        } else {
            let delay = self.rng.millis(10);
            self.event_loop.run_in_reactor(move || async move {
                let _work = work;
                R::sleep(delay).await;
                fail::<Tracked>(thrown)
            })
        };
        let outcome = match self.rng.below(3) {
            0 => Some(result.wait(PATIENCE)),
            1 => None,
            _ => match result.wait(Duration::from_millis(1)) {
                Err(err) if err.is_timeout() => None,
                outcome => Some(outcome),
            },
        };
        drop(result);
        match outcome {
            Some(outcome) => {
                self.shared.expect_panic("panic", call, &message, &outcome);
                self.shared.expect_reports(&message, 0);
                self.figures.panics_seen += 1;
            }
            None => {
                self.shared.expect_reports(&message, 1);
                self.figures.panics_unhandled += 1;
            }
        }
    }

    /// `wait_for` with a short timeout on work that never finishes, or
    /// that finishes at about the timeout.
    fn time_out<R: Runtime>(&mut self) {
        let (work, value) = self.shared.work_and_value(self.call);
        let timeout = Duration::from_millis(1 + self.rng.below(30));
        let racing = self.rng.chance(30);
        let delay = timeout.mul_f64(0.5 + self.rng.below(100) as f64 / 100.0);
        let start = Instant::now();
        let outcome = self.event_loop.wait_for(timeout, move || async move {
            let _work = work;
            if racing {
                R::sleep(delay).await;
            } else {
                std::future::pending::<()>().await;
            }
            value.make()
        });
        let waited = start.elapsed();
        match outcome {
            Err(err) if err.is_timeout() => {
                let overrun = self
                    .shared
                    .check_overrun("time-out", self.call, timeout, waited);
                self.figures.worst_overrun = self.figures.worst_overrun.max(overrun);
                self.figures.timeouts += 1;
            }
            outcome if racing => {
                self.shared.deliver("time-out", self.call, outcome);
                self.figures.timeout_races_won += 1;
            }
            other => self.shared.failure(format!(
                "time-out call {}: expected a timeout, got {other:?}",
                self.call
            )),
        }
    }

    /// Work that another thread cancels; it may finish first.
    fn cancel_from_another_thread<R: Runtime>(&mut self) {
        let (work, value) = self.shared.work_and_value(self.call);
        let finishes = self.rng.chance(50);
        let delay = self.rng.millis(10);
        let result = Arc::new(self.event_loop.run_in_reactor(move || async move {
            let _work = work;
            if finishes {
                R::sleep(delay).await;
            } else {
                std::future::pending::<()>().await;
            }
            value.make()
        }));
        if self.jobs.send(Job::Cancel(result.clone())).is_err() {
            self.shared
                .failure("the helper threads are gone".to_owned());
            result.cancel();
        }
        match result.wait(PATIENCE) {
            Err(Error::Cancelled) => self.figures.cancels += 1,
            outcome if finishes => {
                self.shared.deliver("cancelled", self.call, outcome);
                self.figures.cancels_too_late += 1;
            }
            other => self.shared.failure(format!(
                "cancelled call {}: expected a cancellation, got {other:?}",
                self.call
            )),
        }
    }

    /// Work whose handle is dropped at once, unawaited.
    fn drop_the_handle<R: Runtime>(&mut self) {
        let (work, value) = self.shared.work_and_value(self.call);
        let delay = self.rng.chance(50).then(|| self.rng.millis(10));
        drop(self.event_loop.run_in_reactor(move || async move {
            let _work = work;
            if let Some(delay) = delay {
                R::sleep(delay).await;
            }
            value.make()
        }));
        self.figures.handles_dropped += 1;
    }

    /// Work whose result is stashed, then retrieved by id and waited for
    /// in another thread; now and then it panics.
    fn stash_for_another_thread<R: Runtime>(&mut self) {
        let call = self.call;
        let (work, value) = self.shared.work_and_value(call);
        let panic = self
            .rng
            .chance(25)
            .then(|| self.shared.panic_message::<R>(call));
        let thrown = panic.clone();
        let delay = self.rng.millis(10);
        let result = self.event_loop.run_in_reactor(move || async move {
            let _work = work;
            R::sleep(delay).await;
            if let Some(message) = thrown {
                fail::<()>(message);
            }
            value.make()
        });
        if let Some(message) = &panic {
            self.shared.expect_reports(message, 0);
        }
        match result.stash() {
            Ok(id) => {
                let job = Job::Retrieve {
                    cookie: id.to_string(),
                    call,
                    panic,
                };
                if self.jobs.send(job).is_err() {
                    self.shared
                        .failure("the helper threads are gone".to_owned());
                }
                self.figures.stashed += 1;
            }
            Err(full) => {
                self.shared
                    .failure(format!("stash call {call}: {full} (nothing else fills it)"));
                // Seen, so that the failure above is the only one.
                let _ = full.into_result().wait(PATIENCE);
            }
        }
    }
}

/// A helper thread: cancels and retrieves for the application threads
/// until they have all gone.
fn helper_thread(shared: &Shared, queue: &Mutex<mpsc::Receiver<Job>>) -> MixFigures {
    loop {
        let job = lock(queue).recv();
        match job {
            Err(mpsc::RecvError) => return MixFigures::default(),
            Ok(Job::Cancel(result)) => result.cancel(),
            Ok(Job::Retrieve {
                cookie,
                call,
                panic,
            }) => retrieve(shared, &cookie, call, panic.as_deref()),
        }
    }
}

/// Retrieves the result stashed under `cookie`, waits for it, and checks
/// that the id does not work twice.
fn retrieve(shared: &Shared, cookie: &str, call: u64, panic: Option<&str>) {
    let id: StashId = match cookie.parse() {
        Ok(id) => id,
        Err(err) => return shared.failure(format!("stash call {call}: cookie refused: {err}")),
    };
    let result = match crochet::retrieve_result::<Tracked>(id) {
        Ok(result) => result,
        Err(err) => return shared.failure(format!("stash call {call}: not retrieved: {err}")),
    };
    let outcome = result.wait(PATIENCE);
    match panic {
        Some(message) => shared.expect_panic("stash", call, message, &outcome),
        None => shared.deliver("stash", call, outcome),
    }
    match crochet::retrieve_result::<Tracked>(id) {
        Err(Error::UnknownStashId(refused)) if refused == id => {}
        other => shared.failure(format!(
            "stash call {call}: a spent id was not refused: {other:?}"
        )),
    }
}

/// One shutdown race on a fresh loop.
fn shutdown_race<R: Runtime>(config: RaceConfig, round: u64) -> RaceFigures {
    let fx = reliability::fixture::<R>();
    let shared = Arc::new(Shared::new());
    let submitted = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicBool::new(false));
    let seed = config.seed ^ round.wrapping_mul(0x5851_F42D_4C95_7F2D);
    let waiters: Vec<_> = (0..config.waiters)
        .map(|index| {
            let event_loop = (*fx).clone();
            let shared = shared.clone();
            let submitted = submitted.clone();
            let rng = Rng::new(seed, index as u64);
            spawn(format!("race-waiter-{index}"), move || {
                blocked_waiter::<R>(&event_loop, &shared, &submitted, rng)
            })
        })
        .collect();
    let submitters: Vec<_> = (0..config.submitters)
        .map(|index| {
            let event_loop = (*fx).clone();
            let shared = shared.clone();
            let stopped = stopped.clone();
            let rng = Rng::new(seed, (config.waiters + index) as u64);
            spawn(format!("race-submitter-{index}"), move || {
                racing_submitter::<R>(&event_loop, &shared, &stopped, rng)
            })
        })
        .collect();
    let all_submitted = poll_until(PATIENCE, || {
        submitted.load(Ordering::Acquire) == config.waiters
    });
    assert!(all_submitted, "{}: the waiters did not all submit", R::NAME);
    // No channel can tell that a thread is blocked inside `wait`; a pause
    // of random length lets most of them get there, and varies the race.
    let mut rng = Rng::new(seed, u64::MAX);
    thread::sleep(rng.millis(20));
    let start = Instant::now();
    let finished = if round % 2 == 0 {
        fx.shutdown(PATIENCE)
    } else {
        // Several threads shut down at once; each must see the loop stop.
        let shutters: Vec<_> = (0..4)
            .map(|index| {
                let event_loop = (*fx).clone();
                spawn(format!("race-shutter-{index}"), move || {
                    event_loop.shutdown(PATIENCE)
                })
            })
            .collect();
        join_all_by("shutting threads", shutters, Instant::now() + HANG)
            .into_iter()
            .all(|finished| finished)
    };
    let slowest_shutdown = start.elapsed();
    stopped.store(true, Ordering::Release);
    assert!(finished, "{}: shutdown did not finish", R::NAME);
    let mut figures = RaceFigures {
        rounds: 1,
        blocked_waits: config.waiters as u64,
        slowest_shutdown,
        ..RaceFigures::default()
    };
    let hang = Instant::now() + HANG;
    for one in join_all_by("blocked waiters", waiters, hang) {
        figures.add(&one);
    }
    for one in join_all_by("racing submitters", submitters, hang) {
        figures.add(&one);
    }
    shared.check(R::NAME);
    figures.leaks = shared.tracker.alive();
    figures
}

/// Submits one piece of work, then blocks in a wait (with no timeout worth
/// the name) until its outcome or the shutdown.
fn blocked_waiter<R: Runtime>(
    event_loop: &EventLoop,
    shared: &Shared,
    submitted: &AtomicUsize,
    mut rng: Rng,
) -> RaceFigures {
    let call = shared.next_call();
    let (work, value) = shared.work_and_value(call);
    let kind = rng.below(5);
    let delay = rng.millis(40);
    let message = shared.panic_message::<R>(call);
    let thrown = message.clone();
    let outcome = if kind == 4 {
        submitted.fetch_add(1, Ordering::Release);
        event_loop.wait_for(Duration::MAX, move || async move {
            let _work = work;
            std::future::pending::<()>().await;
            value.make()
        })
    } else {
        let result = event_loop.run_in_reactor(move || async move {
            let _work = work;
            match kind {
                0 | 1 => std::future::pending::<()>().await,
                2 => R::sleep(delay).await,
                _ => {
                    R::sleep(delay).await;
                    fail::<()>(thrown);
                }
            }
            value.make()
        });
        submitted.fetch_add(1, Ordering::Release);
        if kind == 1 {
            let far = Instant::now() + Duration::from_secs(24 * 3600);
            result.wait_deadline(far)
        } else {
            result.wait(Duration::MAX)
        }
    };
    let mut figures = RaceFigures::default();
    let stopped_first = matches!(outcome, Err(Error::ReactorStopped));
    match (kind, outcome) {
        (_, Err(Error::ReactorStopped)) => figures.released += 1,
        (2, outcome) => {
            shared.deliver("blocked", call, outcome);
            figures.values += 1;
        }
        (3, outcome) => {
            shared.expect_panic("blocked", call, &message, &outcome);
            figures.panics += 1;
        }
        (kind, other) => shared.failure(format!(
            "blocked call {call} of kind {kind}: expected ReactorStopped, got {other:?}"
        )),
    }
    if kind == 3 {
        if stopped_first {
            // Never thrown (the loop dropped the work first), or thrown in
            // a poll that raced with the stop, after the wait was released
            // with `ReactorStopped`: then nobody saw it, and it is reported.
            shared.expect_reports_between(&message, 0, 1);
        } else {
            // Seen by the wait.
            shared.expect_reports(&message, 0);
        }
    }
    figures
}

/// Submits and waits briefly, over and over, while the loop stops; once
/// `stopped` says shutdown returned, checks that calls fail at once.
fn racing_submitter<R: Runtime>(
    event_loop: &EventLoop,
    shared: &Shared,
    stopped: &AtomicBool,
    mut rng: Rng,
) -> RaceFigures {
    let mut figures = RaceFigures::default();
    while figures.late_calls < 4 {
        let after_shutdown = stopped.load(Ordering::Acquire);
        let call = shared.next_call();
        let (work, value) = shared.work_and_value(call);
        let delay = rng.millis(5);
        let start = Instant::now();
        let result = event_loop.run_in_reactor(move || async move {
            let _work = work;
            R::sleep(delay).await;
            value.make()
        });
        if after_shutdown {
            let refused = result.try_wait();
            let call = shared.next_call();
            let (work, value) = shared.work_and_value(call);
            let waited = event_loop.wait_for(Duration::MAX, move || async move {
                let _work = work;
                value.make()
            });
            let took = start.elapsed();
            if !matches!(refused, Err(Error::ReactorStopped))
                || !matches!(waited, Err(Error::ReactorStopped))
                || took > OVERRUN
            {
                shared.failure(format!(
                    "calls after shutdown: got {refused:?} and {waited:?} after {took:?}"
                ));
            }
            figures.slowest_refusal = figures.slowest_refusal.max(took);
            figures.late_calls += 2;
            continue;
        }
        figures.racing_calls += 1;
        match result.wait(Duration::from_millis(1 + rng.below(10))) {
            Err(err) if err.is_timeout() => {
                if rng.chance(50) {
                    result.cancel();
                }
            }
            Err(Error::ReactorStopped) => {}
            outcome => shared.deliver("racing", call, outcome),
        }
    }
    figures
}

fn spawn<T: Send + 'static>(
    name: String,
    body: impl FnOnce() -> T + Send + 'static,
) -> JoinHandle<T> {
    thread::Builder::new()
        .name(name)
        .spawn(body)
        .expect("could not spawn a test thread")
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
