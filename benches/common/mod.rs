//! What the benchmarks share: the runtimes the hand-written bridges run on
//! (each on threads of its own, as crochet's loops are), the bridges
//! themselves, and pinning threads to CPUs.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use crochet::EventLoop;

/// The timeout of the contenders that take one; never reached.
pub const TIMEOUT: Duration = Duration::from_secs(1);

/// Work handed to a runtime's thread to run there.
pub type Job = Box<dyn FnOnce() + Send>;

/// Spawns a detached future on a runtime's thread(s).
pub trait Spawn: Sync {
    fn detach(&self, work: impl Future<Output = ()> + Send + 'static);
}

/// A bridge that spawns the trivial job with a channel's sender and waits on
/// its receiver; here a tokio `oneshot`, received with `blocking_recv`.
pub fn tokio_oneshot<S: Spawn>(runtime: &S) -> i32 {
    let (tx, rx) = tokio::sync::oneshot::channel();
    runtime.detach(async move {
        let _ = tx.send(async { 1 }.await);
    });
    rx.blocking_recv().unwrap()
}

/// The `oneshot` crate's channel, received with `recv_timeout`.
pub fn oneshot_crate<S: Spawn>(runtime: &S) -> i32 {
    let (tx, rx) = oneshot::channel();
    runtime.detach(async move {
        let _ = tx.send(async { 1 }.await);
    });
    rx.recv_timeout(TIMEOUT).unwrap()
}

/// A std `mpsc` channel, received with `recv_timeout`.
pub fn std_mpsc<S: Spawn>(runtime: &S) -> i32 {
    let (tx, rx) = mpsc::sync_channel(1);
    runtime.detach(async move {
        let _ = tx.send(async { 1 }.await);
    });
    rx.recv_timeout(TIMEOUT).unwrap()
}

/// A hand-written bridge making one round trip on runtime `S`, by name.
pub type Bridge<S> = (&'static str, fn(&S) -> i32);

/// The channel bridges, for the benchmarks to iterate over.
pub fn channel_peers<S: Spawn>() -> [Bridge<S>; 3] {
    [
        ("tokio_oneshot_blocking_recv", tokio_oneshot::<S>),
        ("oneshot_recv_timeout", oneshot_crate::<S>),
        ("mpsc_recv_timeout", std_mpsc::<S>),
    ]
}

/// A thread running the jobs it receives over std `mpsc`; the futures it is
/// given run there with `pollster`. The built-in reactor's peer.
pub struct Worker {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Worker {
    pub fn start() -> Worker {
        let (jobs, received) = mpsc::channel::<Job>();
        let thread = thread::spawn(move || {
            for job in received {
                job();
            }
        });
        Worker {
            jobs: Some(jobs),
            thread: Some(thread),
        }
    }

    pub fn send(&self, job: Job) {
        self.jobs.as_ref().unwrap().send(job).unwrap();
    }
}

impl Spawn for Worker {
    fn detach(&self, work: impl Future<Output = ()> + Send + 'static) {
        self.send(Box::new(move || pollster::block_on(work)));
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        drop(self.jobs.take());
        let _ = self.thread.take().unwrap().join();
    }
}

/// The peers' tokio runtime: a current-thread one driven on a thread of
/// its own until dropped, or a multi-thread one with two workers.
#[cfg(feature = "tokio")]
pub struct TokioPeer {
    pub handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    driver: Option<thread::JoinHandle<()>>,
    _runtime: Option<tokio::runtime::Runtime>,
}

#[cfg(feature = "tokio")]
impl TokioPeer {
    pub fn start(multi_thread: bool) -> TokioPeer {
        use tokio::runtime::Builder;
        if multi_thread {
            let runtime = Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            return TokioPeer {
                handle: runtime.handle().clone(),
                stop: None,
                driver: None,
                _runtime: Some(runtime),
            };
        }
        let runtime = Builder::new_current_thread().enable_all().build().unwrap();
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let driver = thread::spawn(move || {
            runtime.block_on(async {
                let _ = stopped.await;
            })
        });
        TokioPeer {
            handle,
            stop: Some(stop),
            driver: Some(driver),
            _runtime: None,
        }
    }
}

#[cfg(feature = "tokio")]
impl Spawn for TokioPeer {
    fn detach(&self, work: impl Future<Output = ()> + Send + 'static) {
        drop(self.handle.spawn(work));
    }
}

#[cfg(feature = "tokio")]
impl Drop for TokioPeer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(driver) = self.driver.take() {
            let _ = driver.join();
        }
    }
}

/// The peers' smol executor, driven on a thread of its own until dropped.
#[cfg(feature = "smol")]
pub struct SmolPeer {
    pub executor: Arc<smol::Executor<'static>>,
    stop: smol::channel::Sender<()>,
    driver: Option<thread::JoinHandle<()>>,
}

#[cfg(feature = "smol")]
impl SmolPeer {
    pub fn start() -> SmolPeer {
        let executor = Arc::new(smol::Executor::new());
        let (stop, stopped) = smol::channel::bounded::<()>(1);
        let driver = {
            let executor = executor.clone();
            thread::spawn(move || {
                let _ = smol::block_on(executor.run(stopped.recv()));
            })
        };
        SmolPeer {
            executor,
            stop,
            driver: Some(driver),
        }
    }
}

#[cfg(feature = "smol")]
impl Spawn for SmolPeer {
    fn detach(&self, work: impl Future<Output = ()> + Send + 'static) {
        self.executor.spawn(work).detach();
    }
}

#[cfg(feature = "smol")]
impl Drop for SmolPeer {
    fn drop(&mut self) {
        let _ = self.stop.send_blocking(());
        let _ = self.driver.take().unwrap().join();
    }
}

/// async-std's global executor (one thread per CPU).
#[cfg(feature = "async-std")]
pub struct AsyncStdGlobal;

#[cfg(feature = "async-std")]
impl Spawn for AsyncStdGlobal {
    fn detach(&self, work: impl Future<Output = ()> + Send + 'static) {
        drop(async_std::task::spawn(work));
    }
}

/// Pins `threads` threads of a pool to `cpus` by running a pinning job on
/// each. The jobs wait for each other (briefly, without blocking forever
/// if the pool is smaller), so that each of them holds a different thread.
/// `spawn` hands a job to the pool; what it returns is kept until every job
/// has run, as some runtimes cancel a task whose handle is dropped.
pub fn pin_threads<K>(threads: usize, cpus: &[usize], spawn: impl Fn(Job) -> K) {
    let arrived = Arc::new(AtomicUsize::new(0));
    let (done, pinned) = mpsc::channel();
    let keep: Vec<K> = (0..threads)
        .map(|_| {
            let arrived = arrived.clone();
            let done = done.clone();
            let cpus = cpus.to_vec();
            spawn(Box::new(move || {
                arrived.fetch_add(1, Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_millis(500);
                while arrived.load(Ordering::SeqCst) < threads && Instant::now() < deadline {
                    thread::yield_now();
                }
                affinity::pin_current(&cpus);
                let _ = done.send(());
            }))
        })
        .collect();
    for _ in 0..threads {
        pinned
            .recv_timeout(Duration::from_secs(10))
            .expect("a runtime thread did not run its pinning job");
    }
    drop(keep);
}

/// Pins the threads of a crochet loop that run its work.
pub fn pin_loop(event_loop: &EventLoop, threads: usize, cpus: &[usize]) {
    pin_threads(threads, cpus, |job| {
        event_loop.run_in_reactor(move || async move { job() })
    });
}

/// Pinning the calling thread to a set of CPUs.
pub mod affinity;
