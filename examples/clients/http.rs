//! A blocking HTTP client over hyper, made of crochet's middle layer, and
//! the small hyper server its example, tests and benchmark talk to.
//!
//! The client is in the seed's three layers:
//!
//! 1. **Async code**: hyper-util's pooled client, whose requests run on
//!    the reactor (they spawn their connections' tasks there), and its
//!    response bodies, read frame by frame.
//! 2. **The crochet layer**: each request is one [`EventualStream`] whose
//!    producer, on the reactor, sends the request, then hands over the
//!    response's head and its body's chunks as they arrive, a few chunks
//!    ahead of the reader.
//! 3. **The blocking API**: [`Client::get`] returns a [`Response`], whose
//!    body is read with [`std::io::Read`] and [`BufRead`]. Nothing of it
//!    names a future.
//!
//! Two timeouts bound a request. The whole request (from the call until
//! the last byte of the body) waits at most [`Client::timeout`]; when it
//! runs out, the request is dropped on the reactor, which closes its
//! connection, so the server sees the client go away. Each read of the
//! body waits at most [`Client::read_timeout`]; a read that times out
//! fails with [`io::ErrorKind::TimedOut`] and leaves the request running,
//! so a later read can still get the bytes.
//!
//! # Examples
//!
//! ```
//! use std::io::Read;
//! use crochet_examples::http::{serve, Client, StatusCode, SMALL_BODY};
//!
//! let server = serve().unwrap();
//! let client = Client::new(&server.url()).unwrap();
//! let mut response = client.get("/small").unwrap();
//! assert_eq!(response.status(), StatusCode::OK);
//! let mut body = String::new();
//! response.read_to_string(&mut body).unwrap();
//! assert_eq!(body, SMALL_BODY);
//! ```

use std::error::Error as StdError;
use std::fmt;
use std::io::{self, BufRead, Read};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crochet::{EventLoop, EventualStream, StreamSender};
use futures::FutureExt;
use http_body_util::{BodyExt, Empty};
use hyper::body::{Body as _, Bytes, Incoming};
use hyper::http::response::Parts;
use hyper::Uri;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

pub use hyper::{HeaderMap, StatusCode};
pub use server::{serve, Server, LARGE_LEN, SMALL_BODY, TRICKLE_FIRST};

/// How long a whole request waits by default.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long one read of a body waits by default.
const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How many body chunks the reactor reads ahead of the application.
const READ_AHEAD: usize = 8;

/// hyper-util's pooled client: a handle to the pool of connections that
/// every clone of a [`Client`] shares.
type Pool = hyper_util::client::legacy::Client<HttpConnector, Empty<Bytes>>;

/// A blocking HTTP/1.1 client for one server (no TLS).
///
/// Cheap to clone, `Send` and `Sync`: clones share one pool of keep-alive
/// connections, which lives on the client's event loop. `GET` only, no
/// TLS, no redirects: enough to show the middle layer at work.
///
/// Each request costs one submit to the loop; a small response comes back
/// in one piece, head and body together. A caller waits as the loop's
/// [`WaitStrategy`](crochet::WaitStrategy) says: by default it spins
/// briefly while the reactor is awake, which buys latency with CPU time. A
/// library that wants the least CPU per call runs its client on a private
/// loop whose callers park at once ([`Client::on`], with
/// `set_wait_strategy(WaitStrategy::Park)`), without changing the loop the
/// rest of the application uses.
///
/// # Examples
///
/// Four threads share one client:
///
/// ```
/// use std::io::Read;
/// use crochet_examples::http::{serve, Client};
///
/// let server = serve().unwrap();
/// let client = Client::new(&server.url()).unwrap();
/// let threads: Vec<_> = (0..4)
///     .map(|_| {
///         let client = client.clone();
///         std::thread::spawn(move || {
///             let mut body = Vec::new();
///             client.get("/large").unwrap().read_to_end(&mut body).unwrap();
///             body.len()
///         })
///     })
///     .collect();
/// for thread in threads {
///     assert_eq!(thread.join().unwrap(), crochet_examples::http::LARGE_LEN);
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    /// hyper-util's handle is `Send`, `Sync` and may be dropped on any
    /// thread; its requests need the reactor, and run only there, in the
    /// producers of [`get`](Self::get). It is not behind a `Bound`: a
    /// producer would reach it through one more call per request.
    pool: Pool,
    event_loop: EventLoop,
    /// The scheme and authority the paths are appended to.
    base: Arc<str>,
    timeout: Duration,
    read_timeout: Duration,
}

