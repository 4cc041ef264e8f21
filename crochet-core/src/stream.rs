//! Streams of results: `EventLoop::stream`, the consumer's
//! [`EventualStream`], the producer's [`StreamSender`] and the byte
//! reader [`StreamReader`].
//!
//! The producer is ordinary work: it is submitted as
//! `run_in_reactor_with_token` submits work, so its cancellation, its
//! panics, shutdown and the fork check are the slot's. The stream adds a
//! bounded buffer beside it (`stream_buffer.rs`) and learns of the work's
//! outcome through a waker registered on the work's result, which marks
//! the buffer finished.

use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use crate::cancel::CancellationToken;
use crate::canceller::Canceller;
use crate::error::{catch_panic, Error, Failure};
use crate::event_loop::EventLoop;
use crate::eventual::EventualResult;
use crate::stream_buffer::{Buffer, Taken};
use crate::unhandled;

impl EventLoop {
    /// Runs `produce` on the reactor thread with a [`StreamSender`] and
    /// drives the future it returns there; returns at once with the
    /// [`EventualStream`] of the items it sends.
    ///
    /// Up to `capacity` items (at least one) wait unread; a send beyond
    /// that waits until the consumer reads one (backpressure). The stream
    /// ends once the future finished and its items were read. Cancelling
    /// or dropping the stream drops the future on the reactor thread after
    /// its token ([`StreamSender::token`]) fires, as for cancelled work. A
    /// panic of the producer, or the loop's shutdown, is returned to the
    /// consumer after the items sent before it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let mut rows = reactor.stream(2, |sender| async move {
    ///     for row in 1..=3 {
    ///         if sender.send(row).await.is_err() {
    ///             return; // the consumer is gone
    ///         }
    ///     }
    /// });
    /// let read: Result<Vec<u32>, _> = rows.iter_timeout(Duration::from_secs(5)).collect();
    /// assert_eq!(read, Ok(vec![1, 2, 3]));
    /// ```
    #[track_caller]
    pub fn stream<T, F, Fut>(&self, capacity: usize, produce: F) -> EventualStream<T>
    where
        T: Send + 'static,
        F: FnOnce(StreamSender<T>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.open_stream(Location::caller(), capacity, produce, None)
    }

    /// As [`stream`](Self::stream), with a canceller: `cancel` runs on the
    /// reactor once the stream was cancelled or dropped before its producer
    /// finished, after the producer's future was dropped (never when the
    /// producer finished; a producer that returns because a send failed
    /// after the drop stopped early, and the canceller runs); see
    /// [`run_in_reactor_with_canceller`](Self::run_in_reactor_with_canceller).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let (cleaned, cleanup) = std::sync::mpsc::channel();
    /// let rows = reactor.stream_with_canceller(
    ///     1,
    ///     |sender| async move {
    ///         for row in 0.. {
    ///             if sender.send(row).await.is_err() {
    ///                 return;
    ///             }
    ///         }
    ///     },
    ///     move || async move { cleaned.send("query cancelled").unwrap() },
    /// );
    /// drop(rows);
    /// assert_eq!(cleanup.recv_timeout(Duration::from_secs(5)), Ok("query cancelled"));
    /// ```
    #[track_caller]
    pub fn stream_with_canceller<T, F, Fut, C, CFut>(
        &self,
        capacity: usize,
        produce: F,
        cancel: C,
    ) -> EventualStream<T>
    where
        T: Send + 'static,
        F: FnOnce(StreamSender<T>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
        C: FnOnce() -> CFut + Send + 'static,
        CFut: Future<Output = ()> + Send + 'static,
    {
        self.open_stream(
            Location::caller(),
            capacity,
            produce,
            Some(Canceller::new(cancel)),
        )
    }

    pub(crate) fn open_stream<T, F, Fut>(
        &self,
        location: &'static Location<'static>,
        capacity: usize,
        produce: F,
        canceller: Option<Canceller>,
    ) -> EventualStream<T>
    where
        T: Send + 'static,
        F: FnOnce(StreamSender<T>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let buffer = Arc::new(Buffer::new(capacity));
        let theirs = buffer.clone();
        // The one place where a stream hands its producer to the core: the
        // canceller goes along with the work, so it runs on the reactor after
        // a cancelled or dropped stream's producer future is dropped, and
        // never when the producer finished; `EventualStream::cancel` and the
        // stream's drop both cancel this very work.
        let token = CancellationToken::new();
        let theirs_token = token.clone();
        let mut producer = self.submit(location, Some(token), canceller, move || {
            let closed = theirs.clone();
            let produced = produce(StreamSender {
                buffer: theirs,
                token: theirs_token,
            });
            async move {
                produced.await;
                // A producer that returned because its consumer is gone (a
                // send failed) stopped early, as if it had been dropped: it
                // waits here for the cancel that preceded the close, so
                // that the work ends cancelled and its canceller runs.
                if closed.is_closed() {
                    std::future::pending::<()>().await;
                }
            }
        });
        // The work's outcome marks the buffer finished, whoever settles it
        // (the producer, a panic, a cancel, shutdown).
        let waker = Waker::from(Arc::new(OnSettled(buffer.clone())));
        let outcome = match Pin::new(&mut producer).poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(outcome) => {
                buffer.finish();
                Some(outcome)
            }
            Poll::Pending => None,
        };
        // Taking a panic out of the result counts as seeing it; nobody has
        // yet, so the stream reports it if it is dropped unread.
        let unseen = match &outcome {
            Some(Err(err @ Error::Panicked(_))) => Some(err.clone()),
            _ => None,
        };
        EventualStream {
            buffer,
            producer,
            outcome,
            unseen,
        }
    }
}

