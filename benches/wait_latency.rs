//! The round trip of a trivial job (`|| async { 1 }`): submitted from a
//! blocking caller, run on a reactor thread, its result handed back. Crochet
//! is measured beside the bridges a user would write by hand, on the same
//! kind of runtime and in the same run, one criterion group per runtime.
//!
//! Every figure is taken for five placements of the caller and the
//! runtime's threads, because on virtual machines whose idle CPUs halt the
//! placement decides the result: `diff_cpu` (pinned to different CPUs),
//! `same_cpu` (pinned to one CPU), `unpinned`, and the first two with the
//! caller pinned before any loop of the process starts (`first_diff_cpu`,
//! `first_same_cpu`; the loops' threads are pinned afterwards). Those two
//! run in a child process that the benchmark starts at its end, so that
//! nothing before the pin can have started a loop. Benchmark names read
//! `runtime/placement/contender`.
//!
//! Run with `cargo bench --all-features --bench wait_latency -- --noplot`;
//! BENCHMARKS.md explains the contenders and holds the numbers of a run.

mod common;

use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};
use crochet::{EventLoop, WaitStrategy};

use common::{affinity, pin_loop, pin_threads, Spawn, TIMEOUT};

/// Set in the child process that runs the placements pinned first.
const PINNED_FIRST: &str = "CROCHET_BENCH_PINNED_FIRST";

fn main() {
    let pinned_first = std::env::var_os(PINNED_FIRST).is_some();
    let cpus = affinity::allowed();
    if pinned_first {
        // Before anything of crochet runs in this process.
        affinity::pin_current(&cpus[..1]);
    }
    // Short times keep a full run of every runtime and placement within a
    // few minutes; `--warm-up-time` and `--measurement-time` override them.
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500))
        .configure_from_args();
    let placements = if pinned_first {
        Placement::pinned_first(&cpus)
    } else {
        Placement::all(&cpus)
    };
    builtin::bench(&mut criterion, &placements);
    #[cfg(feature = "tokio")]
    {
        tokio_rt::bench(&mut criterion, &placements, false);
        tokio_rt::bench(&mut criterion, &placements, true);
    }
    #[cfg(feature = "smol")]
    smol_rt::bench(&mut criterion, &placements);
    #[cfg(feature = "async-std")]
    async_std_rt::bench(&mut criterion, &placements);
    affinity::pin_current(&affinity::allowed());
    criterion.final_summary();
    if !pinned_first && !Placement::pinned_first(&cpus).is_empty() {
        run_pinned_first();
    }
}

/// Runs this benchmark again, with the same arguments, in a child process
/// that pins its main thread before it starts any loop.
fn run_pinned_first() {
    let status = std::process::Command::new(std::env::current_exe().expect("no executable path"))
        .args(std::env::args_os().skip(1))
        .env(PINNED_FIRST, "1")
        .status()
        .expect("could not run the pinned-first placements");
    assert!(
        status.success(),
        "the pinned-first placements failed: {status}"
    );
}

/// Where the caller and the runtime's threads run.
struct Placement {
    name: &'static str,
    caller: Vec<usize>,
    reactor: Vec<usize>,
}

impl Placement {
    /// The placements this machine allows: pinning needs Linux, and
    /// `diff_cpu` needs two CPUs.
    fn all(cpus: &[usize]) -> Vec<Placement> {
        let mut all = Vec::new();
        if let [first, second, ..] = cpus[..] {
            all.push(Placement {
                name: "diff_cpu",
                caller: vec![first],
                reactor: vec![second],
            });
        }
        if let [first, ..] = cpus[..] {
            all.push(Placement {
                name: "same_cpu",
                caller: vec![first],
                reactor: vec![first],
            });
        }
        all.push(Placement {
            name: "unpinned",
            caller: cpus.to_vec(),
            reactor: cpus.to_vec(),
        });
        all
    }

    /// The placements of the child process, whose caller was pinned to the
    /// first CPU before any loop started; they need two CPUs.
    fn pinned_first(cpus: &[usize]) -> Vec<Placement> {
        let [first, second, ..] = cpus[..] else {
            return Vec::new();
        };
        vec![
            Placement {
                name: "first_diff_cpu",
                caller: vec![first],
                reactor: vec![second],
            },
            Placement {
                name: "first_same_cpu",
                caller: vec![first],
                reactor: vec![first],
            },
        ]
    }

    /// The benchmark's name within its runtime's group.
    fn id(&self, contender: &str) -> String {
        format!("{}/{contender}", self.name)
    }
}

