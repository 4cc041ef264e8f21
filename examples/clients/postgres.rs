//! A blocking PostgreSQL client over tokio-postgres, made of crochet's
//! middle layer, in the seed's layers:
//!
//! 1. the async code is tokio-postgres itself, used as it is, on the
//!    reactor (its connection a task there);
//! 2. the crochet layer keeps the connection on the reactor behind a
//!    [`Bound`], runs each statement there with a
//!    canceller, and streams rows through an
//!    [`EventualStream`];
//! 3. the blocking API, [`Client`], is what the application sees: no
//!    futures, a timeout on every call.
//!
//! # Timeouts cancel the statement on the server
//!
//! Dropping tokio-postgres's future does not stop a statement: the server
//! runs it to its end, and the next statement on the connection waits
//! behind it. So every call is made with a canceller: when a call times
//! out (or a row iterator is dropped before its last row), crochet drops the
//! call's future on the reactor and then sends the server a cancel request
//! for the connection (`CancelToken::cancel_query`). The statement ends at
//! once with SQLSTATE 57014 (`query_canceled`), and the connection is free
//! for the next statement.
//!
//! # Cancelling on a connection shared by several threads
//!
//! Clones of a [`Client`] share one connection, and tokio-postgres
//! pipelines their statements on it: the server runs them one after the
//! other, in the order they were sent. PostgreSQL's cancel request names a
//! connection, not a statement: it stops whatever statement that
//! connection's server process is running when the request arrives. On a
//! shared connection that is the timed-out statement when it is the one
//! running (the usual case: a slow statement holds the connection), but if
//! it has not started yet (it waits behind a neighbour's) or has just
//! finished, the cancel stops the neighbour's statement instead, which
//! fails with SQLSTATE 57014 ([`Error::is_cancelled`]); a cancel that finds
//! nothing running does nothing, and the timed-out statement, when its turn
//! comes, runs to its end unobserved. Give a thread whose statements must
//! never be cancelled by another's timeout a [`Client`] of its own
//! ([`Client::connect`] again), or retry on [`Error::is_cancelled`].
//!
//! # Examples
//!
//! ```no_run
//! use std::time::Duration;
//! use crochet_examples::params;
//! use crochet_examples::postgres::Client;
//!
//! let client = Client::connect("host=127.0.0.1 user=crochet dbname=postgres", Duration::from_secs(5))?;
//! let rows = client.query("SELECT $1::int + 1", params![41_i32])?;
//! assert_eq!(rows[0].get::<_, i32>(0), 42);
//! # Ok::<(), crochet_examples::postgres::Error>(())
//! ```

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::OnceLock;
use std::time::Duration;

use crochet::{Bound, BoundRef, EventLoop, EventualStream, StreamSender};
use futures::StreamExt;
use tokio::task::JoinHandle;
use tokio_postgres::types::ToSql;
use tokio_postgres::{CancelToken, NoTls};

pub use tokio_postgres::error::SqlState;
pub use tokio_postgres::Row;

/// A statement's parameter, owned, so that it can move to the reactor.
pub type Param = Box<dyn ToSql + Send + Sync>;

/// The parameters of a statement, as a `Vec<Param>`:
/// `params![42_i32, "ada"]`.
///
/// # Examples
///
/// ```
/// let params = crochet_examples::params![1_i32, "two", 3.0_f64];
/// assert_eq!(params.len(), 3);
/// ```
#[macro_export]
macro_rules! params {
    ($($param:expr),* $(,)?) => {
        ::std::vec![$(::std::boxed::Box::new($param) as $crate::postgres::Param),*]
    };
}

/// How many rows a row iterator's query may send ahead of the reader.
const ROWS_AHEAD: usize = 64;

/// How long a cancel request may take to reach the server.
const CANCEL_TIMEOUT: Duration = Duration::from_secs(5);

/// A blocking client over one PostgreSQL connection. Clones share the
/// connection (see the module's docs on cancelling a shared connection's
/// statements).
#[derive(Clone)]
pub struct Client {
    session: Bound<Session>,
    cancel: CancelToken,
    timeout: Duration,
}

/// What lives on the reactor: the connection's client half, and the task
/// that runs its protocol. `client` is `None` once closed.
struct Session {
    client: Option<tokio_postgres::Client>,
    connection: Option<JoinHandle<Result<(), tokio_postgres::Error>>>,
}

impl Session {
    fn client(&self) -> Result<&tokio_postgres::Client, Error> {
        self.client.as_ref().ok_or(Error::Closed)
    }
}

