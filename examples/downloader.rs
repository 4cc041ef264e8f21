//! Crochet's Flask example in Rust: a blocking web app (tiny_http, a thread
//! per request) starts a download with hyper on the reactor, stashes its
//! `EventualResult`, and keeps the `StashId` in a cookie. Later requests
//! retrieve the result, wait a moment, and show the page, say the download
//! is in progress (stashing it again), or show the failure.
//!
//! The page comes from a second, slow server on loopback, and `main` plays
//! the browser, so the example runs on its own and exits.
//!
//! Run it with `cargo run --example downloader --features tokio`.

use std::thread;
use std::time::Duration;

/// Layer 1, the async code: an HTTP GET with hyper on tokio.
mod download {
    use http_body_util::{BodyExt, Empty};
    use hyper::body::Bytes;
    use hyper::{header, Request, Uri};
    use hyper_util::rt::TokioIo;
    use tokio::net::TcpStream;

    /// Any failure of a download.
    pub type DownloadError = Box<dyn std::error::Error + Send + Sync>;

    /// The body of the page at `url` (plain HTTP/1.1).
    pub async fn get_page(url: Uri) -> Result<String, DownloadError> {
        let host = url.host().ok_or("the URL has no host")?.to_owned();
        let port = url.port_u16().unwrap_or(80);
        let stream = TcpStream::connect((host.as_str(), port)).await?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        let request = Request::get(url.path())
            .header(header::HOST, host)
            .body(Empty::<Bytes>::new())?;
        let exchange = async move {
            let response = sender.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            if !status.is_success() {
                return Err(format!("the server answered {status}").into());
            }
            Ok::<_, DownloadError>(String::from_utf8_lossy(&body).into_owned())
        };
        // The connection does the socket's I/O; it ends once the exchange is
        // over and has dropped `sender`. Both are dropped if the download is
        // cancelled, which closes the socket.
        let connection = async { connection.await.map_err(DownloadError::from) };
        let (page, ()) = tokio::try_join!(exchange, connection)?;
        Ok(page)
    }
}

/// Layer 2, the crochet layer: only moves the call onto the reactor.
mod wrappers {
    use crochet::EventualResult;
    use hyper::Uri;

    use super::download::{self, DownloadError};

    pub fn download_page(url: Uri) -> EventualResult<Result<String, DownloadError>> {
        crochet::tokio::setup().run_in_reactor(move || download::get_page(url))
    }
}

/// Layer 3, the blocking web app: each request is handled on a thread of
/// tiny_http's, which waits on results but never for long.
mod web_app {
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::thread;
    use std::time::Duration;

    use crochet::StashId;
    use tiny_http::{Header, Request, Response, Server};

    use super::download::DownloadError;
    use super::wrappers;

    /// Serves the app on a free loopback port with a few worker threads;
    /// downloads come from the site at `pages`.
    pub fn start(pages: SocketAddr) -> SocketAddr {
        let server = Arc::new(Server::http("127.0.0.1:0").expect("the web app listens"));
        let address = server.server_addr().to_ip().expect("a TCP address");
        for _ in 0..4 {
            let server = server.clone();
            thread::spawn(move || {
                for request in server.incoming_requests() {
                    handle(request, pages);
                }
            });
        }
        address
    }

    /// What the session cookie should become.
    enum Session {
        Keep(StashId),
        Clear,
    }

    /// `GET /?page=NAME`: Flask's `index()` of Crochet's example.
    fn index(cookie: Option<&str>, page: &str, pages: SocketAddr) -> (String, Session) {
        let Some(cookie) = cookie else {
            let url = format!("http://{pages}/{page}");
            let result = wrappers::download_page(url.parse().expect("a valid URL"));
            return match result.stash() {
                Ok(id) => (
                    "Starting download, refresh to track progress.".into(),
                    Session::Keep(id),
                ),
                Err(_) => ("Too many downloads, try later.".into(), Session::Clear),
            };
        };
        // Retrieval is a one-time operation: the id in the cookie is spent.
        let retrieved = cookie
            .parse::<StashId>()
            .and_then(crochet::retrieve_result::<Result<String, DownloadError>>);
        let result = match retrieved {
            Ok(result) => result,
            Err(err) => return (format!("No such download: {err}."), Session::Clear),
        };
        match result.wait(Duration::from_millis(100)) {
            Ok(Ok(page)) => (format!("Downloaded: {page:?}"), Session::Clear),
            Ok(Err(err)) => (format!("Download failed: {err}."), Session::Clear),
            Err(err) if err.is_timeout() => match result.stash() {
                Ok(id) => ("Download in progress...".into(), Session::Keep(id)),
                Err(_) => ("Too many downloads, try later.".into(), Session::Clear),
            },
            Err(err) => match result.original_failure() {
                // The panic of the download, and where it was started.
                Some(failure) => (format!("Download crashed: {failure}."), Session::Clear),
                None => (format!("Download failed: {err}."), Session::Clear),
            },
        }
    }

