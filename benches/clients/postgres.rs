//! The PostgreSQL figures: the blocking client of
//! `crochet_examples::postgres` against the `postgres` crate (tokio-postgres
//! driven by `block_on` on the caller's thread), against the same server
//! (`CROCHET_POSTGRES`, or a private one started for the run).

use std::time::Duration;

use crochet::EventLoop;
use crochet_examples::params;
use crochet_examples::postgres::Client;
use crochet_test_support::postgres_server;

use crate::affinity;
use crate::harness::{self, Figure, Measure, Pinned, Side};

const TIMEOUT: Duration = Duration::from_secs(30);

/// The small query.
const SELECT_1: &str = "SELECT 1";

/// The query of 100 rows of two columns.
const ROWS_100: &str = "SELECT n, 'row number ' || n FROM generate_series(1, 100) AS n";

/// Every thread shares one crochet client (its statements are pipelined
/// on one connection).
struct Shared {
    client: Client,
    sql: &'static str,
}

impl Side for Shared {
    fn session(&self) -> Box<dyn FnMut() + '_> {
        let client = self.client.clone();
        Box::new(move || {
            let rows = client.query(self.sql, params![]).expect("the query");
            assert!(!rows.is_empty());
        })
    }
}

/// Every thread connects a crochet client of its own, on `reactor`.
struct PerThread {
    reactor: EventLoop,
    config: String,
    sql: &'static str,
}

impl Side for PerThread {
    fn session(&self) -> Box<dyn FnMut() + '_> {
        let client = Client::connect_on(&self.reactor, &self.config, TIMEOUT).expect("connected");
        Box::new(move || {
            let rows = client.query(self.sql, params![]).expect("the query");
            assert!(!rows.is_empty());
        })
    }
}

/// Every thread connects a `postgres::Client` of its own (it is `!Sync`:
/// a client per thread is how it is used).
struct PostgresCrate {
    config: String,
    sql: &'static str,
}

impl Side for PostgresCrate {
    fn session(&self) -> Box<dyn FnMut() + '_> {
        let mut client =
            postgres::Client::connect(&self.config, postgres::NoTls).expect("connected");
        Box::new(move || {
            let rows = client.query(self.sql, &[]).expect("the query");
            assert!(!rows.is_empty());
        })
    }
}