impl Client {
    /// Connects to the server `config` names (tokio-postgres's key-value
    /// or URL form) on the client's own loop ([`Client::reactor`]); every
    /// later call waits at most `timeout`.
    ///
    /// # Errors
    ///
    /// The connection's failure, or [`Error::Crochet`] with a timeout.
    pub fn connect(config: &str, timeout: Duration) -> Result<Client, Error> {
        Client::connect_on(Client::reactor(), config, timeout)
    }

    /// The loop the clients of [`connect`](Self::connect) run on: the
    /// library's own, started on first use, which the application never
    /// sees. A current-thread tokio loop whose callers park at once
    /// ([`WaitStrategy::Park`](crochet::WaitStrategy::Park)): a statement
    /// waits on the server for tens of microseconds at least, longer than
    /// spinning could pay for, so parking saves the CPU that spinning would
    /// burn (see BENCHMARKS.md, "Real clients").
    pub fn reactor() -> &'static EventLoop {
        static REACTOR: OnceLock<EventLoop> = OnceLock::new();
        REACTOR.get_or_init(|| {
            let reactor = crochet::tokio::Builder::new_current_thread()
                .thread_name("postgres-io")
                .start()
                .expect("the PostgreSQL client's loop");
            reactor.set_wait_strategy(crochet::WaitStrategy::Park);
            reactor
        })
    }

    /// As [`connect`](Self::connect), on the tokio loop `reactor` (a
    /// library's private loop, say, multi-thread for many connections).
    ///
    /// # Errors
    ///
    /// As [`connect`](Self::connect).
    pub fn connect_on(
        reactor: &EventLoop,
        config: &str,
        timeout: Duration,
    ) -> Result<Client, Error> {
        let config = config.to_owned();
        let connect = reactor.try_bind(move || async move {
            let (client, connection) = tokio_postgres::connect(&config, NoTls).await?;
            let connection = Some(tokio::spawn(connection));
            Ok::<_, Error>(Session {
                client: Some(client),
                connection,
            })
        });
        let session = connect.wait_or_cancel(timeout)??;
        let cancel =
            session.wait_for(
                timeout,
                |s| async move { s.client().map(|c| c.cancel_token()) },
            )??;
        Ok(Client {
            session,
            cancel,
            timeout,
        })
    }

    /// The same connection, with another timeout for the calls made through
    /// this handle.
    pub fn with_timeout(&self, timeout: Duration) -> Client {
        Client {
            timeout,
            ..self.clone()
        }
    }

    /// Runs a statement and returns its rows.
    ///
    /// # Errors
    ///
    /// The server's error (with its SQLSTATE, [`Error::code`]), or a
    /// timeout, after cancelling the statement on the server.
    pub fn query(&self, sql: &str, params: Vec<Param>) -> Result<Vec<Row>, Error> {
        let sql = sql.to_owned();
        self.call(move |s| async move { Ok(s.client()?.query(&sql, &borrowed(&params)).await?) })
    }

    /// Runs a statement and returns how many rows it changed.
    ///
    /// # Errors
    ///
    /// As [`query`](Self::query).
    pub fn execute(&self, sql: &str, params: Vec<Param>) -> Result<u64, Error> {
        let sql = sql.to_owned();
        self.call(move |s| async move { Ok(s.client()?.execute(&sql, &borrowed(&params)).await?) })
    }

    /// Runs statements separated by semicolons, without parameters (a
    /// schema, a transaction's `BEGIN`).
    ///
    /// # Errors
    ///
    /// As [`query`](Self::query).
    pub fn batch_execute(&self, sql: &str) -> Result<(), Error> {
        let sql = sql.to_owned();
        self.call(move |s| async move { Ok(s.client()?.batch_execute(&sql).await?) })
    }

    /// Runs `statement` on the reactor with the connection, waiting up to
    /// the timeout; a timeout cancels it on the server.
    fn call<R, F, Fut>(&self, statement: F) -> Result<R, Error>
    where
        F: FnOnce(BoundRef<Session>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<R, Error>> + Send + 'static,
        R: Send + 'static,
    {
        let cancel = self.cancel.clone();
        let cancel = move || cancel_on_server(cancel);
        self.session
            .wait_for_with_canceller(self.timeout, statement, cancel)?
    }

    /// Runs a statement and returns its rows one at a time, each waited for
    /// up to the timeout. Dropping the iterator before its end, or a row
    /// that times out, cancels the statement on the server.
    pub fn query_iter(&self, sql: &str, params: Vec<Param>) -> Rows {
        let (sql, cancel) = (sql.to_owned(), self.cancel.clone());
        let produce = move |s: BoundRef<Session>, sender: StreamSender<_>| async move {
            let started = async { Ok(s.client()?.query_raw(&sql, borrowed(&params)).await?) };
            let mut rows = pin!(match started.await {
                Ok(rows) => rows,
                Err(err) => return drop(sender.send(Err(err)).await),
            });
            while let Some(row) = rows.next().await {
                let failed = row.is_err();
                if sender.send(row.map_err(Error::from)).await.is_err() || failed {
                    return; // the reader is gone, or the statement failed
                }
            }
        };
        let rows = self
            .session
            .stream_with_canceller(ROWS_AHEAD, produce, move || cancel_on_server(cancel));
        Rows {
            rows,
            per_row: self.timeout,
            done: false,
        }
    }

    /// Whether the connection is closed: by [`close`](Self::close), by the
    /// server, or broken.
    pub fn is_closed(&self) -> bool {
        let closed =
            |s: BoundRef<Session>| async move { s.client().map_or(true, |c| c.is_closed()) };
        self.session.wait_for(self.timeout, closed).unwrap_or(true)
    }

    /// Closes the connection for every clone, once the statements under way
    /// have finished: later calls fail with [`Error::Closed`].
    ///
    /// # Errors
    ///
    /// A timeout, or the connection's own failure, if it had one.
    pub fn close(&self) -> Result<(), Error> {
        let close = |mut s: crochet::BoundMut<Session>| async move {
            s.client = None; // the connection sends Terminate and ends
            match s.connection.take() {
                Some(connection) => Ok(connection.await.map_err(|_| Error::Closed)??),
                None => Ok(()),
            }
        };
        self.session.call_mut(close).wait_or_cancel(self.timeout)?
    }
}

