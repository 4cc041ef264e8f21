//! A blocking HTTP client made of crochet's middle layer, as reqwest's
//! blocking client is made by hand: the hyper connection is built once on
//! the reactor and kept there behind a `Bound`, every thread of the
//! application shares it through a cheap clone, and a response body is read
//! with `std::io::Read`, each read with a timeout.
//!
//! A small site on loopback serves the pages, so the example runs on its
//! own and exits. Run it with
//! `cargo run --example blocking_client --features tokio`.

use std::io::{self, Read};
use std::thread;
use std::time::Duration;

/// Layer 1, the async code: an HTTP/1.1 connection with hyper on tokio,
/// and a response body as tokio's `AsyncRead`.
mod http {
    use std::io;
    use std::net::SocketAddr;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use http_body_util::Empty;
    use hyper::body::{Body, Bytes, Incoming};
    use hyper::client::conn::http1::SendRequest;
    use hyper::{header, Request};
    use hyper_util::rt::TokioIo;
    use tokio::io::{AsyncRead, ReadBuf};
    use tokio::net::TcpStream;

    /// Any failure of the connection.
    pub type HttpError = Box<dyn std::error::Error + Send + Sync>;

    /// One keep-alive connection to a server.
    pub struct Connection {
        sender: SendRequest<Empty<Bytes>>,
        host: String,
    }

    impl Connection {
        /// Connects, and leaves the connection's I/O to a task of its own.
        pub async fn open(addr: SocketAddr) -> Result<Connection, HttpError> {
            let stream = TcpStream::connect(addr).await?;
            let (sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            Ok(Connection {
                sender,
                host: addr.to_string(),
            })
        }

        /// Sends `GET path` once the connection is free (the body of the
        /// previous response has been read) and returns the response's body,
        /// or an error for a status that is not a success.
        pub async fn get(&mut self, path: &str) -> Result<BodyReader, HttpError> {
            self.sender.ready().await?;
            let request = Request::get(path)
                .header(header::HOST, &self.host)
                .body(Empty::new())?;
            let response = self.sender.send_request(request).await?;
            if !response.status().is_success() {
                return Err(format!("the server answered {}", response.status()).into());
            }
            Ok(BodyReader {
                body: response.into_body(),
                chunk: Bytes::new(),
            })
        }
    }

    /// A response body, read as bytes.
    pub struct BodyReader {
        body: Incoming,
        /// What the last frame brought and was not read yet.
        chunk: Bytes,
    }

    impl AsyncRead for BodyReader {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            loop {
                if !this.chunk.is_empty() {
                    let n = this.chunk.len().min(buf.remaining());
                    buf.put_slice(&this.chunk.split_to(n));
                    return Poll::Ready(Ok(()));
                }
                match Pin::new(&mut this.body).poll_frame(cx) {
                    Poll::Ready(Some(Ok(frame))) => {
                        if let Ok(data) = frame.into_data() {
                            this.chunk = data;
                        }
                    }
                    Poll::Ready(Some(Err(err))) => return Poll::Ready(Err(io::Error::other(err))),
                    Poll::Ready(None) => return Poll::Ready(Ok(())),
                    Poll::Pending => return Poll::Pending,
                }
            }
        }
    }
}

/// Layer 2, the blocking client: crochet's calls, hidden from the
/// application.
mod client {
    use std::io;
    use std::net::SocketAddr;
    use std::time::Duration;

    use crochet::Bound;

    use super::http::{BodyReader, Connection, HttpError};

    /// A blocking HTTP client over one connection kept on the reactor.
    /// Clones share the connection.
    #[derive(Clone)]
    pub struct Client {
        conn: Bound<Connection>,
        timeout: Duration,
    }

    /// A response body: `std::io::Read` and `BufRead`.
    pub type Body = crochet::tokio::io::BlockingIo<BodyReader>;

    impl Client {
        /// Connects to `addr`; each later operation waits at most `timeout`.
        pub fn connect(addr: SocketAddr, timeout: Duration) -> Result<Client, HttpError> {
            let conn = crochet::tokio::setup()
                .try_bind(move || Connection::open(addr))
                .wait_or_cancel(timeout)??;
            Ok(Client { conn, timeout })
        }

        /// `GET path`: the body of the response, to read with `Read`.
        pub fn get(&self, path: &str) -> io::Result<Body> {
            let conn = self.conn.clone();
            let path = path.to_owned();
            // The request goes out on the reactor through the shared
            // connection (one at a time: `call_mut`), and the body stays
            // there, read by the application through a `BlockingIo`.
            let body = crochet::tokio::io::open(self.conn.event_loop(), self.timeout, move || {
                async move {
                    // A crochet error converts to an `io::Error` (a timeout
                    // is `TimedOut`).
                    conn.call_mut(move |mut conn| async move { conn.get(&path).await })
                        .await?
                        .map_err(io::Error::other)
                }
            });
            body.wait_or_cancel(self.timeout)?
        }
    }
}

/// Layer 3, the application: blocking code that knows nothing of futures.
fn main() {
    let site = site::start();
    let client = client::Client::connect(site, Duration::from_secs(5)).expect("connected");

    // Four threads share the one connection.
    let readers: Vec<_> = (0..4)
        .map(|i| {
            let client = client.clone();
            thread::spawn(move || {
                let mut page = String::new();
                client
                    .get("/hello")
                    .and_then(|mut body| body.read_to_string(&mut page))
                    .expect("the page");
                println!("thread {i} read {page:?}");
            })
        })
        .collect();
    for reader in readers {
        reader.join().expect("a reader thread");
    }

    // A large body, read through `Read` in pieces.
    let mut body = client.get("/big").expect("the large page");
    let read = io::copy(&mut body, &mut io::sink()).expect("the large body");
    println!("read the large body: {read} bytes");
    assert_eq!(read, site::BIG as u64);

    // A read that waits longer than the timeout fails with `TimedOut`.
    let slow = client::Client::connect(site, Duration::from_millis(300)).expect("connected");
    match slow.get("/slow") {
        Err(err) if err.kind() == io::ErrorKind::TimedOut => {
            println!("the slow page timed out: {err}");
        }
        other => panic!("the slow page did not time out: {:?}", other.map(|_| ())),
    }

    drop((client, slow));
    let stopped = crochet::tokio::setup().shutdown(Duration::from_secs(1));
    println!("reactor stopped cleanly: {stopped}");
}

/// The site the client reads: a small page, a large one, and a slow one.
mod site {
    use std::net::SocketAddr;
    use std::thread;
    use std::time::Duration;

    use tiny_http::{Response, Server};

    /// The size of `/big`.
    pub const BIG: usize = 1 << 20;

    /// Serves on a free loopback port.
    pub fn start() -> SocketAddr {
        let server = Server::http("127.0.0.1:0").expect("the site listens");
        let address = server.server_addr().to_ip().expect("a TCP address");
        thread::spawn(move || {
            for request in server.incoming_requests() {
                thread::spawn(move || {
                    let response = match request.url() {
                        "/hello" => Response::from_string("hello from the reactor"),
                        "/big" => Response::from_data(vec![b'x'; BIG]),
                        "/slow" => {
                            thread::sleep(Duration::from_secs(2));
                            Response::from_string("too late")
                        }
                        _ => Response::from_string("not found").with_status_code(404),
                    };
                    let _ = request.respond(response);
                });
            }
        });
        address
    }
}