/// The items that work on a reactor sends, read one at a time from
/// blocking code with a timeout, or awaited from async code on any
/// runtime. Made by [`EventLoop::stream`].
///
/// Each item is handed out once. The end (`Ok(None)`) and a failure of the
/// producer are returned to every later read. Dropping the stream cancels
/// the producer, as [`cancel`](Self::cancel) does.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let reactor = crochet_core::setup();
/// let mut numbers = reactor.stream(8, |sender| async move {
///     let _ = sender.send(1).await;
///     let _ = sender.send(2).await;
/// });
/// assert_eq!(numbers.next_timeout(Duration::from_secs(5)), Ok(Some(1)));
/// assert_eq!(numbers.next_timeout(Duration::from_secs(5)), Ok(Some(2)));
/// assert_eq!(numbers.next_timeout(Duration::from_secs(5)), Ok(None));
/// assert_eq!(numbers.next_timeout(Duration::from_secs(5)), Ok(None));
/// ```
pub struct EventualStream<T> {
    buffer: Arc<Buffer<T>>,
    /// The producer's work, whose outcome is the stream's end.
    producer: EventualResult<()>,
    /// The work's outcome once taken from `producer` (a value is taken
    /// once; a failure would stay there too).
    outcome: Option<Result<(), Error>>,
    /// A panic of the producer taken from `producer` before any read
    /// returned it: reported as unhandled if the stream goes unread.
    unseen: Option<Error>,
}

impl<T> EventualStream<T> {
    /// Blocks until the next item is there, the stream ended or `timeout`
    /// has passed. `Ok(None)` once the producer finished and every item was
    /// read, and for every read after that.
    ///
    /// # Errors
    ///
    /// - [`Error::Timeout`] if nothing came in time; nothing is lost, and a
    ///   later read gets the item;
    /// - [`Error::WaitInReactorThread`] at once on the reactor thread;
    /// - the producer's failure, once the items sent before it were read:
    ///   [`Error::Panicked`] or [`Error::ReactorStopped`]; after
    ///   [`cancel`](Self::cancel), [`Error::Cancelled`];
    /// - [`Error::StartedBeforeFork`] instead of blocking, in a process
    ///   forked after the loop started.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let (tx, rx) = std::sync::mpsc::channel::<()>();
    /// let mut late = reactor.stream(1, move |sender| async move {
    ///     let _ = std::thread::spawn(move || rx.recv()).join();
    ///     let _ = sender.send("late").await;
    /// });
    /// assert_eq!(late.next_timeout(Duration::from_millis(10)), Err(crochet_core::Error::Timeout));
    /// tx.send(()).unwrap();
    /// assert_eq!(late.next_timeout(Duration::from_secs(5)), Ok(Some("late")));
    /// ```
    pub fn next_timeout(&mut self, timeout: Duration) -> Result<Option<T>, Error> {
        self.next_until(Instant::now().checked_add(timeout))
    }

