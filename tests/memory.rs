//! Memory stays flat under long runs of calls: a million sequential
//! `wait_for` calls, and results dropped by the hundred thousand, leave the
//! resident memory where it was, and the loop keeps nothing of the
//! results it has finished with. In a binary of its own, since resident
//! memory is the whole process's: other tests running beside these would
//! blur the measure.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::thread;
use std::time::{Duration, Instant};

/// Sequential `wait_for` calls per run: a million in every profile, since
/// a debug build still makes one in about 10 µs here.
const CALLS: u64 = 1_000_000;

/// Results dropped per run.
const DROPPED: u64 = 100_000;

/// How much the resident memory may grow over a run: far above noise, far
/// below what keeping each call's state would cost.
const SLACK: u64 = 20 * 1024 * 1024;

const LONG: Duration = Duration::from_secs(5);

/// Counts the bytes allocated and not yet freed, so that a test can tell
/// what is still allocated from what the allocator keeps for reuse.
struct Counting;

static LIVE_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

// SAFETY: every call is passed on unchanged to the system allocator; the
// counter is only arithmetic on the sizes.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size(), std::sync::atomic::Ordering::Relaxed);
        std::alloc::System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        LIVE_BYTES.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
        std::alloc::System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(new_size, std::sync::atomic::Ordering::Relaxed);
        LIVE_BYTES.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
        std::alloc::System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes allocated and not yet freed, by the whole process.
fn live_bytes() -> u64 {
    LIVE_BYTES.load(std::sync::atomic::Ordering::Relaxed) as u64
}

#[test]
fn a_million_wait_for_calls_leave_memory_flat() {
    let _turn = one_at_a_time();
    let reactor = crochet::start();
    // Warm up: thread stacks, allocator arenas and the registry's first
    // growth are not what this test measures.
    for n in 0..10_000_u64 {
        assert_eq!(reactor.wait_for(LONG, move || async move { n }), Ok(n));
    }
    let before = resident_bytes();
    let start = Instant::now();
    for n in 0..CALLS {
        let outcome = reactor.wait_for(LONG, move || async move { n.wrapping_mul(3) });
        if outcome != Ok(n.wrapping_mul(3)) {
            panic!("call {n}: {outcome:?}");
        }
    }
    let took = start.elapsed();
    let what = format!(
        "{CALLS} sequential wait_for calls in {took:.1?} ({:.1?} each)",
        took / CALLS as u32
    );
    assert_flat(&what, before);
    assert!(reactor.shutdown(LONG));
}

#[test]
fn results_dropped_in_bulk_are_not_kept() {
    let _turn = one_at_a_time();
    let reactor = crochet::start();
    let warm_up: Vec<_> = (0..10_000)
        .map(|_| reactor.run_in_reactor(|| async { Arc::new([0_u8; 64]) }))
        .collect();
    drop(warm_up);
    assert_eq!(reactor.wait_for(LONG, || async {}), Ok(()));
    let before = resident_bytes();
    let mut samples: Vec<Weak<[u8; 64]>> = Vec::new();
    let start = Instant::now();
    for n in 0..DROPPED {
        let value = Arc::new([n as u8; 64]);
        if n % 100 == 0 {
            samples.push(Arc::downgrade(&value));
        }
        let result = reactor.run_in_reactor(move || async move { value });
        if n % 2 == 0 {
            // Dropped before the work ran: the value is made and freed on
            // the reactor.
            drop(result);
        } else {
            // Dropped once the value is there, untaken.
            while !result.is_ready() {
                thread::yield_now();
            }
            drop(result);
        }
    }
    // The built-in reactor runs work in order: when this returns, every
    // earlier piece of work has finished.
    assert_eq!(reactor.wait_for(LONG, || async {}), Ok(()));
    let deadline = Instant::now() + LONG;
    while samples.iter().any(|weak| weak.strong_count() > 0) {
        assert!(
            Instant::now() < deadline,
            "{} of {} sampled values are still kept",
            samples
                .iter()
                .filter(|weak| weak.strong_count() > 0)
                .count(),
            samples.len()
        );
        thread::sleep(Duration::from_millis(1));
    }
    let took = start.elapsed();
    let what =
        format!("{DROPPED} results dropped unawaited in {took:.1?}, every sampled value freed");
    assert_flat(&what, before);
    assert!(reactor.shutdown(LONG));
}

