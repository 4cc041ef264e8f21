//! `BlockingIo`: blocking `std::io::Read`, `BufRead` and `Write` over an
//! async I/O object kept on the reactor, each operation with a timeout.
//!
//! The runtime-specific part is only how the object is polled: an adapter
//! implements [`PollRead`] and [`PollWrite`] for a wrapper of its runtime's
//! I/O traits; everything else (the value on the reactor, the timeouts,
//! the cancel of an operation that timed out, the errors) is here, once.

use std::error::Error as StdError;
use std::fmt;
use std::future::{poll_fn, Future};
use std::io::{self, BufRead, Read, Write};
use std::panic::Location;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::bound::Bound;
use crate::error::Error;
use crate::event_loop::EventLoop;
use crate::eventual::EventualResult;

/// The size of the buffer of one read, and the most one write sends.
const CHUNK: usize = 16 * 1024;

/// How an adapter polls its runtime's readable I/O object: the
/// runtime-specific half of [`BlockingIo`]'s `Read`.
///
/// # Examples
///
/// ```
/// use std::io;
/// use std::task::{Context, Poll};
/// use crochet_core::reactor::PollRead;
///
/// /// Bytes from memory, as an adapter's wrapper would read a socket.
/// struct Memory(io::Cursor<Vec<u8>>);
///
/// impl PollRead for Memory {
///     fn poll_read(&mut self, _cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
///         Poll::Ready(io::Read::read(&mut self.0, buf))
///     }
/// }
/// # let _ = Memory(io::Cursor::new(Vec::new()));
/// ```
pub trait PollRead: Send + 'static {
    /// Reads into `buf` as the runtime's `AsyncRead::poll_read` does:
    /// `Ready(Ok(0))` at the end of the stream.
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
}

/// How an adapter polls its runtime's writable I/O object: the
/// runtime-specific half of [`BlockingIo`]'s `Write`.
///
/// # Examples
///
/// ```
/// use std::io;
/// use std::task::{Context, Poll};
/// use crochet_core::reactor::PollWrite;
///
/// /// Bytes into memory, as an adapter's wrapper would write a socket.
/// struct Memory(Vec<u8>, bool);
///
/// impl PollWrite for Memory {
///     fn poll_write(&mut self, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
///         self.0.extend_from_slice(buf);
///         Poll::Ready(Ok(buf.len()))
///     }
///     fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
///         Poll::Ready(Ok(()))
///     }
///     fn poll_shutdown(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
///         self.1 = true;
///         Poll::Ready(Ok(()))
///     }
/// }
/// # let _ = Memory(Vec::new(), false);
/// ```
pub trait PollWrite: Send + 'static {
    /// Writes from `buf` as the runtime's `AsyncWrite::poll_write` does.
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
    /// Flushes as `AsyncWrite::poll_flush` does.
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Shuts the writing half down as tokio's `poll_shutdown` (futures-io's
    /// `poll_close`) does.
    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