    /// Blocks until the next item is there, the stream ended or `deadline`
    /// has passed. A deadline in the past checks without blocking.
    ///
    /// # Errors
    ///
    /// As [`next_timeout`](Self::next_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let reactor = crochet_core::setup();
    /// let mut one = reactor.stream(1, |sender| async move {
    ///     let _ = sender.send('a').await;
    /// });
    /// let deadline = Instant::now() + Duration::from_secs(5);
    /// assert_eq!(one.next_deadline(deadline), Ok(Some('a')));
    /// assert_eq!(one.next_deadline(deadline), Ok(None));
    /// ```
    pub fn next_deadline(&mut self, deadline: Instant) -> Result<Option<T>, Error> {
        self.next_until(Some(deadline))
    }

    fn next_until(&mut self, deadline: Option<Instant>) -> Result<Option<T>, Error> {
        let core = self.producer.core().clone();
        if core.is_reactor_thread() {
            return Err(Error::WaitInReactorThread);
        }
        let taken = self.buffer.wait_take(
            deadline,
            |done| {
                #[cfg(not(all(test, crochet_loom)))]
                core.spin(deadline, done);
                #[cfg(all(test, crochet_loom))]
                let _ = done;
            },
            || core.started_before_fork(),
        )?;
        self.settle(taken)
    }

    /// Takes the next item if it is there, without blocking; allowed on the
    /// reactor thread too.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] if there is nothing yet; otherwise as
    /// [`next_timeout`](Self::next_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::start();
    /// let mut never = reactor.stream(1, |_sender: crochet_core::StreamSender<u8>| {
    ///     std::future::pending::<()>()
    /// });
    /// assert_eq!(never.try_next(), Err(crochet_core::Error::Timeout));
    /// ```
    pub fn try_next(&mut self) -> Result<Option<T>, Error> {
        match self.buffer.try_take() {
            Some(taken) => self.settle(taken),
            None => Err(Error::Timeout),
        }
    }

    /// Waits for the next item from async code, on any runtime (or on the
    /// loop's own reactor, where blocking reads are refused).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future (as `select!` does) loses nothing: an item is
    /// taken only when the future returns it.
    ///
    /// # Errors
    ///
    /// As [`next_timeout`](Self::next_timeout), without the timeout and
    /// the refusal on the reactor thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::setup();
    /// let mut words = reactor.stream(4, |sender| async move {
    ///     let _ = sender.send("hello").await;
    /// });
    /// crochet_core::reactor::block_on(async {
    ///     assert_eq!(words.next().await, Ok(Some("hello")));
    ///     assert_eq!(words.next().await, Ok(None));
    /// });
    /// ```
    pub async fn next(&mut self) -> Result<Option<T>, Error> {
        poll_fn(|cx| self.poll_next(cx)).await
    }