/// Pending results at the peak of `memory_returns_after_a_peak`, as the
/// reliability report measured it.
const PEAK: usize = 1_000_000;

/// How far above its level before a peak the allocated memory may stay
/// once the peak is over: a few MiB, where keeping the peak's tables
/// costs about a hundred. (Allocated, not resident: the allocator keeps
/// some freed pages for reuse, which is not crochet's to give back.)
const AFTER_PEAK: u64 = 8 * 1024 * 1024;

#[test]
fn memory_returns_after_a_peak_on_the_builtin_reactor() {
    memory_returns_after_a_peak("the built-in reactor", crochet::start());
}

#[cfg(feature = "tokio")]
#[test]
fn memory_returns_after_a_peak_on_tokio() {
    memory_returns_after_a_peak("tokio", crochet::tokio::start());
}

/// A million results pending at once, then finished and dropped: the
/// loop's tables (its registry, its reactor's task table and queues) give
/// the memory back.
fn memory_returns_after_a_peak(name: &str, reactor: crochet::EventLoop) {
    let _turn = one_at_a_time();
    let peak = |reactor: &crochet::EventLoop, count: usize| {
        let token = crochet::CancellationToken::new();
        let results: Vec<_> = (0..count)
            .map(|_| {
                let token = token.clone();
                reactor.run_in_reactor(move || token.cancelled())
            })
            .collect();
        token.cancel();
        for result in &results {
            assert_eq!(result.wait(LONG), Ok(()));
        }
    };
    // Warm up with a small peak: thread stacks and allocator arenas.
    peak(&reactor, 10_000);
    give_freed_memory_back();
    let before = resident_bytes();
    let live_before = live_bytes();
    let start = Instant::now();
    peak(&reactor, PEAK);
    let at_peak = resident_bytes();
    // Every task has ended once a later call returns on every runtime.
    assert_eq!(reactor.wait_for(LONG, || async {}), Ok(()));
    let live_after = live_bytes();
    give_freed_memory_back();
    let after = resident_bytes();
    eprintln!(
        "memory: {PEAK} pending results on {name} in {:.1?}; allocated {} KiB before, \
         {} KiB after; resident memory {} KiB before, {} KiB at the peak, {} KiB after \
         (the allocator keeps some freed pages)",
        start.elapsed(),
        live_before / 1024,
        live_after / 1024,
        before / 1024,
        at_peak / 1024,
        after / 1024
    );
    assert!(
        live_after <= live_before + AFTER_PEAK,
        "{name}: {live_after} bytes stayed allocated after the peak, from {live_before}"
    );
    assert!(reactor.shutdown(LONG));
}

/// Reports `what` happened and the resident memory around it, and asserts
/// that memory grew by no more than `SLACK` since `before`.
fn assert_flat(what: &str, before: u64) {
    let after = resident_bytes();
    eprintln!(
        "memory: {what}; resident memory {} KiB before, {} KiB after",
        before / 1024,
        after / 1024
    );
    assert!(
        after <= before + SLACK,
        "resident memory grew from {before} to {after} bytes"
    );
}

/// The two tests measure the same process: they take turns.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Asks the allocator to return the pages it keeps for reuse, so that the
/// resident memory shows what is still allocated: glibc's `malloc` keeps
/// freed heap memory below its highest live allocation, however little of
/// it is in use.
fn give_freed_memory_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: `malloc_trim` only releases free memory; it takes no
        // pointer and is safe to call at any time.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// The resident memory of this process, in bytes, from `/proc/self/status`;
/// zero where there is no such file, which makes the checks vacuous there.
fn resident_bytes() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib * 1024)
}