/// A blocking `Read` + `BufRead` (when `S` is [`PollRead`]) and `Write`
/// (when `S` is [`PollWrite`]) over an async I/O object that lives on the
/// reactor: a TCP connection, a response body, a pipe.
///
/// Made on the reactor by a closure (the adapters' `io::open`, or
/// [`EventLoop::open_io`]), used from blocking code, dropped on the
/// reactor. Every operation waits at most [`timeout`](Self::timeout): one
/// that takes longer is cancelled on the reactor (nothing is read or
/// written by it) and fails with an `io::Error` of kind
/// [`TimedOut`](io::ErrorKind::TimedOut). Crochet's other errors
/// (`ReactorStopped`, `WaitInReactorThread`, a panic) are `io::Error`s
/// whose [`source`](std::error::Error::source) is the crochet
/// [`Error`].
///
/// Reads are buffered (`BufRead`); writes are not: each `write` sends at
/// most 16 KiB to the object, and `flush` flushes the object itself.
///
/// # Examples
///
/// The adapters' documentation shows a TCP connection; here, an object of
/// the test's own:
///
/// ```
/// use std::io::{self, BufRead, Write};
/// use std::task::{Context, Poll};
/// use std::time::Duration;
/// use crochet_core::reactor::{PollRead, PollWrite};
///
/// /// An echo in memory: what is written is read back.
/// struct Echo(io::Cursor<Vec<u8>>);
/// impl PollRead for Echo {
///     fn poll_read(&mut self, _: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
///         Poll::Ready(io::Read::read(&mut self.0, buf))
///     }
/// }
/// impl PollWrite for Echo {
///     fn poll_write(&mut self, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
///         self.0.get_mut().extend_from_slice(buf);
///         Poll::Ready(Ok(buf.len()))
///     }
///     fn poll_flush(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> { Poll::Ready(Ok(())) }
///     fn poll_shutdown(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> { Poll::Ready(Ok(())) }
/// }
///
/// let reactor = crochet_core::setup();
/// let timeout = Duration::from_secs(5);
/// let mut echo = reactor
///     .open_io(timeout, || async { Ok(Echo(io::Cursor::new(Vec::new()))) })
///     .wait(timeout)
///     .unwrap()
///     .unwrap();
/// echo.write_all(b"hello\nworld\n").unwrap();
/// echo.flush().unwrap();
/// let lines: Vec<String> = echo.lines().map(Result::unwrap).collect();
/// assert_eq!(lines, ["hello", "world"]);
/// ```
pub struct BlockingIo<S: Send + 'static> {
    io: Bound<Mutex<S>>,
    timeout: Duration,
    /// The read buffer: `buf[pos..filled]` is read and not consumed.
    buf: Vec<u8>,
    pos: usize,
    filled: usize,
}

impl EventLoop {
    /// Runs `make` on the reactor and keeps the I/O object it returns there,
    /// behind a [`BlockingIo`] whose operations each wait up to `timeout`.
    /// Adapters wrap this for their runtime's I/O traits
    /// (`crochet_tokio::io::open`, ...).
    ///
    /// # Examples
    ///
    /// See [`BlockingIo`].
    #[track_caller]
    pub fn open_io<F, Fut, S>(
        &self,
        timeout: Duration,
        make: F,
    ) -> EventualResult<io::Result<BlockingIo<S>>>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = io::Result<S>> + Send + 'static,
        S: Send + 'static,
    {
        let location = Location::caller();
        let event_loop = self.clone();
        self.submit(location, None, None, move || async move {
            let io = make().await?;
            Ok(BlockingIo {
                io: Bound::keep(event_loop, Mutex::new(io), location),
                timeout,
                buf: Vec::new(),
                pos: 0,
                filled: 0,
            })
        })
    }
}

impl<S: Send + 'static> BlockingIo<S> {
    /// How long each operation waits.
    ///
    /// # Examples
    ///
    /// See [`set_timeout`](Self::set_timeout).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sets how long each later operation waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # use std::{io, task::{Context, Poll}};
    /// # struct Nothing;
    /// # impl crochet_core::reactor::PollRead for Nothing {
    /// #     fn poll_read(&mut self, _: &mut Context<'_>, _: &mut [u8]) -> Poll<io::Result<usize>> {
    /// #         Poll::Pending
    /// #     }
    /// # }
    ///
    /// let reactor = crochet_core::setup();
    /// let mut io = reactor
    ///     .open_io(Duration::from_secs(5), || async { Ok(Nothing) })
    ///     .wait(Duration::from_secs(5))
    ///     .unwrap()
    ///     .unwrap();
    /// io.set_timeout(Duration::from_millis(20));
    /// assert_eq!(io.timeout(), Duration::from_millis(20));
    /// let err = io::Read::read(&mut io, &mut [0; 4]).unwrap_err();
    /// assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    /// ```
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Runs `op` on the object on the reactor, waiting up to the timeout.
    fn op<R, P>(&self, mut op: P) -> io::Result<R>
    where
        R: Send + 'static,
        P: FnMut(&mut S, &mut Context<'_>) -> Poll<io::Result<R>> + Send + 'static,
    {
        self.io
            .call_mut(move |mut io| async move {
                let io = io
                    .get_mut()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                poll_fn(|cx| op(io, cx)).await
            })
            .wait_or_cancel(self.timeout)
            .map_err(io_error)?
    }
}

