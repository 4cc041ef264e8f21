//! The application of the blocking PostgreSQL client of
//! `crochet_examples::postgres` (`examples/clients/postgres.rs`, the async
//! and crochet layers): blocking code that knows nothing of futures.
//!
//! It connects to the server `CROCHET_POSTGRES` names (a tokio-postgres
//! connection string), or else starts a private one with PostgreSQL's
//! `initdb` and `postgres` from `PATH`, in a temporary directory, on
//! loopback, stopped when the example exits. Run it with
//! `cargo run -p crochet-examples --example postgres --features tokio`.

use std::thread;
use std::time::{Duration, Instant};

use crochet_examples::params;
use crochet_examples::postgres::{Client, Error};
use crochet_test_support::postgres_server;

fn main() -> Result<(), Error> {
    let server = postgres_server::require();
    let client = Client::connect(server.config(), Duration::from_secs(5))?;

    // Statements with parameters.
    client.batch_execute("CREATE TEMPORARY TABLE people (name text PRIMARY KEY, born int)")?;
    for (name, born) in [("ada", 1815), ("grace", 1906), ("alan", 1912)] {
        client.execute("INSERT INTO people VALUES ($1, $2)", params![name, born])?;
    }
    let rows = client.query(
        "SELECT name FROM people WHERE born > $1 ORDER BY born",
        params![1900_i32],
    )?;
    let names: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
    println!("born after 1900: {names:?}");

    // A server's error, with its SQLSTATE.
    let err = client
        .execute(
            "INSERT INTO people VALUES ($1, $2)",
            params!["ada", 1815_i32],
        )
        .unwrap_err();
    println!("a second ada: {err}");

    // Rows one at a time; the iterator dropped early cancels the rest.
    let first: Vec<i32> = client
        .query_iter("SELECT generate_series(1, 1000000)", params![])
        .take(3)
        .map(|row| row.map(|row| row.get(0)))
        .collect::<Result<_, _>>()?;
    println!("the first rows of a million: {first:?}");

    // Four threads share the one connection: their statements are
    // pipelined on it.
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let client = client.clone();
            thread::spawn(move || {
                let row = &client.query("SELECT $1::int * 10", params![i])?[0];
                Ok::<i32, Error>(row.get(0))
            })
        })
        .collect();
    for thread in threads {
        println!("a thread's answer: {}", thread.join().expect("a thread")?);
    }

    // A statement slower than the timeout is cancelled on the server, so
    // the connection is free at once for the next one.
    let impatient = client.with_timeout(Duration::from_millis(300));
    let err = impatient
        .query("SELECT pg_sleep(10)", params![])
        .unwrap_err();
    assert!(err.is_timeout());
    let started = Instant::now();
    client.query("SELECT 1", params![])?;
    println!(
        "the slow statement timed out ({err}); the next took {:?}",
        started.elapsed()
    );

    client.close()?;
    println!("closed: {}", client.is_closed());
    Ok(())
}
