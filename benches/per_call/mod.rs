//! What the per-call benchmarks (allocations, CPU time) share: for each
//! runtime setup, crochet's loop and the hand-written bridges on the same
//! kind of runtime, as plain calls that make one round trip of the trivial
//! job (`|| async { 1 }`).
//!
//! A setup is built only when it is measured and dropped right after, so
//! that the threads of one runtime do not run (or allocate) while another is
//! measured.

use std::sync::Arc;

use crochet::{EventLoop, WaitStrategy};

use crate::common::{self, pin_loop, pin_threads, Spawn, Worker, TIMEOUT};

/// One way of making the round trip.
pub struct Contender {
    /// The name the tables show, as in the `wait_latency` benchmark.
    pub name: &'static str,
    /// The wait strategy set on the setup's loop before the contender runs.
    pub strategy: WaitStrategy,
    /// Makes one round trip.
    pub call: Box<dyn Fn() -> i32>,
}

/// A runtime setup: crochet's loop on it and the peers' runtime beside it.
pub struct Setup {
    /// The runtime's name, as in the `wait_latency` benchmark.
    pub runtime: &'static str,
    /// Crochet's loop on this runtime.
    pub event_loop: EventLoop,
    /// Crochet's contenders first, then the peers.
    pub contenders: Vec<Contender>,
    pin: PinRuntime,
}

/// Pins a setup's runtime threads to the CPUs given.
type PinRuntime = Box<dyn Fn(&[usize])>;

impl Setup {
    /// Pins the threads of crochet's loop and of the peers' runtime that run
    /// the work to `cpus`.
    pub fn pin_runtime(&self, cpus: &[usize]) {
        (self.pin)(cpus);
    }

    /// Runs `measure` on each contender in turn, with the contender's wait
    /// strategy set on the loop.
    pub fn each<R>(&self, mut measure: impl FnMut(&Contender) -> R) -> Vec<(&'static str, R)> {
        let measured = self
            .contenders
            .iter()
            .map(|contender| {
                self.event_loop.set_wait_strategy(contender.strategy);
                (contender.name, measure(contender))
            })
            .collect();
        self.event_loop.set_wait_strategy(WaitStrategy::default());
        measured
    }
}

/// The setups this build has, each as the function that builds it.
pub fn setups() -> Vec<fn() -> Setup> {
    // Without runtime features only the built-in reactor is pushed.
    #[allow(unused_mut)]
    let mut all: Vec<fn() -> Setup> = vec![builtin];
    #[cfg(feature = "tokio")]
    {
        all.push(|| tokio_setup(false));
        all.push(|| tokio_setup(true));
    }
    #[cfg(feature = "smol")]
    all.push(smol_setup);
    #[cfg(feature = "async-std")]
    all.push(async_std_setup);
    all
}

/// Whether a contender is a hand-written bridge (and not crochet).
pub fn is_peer(name: &str) -> bool {
    !name.starts_with("crochet_")
}

/// Crochet's two contenders: `wait_for` with the default wait strategy
/// and with `Park`.
fn crochet_contenders(event_loop: &EventLoop) -> Vec<Contender> {
    [
        ("crochet_wait_for", WaitStrategy::default()),
        ("crochet_park_wait_for", WaitStrategy::Park),
    ]
    .into_iter()
    .map(|(name, strategy)| {
        let event_loop = event_loop.clone();
        Contender {
            name,
            strategy,
            call: Box::new(move || event_loop.wait_for(TIMEOUT, || async { 1 }).unwrap()),
        }
    })
    .collect()
}

/// A peer: `call` on the shared peer runtime.
fn peer<S: 'static>(name: &'static str, runtime: &Arc<S>, call: fn(&S) -> i32) -> Contender {
    let runtime = runtime.clone();
    Contender {
        name,
        strategy: WaitStrategy::default(),
        call: Box::new(move || call(&runtime)),
    }
}

/// The channel bridges on `runtime`.
fn channel_contenders<S: Spawn + 'static>(runtime: &Arc<S>) -> Vec<Contender> {
    common::channel_peers::<S>()
        .into_iter()
        .map(|(name, call)| peer(name, runtime, call))
        .collect()
}

