//! Blocking `Read`, `BufRead` and `Write` over an async I/O object kept on
//! the reactor, with an object of the test's own (the adapters' tests read
//! and write real TCP connections).

use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, BufRead, Read, Write};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use crochet::reactor::{PollRead, PollWrite};
use crochet::{BlockingIo, Error};
use futures::channel::oneshot;

use crochet_test_support::fixture::{Fixture, Runtime};
use crochet_test_support::helpers::{assert_dropped_in_runtime, probe, Probe, LONG, SHORT};

/// An I/O object that reads the chunks it was given (waiting for `later`
/// once they run out) and logs what is done to it.
struct Script {
    chunks: VecDeque<Vec<u8>>,
    later: Option<oneshot::Receiver<Vec<u8>>>,
    log: Arc<Mutex<Vec<String>>>,
    _probe: Option<Probe>,
}

impl Script {
    fn new(chunks: &[&str]) -> Script {
        Script {
            chunks: chunks.iter().map(|c| c.as_bytes().to_vec()).collect(),
            later: None,
            log: Arc::default(),
            _probe: None,
        }
    }
}

impl PollRead for Script {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        loop {
            if let Some(chunk) = self.chunks.front_mut() {
                let n = chunk.len().min(buf.len());
                buf[..n].copy_from_slice(&chunk[..n]);
                chunk.drain(..n);
                if chunk.is_empty() {
                    self.chunks.pop_front();
                }
                return Poll::Ready(Ok(n));
            }
            let Some(later) = self.later.as_mut() else {
                return Poll::Ready(Ok(0));
            };
            match Pin::new(later).poll(cx) {
                Poll::Ready(Ok(chunk)) => self.chunks.push_back(chunk),
                Poll::Ready(Err(oneshot::Canceled)) => self.later = None,
                Poll::Pending => return Poll::Pending,
            }
            self.later = None;
        }
    }
}

impl PollWrite for Script {
    fn poll_write(&mut self, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let text = String::from_utf8_lossy(buf).into_owned();
        self.log.lock().unwrap().push(format!("write {text}"));
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.log.lock().unwrap().push("flush".into());
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.log.lock().unwrap().push("shutdown".into());
        Poll::Ready(Ok(()))
    }
}

fn open<R: Runtime>(fx: &Fixture<R>, script: Script) -> BlockingIo<Script> {
    fx.open_io(LONG, move || async move { Ok(script) })
        .wait(LONG)
        .unwrap()
        .unwrap()
}

/// The crochet error an `io::Error` carries as its source.
fn crochet_source(err: &io::Error) -> Option<&Error> {
    std::error::Error::source(err).and_then(|source| source.downcast_ref::<Error>())
}

pub fn blocking_io_reads_a_stream_to_the_end<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let mut io = open(
        &fx,
        Script::new(&["first li", "ne\nsecond", " line\n", "rest"]),
    );
    let mut line = String::new();
    io.read_line(&mut line).unwrap();
    assert_eq!(line, "first line\n");
    let mut rest = String::new();
    io.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "second line\nrest");
    assert_eq!(io.read(&mut [0; 4]).unwrap(), 0);

    let refused = fx.open_io(LONG, || async {
        Err::<Script, _>(io::Error::from(io::ErrorKind::ConnectionRefused))
    });
    let refused = refused.wait(LONG).unwrap().unwrap_err();
    assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);
}

pub fn blocking_io_read_times_out_and_loses_nothing<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (send, later) = oneshot::channel();
    let mut script = Script::new(&[]);
    script.later = Some(later);
    let mut io = open(&fx, script);
    io.set_timeout(SHORT);
    let err = io.read(&mut [0; 8]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert_eq!(crochet_source(&err), Some(&Error::Timeout));
    send.send(b"late".to_vec()).unwrap();
    io.set_timeout(LONG);
    let mut got = Vec::new();
    io.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"late");
}

pub fn blocking_io_honours_write_flush_and_shutdown<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let script = Script::new(&[]);
    let log = script.log.clone();
    let mut io = open(&fx, script);
    io.write_all(b"hello").unwrap();
    io.flush().unwrap();
    io.shutdown().unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        ["write hello", "flush", "shutdown"].map(String::from)
    );
}

pub fn blocking_io_object_is_dropped_on_the_reactor<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (probe, report) = probe::<R>();
    let mut script = Script::new(&["x"]);
    script._probe = Some(probe);
    let mut io = open(&fx, script);
    assert_eq!(io.read(&mut [0; 1]).unwrap(), 1);
    drop(io);
    assert_dropped_in_runtime(&report.dropped());
}

pub fn blocking_io_fails_after_shutdown_with_the_crochet_error<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let mut io = open(&fx, Script::new(&["never read"]));
    assert!(fx.shutdown(LONG));
    let err = io.read(&mut [0; 4]).unwrap_err();
    assert_eq!(crochet_source(&err), Some(&Error::ReactorStopped));
    let err = io.write(b"x").unwrap_err();
    assert_eq!(crochet_source(&err), Some(&Error::ReactorStopped));
}