impl Client {
    /// A client for the server at `base` (`http://host:port`), on
    /// crochet's tokio loop (`crochet::tokio::setup()`).
    ///
    /// # Errors
    ///
    /// [`Error::Reactor`] if the loop has stopped.
    ///
    /// # Examples
    ///
    /// See [`Client`].
    pub fn new(base: &str) -> Result<Client, Error> {
        Client::on(&crochet::tokio::setup(), base)
    }

    /// A client for the server at `base` (`http://host:port`) on
    /// `event_loop`, a tokio loop: a library can keep its clients on a
    /// private loop (`crochet::tokio::start()`), apart from the
    /// application's. The requests fail with [`Error::Reactor`] once that
    /// loop is shut down.
    ///
    /// # Errors
    ///
    /// [`Error::Reactor`] if the loop has stopped.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use crochet_examples::http::{serve, Client, Error};
    ///
    /// let server = serve().unwrap();
    /// let private = crochet::tokio::start();
    /// let client = Client::on(&private, &server.url()).unwrap();
    /// assert!(client.get("/small").unwrap().status().is_success());
    /// private.shutdown(Duration::from_secs(5));
    /// assert!(matches!(client.get("/small"), Err(Error::Reactor(crochet::Error::ReactorStopped))));
    /// ```
    pub fn on(event_loop: &EventLoop, base: &str) -> Result<Client, Error> {
        // Made on the reactor, where hyper-util expects to be.
        let pool = event_loop
            .call_in_reactor(|| {
                hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http()
            })
            .wait_or_cancel(DEFAULT_TIMEOUT)?;
        Ok(Client {
            pool,
            event_loop: event_loop.clone(),
            base: base.trim_end_matches('/').into(),
            timeout: DEFAULT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
        })
    }

    /// The client with every later request waiting at most `timeout`, from
    /// the call of [`get`](Self::get) to the end of the body (30 s by
    /// default). A request that runs out of time is dropped: its
    /// connection is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use crochet_examples::http::{serve, Client, Error};
    ///
    /// let server = serve().unwrap();
    /// let client = Client::new(&server.url()).unwrap().timeout(Duration::from_millis(100));
    /// assert!(matches!(client.get("/slow"), Err(Error::Timeout(_))));
    /// assert_eq!(server.next_dropped(Duration::from_secs(10)).as_deref(), Some("/slow"));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Client {
        self.timeout = timeout;
        self
    }

    /// The client with each later read of a body waiting at most
    /// `per_read` (10 s by default).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{ErrorKind, Read};
    /// use std::time::Duration;
    /// use crochet_examples::http::{serve, Client, TRICKLE_FIRST};
    ///
    /// let server = serve().unwrap();
    /// let client = Client::new(&server.url()).unwrap().read_timeout(Duration::from_millis(100));
    /// let mut response = client.get("/trickle").unwrap();
    /// let mut first = vec![0; TRICKLE_FIRST.len()];
    /// response.read_exact(&mut first).unwrap();
    /// assert_eq!(response.read(&mut [0; 64]).unwrap_err().kind(), ErrorKind::TimedOut);
    /// ```
    pub fn read_timeout(mut self, per_read: Duration) -> Client {
        self.read_timeout = per_read;
        self
    }

    /// Sends `GET path` and waits for the response's head; the body is
    /// read from the [`Response`]. A status that is not a success is a
    /// response like any other.
    ///
    /// # Errors
    ///
    /// [`Error::Uri`] for a path that does not make a URI,
    /// [`Error::Request`] when the server cannot be reached or closes the
    /// connection, [`Error::Timeout`] when no head came within the
    /// [timeout](Self::timeout) (the request is dropped), and
    /// [`Error::Reactor`] when the client's loop has stopped.
    ///
    /// # Examples
    ///
    /// ```
    /// use crochet_examples::http::{serve, Client, StatusCode};
    ///
    /// let server = serve().unwrap();
    /// let client = Client::new(&server.url()).unwrap();
    /// assert_eq!(client.get("/nowhere").unwrap().status(), StatusCode::NOT_FOUND);
    /// ```
    pub fn get(&self, path: &str) -> Result<Response, Error> {
        let uri: Uri = format!("{}{path}", self.base).parse().map_err(Error::Uri)?;
        let deadline = Instant::now().checked_add(self.timeout);
        let pool = self.pool.clone();
        let mut parts = self
            .event_loop
            .stream(READ_AHEAD, move |sender| exchange(pool, uri, sender));
        match parts.next_timeout(self.timeout) {
            Ok(Some(Part::Head(head, ready, ended))) => Ok(Response {
                head,
                parts,
                chunk: Bytes::new(),
                read: 0,
                ready: ready.into_iter(),
                ended,
                per_read: self.read_timeout,
                timeout: self.timeout,
                deadline,
            }),
            Ok(Some(Part::Failed(err))) => Err(err),
            // The producer sends the head or a failure first, and ends
            // early only when the stream was cancelled.
            Ok(Some(Part::Data(_)) | None) => Err(Error::Reactor(crochet::Error::Cancelled)),
            // A timeout during a stall of the loop is a timeout too.
            Err(err) if err.is_timeout() => {
                // Dropping the request on the reactor closes its
                // connection: the server sees the client go.
                parts.cancel();
                Err(Error::Timeout(self.timeout))
            }
            Err(err) => Err(Error::Reactor(err)),
        }
    }
}

