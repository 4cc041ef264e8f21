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
