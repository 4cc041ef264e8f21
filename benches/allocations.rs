//! Heap allocations per round trip of a trivial job (`|| async { 1 }`), for
//! crochet's `wait_for` and for the hand-written bridges on the same kind of
//! runtime, counted by a global allocator that wraps the system's.
//!
//! The count is process-wide: the reactor's threads allocate on the
//! caller's behalf (tasks, wakers, channels), and that is what a call costs.
//! Each contender makes `WARM_UP` calls first (so that lazily grown queues
//! and thread-locals are in place), then `CALLS` counted ones; the table
//! shows the averages per call. Threads are not pinned: placement changes
//! the time a call takes, not what it allocates.
//!
//! Run with `cargo bench --all-features --bench allocations`.

// Each benchmark binary uses part of the shared modules.
#[allow(dead_code)]
mod common;
#[allow(dead_code)]
mod per_call;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

/// Calls made before counting.
const WARM_UP: u64 = 1_000;
/// Calls counted per contender.
const CALLS: u64 = 10_000;

#[global_allocator]
static COUNTING: Counting = Counting;

/// Allocations (including `realloc`s, which may move) since the start.
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
/// Bytes requested by those allocations.
static BYTES: AtomicU64 = AtomicU64::new(0);

fn main() {
    println!("Allocations per round trip ({CALLS} calls after {WARM_UP} warm-up calls)\n");
    println!("| runtime | contender | allocations / call | bytes / call | ratio to fewest peer |");
    println!("|---|---|---:|---:|---:|");
    for build in per_call::setups() {
        let setup = build();
        let counts = setup.each(|contender| count(&contender.call));
        let fewest = counts
            .iter()
            .filter(|(name, _)| per_call::is_peer(name))
            .map(|(_, (allocations, _))| *allocations)
            .fold(f64::INFINITY, f64::min);
        for (name, (allocations, bytes)) in &counts {
            let ratio = if fewest > 0.0 && fewest.is_finite() {
                format!("{:.2}×", allocations / fewest)
            } else {
                String::new()
            };
            println!(
                "| {} | {name} | {allocations:.2} | {bytes:.0} | {ratio} |",
                setup.runtime
            );
        }
    }
}

/// The allocations and bytes per call of `call`, averaged over `CALLS`
/// calls after `WARM_UP`.
fn count(call: &dyn Fn() -> i32) -> (f64, f64) {
    for _ in 0..WARM_UP {
        black_box(call());
    }
    let allocations = ALLOCATIONS.load(Ordering::SeqCst);
    let bytes = BYTES.load(Ordering::SeqCst);
    for _ in 0..CALLS {
        black_box(call());
    }
    let allocations = ALLOCATIONS.load(Ordering::SeqCst) - allocations;
    let bytes = BYTES.load(Ordering::SeqCst) - bytes;
    (
        allocations as f64 / CALLS as f64,
        bytes as f64 / CALLS as f64,
    )
}

/// The system allocator, counting the allocations made through it.
struct Counting;

impl Counting {
    fn record(size: usize) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(size as u64, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees are this allocator's; counting touches
// only atomics and never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Counting::record(layout.size());
        // SAFETY: the caller upholds `alloc`'s contract (a non-zero size),
        // which is `System::alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Counting::record(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Counting::record(new_size);
        // SAFETY: the caller guarantees that `ptr` was allocated by this
        // allocator, hence by `System`, with `layout`, and that `new_size`
        // is valid for it.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller guarantees that `ptr` was allocated by this
        // allocator, hence by `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}
