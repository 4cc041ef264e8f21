//! The blocking HTTP client of `crochet_examples::http` against the hyper
//! server of the same module, on loopback.

use std::io::{BufRead, ErrorKind, Read};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crochet_examples::http::{
    serve, Client, Error, Server, StatusCode, LARGE_LEN, SMALL_BODY, TRICKLE_FIRST,
};

/// Far more than any step should take on a loaded machine.
const GENEROUS: Duration = Duration::from_secs(10);

fn server_and_client() -> (Server, Client) {
    let server = serve().expect("the server starts");
    let client = Client::new(&server.url()).expect("the client is made");
    (server, client)
}

fn large_body() -> Vec<u8> {
    (0..LARGE_LEN).map(|i| (i % 251) as u8).collect()
}

#[test]
fn get_reads_the_body() {
    let (_server, client) = server_and_client();
    let mut response = client.get("/small").expect("the response");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-length"],
        SMALL_BODY.len().to_string()
    );
    let mut body = String::new();
    response.read_to_string(&mut body).expect("the body");
    assert_eq!(body, SMALL_BODY);
    // The end stays the end.
    assert_eq!(response.read(&mut [0; 8]).expect("the end"), 0);
}

#[test]
fn a_large_body_is_read_in_pieces() {
    let (_server, client) = server_and_client();
    let mut response = client.get("/large").expect("the response");
    let mut body = Vec::new();
    let mut piece = [0; 1000];
    let mut reads = 0;
    loop {
        let n = response.read(&mut piece).expect("a piece");
        if n == 0 {
            break;
        }
        body.extend_from_slice(&piece[..n]);
        reads += 1;
    }
    assert!(reads >= LARGE_LEN / piece.len(), "{reads} reads");
    assert_eq!(body, large_body());
}

#[test]
fn bufread_works_over_the_body() {
    let (_server, client) = server_and_client();
    let mut response = client.get("/large").expect("the response");
    let mut total = 0;
    loop {
        let available = response.fill_buf().expect("a chunk").len();
        if available == 0 {
            break;
        }
        // Consume in odd amounts, to cross chunk boundaries.
        let amount = available.min(777);
        response.consume(amount);
        total += amount;
    }
    assert_eq!(total, LARGE_LEN);
}

#[test]
fn a_missing_page_is_a_404_with_its_body() {
    let (_server, client) = server_and_client();
    let mut response = client.get("/nowhere").expect("the response");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let mut body = String::new();
    response.read_to_string(&mut body).expect("the body");
    assert_eq!(body, "not found\n");
    // The connection is still good for the next request.
    assert_eq!(
        client.get("/small").expect("the next").status(),
        StatusCode::OK
    );
}

#[test]
fn a_request_that_times_out_is_dropped_and_the_server_sees_it() {
    let (server, client) = server_and_client();
    let client = client.timeout(Duration::from_millis(200));
    let start = Instant::now();
    let err = client.get("/slow").expect_err("the slow page times out");
    let waited = start.elapsed();
    assert!(
        matches!(err, Error::Timeout(t) if t == Duration::from_millis(200)),
        "{err:?}"
    );
    assert!(
        waited >= Duration::from_millis(200),
        "gave up after {waited:?}"
    );
    assert!(waited < GENEROUS, "gave up after {waited:?}");
    assert_eq!(server.next_arrived(GENEROUS).as_deref(), Some("/slow"));
    assert_eq!(
        server.next_dropped(GENEROUS).as_deref(),
        Some("/slow"),
        "the server did not see the request dropped"
    );
    // The client goes on working.
    let mut body = String::new();
    client
        .get("/small")
        .expect("the next request")
        .read_to_string(&mut body)
        .expect("its body");
    assert_eq!(body, SMALL_BODY);
}

#[test]
fn the_request_timeout_also_bounds_the_body() {
    let (server, client) = server_and_client();
    let client = client.timeout(Duration::from_millis(300));
    let mut response = client.get("/trickle").expect("the head comes at once");
    let mut body = Vec::new();
    let err = response
        .read_to_end(&mut body)
        .expect_err("the rest is late");
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert_eq!(body, TRICKLE_FIRST.as_bytes());
    assert_eq!(server.next_dropped(GENEROUS).as_deref(), Some("/trickle"));
}