pub fn run(rounds: usize) {
    let server = match postgres_server::server() {
        Ok(server) => server,
        Err(why) => {
            println!("\nPostgreSQL figures skipped: {why}");
            return;
        }
    };
    let config = server.config().to_owned();
    // The client's own loop: one thread, callers park.
    let one_thread = Client::reactor().clone();
    // A private loop for many connections: a multi-thread runtime with a
    // worker per CPU, callers park as on the client's own.
    let multi_thread = crochet::tokio::Builder::new_multi_thread()
        .thread_name("clients-loop")
        .start()
        .expect("a multi-thread loop");
    multi_thread.set_wait_strategy(crochet::WaitStrategy::Park);
    let shared = |sql| Shared {
        client: Client::connect_on(&one_thread, &config, TIMEOUT).expect("connected"),
        sql,
    };
    let per_thread = |reactor: &EventLoop, sql| PerThread {
        reactor: reactor.clone(),
        config: config.clone(),
        sql,
    };
    let peer = |sql| PostgresCrate {
        config: config.clone(),
        sql,
    };
    let (shared_1, shared_100) = (shared(SELECT_1), shared(ROWS_100));
    let (own_1, own_100) = (
        per_thread(&one_thread, SELECT_1),
        per_thread(&one_thread, ROWS_100),
    );
    let (multi_1, multi_100) = (
        per_thread(&multi_thread, SELECT_1),
        per_thread(&multi_thread, ROWS_100),
    );
    let (peer_1, peer_100) = (peer(SELECT_1), peer(ROWS_100));

    // The same client on the process-wide loop, whose callers spin for a
    // moment before they park.
    let process_wide = crochet::tokio::setup();
    let spinning = |sql| Shared {
        client: Client::connect_on(&process_wide, &config, TIMEOUT).expect("connected"),
        sql,
    };
    let (spin_1, spin_100) = (spinning(SELECT_1), spinning(ROWS_100));

    let crochet = "crochet";
    let postgres = "postgres crate";
    let run = Duration::from_millis(500);
    let throughput = |threads| Measure::Throughput { threads, run };
    let mut figures = vec![
        Figure::new(
            "latency, SELECT 1",
            Measure::Latency { calls: 2000 },
            (crochet, &shared_1),
            (postgres, &peer_1),
        ),
        Figure::new(
            "latency, 100 rows",
            Measure::Latency { calls: 1000 },
            (crochet, &shared_100),
            (postgres, &peer_100),
        ),
        Figure::new(
            "CPU per call, SELECT 1",
            Measure::Cpu { calls: 2000 },
            (crochet, &shared_1),
            (postgres, &peer_1),
        ),
        Figure::new(
            "CPU per call, 100 rows",
            Measure::Cpu { calls: 1000 },
            (crochet, &shared_100),
            (postgres, &peer_100),
        ),
    ];
    // The same, with the caller pinned to a CPU and the loop's thread
    // pinned to another CPU or the same one (the server is not pinned).
    let cpus = affinity::allowed();
    let placed_loop = crochet::tokio::start();
    placed_loop.set_wait_strategy(crochet::WaitStrategy::Park);
    let placed = |sql| Shared {
        client: Client::connect_on(&placed_loop, &config, TIMEOUT).expect("connected"),
        sql,
    };
    let (placed_1, placed_100) = (placed(SELECT_1), placed(ROWS_100));
    let mut placements = Vec::new();
    if cpus.len() >= 2 {
        for (placement, loop_cpu) in [("different CPUs", cpus[1]), ("one CPU", cpus[0])] {
            for (query, ours, theirs, calls) in [
                ("SELECT 1", &placed_1, &peer_1, 2000),
                ("100 rows", &placed_100, &peer_100, 1000),
            ] {
                let ours = Pinned {
                    side: ours,
                    caller: cpus[0],
                    reactor: Some((&placed_loop, loop_cpu)),
                };
                let theirs = Pinned {
                    side: theirs,
                    caller: cpus[0],
                    reactor: None,
                };
                placements.push((placement, query, calls, ours, theirs));
            }
        }
    }
    for (placement, query, calls, ours, theirs) in &placements {
        for (what, measure) in [
            ("latency", Measure::Latency { calls: *calls }),
            ("CPU per call", Measure::Cpu { calls: *calls }),
        ] {
            figures.push(Figure::new(
                format!("{what}, {query}, {placement}"),
                measure,
                (crochet, ours),
                (postgres, theirs),
            ));
        }
    }
    for (query, ours, theirs, calls) in [
        ("SELECT 1", &spin_1, &peer_1, 2000),
        ("100 rows", &spin_100, &peer_100, 1000),
    ] {
        for (what, measure) in [
            ("latency", Measure::Latency { calls }),
            ("CPU per call", Measure::Cpu { calls }),
        ] {
            figures.push(Figure::new(
                format!("process-wide loop: {what}, {query}"),
                measure,
                ("crochet, process-wide loop", ours),
                (postgres, theirs),
            ));
        }
    }
    for threads in [1, 8, 32] {
        figures.push(Figure::new(
            format!("throughput, {threads} threads, SELECT 1, shared client"),
            throughput(threads),
            ("crochet shared", &shared_1),
            (postgres, &peer_1),
        ));
        figures.push(Figure::new(
            format!("throughput, {threads} threads, SELECT 1, client per thread"),
            throughput(threads),
            ("crochet per thread", &own_1),
            (postgres, &peer_1),
        ));
    }
    figures.extend([
        Figure::new(
            "throughput, 32 threads, 100 rows, shared client",
            throughput(32),
            ("crochet shared", &shared_100),
            (postgres, &peer_100),
        ),
        Figure::new(
            "throughput, 32 threads, 100 rows, client per thread",
            throughput(32),
            ("crochet per thread", &own_100),
            (postgres, &peer_100),
        ),
        // A library's private multi-thread loop for per-thread clients.
        Figure::new(
            "throughput, 32 threads, SELECT 1, per thread, multi-thread loop",
            throughput(32),
            ("crochet multi-thread", &multi_1),
            (postgres, &peer_1),
        ),
        Figure::new(
            "throughput, 32 threads, 100 rows, per thread, multi-thread loop",
            throughput(32),
            ("crochet multi-thread", &multi_100),
            (postgres, &peer_100),
        ),
        Figure::new(
            "multi-thread loop ÷ one loop thread, 32 threads, SELECT 1, per thread",
            throughput(32),
            ("multi-thread loop", &multi_1),
            ("one loop thread", &own_1),
        ),
    ]);
    harness::run("PostgreSQL: crochet ÷ postgres crate", rounds, &figures);
    drop(figures);
    drop(placements);
    drop((
        shared_1, shared_100, own_1, own_100, multi_1, multi_100, placed_1, placed_100,
    ));
    multi_thread.shutdown(TIMEOUT);
    placed_loop.shutdown(TIMEOUT);
    drop((spin_1, spin_100));
}