/// Crochet's contenders: `wait_for` with a timeout, `wait` without one, and
/// `wait_for` with the wait strategy that parks at once.
fn crochet_benches(group: &mut BenchmarkGroup<'_, WallTime>, at: &Placement, lp: &EventLoop) {
    group.bench_function(at.id("crochet_wait_for"), |b| {
        b.iter(|| lp.wait_for(TIMEOUT, || async { 1 }).unwrap())
    });
    group.bench_function(at.id("crochet_wait"), |b| {
        b.iter(|| {
            lp.run_in_reactor(|| async { 1 })
                .wait(Duration::MAX)
                .unwrap()
        })
    });
    lp.set_wait_strategy(WaitStrategy::Park);
    group.bench_function(at.id("crochet_park_wait_for"), |b| {
        b.iter(|| lp.wait_for(TIMEOUT, || async { 1 }).unwrap())
    });
    lp.set_wait_strategy(WaitStrategy::default());
}

/// The hand-written bridges that spawn the job with a channel's sender and
/// wait on its receiver.
fn channel_peers<S: Spawn>(group: &mut BenchmarkGroup<'_, WallTime>, at: &Placement, runtime: &S) {
    for (name, call) in common::channel_peers::<S>() {
        group.bench_function(at.id(name), |b| b.iter(|| call(runtime)));
    }
}

/// The built-in reactor, against a worker thread fed by std `mpsc` (which
/// runs each future with `pollster`) and a `Mutex` + `Condvar` hand-off.
mod builtin {
    use super::*;
    use common::Worker;

    pub fn bench(criterion: &mut Criterion, placements: &[Placement]) {
        let lp = crochet::start();
        let worker = Worker::start();
        let handoff = Handoff::start();
        let mut group = criterion.benchmark_group("builtin");
        for at in placements {
            affinity::pin_current(&at.caller);
            pin_loop(&lp, 1, &at.reactor);
            pin_threads(1, &at.reactor, |job| worker.send(job));
            let cpus = at.reactor.clone();
            handoff.call(Box::new(move || {
                affinity::pin_current(&cpus);
                0
            }));
            crochet_benches(&mut group, at, &lp);
            channel_peers(&mut group, at, &worker);
            group.bench_function(at.id("condvar_handoff"), |b| {
                b.iter(|| handoff.call(Box::new(|| pollster::block_on(async { 1 }))))
            });
            group.bench_function(at.id("floor_same_thread_block_on"), |b| {
                b.iter(|| crochet::reactor::block_on(async { 1 }))
            });
        }
        group.finish();
    }

    /// A thread that takes one job at a time from a mutex-guarded slot and
    /// puts its result back, each side waking the other with a condvar.
    struct Handoff {
        shared: Arc<Shared>,
        thread: Option<thread::JoinHandle<()>>,
    }

    struct Shared {
        slot: Mutex<Slot>,
        job_ready: Condvar,
        result_ready: Condvar,
    }

    enum Slot {
        Empty,
        Job(Box<dyn FnOnce() -> i32 + Send>),
        Result(i32),
        Stop,
    }

    impl Handoff {
        fn start() -> Handoff {
            let shared = Arc::new(Shared {
                slot: Mutex::new(Slot::Empty),
                job_ready: Condvar::new(),
                result_ready: Condvar::new(),
            });
            let theirs = shared.clone();
            let thread = thread::spawn(move || theirs.serve());
            Handoff {
                shared,
                thread: Some(thread),
            }
        }

        fn call(&self, job: Box<dyn FnOnce() -> i32 + Send>) -> i32 {
            let mut slot = self.shared.slot.lock().unwrap();
            *slot = Slot::Job(job);
            self.shared.job_ready.notify_one();
            let (mut slot, _) = self
                .shared
                .result_ready
                .wait_timeout_while(slot, TIMEOUT, |slot| !matches!(slot, Slot::Result(_)))
                .unwrap();
            match std::mem::replace(&mut *slot, Slot::Empty) {
                Slot::Result(value) => value,
                _ => panic!("the hand-off timed out"),
            }
        }
    }

    impl Shared {
        fn serve(&self) {
            let mut slot = self.slot.lock().unwrap();
            loop {
                slot = self
                    .job_ready
                    .wait_while(slot, |slot| !matches!(slot, Slot::Job(_) | Slot::Stop))
                    .unwrap();
                let Slot::Job(job) = std::mem::replace(&mut *slot, Slot::Empty) else {
                    return;
                };
                drop(slot);
                let value = job();
                slot = self.slot.lock().unwrap();
                *slot = Slot::Result(value);
                self.result_ready.notify_one();
            }
        }
    }

    impl Drop for Handoff {
        fn drop(&mut self) {
            *self.shared.slot.lock().unwrap() = Slot::Stop;
            self.shared.job_ready.notify_one();
            let _ = self.thread.take().unwrap().join();
        }
    }
}