    fn handle(request: Request, pages: SocketAddr) {
        let cookie = request
            .headers()
            .iter()
            .filter(|header| header.field.equiv("Cookie"))
            .flat_map(|header| header.value.as_str().split("; "))
            .find_map(|pair| pair.strip_prefix("download="))
            .filter(|id| !id.is_empty())
            .map(str::to_owned);
        let page = request
            .url()
            .split_once("?page=")
            .map_or("index.html", |(_, page)| page)
            .to_owned();
        let (body, session) = index(cookie.as_deref(), &page, pages);
        let set_cookie = match session {
            Session::Keep(id) => format!("download={id}; HttpOnly"),
            Session::Clear => "download=; Max-Age=0".to_owned(),
        };
        let header = Header::from_bytes("Set-Cookie", set_cookie).expect("an ASCII header");
        let _ = request.respond(Response::from_string(body).with_header(header));
    }
}

fn main() {
    let pages = slow_site::start(Duration::from_millis(700));
    let app = web_app::start(pages);
    let mut browser = browser::Browser::new(app);

    println!("A download that succeeds:");
    browser.get("/?page=report.txt");
    let first_cookie = browser.cookie();
    refresh_until(&mut browser, "Downloaded");
    println!("\nThe first cookie again (a stash id works once):");
    browser.set_cookie(first_cookie);
    browser.get("/");

    println!("\nA download that fails:");
    browser.get("/?page=missing.txt");
    refresh_until(&mut browser, "Download failed");

    let stopped = crochet::tokio::setup().shutdown(Duration::from_secs(1));
    println!("\nreactor stopped cleanly: {stopped}");
}

/// Reloads the page every 250 ms until it starts with `done`.
fn refresh_until(browser: &mut browser::Browser, done: &str) {
    for _ in 0..40 {
        thread::sleep(Duration::from_millis(250));
        if browser.get("/").starts_with(done) {
            return;
        }
    }
    panic!("the page never said {done:?}");
}

/// The site the app downloads from: slow, and it has one page.
mod slow_site {
    use std::net::SocketAddr;
    use std::thread;
    use std::time::Duration;

    use tiny_http::{Response, Server};

    /// Serves `/report.txt` after `delay`, and 404 for anything else.
    pub fn start(delay: Duration) -> SocketAddr {
        let server = Server::http("127.0.0.1:0").expect("the slow site listens");
        let address = server.server_addr().to_ip().expect("a TCP address");
        thread::spawn(move || {
            for request in server.incoming_requests() {
                thread::spawn(move || {
                    thread::sleep(delay);
                    let response = match request.url() {
                        "/report.txt" => Response::from_string("Q3 report: all green"),
                        _ => Response::from_string("not found").with_status_code(404),
                    };
                    let _ = request.respond(response);
                });
            }
        });
        address
    }
}

/// A browser with one cookie, speaking HTTP/1.1 over a plain `TcpStream`.
mod browser {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};

    pub struct Browser {
        app: SocketAddr,
        cookie: Option<String>,
    }

    impl Browser {
        pub fn new(app: SocketAddr) -> Browser {
            Browser { app, cookie: None }
        }

        pub fn cookie(&self) -> Option<String> {
            self.cookie.clone()
        }

        pub fn set_cookie(&mut self, cookie: Option<String>) {
            self.cookie = cookie;
        }

        /// Requests `path`, prints the exchange, keeps the cookie the app
        /// sets, and returns the page.
        pub fn get(&mut self, path: &str) -> String {
            let (page, set_cookie) = self.fetch(path).expect("the app answers");
            let sent = self.cookie.as_deref().map_or("none".into(), short);
            self.cookie = set_cookie.filter(|id| !id.is_empty());
            let kept = self.cookie.as_deref().map_or("none".into(), short);
            println!("  GET {path} with cookie {sent}\n    -> {page} (cookie now {kept})");
            page
        }

        fn fetch(&self, path: &str) -> std::io::Result<(String, Option<String>)> {
            let mut stream = TcpStream::connect(self.app)?;
            let cookie = self
                .cookie
                .as_ref()
                .map_or(String::new(), |id| format!("Cookie: download={id}\r\n"));
            write!(
                stream,
                "GET {path} HTTP/1.1\r\nHost: {}\r\n{cookie}Connection: close\r\n\r\n",
                self.app
            )?;
            let mut response = String::new();
            stream.read_to_string(&mut response)?;
            let (head, page) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
            let set_cookie = head
                .lines()
                .filter_map(|line| line.split_once(": "))
                .find(|(name, _)| name.eq_ignore_ascii_case("Set-Cookie"))
                .and_then(|(_, value)| value.strip_prefix("download="))
                .map(|value| value.split(';').next().unwrap_or_default().to_owned());
            Ok((page.to_owned(), set_cookie))
        }
    }

    /// The start of a stash id, enough to tell ids apart in the output.
    fn short(id: &str) -> String {
        format!("{}…", &id[..id.len().min(8)])
    }
}