    /// The poll behind [`next`](Self::next), for a `Stream` implementation
    /// or a hand-written future: `Poll::Ready` with what
    /// [`next_timeout`](Self::next_timeout) would return, or
    /// `Poll::Pending` and `cx`'s waker is woken when there is something.
    ///
    /// # Errors
    ///
    /// As [`next`](Self::next).
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::setup();
    /// let mut one = reactor.stream(1, |sender| async move {
    ///     let _ = sender.send(1).await;
    /// });
    /// let first = crochet_core::reactor::block_on(std::future::poll_fn(|cx| one.poll_next(cx)));
    /// assert_eq!(first, Ok(Some(1)));
    /// ```
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<T>, Error>> {
        let core = self.producer.core().clone();
        match self.buffer.poll_take(cx, || core.started_before_fork()) {
            Poll::Ready(Ok(taken)) => Poll::Ready(self.settle(taken)),
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// An iterator over the items, each waited for up to `per_item`; it
    /// ends after the last item, or after the first error (a timeout
    /// included), which it yields.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let mut squares = reactor.stream(2, |sender| async move {
    ///     for n in 1..=4_u32 {
    ///         let _ = sender.send(n * n).await;
    ///     }
    /// });
    /// let mut total = 0;
    /// for square in squares.iter_timeout(Duration::from_secs(5)) {
    ///     total += square?;
    /// }
    /// assert_eq!(total, 30);
    /// # Ok::<(), crochet_core::Error>(())
    /// ```
    pub fn iter_timeout(
        &mut self,
        per_item: Duration,
    ) -> impl Iterator<Item = Result<T, Error>> + '_ {
        let mut done = false;
        std::iter::from_fn(move || {
            if done {
                return None;
            }
            match self.next_timeout(per_item) {
                Ok(Some(item)) => Some(Ok(item)),
                Ok(None) => {
                    done = true;
                    None
                }
                Err(err) => {
                    done = true;
                    Some(Err(err))
                }
            }
        })
    }

    /// Cancels the producer: its token fires and its future is dropped on
    /// the reactor thread, the unread items are dropped, and every later
    /// read gets [`Error::Cancelled`] (or the producer's failure, if it had
    /// failed before). Idempotent; dropping the stream does the same.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let mut endless = reactor.stream(1, |sender| async move {
    ///     while sender.send(0_u8).await.is_ok() {}
    /// });
    /// assert_eq!(endless.next_timeout(Duration::from_secs(5)), Ok(Some(0)));
    /// endless.cancel();
    /// assert_eq!(endless.next_timeout(Duration::from_secs(5)), Err(crochet_core::Error::Cancelled));
    /// ```
    pub fn cancel(&self) {
        // The producer is cancelled before the buffer closes: a producer
        // that sees the buffer closed knows its cancel has happened.
        self.producer.cancel();
        drop_items(self.buffer.close(), &self.producer);
    }

    /// How many items are there unread now.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let mut two = reactor.stream(2, move |sender| async move {
    ///     let _ = sender.send(1).await;
    ///     let _ = sender.send(2).await;
    ///     let _ = tx.send(());
    /// });
    /// rx.recv_timeout(Duration::from_secs(5)).unwrap();
    /// assert_eq!(two.buffered(), 2);
    /// ```
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// A blocking [`io::Read`] and [`io::BufRead`] over a stream of byte
    /// chunks, each read waiting up to `per_read` for the next chunk.
    ///
    /// A read that times out is an [`io::Error`] of kind
    /// [`io::ErrorKind::TimedOut`] and loses nothing: the next read goes
    /// on. Crochet's other errors are the `io::Error`'s source
    /// ([`io::Error::get_ref`] downcasts to [`Error`]); the end of the
    /// stream is the end of the bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let body = reactor.stream(2, |sender| async move {
    ///     for chunk in [&b"hello "[..], b"world"] {
    ///         let _ = sender.send(chunk.to_vec()).await;
    ///     }
    /// });
    /// let mut text = String::new();
    /// body.into_reader(Duration::from_secs(5)).read_to_string(&mut text)?;
    /// assert_eq!(text, "hello world");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_reader(self, per_read: Duration) -> StreamReader<T>
    where
        T: AsRef<[u8]>,
    {
        StreamReader {
            stream: self,
            per_read,
            open: Ok,
            chunk: None,
            read: 0,
        }
    }

    /// What the consumer found, as a read returns it.
    fn settle(&mut self, taken: Taken<T>) -> Result<Option<T>, Error> {
        match taken {
            Taken::Item(item) => Ok(Some(item)),
            Taken::Finished => self.outcome().map(|()| None),
            Taken::Closed => match self.outcome() {
                Err(err) => Err(err),
                Ok(()) => Err(Error::Cancelled),
            },
        }
    }

    /// The producer's outcome. Once the buffer is finished the work has
    /// one, since only its settling finishes the buffer; a closed buffer
    /// cancelled the work first.
    fn outcome(&mut self) -> Result<(), Error> {
        if let Some(outcome) = &self.outcome {
            // Returned to a read: seen.
            self.unseen = None;
            return outcome.clone();
        }
        match self.producer.try_wait() {
            Err(Error::Timeout) => Err(Error::Timeout),
            outcome => {
                self.outcome = Some(outcome.clone());
                outcome
            }
        }
    }
}

impl<B, E> EventualStream<Result<B, E>>
where
    B: AsRef<[u8]>,
    E: Into<io::Error>,
{
    /// As [`into_reader`](Self::into_reader), for a stream of chunks that
    /// can fail (a body that breaks midway): an `Err` item is the error of
    /// the read that reaches it, after the bytes before it, so a broken
    /// stream is never mistaken for a short one.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{self, Read};
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let body = reactor.stream(2, |sender| async move {
    ///     let _ = sender.send(Ok(b"hello ".to_vec())).await;
    ///     let _ = sender.send(Err(io::Error::new(io::ErrorKind::ConnectionReset, "reset"))).await;
    /// });
    /// let mut text = String::new();
    /// let err = body.into_try_reader(Duration::from_secs(5)).read_to_string(&mut text).unwrap_err();
    /// assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    /// assert_eq!(text, "hello ");
    /// ```
    pub fn into_try_reader(self, per_read: Duration) -> StreamReader<Result<B, E>, B> {
        StreamReader {
            stream: self,
            per_read,
            open: |item| item.map_err(Into::into),
            chunk: None,
            read: 0,
        }
    }
}

impl<T> Drop for EventualStream<T> {
    fn drop(&mut self) {
        self.cancel();
        if let Some(err) = self.unseen.take() {
            unhandled::report(&err);
        }
    }
}

impl<T> fmt::Debug for EventualStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventualStream")
            .field("buffered", &self.buffered())
            .field("producer", &self.producer)
            .finish()
    }
}

/// The producer's end of an [`EventualStream`], handed to the closure of
/// [`EventLoop::stream`]; it sends items from the reactor.
///
/// # Examples
///
/// See [`EventLoop::stream`].
pub struct StreamSender<T> {
    buffer: Arc<Buffer<T>>,
    token: CancellationToken,
}

impl<T> StreamSender<T> {
    /// Sends `item`, waiting while the stream's capacity of unread items is
    /// full (backpressure).
    ///
    /// # Errors
    ///
    /// [`Error::Cancelled`] once the consumer is gone (the stream was
    /// cancelled or dropped) or the producer's work has ended; `item` is
    /// dropped then.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it finished drops `item` unsent.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let mut stream = reactor.stream(1, move |sender| {
    ///     // A sender can outlive the producer's future, here on a thread.
    ///     std::thread::spawn(move || {
    ///         let sent = crochet_core::reactor::block_on(async {
    ///             sender.send(1).await?;
    ///             sender.send(2).await?;
    ///             // Waits for room until the consumer is gone, then fails.
    ///             sender.send(3).await
    ///         });
    ///         tx.send(sent).unwrap();
    ///     });
    ///     std::future::pending::<()>()
    /// });
    /// assert_eq!(stream.next_timeout(Duration::from_secs(5)), Ok(Some(1)));
    /// drop(stream);
    /// assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(Err(crochet_core::Error::Cancelled)));
    /// ```
    pub async fn send(&self, item: T) -> Result<(), Error> {
        let mut item = Some(item);
        let sent = poll_fn(|cx| self.buffer.poll_send(&mut item, cx)).await;
        drop(item);
        sent.map_err(|()| Error::Cancelled)
    }