/// A response: its status and headers, and its body through
/// [`Read`] and [`BufRead`].
///
/// Each read waits at most the client's [read
/// timeout](Client::read_timeout), and no read goes past the request's
/// [timeout](Client::timeout). Dropping the response before the end of
/// its body drops the request and closes its connection.
///
/// # Examples
///
/// ```
/// use std::io::BufRead;
/// use crochet_examples::http::{serve, Client};
///
/// let server = serve().unwrap();
/// let client = Client::new(&server.url()).unwrap();
/// let response = client.get("/small").unwrap();
/// assert_eq!(response.headers()["content-length"], "17");
/// let lines: Vec<String> = response.lines().map(Result::unwrap).collect();
/// assert_eq!(lines, ["hello from hyper"]);
/// ```
#[derive(Debug)]
pub struct Response {
    head: Parts,
    parts: EventualStream<Part>,
    /// The chunk being read: `chunk[read..]` is not read yet.
    chunk: Bytes,
    read: usize,
    /// The chunks that came with the head, to read before the stream's.
    ready: std::vec::IntoIter<Bytes>,
    /// The stream has nothing more for the body than `ready`.
    ended: bool,
    per_read: Duration,
    /// The whole request's timeout, and when it runs out (`None`: never).
    timeout: Duration,
    deadline: Option<Instant>,
}

impl Response {
    /// The response's status.
    ///
    /// # Examples
    ///
    /// See [`Client::get`].
    pub fn status(&self) -> StatusCode {
        self.head.status
    }

    /// The response's headers.
    ///
    /// # Examples
    ///
    /// See [`Response`].
    pub fn headers(&self) -> &HeaderMap {
        &self.head.headers
    }

    /// The next chunk of the body (empty at its end), waiting up to the
    /// read timeout, and never past the request's deadline.
    fn next_chunk(&mut self) -> io::Result<Bytes> {
        let wait = match self.deadline {
            Some(deadline) => self
                .per_read
                .min(deadline.saturating_duration_since(Instant::now())),
            None => self.per_read,
        };
        match self.parts.next_timeout(wait) {
            Ok(Some(Part::Data(data))) => Ok(data),
            Ok(None) => {
                self.ended = true;
                Ok(Bytes::new())
            }
            Ok(Some(Part::Failed(err))) => Err(err.into()),
            Ok(Some(Part::Head(..))) => Err(io::Error::other("a second response head")),
            Err(err)
                if err.is_timeout()
                    && self
                        .deadline
                        .is_some_and(|deadline| Instant::now() >= deadline) =>
            {
                // As when the head is late: the request is dropped.
                self.parts.cancel();
                Err(Error::Timeout(self.timeout).into())
            }
            Err(err) if err.is_timeout() => Err(Error::ReadTimeout(wait).into()),
            Err(err) => Err(Error::Reactor(err).into()),
        }
    }
}

impl BufRead for Response {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.read == self.chunk.len() {
            self.chunk = match self.ready.next() {
                Some(chunk) => chunk,
                None if self.ended => break,
                None => self.next_chunk()?,
            };
            self.read = 0;
        }
        Ok(&self.chunk[self.read..])
    }

    fn consume(&mut self, amount: usize) {
        self.read = (self.read + amount).min(self.chunk.len());
    }
}

