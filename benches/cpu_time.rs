//! CPU time per round trip of a trivial job (`|| async { 1 }`): user plus
//! system time of every thread of the process, from
//! `getrusage(RUSAGE_SELF)`, around `CALLS` calls, for crochet's `wait_for`
//! with the default wait strategy and with `Park`, and for the hand-written
//! bridges on the same kind of runtime.
//!
//! The caller is pinned to one CPU and the runtimes' threads to another, as
//! in `wait_latency`'s `diff_cpu` placement: that is where spinning costs
//! CPU time (on one CPU a waiting caller yields it to the loop). The wall
//! time of the same calls is shown beside, since CPU time bought with
//! spinning only pays if it buys latency. Linux only.
//!
//! Run with `cargo bench --all-features --bench cpu_time`.

// Each benchmark binary uses part of the shared modules.
#[allow(dead_code)]
mod common;
#[allow(dead_code)]
mod per_call;

/// Calls made before measuring.
#[cfg(target_os = "linux")]
const WARM_UP: u32 = 2_000;
/// Calls measured per contender.
#[cfg(target_os = "linux")]
const CALLS: u32 = 50_000;

#[cfg(target_os = "linux")]
fn main() {
    use common::affinity;

    let cpus = affinity::allowed();
    let [caller, runtime, ..] = cpus[..] else {
        println!("cpu_time needs two CPUs to pin the caller and the runtime apart");
        return;
    };
    affinity::pin_current(&[caller]);
    println!(
        "CPU time per round trip, caller on CPU {caller}, runtime threads on CPU {runtime} \
         ({CALLS} calls after {WARM_UP} warm-up calls)\n"
    );
    println!(
        "| runtime | contender | CPU / call | wall / call | CPU / wall | CPU ratio to best peer |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    for build in per_call::setups() {
        let setup = build();
        setup.pin_runtime(&[runtime]);
        let times = setup.each(|contender| measure(&contender.call));
        let best = times
            .iter()
            .filter(|(name, _)| per_call::is_peer(name))
            .map(|(_, (cpu, _))| *cpu)
            .fold(f64::INFINITY, f64::min);
        for (name, (cpu, wall)) in &times {
            println!(
                "| {} | {name} | {cpu:.1} µs | {wall:.1} µs | {:.2} | {:.2}× |",
                setup.runtime,
                cpu / wall,
                cpu / best,
            );
        }
    }
    affinity::pin_current(&cpus);
}

#[cfg(not(target_os = "linux"))]
fn main() {
    println!("cpu_time measures with getrusage and pins threads: Linux only");
}

/// The CPU time and the wall time per call of `call`, in microseconds,
/// over `CALLS` calls after `WARM_UP`.
#[cfg(target_os = "linux")]
fn measure(call: &dyn Fn() -> i32) -> (f64, f64) {
    use std::hint::black_box;
    use std::time::Instant;

    for _ in 0..WARM_UP {
        black_box(call());
    }
    let cpu = process_cpu_micros();
    let start = Instant::now();
    for _ in 0..CALLS {
        black_box(call());
    }
    let wall = start.elapsed().as_secs_f64() * 1e6;
    let cpu = process_cpu_micros() - cpu;
    (cpu / f64::from(CALLS), wall / f64::from(CALLS))
}

/// User plus system time of every thread of the process so far, in
/// microseconds.
#[cfg(target_os = "linux")]
fn process_cpu_micros() -> f64 {
    use nix::sys::resource::{getrusage, UsageWho};
    use nix::sys::time::TimeValLike;

    let usage = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage failed");
    (usage.user_time().num_microseconds() + usage.system_time().num_microseconds()) as f64
}
