//! What the adapters' tests of blocking I/O over a TCP connection share:
//! a loopback peer on a plain thread, and the checks of a round trip, of a
//! read that times out and loses nothing, and of a shutdown the peer sees.
//! Each adapter hands in how to open its connection.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crochet_core::reactor::{PollRead, PollWrite};
use crochet_core::BlockingIo;

/// How long an operation that should succeed may take.
pub const IO_PATIENCE: Duration = Duration::from_secs(5);

/// A blocking connection as an adapter makes it.
pub trait Connection: BufRead + Write {
    /// Sets the timeout of each later operation.
    fn set_timeout(&mut self, timeout: Duration);
    /// Shuts the writing half down.
    fn shut_down(&mut self) -> io::Result<()>;
}

impl<S: PollRead + PollWrite> Connection for BlockingIo<S> {
    fn set_timeout(&mut self, timeout: Duration) {
        BlockingIo::set_timeout(self, timeout);
    }

    fn shut_down(&mut self) -> io::Result<()> {
        self.shutdown()
    }
}

/// A peer that accepts one connection and runs `serve` on it.
fn peer<T: Send + 'static>(
    serve: impl FnOnce(TcpStream) -> T + Send + 'static,
) -> (SocketAddr, JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback listener");
    let addr = listener.local_addr().expect("the listener's address");
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept the connection");
        stream
            .set_read_timeout(Some(IO_PATIENCE))
            .expect("set the peer's timeout");
        serve(stream)
    });
    (addr, server)
}

/// Writes a line, flushes, and reads the peer's answer with `read_line`;
/// then reads a large answer to the end with `Read`.
pub fn round_trip<C: Connection>(connect: impl FnOnce(SocketAddr) -> C) {
    let big: Vec<u8> = (0..200_000_u32).map(|i| (i % 251) as u8).collect();
    let sent = big.clone();
    let (addr, server) = peer(move |stream| {
        let mut line = String::new();
        BufReader::new(&stream).read_line(&mut line).unwrap();
        (&stream)
            .write_all(format!("echo: {line}").as_bytes())
            .unwrap();
        (&stream).write_all(&sent).unwrap();
    });
    let mut conn = connect(addr);
    conn.write_all(b"hello\n").unwrap();
    conn.flush().unwrap();
    let mut answer = String::new();
    conn.read_line(&mut answer).unwrap();
    assert_eq!(answer, "echo: hello\n");
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).unwrap();
    assert_eq!(rest.len(), big.len());
    assert!(rest == big, "the large answer arrived changed");
    server.join().unwrap();
}

/// A read with nothing to read times out with `TimedOut` after about the
/// timeout; what arrives later is read by the next one.
pub fn read_times_out_and_loses_nothing<C: Connection>(connect: impl FnOnce(SocketAddr) -> C) {
    let (go, went) = mpsc::channel::<()>();
    let (addr, server) = peer(move |mut stream| {
        went.recv().unwrap();
        stream.write_all(b"late\n").unwrap();
    });
    let mut conn = connect(addr);
    conn.set_timeout(Duration::from_millis(50));
    let started = Instant::now();
    let err = conn.read(&mut [0; 16]).unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    assert!(took < Duration::from_secs(2), "timed out after {took:?}");
    go.send(()).unwrap();
    conn.set_timeout(IO_PATIENCE);
    let mut line = String::new();
    conn.read_line(&mut line).unwrap();
    assert_eq!(line, "late\n");
    server.join().unwrap();
}

/// After `shut_down` the peer reads the end of the stream, and can still
/// answer.
pub fn shutdown_reaches_the_peer<C: Connection>(connect: impl FnOnce(SocketAddr) -> C) {
    let (addr, server) = peer(move |mut stream| {
        let mut all = Vec::new();
        stream.read_to_end(&mut all).unwrap();
        stream.write_all(&all).unwrap();
        all
    });
    let mut conn = connect(addr);
    conn.write_all(b"all of it").unwrap();
    conn.shut_down().unwrap();
    let mut back = Vec::new();
    conn.read_to_end(&mut back).unwrap();
    assert_eq!(back, b"all of it");
    assert_eq!(server.join().unwrap(), b"all of it");
}
