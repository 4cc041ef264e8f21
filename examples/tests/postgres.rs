//! The blocking PostgreSQL client of `crochet_examples::postgres` against a
//! real server: the one `CROCHET_POSTGRES` names (`bash .ci/run` starts
//! one), or a private one started from PostgreSQL's binaries on `PATH`.
//! Without either, every test fails, saying so.
//!
//! The tests that depend on the loop run on a current-thread and on a
//! multi-thread tokio loop.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use crochet::EventLoop;
use crochet_examples::params;
use crochet_examples::postgres::{Client, Error, SqlState};
use crochet_test_support::postgres_server;

const TIMEOUT: Duration = Duration::from_secs(10);

/// A generous bound for what must be quick: a statement that had to wait
/// for a 30-second one would exceed it by far.
const QUICK: Duration = Duration::from_secs(5);

fn loops() -> [(&'static str, EventLoop); 2] {
    [
        ("current-thread", crochet::tokio::start()),
        (
            "multi-thread",
            crochet::tokio::Builder::new_multi_thread()
                .worker_threads(2)
                .start()
                .expect("a multi-thread loop"),
        ),
    ]
}

fn connect_on(reactor: &EventLoop) -> Client {
    Client::connect_on(reactor, postgres_server::require().config(), TIMEOUT).expect("connected")
}

fn connect() -> Client {
    Client::connect(postgres_server::require().config(), TIMEOUT).expect("connected")
}

fn backend_pid(client: &Client) -> i32 {
    client.query("SELECT pg_backend_pid()", params![]).unwrap()[0].get(0)
}

/// What the server process of connection `pid` is doing: its state and
/// statement, as another connection sees them.
fn activity(observer: &Client, pid: i32) -> (String, String) {
    let rows = observer
        .query(
            "SELECT state, query FROM pg_stat_activity WHERE pid = $1",
            params![pid],
        )
        .unwrap();
    (rows[0].get(0), rows[0].get(1))
}

/// Runs `f`, which must return within `QUICK`.
#[track_caller]
fn quickly<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let value = f();
    assert!(
        started.elapsed() < QUICK,
        "{name}: waited {:?}",
        started.elapsed()
    );
    value
}

/// Waits until connection `pid` is idle, or panics after `QUICK`.
fn wait_idle(observer: &Client, pid: i32) {
    wait_until(observer, pid, "idle");
}

