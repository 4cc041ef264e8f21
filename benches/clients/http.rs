//! The HTTP figures: the blocking client of `crochet_examples::http` (one
//! shared client, hyper underneath) against `reqwest::blocking` (one shared
//! client), no TLS on either side, both reading every body to its end.
//!
//! The server runs in a child process (this very benchmark, started again
//! with `CHILD` set), so that its CPU time is not counted in the CPU per
//! call of the process measured.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crochet::WaitStrategy;
use crochet_examples::http::{serve, Client, LARGE_LEN, SMALL_BODY};

use crate::harness::{self, Figure, Measure, Side};

/// Set in the child's environment: the child serves instead of measuring.
const CHILD: &str = "CROCHET_BENCH_HTTP_SERVER";

/// In the child process: serves on a free loopback port, prints the port on
/// stdout, and serves until stdin closes (the parent exited or is done).
/// Says whether this process was the child.
pub fn serve_if_child() -> bool {
    if std::env::var_os(CHILD).is_none() {
        return false;
    }
    let server = serve().expect("the benchmark's server starts");
    let mut out = io::stdout().lock();
    writeln!(out, "{}", server.addr().port()).expect("the port is written");
    out.flush().expect("the port is written");
    // Reads until the end: the parent closes its end when it is done.
    let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
    drop(server);
    true
}

/// Runs the HTTP figures, `rounds` rounds each.
pub fn run(rounds: usize) {
    let server = ChildServer::start();
    let url = format!("http://127.0.0.1:{}", server.port);
    // The client as an application makes it: on crochet's tokio loop, with
    // the default wait strategy.
    let ours = Crochet {
        client: Client::new(&url).expect("the crochet client"),
    };
    // The same client on a private loop whose callers park at once, as a
    // library that wants the least CPU per call would run it.
    let private = crochet::tokio::start();
    private.set_wait_strategy(WaitStrategy::Park);
    let parked = Crochet {
        client: Client::on(&private, &url).expect("the parked crochet client"),
    };
    let peer = Reqwest {
        client: reqwest::blocking::Client::builder()
            .no_proxy()
            .build()
            .expect("the reqwest client"),
        url,
    };
    let small = Path("/small", SMALL_BODY.len());
    let large = Path("/large", LARGE_LEN);
    let (ours_small, ours_large) = (Calls::new(&ours, small), Calls::new(&ours, large));
    let (parked_small, parked_large) = (Calls::new(&parked, small), Calls::new(&parked, large));
    let (peer_small, peer_large) = (Calls::new(&peer, small), Calls::new(&peer, large));
    let run = Duration::from_secs(1);
    let peers = (&peer_small, &peer_large);
    let shared =
        |name: &str, measure, ours: &'static str, side| against(name, measure, ours, side, peers);
    let default = "crochet+hyper";
    let private_park = "crochet+hyper, own loop, Park";
    let figures = [
        shared(
            "latency, GET 17 B",
            Measure::Latency { calls: 5000 },
            default,
            &ours_small,
        ),
        shared(
            "latency, GET 100 KiB",
            Measure::Latency { calls: 1500 },
            default,
            &ours_large,
        ),
        shared(
            "CPU per call, GET 17 B",
            Measure::Cpu { calls: 5000 },
            default,
            &ours_small,
        ),
        shared(
            "CPU per call, GET 100 KiB",
            Measure::Cpu { calls: 1500 },
            default,
            &ours_large,
        ),
        shared(
            "throughput, 1 thread, GET 17 B",
            Measure::Throughput { threads: 1, run },
            default,
            &ours_small,
        ),
        shared(
            "throughput, 8 threads, GET 17 B",
            Measure::Throughput { threads: 8, run },
            default,
            &ours_small,
        ),
        shared(
            "throughput, 32 threads, GET 17 B",
            Measure::Throughput { threads: 32, run },
            default,
            &ours_small,
        ),
        shared(
            "throughput, 32 threads, GET 100 KiB",
            Measure::Throughput { threads: 32, run },
            default,
            &ours_large,
        ),
        shared(
            "Park: latency, GET 17 B",
            Measure::Latency { calls: 5000 },
            private_park,
            &parked_small,
        ),
        shared(
            "Park: CPU per call, GET 17 B",
            Measure::Cpu { calls: 5000 },
            private_park,
            &parked_small,
        ),
        shared(
            "Park: CPU per call, GET 100 KiB",
            Measure::Cpu { calls: 1500 },
            private_park,
            &parked_large,
        ),
    ];
    harness::run(
        "HTTP: crochet + hyper against reqwest::blocking, one shared client each",
        rounds,
        &figures,
    );
    drop((ours, parked));
    private.shutdown(Duration::from_secs(5));
    drop(server);
}

/// A figure setting one of crochet's sides against reqwest on the same
/// path (`peers`: small, large).
fn against<'a>(
    name: &str,
    measure: Measure,
    ours: &'static str,
    side: &'a Calls<'a>,
    peers: (&'a Calls<'a>, &'a Calls<'a>),
) -> Figure<'a> {
    let peer = if side.path.0 == peers.0.path.0 {
        peers.0
    } else {
        peers.1
    };
    Figure::new(name, measure, (ours, side), ("reqwest::blocking", peer))
}

/// A path and the length of its body.
#[derive(Clone, Copy)]
struct Path(&'static str, usize);

/// One client that makes a whole request: sends it and reads the body into
/// `body`, which is reused from call to call.
trait Get: Sync {
    fn get(&self, path: &str, body: &mut Vec<u8>);
}

struct Crochet {
    client: Client,
}

impl Get for Crochet {
    fn get(&self, path: &str, body: &mut Vec<u8>) {
        let mut response = self.client.get(path).expect("a crochet response");
        response.read_to_end(body).expect("a crochet body");
    }
}

struct Reqwest {
    client: reqwest::blocking::Client,
    url: String,
}

impl Get for Reqwest {
    fn get(&self, path: &str, body: &mut Vec<u8>) {
        let mut response = self
            .client
            .get(format!("{}{path}", self.url))
            .send()
            .expect("a reqwest response");
        response.read_to_end(body).expect("a reqwest body");
    }
}

/// A client and a path as the harness wants them: every thread calls the
/// one shared client.
struct Calls<'a> {
    client: &'a dyn Get,
    path: Path,
}

impl<'a> Calls<'a> {
    fn new(client: &'a dyn Get, path: Path) -> Calls<'a> {
        Calls { client, path }
    }
}

impl Side for Calls<'_> {
    fn session(&self) -> Box<dyn FnMut() + '_> {
        let Path(path, len) = self.path;
        let mut body = Vec::with_capacity(len);
        Box::new(move || {
            body.clear();
            self.client.get(path, &mut body);
            assert_eq!(body.len(), len, "a short body for {path}");
        })
    }
}

/// The server's child process; it ends when its stdin is closed.
struct ChildServer {
    child: Child,
    port: u16,
}

impl ChildServer {
    fn start() -> ChildServer {
        let exe = std::env::current_exe().expect("the benchmark's own path");
        let mut child = Command::new(exe)
            .env(CHILD, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the server's process starts");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().expect("the child's stdout"))
            .read_line(&mut line)
            .expect("the server's port");
        let port = line.trim().parse().expect("a port number");
        ChildServer { child, port }
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        // Closing stdin tells the child to stop.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}
