//! The rounds of the client benchmarks: each figure measures crochet's side
//! and its peer one after the other, in alternating order from round to
//! round, and keeps the ratio of each round; the summary gives the minimum,
//! median and maximum of those ratios.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use crochet::EventLoop;

use crate::affinity;

/// One way of making calls: a shared client, or a client per thread.
pub trait Side: Sync {
    /// What one thread makes its calls with: a closure making one call
    /// (a query, a request). Called on the thread that will call it, before
    /// the timing starts, so a client per thread connects there.
    fn session(&self) -> Box<dyn FnMut() + '_>;
}

/// A side whose calls are made from a thread pinned to `caller`, and
/// whose loop, if it has one, runs on a thread pinned to the CPU given
/// with it (the same or another); both are unpinned when the session ends.
pub struct Pinned<'a> {
    pub side: &'a dyn Side,
    pub caller: usize,
    pub reactor: Option<(&'a EventLoop, usize)>,
}

impl Side for Pinned<'_> {
    fn session(&self) -> Box<dyn FnMut() + '_> {
        let unpinned = Unpin::new(self.reactor.map(|(reactor, _)| reactor));
        affinity::pin_current(&[self.caller]);
        if let Some((reactor, cpu)) = self.reactor {
            pin_loop(reactor, &[cpu]);
        }
        let mut call = self.side.session();
        Box::new(move || {
            let _unpinned = &unpinned;
            call();
        })
    }
}

/// Pins the thread of a one-thread loop.
fn pin_loop(reactor: &EventLoop, cpus: &[usize]) {
    let cpus = cpus.to_vec();
    reactor
        .wait_for(Duration::from_secs(5), move || async move {
            affinity::pin_current(&cpus)
        })
        .expect("the loop pinned its thread");
}

/// Unpins the calling thread and a loop's when dropped.
struct Unpin<'a> {
    all: Vec<usize>,
    reactor: Option<&'a EventLoop>,
}

impl<'a> Unpin<'a> {
    fn new(reactor: Option<&'a EventLoop>) -> Unpin<'a> {
        Unpin {
            all: affinity::allowed(),
            reactor,
        }
    }
}

impl Drop for Unpin<'_> {
    fn drop(&mut self) {
        affinity::pin_current(&self.all);
        if let Some(reactor) = self.reactor {
            pin_loop(reactor, &self.all);
        }
    }
}

/// What a figure measures.
#[derive(Clone, Copy, Debug)]
pub enum Measure {
    /// Wall time per call, one thread making `calls` calls in a row.
    Latency { calls: u64 },
    /// The process's CPU time per call (every thread of it: the caller's,
    /// the loop's, a runtime's), one thread making `calls` calls.
    Cpu { calls: u64 },
    /// Calls per second, `threads` threads calling for `run`.
    Throughput { threads: usize, run: Duration },
}

impl Measure {
    fn lower_is_better(self) -> bool {
        !matches!(self, Measure::Throughput { .. })
    }

    fn unit(self) -> &'static str {
        match self {
            Measure::Latency { .. } | Measure::Cpu { .. } => "µs/call",
            Measure::Throughput { .. } => "calls/s",
        }
    }

    /// One measurement of `side`.
    fn take(self, side: &dyn Side) -> f64 {
        match self {
            Measure::Latency { calls } => {
                let mut call = side.session();
                warm_up(&mut call);
                let start = Instant::now();
                for _ in 0..calls {
                    call();
                }
                start.elapsed().as_secs_f64() * 1e6 / calls as f64
            }
            Measure::Cpu { calls } => {
                let mut call = side.session();
                warm_up(&mut call);
                let start = cpu_time();
                for _ in 0..calls {
                    call();
                }
                (cpu_time() - start).as_secs_f64() * 1e6 / calls as f64
            }
            Measure::Throughput { threads, run } => throughput(side, threads, run),
        }
    }
}

fn warm_up(call: &mut dyn FnMut()) {
    for _ in 0..50 {
        call();
    }
}

fn throughput(side: &dyn Side, threads: usize, run: Duration) -> f64 {
    let ready = Barrier::new(threads + 1);
    let stop = AtomicBool::new(false);
    let calls = AtomicU64::new(0);
    let elapsed = thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut call = side.session();
                warm_up(&mut call);
                ready.wait();
                let mut made = 0;
                while !stop.load(Ordering::Relaxed) {
                    call();
                    made += 1;
                }
                calls.fetch_add(made, Ordering::Relaxed);
            });
        }
        ready.wait();
        let start = Instant::now();
        thread::sleep(run);
        stop.store(true, Ordering::Relaxed);
        start.elapsed()
    });
    // The calls under way at the stop end a little after it; each thread
    // has at most one, a small bias shared by both sides.
    calls.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64()
}