/// The rows of [`Client::query_iter`], each waited for up to the client's
/// timeout.
pub struct Rows {
    rows: EventualStream<Result<Row, Error>>,
    per_row: Duration,
    done: bool,
}

impl Iterator for Rows {
    type Item = Result<Row, Error>;

    fn next(&mut self) -> Option<Result<Row, Error>> {
        if self.done {
            return None;
        }
        let row = match self.rows.next_timeout(self.per_row) {
            Ok(row) => row,
            Err(err) => {
                self.rows.cancel(); // and with it the statement
                Some(Err(err.into()))
            }
        };
        self.done = !matches!(row, Some(Ok(_)));
        row
    }
}

/// Asks the server to stop the statement the connection runs; run on the
/// reactor by a cancelled call's canceller.
async fn cancel_on_server(cancel: CancelToken) {
    // A failed cancel leaves the statement to run to its end: the timeout
    // was returned already, and the next statement waits behind it.
    let _ = tokio::time::timeout(CANCEL_TIMEOUT, cancel.cancel_query(NoTls)).await;
}

fn borrowed(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| &**p as &(dyn ToSql + Sync)).collect()
}

/// A failure of the client.
#[derive(Debug)]
pub enum Error {
    /// From crochet: [`crochet::Error::Timeout`] (the statement was
    /// cancelled on the server), the loop's shutdown, a panic.
    Crochet(crochet::Error),
    /// From the server or the connection; a server's error has a SQLSTATE.
    Postgres(tokio_postgres::Error),
    /// The client was closed with [`Client::close`].
    Closed,
}

impl Error {
    /// The SQLSTATE of a server's error.
    pub fn code(&self) -> Option<&SqlState> {
        match self {
            Error::Postgres(err) => err.code(),
            _ => None,
        }
    }

    /// Whether the call timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Crochet(err) if err.is_timeout())
    }

    /// Whether the server cancelled the statement (SQLSTATE 57014): a
    /// cancel request of this connection stopped it.
    pub fn is_cancelled(&self) -> bool {
        self.code() == Some(&SqlState::QUERY_CANCELED)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Crochet(err) => write!(f, "{err}"),
            Error::Postgres(err) => match err.as_db_error() {
                Some(db) => write!(f, "{db} (SQLSTATE {})", db.code().code()),
                None => write!(f, "{err}"),
            },
            Error::Closed => f.write_str("the client was closed"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Crochet(err) => Some(err),
            Error::Postgres(err) => Some(err),
            Error::Closed => None,
        }
    }
}

impl From<crochet::Error> for Error {
    fn from(err: crochet::Error) -> Error {
        Error::Crochet(err)
    }
}

impl From<tokio_postgres::Error> for Error {
    fn from(err: tokio_postgres::Error) -> Error {
        Error::Postgres(err)
    }
}