/// The built-in reactor, against a worker thread fed by std `mpsc`.
fn builtin() -> Setup {
    let event_loop = crochet::start();
    let worker = Arc::new(Worker::start());
    let mut contenders = crochet_contenders(&event_loop);
    contenders.extend(channel_contenders(&worker));
    let lp = event_loop.clone();
    Setup {
        runtime: "builtin",
        event_loop,
        contenders,
        pin: Box::new(move |cpus| {
            pin_loop(&lp, 1, cpus);
            pin_threads(1, cpus, |job| worker.send(job));
        }),
    }
}

/// Tokio, current-thread on a thread of its own or multi-thread with two
/// workers, for crochet and for the peers.
#[cfg(feature = "tokio")]
fn tokio_setup(multi_thread: bool) -> Setup {
    use common::TokioPeer;

    let (runtime, threads, event_loop) = if multi_thread {
        let event_loop = crochet::tokio::Builder::new_multi_thread()
            .worker_threads(2)
            .start()
            .unwrap();
        ("tokio_multi", 2, event_loop)
    } else {
        ("tokio_current", 1, crochet::tokio::start())
    };
    let tokio = Arc::new(TokioPeer::start(multi_thread));
    let mut contenders = crochet_contenders(&event_loop);
    contenders.push(peer("pollster_spawn", &tokio, |tokio| {
        pollster::block_on(tokio.handle.spawn(async { 1 })).unwrap()
    }));
    contenders.push(peer("futures_spawn", &tokio, |tokio| {
        futures::executor::block_on(tokio.handle.spawn(async { 1 })).unwrap()
    }));
    contenders.extend(channel_contenders(&tokio));
    let lp = event_loop.clone();
    Setup {
        runtime,
        event_loop,
        contenders,
        pin: Box::new(move |cpus| {
            pin_loop(&lp, threads, cpus);
            pin_threads(threads, cpus, |job| {
                tokio.handle.spawn(async move { job() })
            });
        }),
    }
}

/// smol: crochet's loop, and an executor driven on a thread of its own.
#[cfg(feature = "smol")]
fn smol_setup() -> Setup {
    let event_loop = crochet::smol::start();
    let smol = Arc::new(common::SmolPeer::start());
    let mut contenders = crochet_contenders(&event_loop);
    contenders.push(peer("smol_block_on_spawn", &smol, |smol| {
        smol::block_on(smol.executor.spawn(async { 1 }))
    }));
    contenders.push(peer("pollster_spawn", &smol, |smol| {
        pollster::block_on(smol.executor.spawn(async { 1 }))
    }));
    contenders.push(peer("futures_spawn", &smol, |smol| {
        futures::executor::block_on(smol.executor.spawn(async { 1 }))
    }));
    contenders.extend(channel_contenders(&smol));
    let lp = event_loop.clone();
    Setup {
        runtime: "smol",
        event_loop,
        contenders,
        pin: Box::new(move |cpus| {
            pin_loop(&lp, 1, cpus);
            pin_threads(1, cpus, |job| smol.executor.spawn(async move { job() }));
        }),
    }
}

/// async-std: crochet's loop, and tasks on async-std's global executor.
#[cfg(feature = "async-std")]
fn async_std_setup() -> Setup {
    use async_std::task;
    use common::AsyncStdGlobal;

    let event_loop = crochet::async_std::start();
    let global = Arc::new(AsyncStdGlobal);
    let mut contenders = crochet_contenders(&event_loop);
    contenders.push(peer("async_std_block_on_spawn", &global, |_| {
        task::block_on(task::spawn(async { 1 }))
    }));
    contenders.push(peer("pollster_spawn", &global, |_| {
        pollster::block_on(task::spawn(async { 1 }))
    }));
    contenders.push(peer("futures_spawn", &global, |_| {
        futures::executor::block_on(task::spawn(async { 1 }))
    }));
    contenders.extend(channel_contenders(&global));
    let lp = event_loop.clone();
    let threads = std::thread::available_parallelism().map_or(1, |cpus| cpus.get());
    Setup {
        runtime: "async_std",
        event_loop,
        contenders,
        pin: Box::new(move |cpus| {
            pin_loop(&lp, 1, cpus);
            pin_threads(threads, cpus, |job| task::spawn(async move { job() }));
        }),
    }
}