    /// Whether sends fail now: the consumer is gone, or the work ended.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let stream = reactor.stream(1, move |sender: crochet_core::StreamSender<u8>| async move {
    ///     let _ = tx.send(sender.is_closed());
    /// });
    /// assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(false));
    /// drop(stream);
    /// ```
    pub fn is_closed(&self) -> bool {
        self.buffer.is_shut()
    }

    /// The producer's [`CancellationToken`], which fires on the reactor
    /// thread when the stream is cancelled or dropped or the loop stops,
    /// just before the producer's future is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let stream = reactor.stream(1, move |sender: crochet_core::StreamSender<u8>| {
    ///     let token = sender.token().clone();
    ///     std::thread::spawn(move || {
    ///         tx.send("started").unwrap();
    ///         crochet_core::reactor::block_on(token.cancelled());
    ///         tx.send("cleaned up").unwrap();
    ///     });
    ///     std::future::pending::<()>()
    /// });
    /// assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok("started"));
    /// drop(stream);
    /// assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok("cleaned up"));
    /// ```
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }
}

impl<T> fmt::Debug for StreamSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamSender")
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// A blocking [`io::Read`] and [`io::BufRead`] over an [`EventualStream`]
/// of byte chunks; made by [`EventualStream::into_reader`], or by
/// [`EventualStream::into_try_reader`] for chunks that can fail (items
/// `Result<B, E>`, read as `B`).
///
/// # Examples
///
/// ```
/// use std::io::BufRead;
/// use std::time::Duration;
///
/// let reactor = crochet_core::setup();
/// let log = reactor.stream(4, |sender| async move {
///     let _ = sender.send("one\ntw").await;
///     let _ = sender.send("o\n").await;
/// });
/// let lines: Vec<String> = log.into_reader(Duration::from_secs(5)).lines().collect::<Result<_, _>>()?;
/// assert_eq!(lines, ["one", "two"]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct StreamReader<T, B = T> {
    stream: EventualStream<T>,
    per_read: Duration,
    /// What an item is to the reader: its bytes, or the read's error.
    open: fn(T) -> io::Result<B>,
    /// The chunk being read, and how much of it was read.
    chunk: Option<B>,
    read: usize,
}