impl Read for Response {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let amount = available.len().min(out.len());
        out[..amount].copy_from_slice(&available[..amount]);
        self.consume(amount);
        Ok(amount)
    }
}

/// What a request can fail with. A body's reads fail with an `io::Error`
/// whose inner error is one of these.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use crochet_examples::http::{serve, Client, Error};
///
/// let server = serve().unwrap();
/// let client = Client::new(&server.url()).unwrap().timeout(Duration::from_millis(50));
/// let err = client.get("/slow").unwrap_err();
/// assert!(matches!(err, Error::Timeout(_)));
/// assert_eq!(err.to_string(), "no response within 50ms: the request was dropped");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The client's base and the path do not make a valid URI.
    Uri(hyper::http::uri::InvalidUri),
    /// No response within the request's timeout (given here): the request
    /// was dropped and its connection closed.
    Timeout(Duration),
    /// No data of the body came within the read timeout (given here); the
    /// request goes on, and a later read can still get its bytes. Only
    /// body reads fail so, as an `io::Error` of kind
    /// [`TimedOut`](io::ErrorKind::TimedOut).
    ReadTimeout(Duration),
    /// The request failed: the server could not be reached, or it closed
    /// the connection.
    Request(hyper_util::client::legacy::Error),
    /// The response's body failed midway.
    Body(hyper::Error),
    /// crochet's own error, such as [`crochet::Error::ReactorStopped`]
    /// once the client's loop is shut down.
    Reactor(crochet::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Uri(err) => write!(f, "invalid URI: {err}"),
            Error::Timeout(timeout) => {
                write!(f, "no response within {timeout:?}: the request was dropped")
            }
            // hyper's errors say little by themselves ("client error
            // (Connect)"): the causes say what happened.
            Error::ReadTimeout(timeout) => {
                write!(f, "no data of the response body within {timeout:?}")
            }
            Error::Request(err) => write!(f, "the request failed: {}", Chain(err)),
            Error::Body(err) => write!(f, "the response body failed: {}", Chain(err)),
            Error::Reactor(err) => write!(f, "{err}"),
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Error::Uri(err) => Some(err),
            Error::Timeout(_) | Error::ReadTimeout(_) => None,
            Error::Request(err) => Some(err),
            Error::Body(err) => Some(err),
            Error::Reactor(err) => Some(err),
        }
    }
}

impl From<crochet::Error> for Error {
    fn from(err: crochet::Error) -> Error {
        Error::Reactor(err)
    }
}

/// As a body's read returns them: timeouts are of kind
/// [`TimedOut`](io::ErrorKind::TimedOut).
impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        let kind = match &err {
            Error::Timeout(_) | Error::ReadTimeout(_) => io::ErrorKind::TimedOut,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, err)
    }
}

/// An error and its causes, one after the other.
struct Chain<'a>(&'a dyn StdError);

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(err) = cause {
            write!(f, ": {err}")?;
            cause = err.source();
        }
        Ok(())
    }
}

/// What a request's stream carries: the head first (or the failure), then
/// the body's chunks, and a failure if the body breaks.
#[derive(Debug)]
enum Part {
    /// The head, the chunks of the body that had arrived with it, and
    /// whether they are the whole body.
    Head(Parts, Vec<Bytes>, bool),
    Data(Bytes),
    Failed(Error),
}

/// On the reactor: one request, from sending it to the end of its body,
/// into `sender`. Dropping this future (a timeout, a response dropped
/// early) drops hyper's request and closes its connection.
async fn exchange(pool: Pool, uri: Uri, sender: StreamSender<Part>) {
    let (head, mut body) = match fetch(&pool, uri).await {
        Ok(response) => response,
        Err(err) => {
            let _ = sender.send(Part::Failed(err)).await;
            return;
        }
    };
    // What of the body has arrived already goes with the head: a small
    // response is then one item, and one wake-up of the caller.
    let (mut ready, mut failure) = (Vec::new(), None);
    let ended = loop {
        if body.is_end_stream() {
            break true;
        }
        match body.frame().now_or_never() {
            None => break false,
            Some(None) => break true,
            Some(Some(Ok(frame))) => ready.extend(frame.into_data().ok()),
            Some(Some(Err(err))) => {
                failure = Some(err);
                break false;
            }
        }
    };
    if sender.send(Part::Head(head, ready, ended)).await.is_err() || ended {
        return;
    }
    if let Some(err) = failure {
        let _ = sender.send(Part::Failed(Error::Body(err))).await;
        return;
    }
    while let Some(frame) = body.frame().await {
        let part = match frame {
            Ok(frame) => match frame.into_data() {
                Ok(data) => Part::Data(data),
                Err(_trailers) => continue,
            },
            Err(err) => Part::Failed(Error::Body(err)),
        };
        let failed = matches!(part, Part::Failed(_));
        if sender.send(part).await.is_err() || failed {
            return;
        }
    }
}

