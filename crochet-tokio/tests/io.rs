//! Blocking I/O over a real TCP connection of the runtime, opened on the
//! reactor and read and written from the test's thread; the checks are
//! crochet-test-support's, shared by every adapter.

use std::net::SocketAddr;

use crochet_test_support::tcp_io::{self, IO_PATIENCE};

fn connect(addr: SocketAddr) -> impl tcp_io::Connection {
    let reactor = crochet_tokio::start();
    crochet_tokio::io::open(&reactor, IO_PATIENCE, move || {
        tokio::net::TcpStream::connect(addr)
    })
    .wait(IO_PATIENCE)
    .expect("the connect ran")
    .expect("connected")
}

#[test]
fn a_tcp_connection_is_written_and_read_from_blocking_code() {
    tcp_io::round_trip(connect);
}

#[test]
fn a_read_times_out_and_loses_nothing() {
    tcp_io::read_times_out_and_loses_nothing(connect);
}

#[test]
fn shutdown_reaches_the_peer() {
    tcp_io::shutdown_reaches_the_peer(connect);
}
