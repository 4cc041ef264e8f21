//! `Bound::stream`: a stream whose producer uses a value kept on the
//! reactor, as a client's query that returns rows one at a time.

use std::future::Future;
use std::panic::Location;

use crate::bound::Bound;
use crate::bound_access::BoundRef;
use crate::canceller::Canceller;
use crate::stream::{EventualStream, StreamSender};

impl<T: Send + Sync + 'static> Bound<T> {
    /// As [`EventLoop::stream`](crate::EventLoop::stream), with shared
    /// access to the value: `produce` gets a [`BoundRef`] (as
    /// [`call`](Self::call) does, in the same order as the calls) and the
    /// stream's sender, and runs on the reactor until it has sent its
    /// items. Dropping the stream early drops the producer's future, and
    /// with it the access.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let table = reactor.bind(|| async { vec!["ada", "grace"] }).wait(Duration::from_secs(5)).unwrap();
    /// let mut rows = table.stream(16, |table, sender| async move {
    ///     for row in table.iter() {
    ///         if sender.send(row.to_string()).await.is_err() {
    ///             return; // the reader is gone
    ///         }
    ///     }
    /// });
    /// let read: Result<Vec<String>, _> = rows.iter_timeout(Duration::from_secs(5)).collect();
    /// assert_eq!(read.unwrap(), ["ada", "grace"]);
    /// ```
    #[track_caller]
    pub fn stream<I, F, Fut>(&self, capacity: usize, produce: F) -> EventualStream<I>
    where
        I: Send + 'static,
        F: FnOnce(BoundRef<T>, StreamSender<I>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.open_stream(Location::caller(), capacity, produce, None)
    }

    /// As [`stream`](Self::stream), with a canceller that runs on the
    /// reactor once the stream was cancelled or dropped before its producer
    /// finished (a query stopped on the server); see
    /// [`EventLoop::stream_with_canceller`](crate::EventLoop::stream_with_canceller).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::setup();
    /// let counter = reactor.bind(|| async { 0_u64.. }).wait(Duration::from_secs(5)).unwrap();
    /// let (cleaned, cleanup) = std::sync::mpsc::channel();
    /// let mut rows = counter.stream_with_canceller(
    ///     1,
    ///     |start, sender| async move {
    ///         for row in start.clone() {
    ///             if sender.send(row).await.is_err() {
    ///                 return;
    ///             }
    ///         }
    ///     },
    ///     move || async move { cleaned.send("query cancelled").unwrap() },
    /// );
    /// assert_eq!(rows.next_timeout(Duration::from_secs(5)), Ok(Some(0)));
    /// drop(rows); // early: the producer is dropped, then the canceller runs
    /// assert_eq!(cleanup.recv_timeout(Duration::from_secs(5)), Ok("query cancelled"));
    /// ```
    #[track_caller]
    pub fn stream_with_canceller<I, F, Fut, C, CFut>(
        &self,
        capacity: usize,
        produce: F,
        cancel: C,
    ) -> EventualStream<I>
    where
        I: Send + 'static,
        F: FnOnce(BoundRef<T>, StreamSender<I>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
        C: FnOnce() -> CFut + Send + 'static,
        CFut: Future<Output = ()> + Send + 'static,
    {
        let canceller = Some(Canceller::new(cancel));
        self.open_stream(Location::caller(), capacity, produce, canceller)
    }

    fn open_stream<I, F, Fut>(
        &self,
        location: &'static Location<'static>,
        capacity: usize,
        produce: F,
        canceller: Option<Canceller>,
    ) -> EventualStream<I>
    where
        I: Send + 'static,
        F: FnOnce(BoundRef<T>, StreamSender<I>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        // The place in the queue is taken now, so that a stream opened
        // after a `call_mut` sees what that call did.
        let ticket = self.ticket(false);
        self.event_loop().open_stream(
            location,
            capacity,
            move |sender| async move { produce(ticket.shared().await, sender).await },
            canceller,
        )
    }
}