/// Layer 1: sends `GET uri` on the shared pool and waits for the head.
async fn fetch(pool: &Pool, uri: Uri) -> Result<(Parts, Incoming), Error> {
    let response = pool.get(uri).await.map_err(Error::Request)?;
    Ok(response.into_parts())
}

/// The server: hyper on a tokio runtime of its own threads.
mod server {
    use std::convert::Infallible;
    use std::io;
    use std::net::SocketAddr;
    use std::sync::mpsc::{self, Receiver, Sender};
    use std::sync::{Mutex, OnceLock};
    use std::time::Duration;

    use http_body_util::combinators::UnsyncBoxBody;
    use http_body_util::{BodyExt, Full, StreamBody};
    use hyper::body::{Bytes, Frame, Incoming};
    use hyper::service::service_fn;
    use hyper::{Request, Response, StatusCode};
    use hyper_util::rt::TokioIo;
    use tokio::net::TcpListener;
    use tokio::runtime::Runtime;

    /// The body of `/small`.
    pub const SMALL_BODY: &str = "hello from hyper\n";

    /// The length of the body of `/large`: bytes `0, 1, .. 250, 0, 1, ..`.
    pub const LARGE_LEN: usize = 100 * 1024;

    /// The first chunk of `/trickle`'s body, sent with the head.
    pub const TRICKLE_FIRST: &str = "the first chunk\n";

    /// How long `/slow` waits before its head, and `/trickle` before the
    /// rest of its body: far longer than any test waits.
    const SLOW: Duration = Duration::from_secs(60);

    /// A hyper HTTP/1.1 server on a free loopback port, on a tokio runtime
    /// of its own, stopped when dropped. Its paths:
    ///
    /// - `/small`: [`SMALL_BODY`];
    /// - `/large`: [`LARGE_LEN`] bytes, `0, 1, .. 250, 0, 1, ..`;
    /// - `/slow`: a head only after a minute;
    /// - `/trickle`: the head and [`TRICKLE_FIRST`] at once, the rest of
    ///   the body after a minute;
    /// - anything else: 404.
    ///
    /// For the slow paths, it says when a request arrives
    /// ([`next_arrived`](Self::next_arrived)) and when one was dropped, its
    /// connection closed before its response was written whole
    /// ([`next_dropped`](Self::next_dropped)).
    ///
    /// # Examples
    ///
    /// See [the module](super).
    #[derive(Debug)]
    pub struct Server {
        addr: SocketAddr,
        arrived: Mutex<Receiver<String>>,
        dropped: Mutex<Receiver<String>>,
        runtime: Option<Runtime>,
    }

