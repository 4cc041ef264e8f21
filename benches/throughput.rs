//! Throughput: 1, 2, 8 and 32 application threads making the round trip of
//! a trivial job (`|| async { 1 }`) in a loop, all on one loop, for crochet
//! and for the channel bridges a user would write by hand, on each runtime.
//! Criterion reports the time per call across all threads and, from it,
//! calls per second. Threads are left unpinned: with more application
//! threads than CPUs, placement is the scheduler's.
//!
//! Run with `cargo bench --all-features --bench throughput -- --noplot`;
//! BENCHMARKS.md holds the numbers of a run.

// Each benchmark binary uses part of the shared module.
#[allow(dead_code)]
mod common;

use std::hint::black_box;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use crochet::{EventLoop, WaitStrategy};

use common::{Spawn, Worker, TIMEOUT};

/// The numbers of application threads measured.
const THREADS: [usize; 4] = [1, 2, 8, 32];

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500))
        .sample_size(30)
        .configure_from_args();
    bench(
        &mut criterion,
        "builtin",
        &crochet::start(),
        &Worker::start(),
    );
    #[cfg(feature = "tokio")]
    {
        let multi = crochet::tokio::Builder::new_multi_thread()
            .worker_threads(2)
            .start()
            .unwrap();
        let peer = common::TokioPeer::start(false);
        bench(
            &mut criterion,
            "tokio_current",
            &crochet::tokio::start(),
            &peer,
        );
        let peer = common::TokioPeer::start(true);
        bench(&mut criterion, "tokio_multi", &multi, &peer);
    }
    #[cfg(feature = "smol")]
    bench(
        &mut criterion,
        "smol",
        &crochet::smol::start(),
        &common::SmolPeer::start(),
    );
    #[cfg(feature = "async-std")]
    bench(
        &mut criterion,
        "async_std",
        &crochet::async_std::start(),
        &common::AsyncStdGlobal,
    );
    criterion.final_summary();
}

/// One group per runtime: crochet's `wait_for` with the default wait
/// strategy and with `Park`, and the channel bridges on `peer`, for each
/// number of application threads.
fn bench<S: Spawn>(criterion: &mut Criterion, runtime: &str, lp: &EventLoop, peer: &S) {
    let mut group = criterion.benchmark_group(format!("throughput_{runtime}"));
    group.throughput(Throughput::Elements(1));
    for threads in THREADS {
        for (name, strategy) in [
            ("crochet_wait_for", WaitStrategy::default()),
            ("crochet_park_wait_for", WaitStrategy::Park),
        ] {
            lp.set_wait_strategy(strategy);
            group.bench_function(format!("{threads}_threads/{name}"), |b| {
                b.iter_custom(|iters| {
                    contend(threads, iters, || {
                        lp.wait_for(TIMEOUT, || async { 1 }).unwrap()
                    })
                })
            });
        }
        lp.set_wait_strategy(WaitStrategy::default());
        for (name, call) in common::channel_peers::<S>() {
            group.bench_function(format!("{threads}_threads/{name}"), |b| {
                b.iter_custom(|iters| contend(threads, iters, || call(peer)))
            });
        }
    }
    group.finish();
}

/// Makes about `iters` calls spread over `threads` threads that start
/// together; returns the time they took, scaled to exactly `iters` calls.
/// Starting the threads is not timed.
fn contend(threads: usize, iters: u64, call: impl Fn() -> i32 + Sync) -> Duration {
    let per_thread = iters.div_ceil(threads as u64).max(1);
    let start_line = Barrier::new(threads + 1);
    thread::scope(|scope| {
        let callers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    start_line.wait();
                    for _ in 0..per_thread {
                        black_box(call());
                    }
                })
            })
            .collect();
        start_line.wait();
        let start = Instant::now();
        for caller in callers {
            caller.join().unwrap();
        }
        let made = per_thread * threads as u64;
        start.elapsed().mul_f64(iters as f64 / made as f64)
    })
}
