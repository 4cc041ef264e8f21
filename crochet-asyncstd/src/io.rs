//! Blocking `std::io::Read`, `BufRead` and `Write` over async-std (futures-io)'s async I/O:
//! [`open`] makes the object (a TCP connection, a child's pipe) on the
//! reactor, and blocking code reads and writes it through a [`BlockingIo`],
//! each operation with a timeout. Everything but the polling is
//! [`crochet_core::BlockingIo`]'s.
//!
//! `BlockingIo::shutdown` calls the object's `poll_close`; async-std's
//! `TcpStream` only flushes there, without sending a FIN (its own
//! `shutdown(Shutdown::Write)` does that): the peer sees the end of the
//! stream when the `BlockingIo` is dropped.
//!
//! # Examples
//!
//! A TCP connection, written and read from blocking code:
//!
//! ```
//! use std::io::{BufRead, Read, Write};
//! use std::time::Duration;
//!
//! // A blocking echo server to talk to.
//! let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
//! let addr = listener.local_addr().unwrap();
//! std::thread::spawn(move || {
//!     let (peer, _) = listener.accept().unwrap();
//!     let mut line = String::new();
//!     std::io::BufReader::new(&peer).read_line(&mut line).unwrap();
//!     (&peer).write_all(line.as_bytes()).unwrap();
//! });
//!
//! let reactor = crochet_asyncstd::start();
//! let timeout = Duration::from_secs(5);
//! let mut conn = crochet_asyncstd::io::open(&reactor, timeout, move || async_std::net::TcpStream::connect(addr))
//!     .wait(timeout)
//!     .unwrap()
//!     .unwrap();
//! conn.write_all(b"hello\n").unwrap();
//! conn.flush().unwrap();
//! let mut echoed = String::new();
//! conn.read_line(&mut echoed).unwrap();
//! assert_eq!(echoed, "hello\n");
//! conn.shutdown().unwrap();
//! assert_eq!(conn.read(&mut [0; 8]).unwrap(), 0); // The server hung up.
//! ```

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_std::io::{Read as AsyncRead, Write as AsyncWrite};
use crochet_core::reactor::{PollRead, PollWrite};
use crochet_core::{EventLoop, EventualResult};

/// A blocking `Read` + `BufRead` + `Write` over async-std (futures-io)'s I/O object `S`,
/// kept on the reactor: [`crochet_core::BlockingIo`] over [`AsyncStdIo`].
///
/// # Examples
///
/// See [the module](self).
pub type BlockingIo<S> = crochet_core::BlockingIo<AsyncStdIo<S>>;

/// async-std (futures-io)'s I/O object `S` as crochet polls it, on the reactor.
///
/// # Examples
///
/// See [the module](self); [`open`] makes one.
#[derive(Debug)]
pub struct AsyncStdIo<S>(Pin<Box<S>>);

/// Runs `make` on the reactor and keeps the I/O object it returns there;
/// the result is a [`BlockingIo`] whose operations each wait up to
/// `timeout` (a read or write that takes longer is cancelled and fails
/// with [`io::ErrorKind::TimedOut`]). The object is dropped on the reactor
/// when the `BlockingIo` is.
///
/// # Errors
///
/// The result holds the error of `make` (a refused connection); the
/// [`EventualResult`] fails as any work does.
///
/// # Examples
///
/// See [the module](self).
#[track_caller]
pub fn open<F, Fut, S>(
    event_loop: &EventLoop,
    timeout: Duration,
    make: F,
) -> EventualResult<io::Result<BlockingIo<S>>>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = io::Result<S>> + Send + 'static,
    S: Send + 'static,
{
    event_loop.open_io(timeout, move || async move {
        make().await.map(|io| AsyncStdIo(Box::pin(io)))
    })
}

impl<S: AsyncRead + Send + 'static> PollRead for AsyncStdIo<S> {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.0.as_mut().poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Send + 'static> PollWrite for AsyncStdIo<S> {
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.0.as_mut().poll_write(cx, buf)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.as_mut().poll_close(cx)
    }
}