/// The process's user and system CPU time so far.
#[cfg(target_os = "linux")]
pub fn cpu_time() -> Duration {
    use nix::sys::resource::{getrusage, UsageWho};
    let usage = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage failed");
    let (user, system) = (usage.user_time(), usage.system_time());
    let micros = (user.tv_sec() + system.tv_sec()) * 1_000_000 + user.tv_usec() + system.tv_usec();
    Duration::from_micros(micros as u64)
}

/// Without `getrusage`, wall time stands in for CPU time.
#[cfg(not(target_os = "linux"))]
pub fn cpu_time() -> Duration {
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

/// A figure: crochet's side against its peer, under one measure.
pub struct Figure<'a> {
    pub name: String,
    pub measure: Measure,
    pub ours: (&'static str, &'a dyn Side),
    pub peer: (&'static str, &'a dyn Side),
}

impl<'a> Figure<'a> {
    pub fn new(
        name: impl Into<String>,
        measure: Measure,
        ours: (&'static str, &'a dyn Side),
        peer: (&'static str, &'a dyn Side),
    ) -> Figure<'a> {
        Figure {
            name: name.into(),
            measure,
            ours,
            peer,
        }
    }
}

/// Runs `rounds` rounds of every figure, printing each measurement as it
/// comes and a summary at the end: per figure, the min / median / max of the
/// rounds' ratios crochet ÷ peer (for latency and CPU lower is better, for
/// throughput higher is).
pub fn run(title: &str, rounds: usize, figures: &[Figure<'_>]) {
    // `CROCHET_BENCH_FILTER=latency|CPU` keeps the figures whose name has
    // one of the words.
    let filter = std::env::var("CROCHET_BENCH_FILTER").unwrap_or_default();
    let figures: Vec<&Figure<'_>> = figures
        .iter()
        .filter(|f| filter.split('|').any(|word| f.name.contains(word)))
        .collect();
    println!("\n## {title}: {rounds} rounds");
    let mut ratios = vec![Vec::with_capacity(rounds); figures.len()];
    let mut values = vec![(Vec::new(), Vec::new()); figures.len()];
    for round in 0..rounds {
        for (i, figure) in figures.iter().enumerate() {
            // Alternate which side goes first, so that a drift of the
            // machine over a round favours neither.
            // `CROCHET_BENCH_ONLY=ours` (or `peer`) measures one side, for
            // a profile of it; the ratios are then meaningless.
            let only = std::env::var("CROCHET_BENCH_ONLY").unwrap_or_default();
            let (ours, peer) = if only == "ours" {
                (figure.measure.take(figure.ours.1), f64::NAN)
            } else if only == "peer" {
                (f64::NAN, figure.measure.take(figure.peer.1))
            } else if round % 2 == 0 {
                let ours = figure.measure.take(figure.ours.1);
                (ours, figure.measure.take(figure.peer.1))
            } else {
                let peer = figure.measure.take(figure.peer.1);
                (figure.measure.take(figure.ours.1), peer)
            };
            let ratio = ours / peer;
            println!(
                "round {round} {:<44} {:>22} {ours:>10.1}  {:>22} {peer:>10.1} {}  ratio {ratio:.3}",
                figure.name,
                figure.ours.0,
                figure.peer.0,
                figure.measure.unit(),
            );
            ratios[i].push(ratio);
            values[i].0.push(ours);
            values[i].1.push(peer);
        }
    }
    println!("\n| {title} | crochet | peer | ratio min | median | max | better |");
    println!("|---|---|---|---|---|---|---|");
    for (i, figure) in figures.iter().enumerate() {
        let (min, median, max) = spread(&mut ratios[i]);
        let ours = spread(&mut values[i].0).1;
        let peer = spread(&mut values[i].1).1;
        let unit = figure.measure.unit();
        println!(
            "| {} | {} {ours:.1} {unit} | {} {peer:.1} | {min:.2}× | {median:.2}× | {max:.2}× | {} |",
            figure.name,
            figure.ours.0,
            figure.peer.0,
            if figure.measure.lower_is_better() {
                "lower"
            } else {
                "higher"
            },
        );
    }
}

fn spread(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    (values[0], median, values[n - 1])
}

/// The number of rounds: `CROCHET_BENCH_ROUNDS`, or `default`.
pub fn rounds(default: usize) -> usize {
    std::env::var("CROCHET_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(default)
}
