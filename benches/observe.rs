//! What observing costs on the round trip of a trivial job
//! (`wait_for(|| async { 1 })` on the built-in reactor): without a context
//! hook, with one that captures nothing, and with one that captures a
//! context entered around every poll and the drop of the work. The loop's
//! counters and the timing of its polls are always on; their cost is
//! measured in instructions against the code without them (see
//! BENCHMARKS.md), since on a virtual machine it is far below the noise
//! of a round trip's wall time.
//!
//! Run with `cargo bench --bench observe -- --noplot`.

use std::time::Duration;

use criterion::Criterion;
use crochet::{EventLoop, WaitStrategy, WorkContext};

/// A context that enters nothing: what a context system's own work costs
/// is left out.
struct Nothing;

impl WorkContext for Nothing {
    fn in_scope(&self, run: &mut dyn FnMut()) {
        run();
    }
}

fn round_trip(reactor: &EventLoop) -> i32 {
    reactor
        .wait_for(Duration::from_secs(1), || async { 1 })
        .unwrap()
}

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500))
        .configure_from_args();
    let reactor = crochet::start();
    // Parking at once makes the rows differ by what they do, not by how
    // long a spin happened to last.
    reactor.set_wait_strategy(WaitStrategy::Park);
    let mut group = criterion.benchmark_group("observe/builtin/wait_for");
    crochet::reset_context_hook();
    group.bench_function("no_context_hook", |b| b.iter(|| round_trip(&reactor)));
    crochet::set_context_hook(|| None);
    group.bench_function("hook_capturing_nothing", |b| {
        b.iter(|| round_trip(&reactor))
    });
    crochet::set_context_hook(|| Some(Box::new(Nothing) as Box<dyn WorkContext>));
    group.bench_function("hook_capturing_a_context", |b| {
        b.iter(|| round_trip(&reactor))
    });
    crochet::reset_context_hook();
    group.finish();
    let stats = reactor.stats();
    println!(
        "{} round trips, longest poll {:?}",
        stats.completed(),
        stats.longest_poll()
    );
    criterion.final_summary();
}