    /// Starts a [`Server`] on a free loopback port, with two threads.
    ///
    /// # Errors
    ///
    /// If the runtime cannot start or the port cannot be bound.
    ///
    /// # Examples
    ///
    /// See [the module](super).
    pub fn serve() -> io::Result<Server> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("http-server")
            .enable_all()
            .build()?;
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        let (arrived, arrivals) = mpsc::channel();
        let (dropped, drops) = mpsc::channel();
        runtime.spawn(accept(listener, Records { arrived, dropped }));
        Ok(Server {
            addr,
            arrived: Mutex::new(arrivals),
            dropped: Mutex::new(drops),
            runtime: Some(runtime),
        })
    }

    impl Server {
        /// The address the server listens on.
        ///
        /// # Examples
        ///
        /// ```
        /// let server = crochet_examples::http::serve().unwrap();
        /// assert!(server.addr().ip().is_loopback());
        /// ```
        pub fn addr(&self) -> SocketAddr {
            self.addr
        }

        /// The server's base URL, `http://127.0.0.1:port`.
        ///
        /// # Examples
        ///
        /// ```
        /// let server = crochet_examples::http::serve().unwrap();
        /// assert_eq!(server.url(), format!("http://{}", server.addr()));
        /// ```
        pub fn url(&self) -> String {
            format!("http://{}", self.addr)
        }

        /// The path of the next request for a slow path (`/slow`,
        /// `/trickle`) to arrive, waiting up to `timeout`; `None` if none
        /// did.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        /// use crochet_examples::http::{serve, Client};
        ///
        /// let server = serve().unwrap();
        /// let client = Client::new(&server.url()).unwrap();
        /// let _response = client.get("/trickle").unwrap();
        /// assert_eq!(server.next_arrived(Duration::from_secs(10)).as_deref(), Some("/trickle"));
        /// ```
        pub fn next_arrived(&self, timeout: Duration) -> Option<String> {
            next(&self.arrived, timeout)
        }

        /// The path of the next request for a slow path that was dropped
        /// (its connection closed before its response was written whole),
        /// waiting up to `timeout`; `None` if none was.
        ///
        /// # Examples
        ///
        /// See [`Client::timeout`](super::Client::timeout).
        pub fn next_dropped(&self, timeout: Duration) -> Option<String> {
            next(&self.dropped, timeout)
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            if let Some(runtime) = self.runtime.take() {
                runtime.shutdown_background();
            }
        }
    }

    fn next(records: &Mutex<Receiver<String>>, timeout: Duration) -> Option<String> {
        let records = records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        records.recv_timeout(timeout).ok()
    }

    /// Where the server's tasks record the slow requests.
    #[derive(Clone)]
    struct Records {
        arrived: Sender<String>,
        dropped: Sender<String>,
    }

    type Body = UnsyncBoxBody<Bytes, Infallible>;

    async fn accept(listener: TcpListener, records: Records) {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let records = records.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| respond(request, records.clone()));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    }

    async fn respond(
        request: Request<Incoming>,
        records: Records,
    ) -> Result<Response<Body>, Infallible> {
        let path = request.uri().path().to_owned();
        let response = match path.as_str() {
            "/small" => full(StatusCode::OK, Bytes::from_static(SMALL_BODY.as_bytes())),
            "/large" => full(StatusCode::OK, large().clone()),
            "/slow" => {
                let watch = Watch::new(path, &records);
                tokio::time::sleep(SLOW).await;
                watch.finished();
                full(StatusCode::OK, Bytes::from_static(b"too late\n"))
            }
            "/trickle" => {
                let watch = Watch::new(path, &records);
                // The watch goes with the body: dropped with it if the
                // connection closes before the last chunk.
                let chunks = futures::stream::unfold(Some(watch), |watch| async move {
                    let watch = watch?;
                    tokio::time::sleep(SLOW).await;
                    watch.finished();
                    Some((Ok(Frame::data(Bytes::from_static(b"the rest\n"))), None))
                });
                let first = futures::stream::iter([Ok(Frame::data(Bytes::from_static(
                    TRICKLE_FIRST.as_bytes(),
                )))]);
                let body = StreamBody::new(futures::StreamExt::chain(first, chunks));
                Response::new(body.boxed_unsync())
            }
            _ => full(StatusCode::NOT_FOUND, Bytes::from_static(b"not found\n")),
        };
        Ok(response)
    }

    fn full(status: StatusCode, body: Bytes) -> Response<Body> {
        let mut response = Response::new(Full::new(body).boxed_unsync());
        *response.status_mut() = status;
        response
    }

    /// The body of `/large`, made once.
    fn large() -> &'static Bytes {
        static LARGE: OnceLock<Bytes> = OnceLock::new();
        LARGE.get_or_init(|| (0..LARGE_LEN).map(|i| (i % 251) as u8).collect())
    }

    /// A slow request being answered: recorded as dropped if it is dropped
    /// before [`finished`](Self::finished).
    struct Watch {
        path: String,
        dropped: Option<Sender<String>>,
    }

    impl Watch {
        fn new(path: String, records: &Records) -> Watch {
            let _ = records.arrived.send(path.clone());
            Watch {
                path,
                dropped: Some(records.dropped.clone()),
            }
        }

        fn finished(mut self) {
            self.dropped = None;
        }
    }

    impl Drop for Watch {
        fn drop(&mut self) {
            if let Some(dropped) = self.dropped.take() {
                let _ = dropped.send(std::mem::take(&mut self.path));
            }
        }
    }
}