#[test]
fn a_read_that_waits_too_long_times_out_and_the_request_goes_on() {
    let (server, client) = server_and_client();
    let client = client.read_timeout(Duration::from_millis(100));
    let mut response = client.get("/trickle").expect("the head comes at once");
    let mut first = vec![0; TRICKLE_FIRST.len()];
    response.read_exact(&mut first).expect("the first chunk");
    assert_eq!(first, TRICKLE_FIRST.as_bytes());
    let start = Instant::now();
    let err = response.read(&mut [0; 64]).expect_err("the rest is late");
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert!(start.elapsed() < GENEROUS);
    let inner = err.get_ref().and_then(|e| e.downcast_ref::<Error>());
    assert!(matches!(inner, Some(Error::ReadTimeout(_))), "{err:?}");
    assert!(
        err.to_string()
            .contains("no data of the response body within"),
        "{err}"
    );
    // A timed-out read leaves the request running; dropping the response
    // drops it.
    assert_eq!(server.next_dropped(Duration::ZERO), None);
    drop(response);
    assert_eq!(server.next_dropped(GENEROUS).as_deref(), Some("/trickle"));
}

#[test]
fn thirty_two_threads_share_one_client() {
    let (_server, client) = server_and_client();
    let expected = large_body();
    thread::scope(|scope| {
        for i in 0..32 {
            let (client, expected) = (&client, &expected);
            scope.spawn(move || {
                for round in 0..10 {
                    let path = if (i + round) % 2 == 0 {
                        "/small"
                    } else {
                        "/large"
                    };
                    let mut body = Vec::new();
                    client
                        .get(path)
                        .expect("the response")
                        .read_to_end(&mut body)
                        .expect("the body");
                    if path == "/small" {
                        assert_eq!(body, SMALL_BODY.as_bytes());
                    } else {
                        assert_eq!(&body, expected);
                    }
                }
            });
        }
    });
}

#[test]
fn shutting_the_loop_down_during_a_request_stops_it_promptly() {
    let server = serve().expect("the server starts");
    let private = crochet::tokio::start();
    let client = Client::on(&private, &server.url()).expect("the client is made");
    let (done, outcome) = mpsc::channel();
    let waiting = thread::spawn(move || {
        let result = client.get("/slow").map(|r| r.status());
        done.send(result).expect("the test waits");
    });
    assert_eq!(server.next_arrived(GENEROUS).as_deref(), Some("/slow"));
    let start = Instant::now();
    assert!(private.shutdown(GENEROUS), "the loop did not stop");
    let result = outcome
        .recv_timeout(GENEROUS)
        .expect("the request returned");
    assert!(start.elapsed() < GENEROUS);
    assert!(
        matches!(result, Err(Error::Reactor(crochet::Error::ReactorStopped))),
        "{result:?}"
    );
    waiting.join().expect("the requesting thread");
    // The request's connection went with the loop.
    assert_eq!(server.next_dropped(GENEROUS).as_deref(), Some("/slow"));
}

#[test]
fn a_server_that_is_gone_is_a_clear_error() {
    // A port held by a socket that does not listen: connecting is refused,
    // and no other test's server can take the port meanwhile.
    let held = tokio::net::TcpSocket::new_v4().expect("a socket");
    held.bind("127.0.0.1:0".parse().unwrap()).expect("a port");
    let url = format!("http://{}", held.local_addr().expect("its address"));
    let client = Client::new(&url).expect("the client is made");
    let err = client.get("/small").expect_err("nobody listens");
    let Error::Request(inner) = &err else {
        panic!("not a request error: {err:?}");
    };
    assert!(inner.is_connect(), "{err}");
    // The cause is in the chain, and in the message, which names it.
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    let mut refused = None;
    while let Some(e) = cause {
        refused = refused.or(e.downcast_ref::<std::io::Error>().map(|io| io.kind()));
        cause = e.source();
    }
    assert_eq!(refused, Some(ErrorKind::ConnectionRefused), "{err:?}");
    let message = err.to_string();
    assert!(message.starts_with("the request failed: "), "{message}");
    assert!(message.contains("connect"), "{message}");
    // As an `io::Error`, for code that only knows those.
    let io = std::io::Error::from(err);
    assert_eq!(io.kind(), ErrorKind::Other);
    assert_eq!(io.to_string(), message);
}

#[test]
fn an_invalid_path_is_an_error() {
    let (_server, client) = server_and_client();
    let err = client.get("/a path with spaces").expect_err("invalid");
    assert!(matches!(err, Error::Uri(_)), "{err:?}");
}