/// Tokio, current-thread (on a thread of its own) and multi-thread (two
/// workers): `pollster` and `futures` blocking on a spawned task's
/// `JoinHandle`, the channel bridges, and `Handle::block_on` on the caller's
/// thread as the same-thread floor.
#[cfg(feature = "tokio")]
mod tokio_rt {
    use super::*;
    use common::TokioPeer;

    pub fn bench(criterion: &mut Criterion, placements: &[Placement], multi_thread: bool) {
        let (name, threads, lp) = if multi_thread {
            let lp = crochet::tokio::Builder::new_multi_thread()
                .worker_threads(2)
                .start()
                .unwrap();
            ("tokio_multi", 2, lp)
        } else {
            ("tokio_current", 1, crochet::tokio::start())
        };
        let peer = TokioPeer::start(multi_thread);
        let handle = &peer.handle;
        let mut group = criterion.benchmark_group(name);
        for at in placements {
            affinity::pin_current(&at.caller);
            pin_loop(&lp, threads, &at.reactor);
            pin_threads(threads, &at.reactor, |job| {
                handle.spawn(async move { job() })
            });
            crochet_benches(&mut group, at, &lp);
            group.bench_function(at.id("pollster_spawn"), |b| {
                b.iter(|| pollster::block_on(handle.spawn(async { 1 })).unwrap())
            });
            group.bench_function(at.id("futures_spawn"), |b| {
                b.iter(|| futures::executor::block_on(handle.spawn(async { 1 })).unwrap())
            });
            channel_peers(&mut group, at, &peer);
            group.bench_function(at.id("floor_same_thread_block_on"), |b| {
                b.iter(|| handle.block_on(async { 1 }))
            });
        }
        group.finish();
    }
}

/// smol: an executor driven on a thread of its own; `smol::block_on`,
/// `pollster` and `futures` blocking on a spawned task, the channel bridges,
/// and `smol::block_on` of the job on the caller's thread as the floor.
#[cfg(feature = "smol")]
mod smol_rt {
    use super::*;
    use common::SmolPeer;

    pub fn bench(criterion: &mut Criterion, placements: &[Placement]) {
        let lp = crochet::smol::start();
        let peer = SmolPeer::start();
        let executor = &peer.executor;
        let mut group = criterion.benchmark_group("smol");
        for at in placements {
            affinity::pin_current(&at.caller);
            pin_loop(&lp, 1, &at.reactor);
            pin_threads(1, &at.reactor, |job| executor.spawn(async move { job() }));
            crochet_benches(&mut group, at, &lp);
            group.bench_function(at.id("smol_block_on_spawn"), |b| {
                b.iter(|| smol::block_on(executor.spawn(async { 1 })))
            });
            group.bench_function(at.id("pollster_spawn"), |b| {
                b.iter(|| pollster::block_on(executor.spawn(async { 1 })))
            });
            group.bench_function(at.id("futures_spawn"), |b| {
                b.iter(|| futures::executor::block_on(executor.spawn(async { 1 })))
            });
            channel_peers(&mut group, at, &peer);
            group.bench_function(at.id("floor_same_thread_block_on"), |b| {
                b.iter(|| smol::block_on(async { 1 }))
            });
        }
        group.finish();
    }
}

/// async-std: tasks on its global executor (one thread per CPU);
/// `async_std::task::block_on`, `pollster` and `futures` blocking on a
/// spawned task, the channel bridges, and `async_std::task::block_on` of the
/// job on the caller's thread as the floor.
#[cfg(feature = "async-std")]
mod async_std_rt {
    use super::*;
    use async_std::task;
    use common::AsyncStdGlobal;

    pub fn bench(criterion: &mut Criterion, placements: &[Placement]) {
        let lp = crochet::async_std::start();
        let threads = thread::available_parallelism().map_or(1, |cpus| cpus.get());
        let mut group = criterion.benchmark_group("async_std");
        for at in placements {
            affinity::pin_current(&at.caller);
            pin_loop(&lp, 1, &at.reactor);
            pin_threads(threads, &at.reactor, |job| {
                task::spawn(async move { job() })
            });
            crochet_benches(&mut group, at, &lp);
            group.bench_function(at.id("async_std_block_on_spawn"), |b| {
                b.iter(|| task::block_on(task::spawn(async { 1 })))
            });
            group.bench_function(at.id("pollster_spawn"), |b| {
                b.iter(|| pollster::block_on(task::spawn(async { 1 })))
            });
            group.bench_function(at.id("futures_spawn"), |b| {
                b.iter(|| futures::executor::block_on(task::spawn(async { 1 })))
            });
            channel_peers(&mut group, at, &AsyncStdGlobal);
            group.bench_function(at.id("floor_same_thread_block_on"), |b| {
                b.iter(|| task::block_on(async { 1 }))
            });
        }
        group.finish();
    }
}