/// Waits until connection `pid` is in `wanted` state, or panics after
/// `QUICK`.
fn wait_until(observer: &Client, pid: i32, wanted: &str) {
    let deadline = Instant::now() + QUICK;
    loop {
        let (state, query) = activity(observer, pid);
        if state == wanted {
            return;
        }
        assert!(Instant::now() < deadline, "still {state}: {query}");
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn queries_with_parameters() {
    for (name, reactor) in loops() {
        let client = connect_on(&reactor);
        let rows = client
            .query(
                "SELECT $1::int + $2::int, $3::text",
                params![40_i32, 2_i32, "ada"],
            )
            .unwrap();
        assert_eq!(rows.len(), 1, "{name}");
        assert_eq!(rows[0].get::<_, i32>(0), 42, "{name}");
        assert_eq!(rows[0].get::<_, String>(1), "ada", "{name}");
        client
            .batch_execute("CREATE TEMPORARY TABLE t (n int PRIMARY KEY, s text)")
            .unwrap();
        for n in 0..10_i32 {
            let changed = client
                .execute("INSERT INTO t VALUES ($1, $2)", params![n, n.to_string()])
                .unwrap();
            assert_eq!(changed, 1, "{name}");
        }
        let changed = client.execute("UPDATE t SET s = 'x' WHERE n < $1", params![4_i32]);
        assert_eq!(changed.unwrap(), 4, "{name}");
        let rows = client
            .query("SELECT n FROM t WHERE s = $1 ORDER BY n", params!["x"])
            .unwrap();
        let ns: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
        assert_eq!(ns, [0, 1, 2, 3], "{name}");
        let null: Option<i32> = client.query("SELECT NULL::int", params![]).unwrap()[0].get(0);
        assert_eq!(null, None, "{name}");
        client.close().unwrap();
        assert!(reactor.shutdown(TIMEOUT), "{name}");
    }
}

#[test]
fn errors_carry_their_sqlstate() {
    let client = connect();
    let syntax = client.query("SELEC 1", params![]).unwrap_err();
    assert_eq!(syntax.code(), Some(&SqlState::SYNTAX_ERROR), "{syntax}");
    assert!(syntax.to_string().contains("42601"), "{syntax}");
    let division = client
        .query("SELECT 1 / $1::int", params![0_i32])
        .unwrap_err();
    assert_eq!(
        division.code(),
        Some(&SqlState::DIVISION_BY_ZERO),
        "{division}"
    );
    client
        .batch_execute("CREATE TEMPORARY TABLE u (n int PRIMARY KEY)")
        .unwrap();
    client
        .execute("INSERT INTO u VALUES (1)", params![])
        .unwrap();
    let duplicate = client
        .execute("INSERT INTO u VALUES (1)", params![])
        .unwrap_err();
    assert_eq!(
        duplicate.code(),
        Some(&SqlState::UNIQUE_VIOLATION),
        "{duplicate}"
    );
    // A parameter of the wrong type fails before it reaches the server.
    let wrong = client.query("SELECT $1::int", params!["text"]).unwrap_err();
    assert!(matches!(wrong, Error::Postgres(_)), "{wrong}");
    assert_eq!(wrong.code(), None);
    // The connection is still usable after each.
    assert_eq!(
        client.query("SELECT 7", params![]).unwrap()[0].get::<_, i32>(0),
        7
    );
}

#[test]
fn a_timeout_cancels_the_statement_on_the_server() {
    for (name, reactor) in loops() {
        let client = connect_on(&reactor);
        let observer = connect_on(&reactor);
        let pid = backend_pid(&client);
        let impatient = client.with_timeout(Duration::from_millis(200));
        let err = impatient
            .query("SELECT pg_sleep(30)", params![])
            .unwrap_err();
        assert!(err.is_timeout(), "{name}: {err}");
        // The next statement on the same connection does not wait for the
        // 30-second one.
        let rows = quickly(name, || client.query("SELECT 1", params![]).unwrap());
        assert_eq!(rows[0].get::<_, i32>(0), 1);
        // And the server is not running it any more.
        wait_idle(&observer, pid);
        // A statement that times out while executing is cancelled too.
        let err = impatient
            .execute("SELECT pg_sleep(30)", params![])
            .unwrap_err();
        assert!(err.is_timeout(), "{name}: {err}");
        quickly(name, || client.execute("SELECT 1", params![]).unwrap());
        assert!(reactor.shutdown(TIMEOUT), "{name}");
    }
}

#[test]
fn rows_come_one_at_a_time_and_an_early_drop_cancels_the_statement() {
    for (name, reactor) in loops() {
        let client = connect_on(&reactor);
        let observer = connect_on(&reactor);
        let pid = backend_pid(&client);
        let all: Vec<i32> = client
            .query_iter("SELECT generate_series(1, $1)", params![500_i32])
            .map(|row| row.map(|row| row.get(0)))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(all, (1..=500).collect::<Vec<_>>(), "{name}");
        // A statement of endless rows, sent as they are made (a set-returning
        // function in the select list is not materialized first): the first
        // three, then the iterator is dropped.
        let mut rows = client.query_iter(
            "SELECT generate_series(1, 100000000), pg_sleep(0.001)",
            params![],
        );
        for expected in 1..=3_i32 {
            let row = rows.next().expect("a row").unwrap();
            assert_eq!(row.get::<_, i32>(0), expected, "{name}");
        }
        drop(rows);
        wait_idle(&observer, pid);
        quickly(name, || client.query("SELECT 1", params![]).unwrap());
        assert!(reactor.shutdown(TIMEOUT), "{name}");
    }
}

#[test]
fn a_row_that_times_out_ends_the_rows_and_cancels_the_statement() {
    let client = connect();
    let observer = connect();
    let pid = backend_pid(&client);
    let impatient = client.with_timeout(Duration::from_millis(300));
    let mut rows = impatient.query_iter(
        "SELECT n, pg_sleep(CASE WHEN n = 3 THEN 30 ELSE 0 END) FROM generate_series(1, 5) AS n",
        params![],
    );
    // The rows before the slow one come (the server may send them in one
    // batch with the slow one, so that all time out together).
    let mut read = 0;
    let failure = loop {
        match rows.next().expect("the rows end with the timeout") {
            Ok(_) => read += 1,
            Err(err) => break err,
        }
    };
    assert!(read <= 2, "{read} rows");
    assert!(failure.is_timeout(), "{failure}");
    assert!(rows.next().is_none(), "rows after the failure");
    wait_idle(&observer, pid);
}

#[test]
fn a_statement_error_ends_the_rows() {
    let client = connect();
    let mut rows = client.query_iter(
        "SELECT 1 / (3 - n) FROM generate_series(1, 5) AS n",
        params![],
    );
    let mut failure = None;
    for row in rows.by_ref() {
        if let Err(err) = row {
            failure = Some(err);
        }
    }
    let failure = failure.expect("the division by zero");
    assert_eq!(
        failure.code(),
        Some(&SqlState::DIVISION_BY_ZERO),
        "{failure}"
    );
    assert!(rows.next().is_none());
    assert_eq!(client.query("SELECT 1", params![]).unwrap().len(), 1);
}

#[test]
fn a_connection_the_server_terminates_fails_clearly() {
    for (name, reactor) in loops() {
        let client = connect_on(&reactor);
        let admin = connect_on(&reactor);
        let pid = backend_pid(&client);
        let killed = admin
            .query("SELECT pg_terminate_backend($1)", params![pid])
            .unwrap();
        assert!(killed[0].get::<_, bool>(0), "{name}");
        // The next call fails with the connection's error, not a timeout.
        let started = Instant::now();
        let err = client.query("SELECT 1", params![]).unwrap_err();
        assert!(!err.is_timeout(), "{name}: {err}");
        assert!(matches!(err, Error::Postgres(_)), "{name}: {err}");
        assert!(started.elapsed() < QUICK, "{name}");
        // The connection's task sees the socket closed just after the
        // server's last message.
        while !client.is_closed() {
            assert!(started.elapsed() < QUICK, "{name}: still open");
            thread::sleep(Duration::from_millis(5));
        }
        let again = client.query("SELECT 1", params![]).unwrap_err();
        assert!(
            matches!(again, Error::Postgres(ref e) if e.is_closed()),
            "{name}: {again}"
        );
        // The other connection goes on.
        assert_eq!(admin.query("SELECT 1", params![]).unwrap().len(), 1);
        assert!(reactor.shutdown(TIMEOUT), "{name}");
    }
}

#[test]
fn shutdown_during_a_statement_returns_reactor_stopped() {
    for (name, reactor) in loops() {
        let client = connect_on(&reactor);
        // On the client's own loop, which the shutdown leaves running.
        let observer = connect();
        let pid = backend_pid(&client);
        let err = thread::scope(|scope| {
            let waiting = scope.spawn(|| client.query("SELECT pg_sleep(30)", params![]));
            // The shutdown comes while the server runs the statement.
            wait_until(&observer, pid, "active");
            assert!(reactor.shutdown(TIMEOUT), "{name}");
            waiting.join().unwrap().unwrap_err()
        });
        assert!(
            matches!(err, Error::Crochet(crochet::Error::ReactorStopped)),
            "{name}: {err}"
        );
        let after = client.query("SELECT 1", params![]).unwrap_err();
        assert!(
            matches!(after, Error::Crochet(crochet::Error::ReactorStopped)),
            "{name}: {after}"
        );
    }
}

#[test]
fn thirty_two_threads_share_one_client() {
    for (name, reactor) in loops() {
        let client = connect_on(&reactor);
        let ready = Arc::new(Barrier::new(32));
        let threads: Vec<_> = (0..32_i32)
            .map(|t| {
                let (client, ready) = (client.clone(), ready.clone());
                thread::spawn(move || {
                    ready.wait();
                    for i in 0..25_i32 {
                        let rows = client
                            .query("SELECT $1::int * 1000 + $2::int", params![t, i])
                            .unwrap();
                        assert_eq!(rows[0].get::<_, i32>(0), t * 1000 + i);
                        let rows: Vec<i32> = client
                            .query_iter("SELECT generate_series(1, $1)", params![i])
                            .map(|r| r.unwrap().get(0))
                            .collect();
                        assert_eq!(rows.len(), i as usize);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("a thread");
        }
        assert!(reactor.shutdown(TIMEOUT), "{name}");
    }
}

#[test]
fn a_closed_client_refuses_calls() {
    let client = connect();
    let clone = client.clone();
    client.close().unwrap();
    assert!(clone.is_closed());
    assert!(matches!(
        clone.query("SELECT 1", params![]),
        Err(Error::Closed)
    ));
    let mut rows = clone.query_iter("SELECT 1", params![]);
    assert!(matches!(rows.next(), Some(Err(Error::Closed))));
    assert!(rows.next().is_none());
    assert!(clone.close().is_ok(), "closing twice");
}

#[test]
fn a_refused_connection_is_an_error_not_a_hang() {
    // A port that nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let err = Client::connect(
        &format!("host=127.0.0.1 port={port} user=crochet dbname=postgres connect_timeout=5"),
        TIMEOUT,
    )
    .err()
    .expect("refused");
    assert!(matches!(err, Error::Postgres(_)), "{err}");
    assert!(started.elapsed() < QUICK);
}