impl<S: PollWrite> BlockingIo<S> {
    /// Shuts the writing half down (a TCP connection sends its FIN), after
    /// flushing; waits up to the timeout.
    ///
    /// # Errors
    ///
    /// The object's error, or as every operation (see [`BlockingIo`]).
    ///
    /// # Examples
    ///
    /// The adapters' documentation shows a TCP connection shut down.
    ///
    /// ```
    /// use std::time::Duration;
    /// # use std::{io, task::{Context, Poll}};
    /// # struct Sink;
    /// # impl crochet_core::reactor::PollWrite for Sink {
    /// #     fn poll_write(&mut self, _: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> { Poll::Ready(Ok(b.len())) }
    /// #     fn poll_flush(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> { Poll::Ready(Ok(())) }
    /// #     fn poll_shutdown(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> { Poll::Ready(Ok(())) }
    /// # }
    /// let reactor = crochet_core::setup();
    /// let mut sink = reactor
    ///     .open_io(Duration::from_secs(5), || async { Ok(Sink) })
    ///     .wait(Duration::from_secs(5))
    ///     .unwrap()
    ///     .unwrap();
    /// sink.shutdown().unwrap();
    /// ```
    pub fn shutdown(&mut self) -> io::Result<()> {
        self.op(|io: &mut S, cx| io.poll_shutdown(cx))
    }
}

impl<S: PollRead> Read for BlockingIo<S> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<S: PollRead> BufRead for BlockingIo<S> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.filled {
            // The buffer travels to the reactor and back; one that timed
            // out is dropped there with the cancelled read.
            let mut buf = std::mem::take(&mut self.buf);
            buf.resize(CHUNK, 0);
            let mut buf = Some(buf);
            let (buf, read) = self.op(move |io: &mut S, cx| {
                let target = buf.as_mut().expect("the read buffer is gone");
                match io.poll_read(cx, target) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(read) => {
                        let buf = buf.take().expect("the read buffer is gone");
                        Poll::Ready(Ok((buf, read)))
                    }
                }
            })?;
            self.buf = buf;
            self.pos = 0;
            self.filled = 0;
            self.filled = read?;
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.filled);
    }
}

impl<S: PollWrite> Write for BlockingIo<S> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let chunk = data[..data.len().min(CHUNK)].to_vec();
        self.op(move |io: &mut S, cx| io.poll_write(cx, &chunk))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.op(|io: &mut S, cx| io.poll_flush(cx))
    }
}

impl<S: Send + 'static> fmt::Debug for BlockingIo<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingIo")
            .field("timeout", &self.timeout)
            .field("buffered", &(self.filled - self.pos))
            .finish_non_exhaustive()
    }
}

/// A crochet error as an `io::Error`, as [`BlockingIo`] returns them: of
/// kind [`TimedOut`](io::ErrorKind::TimedOut) for [`Error::Timeout`],
/// [`Other`](io::ErrorKind::Other) for the rest, and the crochet error as
/// the [`source`](std::error::Error::source) in every case. So `?` works
/// on crochet's results in functions that return `io::Result`.
///
/// # Examples
///
/// ```
/// use std::io;
/// use crochet_core::Error;
///
/// let err = io::Error::from(Error::Timeout);
/// assert_eq!(err.kind(), io::ErrorKind::TimedOut);
/// let source = std::error::Error::source(&err).unwrap();
/// assert_eq!(source.downcast_ref::<Error>(), Some(&Error::Timeout));
/// ```
impl From<Error> for io::Error {
    fn from(error: Error) -> io::Error {
        io_error(error)
    }
}

fn io_error(error: Error) -> io::Error {
    let kind = if error.is_timeout() {
        io::ErrorKind::TimedOut
    } else {
        io::ErrorKind::Other
    };
    io::Error::new(kind, ReactorIo(error))
}

/// The payload of an `io::Error` made from a crochet error.
#[derive(Debug)]
struct ReactorIo(Error);

impl fmt::Display for ReactorIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The crochet error says it all; it is also the source.
        fmt::Display::fmt(&self.0, f)
    }
}

impl StdError for ReactorIo {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.0)
    }
}