impl<T, B> StreamReader<T, B> {
    /// The stream back, with the unread rest of the current chunk lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let reader = reactor
    ///     .stream(1, |sender| async move { let _ = sender.send(vec![1_u8]).await; })
    ///     .into_reader(Duration::from_secs(5));
    /// let mut stream = reader.into_inner();
    /// assert_eq!(stream.next_timeout(Duration::from_secs(5)), Ok(Some(vec![1])));
    /// ```
    pub fn into_inner(self) -> EventualStream<T> {
        self.stream
    }
}

impl<T, B: AsRef<[u8]>> io::BufRead for StreamReader<T, B> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        loop {
            if let Some(chunk) = &self.chunk {
                if self.read < chunk.as_ref().len() {
                    break;
                }
            }
            self.chunk = None;
            self.read = 0;
            match self.stream.next_timeout(self.per_read) {
                Ok(Some(item)) => self.chunk = Some((self.open)(item)?),
                Ok(None) => return Ok(&[]),
                Err(err) if err.is_timeout() => {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, err))
                }
                Err(err) => return Err(io::Error::other(err)),
            }
        }
        let chunk = self
            .chunk
            .as_ref()
            .expect("a chunk with unread bytes was found a moment ago");
        Ok(&chunk.as_ref()[self.read..])
    }

    fn consume(&mut self, amount: usize) {
        let len = self.chunk.as_ref().map_or(0, |chunk| chunk.as_ref().len());
        self.read = (self.read + amount).min(len);
    }
}

impl<T, B: AsRef<[u8]>> io::Read for StreamReader<T, B> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = io::BufRead::fill_buf(self)?;
        let amount = available.len().min(out.len());
        out[..amount].copy_from_slice(&available[..amount]);
        io::BufRead::consume(self, amount);
        Ok(amount)
    }
}

impl<T, B> fmt::Debug for StreamReader<T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamReader")
            .field("stream", &self.stream)
            .field("per_read", &self.per_read)
            .finish_non_exhaustive()
    }
}

/// Marks the buffer finished when the producer's work has an outcome.
struct OnSettled<T>(Arc<Buffer<T>>);

impl<T: Send> Wake for OnSettled<T> {
    fn wake(self: Arc<Self>) {
        self.0.finish();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.finish();
    }
}

/// Drops the unread items of a closed stream, outside every lock; a panic
/// of an item's `Drop` is reported as unhandled, never let out.
fn drop_items<T>(items: VecDeque<T>, producer: &EventualResult<()>) {
    if items.is_empty() {
        return;
    }
    if let Err(message) = catch_panic(move || drop(items)) {
        let err = Error::Panicked(Failure::new(message, producer.location()));
        unhandled::report(&err);
    }
}
