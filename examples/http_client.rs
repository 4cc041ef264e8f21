//! A blocking HTTP client over hyper, shared by several threads:
//! `crochet_examples::http::Client` runs the requests of hyper-util's
//! pooled client on the reactor, each response body is read with
//! `std::io::Read`, and a request
//! that runs out of time is dropped, so the server sees it go.
//!
//! The example starts the module's hyper server on loopback itself, so it
//! runs on its own and exits. Run it with
//! `cargo run -p crochet-examples --example http_client --features tokio`.

use std::io::{self, Read};
use std::thread;
use std::time::{Duration, Instant};

use crochet_examples::http::{serve, Client, Error, LARGE_LEN};

fn main() {
    let server = serve().expect("the server starts");
    let client = Client::new(&server.url())
        .expect("the client is made")
        .timeout(Duration::from_secs(5));

    // Four threads share one client, and so its pool of connections.
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let client = client.clone();
            thread::spawn(move || {
                let mut response = client.get("/small").expect("the page");
                let mut page = String::new();
                response.read_to_string(&mut page).expect("its body");
                println!("thread {i}: {} {page:?}", response.status());
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("a reader thread");
    }

    // A larger body, read through `Read` in pieces of 4 KiB.
    let mut response = client.get("/large").expect("the large page");
    let (mut piece, mut read, mut pieces) = ([0; 4096], 0, 0);
    loop {
        match response.read(&mut piece).expect("a piece of the body") {
            0 => break,
            n => (read, pieces) = (read + n, pieces + 1),
        }
    }
    assert_eq!(read, LARGE_LEN);
    println!("read the large body: {read} bytes in {pieces} reads");

    // A request that runs out of time is dropped: its connection is closed,
    // and the server sees the request go before it answered.
    let impatient = client.clone().timeout(Duration::from_millis(300));
    let start = Instant::now();
    match impatient.get("/slow") {
        Err(err @ Error::Timeout(_)) => println!("after {:?}: {err}", start.elapsed()),
        other => panic!("the slow page did not time out: {other:?}"),
    }
    match server.next_dropped(Duration::from_secs(10)) {
        Some(path) => println!("the server saw the request for {path} dropped"),
        None => panic!("the server did not see the request dropped"),
    }

    // A body whose next chunk is late: the read times out with `TimedOut`.
    let reader = client.clone().read_timeout(Duration::from_millis(200));
    let mut response = reader.get("/trickle").expect("the trickling page");
    let mut first = String::new();
    io::BufRead::read_line(&mut response, &mut first).expect("the first chunk");
    match response.read(&mut piece) {
        Err(err) if err.kind() == io::ErrorKind::TimedOut => {
            println!("read {first:?}, then the next read timed out: {err}");
        }
        other => panic!("the late read did not time out: {other:?}"),
    }
    drop(response);

    drop((client, impatient, reader));
    let stopped = crochet::tokio::setup().shutdown(Duration::from_secs(5));
    println!("reactor stopped cleanly: {stopped}");
    drop(server);
}
