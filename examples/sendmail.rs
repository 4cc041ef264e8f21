//! The seed's design on tokio: a blocking `sendmail(to, message, timeout)`
//! over lettre's async SMTP client, in three visible layers.
//!
//! The example starts a small SMTP server on loopback. The first mail is
//! delivered and the server prints it; then the server stalls, the second
//! send times out, crochet cancels it, and the server sees the connection
//! closed.
//!
//! Run it with `cargo run --example sendmail --features tokio`.

use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Layer 1, the async code: plain tokio and lettre. It runs only on the
/// reactor thread and can be unit-tested on its own with `#[tokio::test]`.
mod mail {
    use lettre::message::Mailbox;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

    /// Any failure of the mail layer: a bad address, a refused mail, a
    /// broken connection.
    pub type MailError = Box<dyn std::error::Error + Send + Sync>;

    /// Sends `body` to `to` through the SMTP relay on loopback at `port`.
    pub async fn send(relay_port: u16, to: String, body: String) -> Result<(), MailError> {
        let message = Message::builder()
            .from("Crochet example <robot@example.com>".parse::<Mailbox>()?)
            .to(to.parse::<Mailbox>()?)
            .subject("Sent from blocking code")
            .body(body)?;
        // Plain SMTP, no TLS: the relay is the example's own, on loopback.
        let relay = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(relay_port)
            .build();
        relay.send(message).await?;
        Ok(())
    }
}

/// Layer 2, the crochet layer: as thin as possible, it only moves the call
/// onto the reactor thread. Code here straddles two threads, so it holds no
/// logic worth testing.
mod wrappers {
    use crochet::EventualResult;

    use super::mail::{self, MailError};

    pub fn send(relay_port: u16, to: &str, body: &str) -> EventualResult<Result<(), MailError>> {
        let (to, body) = (to.to_owned(), body.to_owned());
        crochet::tokio::setup().run_in_reactor(move || mail::send(relay_port, to, body))
    }
}

// Layer 3, the public blocking API: the application sees plain functions
// and an error type of its own; no futures, no reactor, no EventualResult.

/// Why a mail was not sent.
#[derive(Debug)]
pub enum SendmailError {
    /// The relay did not answer in time; the send was cancelled.
    Timeout(Duration),
    /// The address, the relay or the connection refused the mail.
    Failed(mail::MailError),
    /// The mail machinery itself failed (it panicked or was shut down).
    Internal(crochet::Error),
}

/// Sets the port of the SMTP relay on loopback, once, at start-up.
pub fn configure(relay_port: u16) {
    RELAY_PORT
        .set(relay_port)
        .expect("the relay is configured once");
}

/// Sends `message` to `to`, waiting at most `timeout`. On timeout the send
/// is cancelled: its connection is dropped on the reactor thread.
pub fn sendmail(to: &str, message: &str, timeout: Duration) -> Result<(), SendmailError> {
    let relay_port = *RELAY_PORT.get().expect("call configure() first");
    // On timeout the send is cancelled; a mail sent just before the cancel
    // still counts.
    match wrappers::send(relay_port, to, message).wait_or_cancel(timeout) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(SendmailError::Failed(err)),
        Err(err) if err.is_timeout() => Err(SendmailError::Timeout(timeout)),
        Err(err) => Err(SendmailError::Internal(err)),
    }
}

static RELAY_PORT: OnceLock<u16> = OnceLock::new();

impl fmt::Display for SendmailError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendmailError::Timeout(timeout) => {
                write!(f, "no answer from the mail relay within {timeout:?}")
            }
            SendmailError::Failed(err) => write!(f, "the mail was refused: {err}"),
            SendmailError::Internal(err) => write!(f, "the mailer failed: {err}"),
        }
    }
}

impl std::error::Error for SendmailError {}

fn main() {
    let server = smtp_sink::Sink::start().expect("the SMTP server starts on loopback");
    configure(server.port());

    println!("app: sending a mail to Ada");
    let started = Instant::now();
    let sent = sendmail(
        "Ada <ada@example.com>",
        "The reactor sends its regards.",
        Duration::from_secs(5),
    );
    println!("app: -> {sent:?} after {:?}", round(started.elapsed()));
    assert!(sent.is_ok(), "the first mail is delivered");
    assert!(
        matches!(server.next_event(), Some(smtp_sink::Event::Delivered)),
        "the server received the first mail"
    );

    println!("\napp: the server now stalls; sending a mail to Grace with a 500 ms timeout");
    server.set_stalling(true);
    let started = Instant::now();
    let sent = sendmail(
        "grace@example.com",
        "This one will not get through.",
        Duration::from_millis(500),
    );
    match &sent {
        Err(err) => println!("app: -> {err} after {:?}", round(started.elapsed())),
        Ok(()) => println!("app: -> unexpectedly sent"),
    }
    assert!(matches!(sent, Err(SendmailError::Timeout(_))));
    // The cancelled send dropped its connection; the server says so.
    assert!(
        matches!(
            server.next_event(),
            Some(smtp_sink::Event::ClosedWhileStalled)
        ),
        "the server saw the cancelled send's connection closed"
    );

    let stopped = crochet::tokio::setup().shutdown(Duration::from_secs(1));
    println!("\napp: reactor stopped cleanly: {stopped}");
}

/// `elapsed` to the millisecond, for shorter output.
fn round(elapsed: Duration) -> Duration {
    Duration::from_millis(elapsed.as_millis().try_into().unwrap_or(u64::MAX))
}

/// A small SMTP server written for this example: it speaks just enough SMTP
/// for lettre (greeting, EHLO/HELO, MAIL, RCPT, DATA, QUIT), prints what it
/// receives, and can stall to stand for a relay that stopped answering. It
/// runs its own tokio runtime on its own thread, as a server elsewhere would.
mod smtp_sink {
    use std::io;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc};
    use std::time::Duration;

    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::{TcpListener, TcpStream};

    /// What the server reports to the example's checks.
    #[derive(Debug)]
    pub enum Event {
        /// A mail was accepted.
        Delivered,
        /// A client hung up while the server was stalling it.
        ClosedWhileStalled,
    }

    pub struct Sink {
        port: u16,
        stalling: Arc<AtomicBool>,
        events: mpsc::Receiver<Event>,
    }

    impl Sink {
        /// Listens on a free loopback port, serving from a thread of its own.
        pub fn start() -> io::Result<Sink> {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            listener.set_nonblocking(true)?;
            let port = listener.local_addr()?.port();
            let stalling = Arc::new(AtomicBool::new(false));
            let (report, events) = mpsc::channel();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()?;
            let stall = stalling.clone();
            std::thread::Builder::new()
                .name("smtp-server".into())
                .spawn(move || runtime.block_on(accept(listener, stall, report)))?;
            Ok(Sink {
                port,
                stalling,
                events,
            })
        }

        pub fn port(&self) -> u16 {
            self.port
        }

        /// Makes connections accepted from now on stall at `MAIL FROM`.
        pub fn set_stalling(&self, stalling: bool) {
            self.stalling.store(stalling, Ordering::SeqCst);
        }

        /// The next thing the server saw, waiting a few seconds at most.
        pub fn next_event(&self) -> Option<Event> {
            self.events.recv_timeout(Duration::from_secs(5)).ok()
        }
    }

    async fn accept(
        listener: std::net::TcpListener,
        stalling: Arc<AtomicBool>,
        report: mpsc::Sender<Event>,
    ) {
        let listener = TcpListener::from_std(listener).expect("a tokio listener");
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let stall = stalling.load(Ordering::SeqCst);
            let report = report.clone();
            tokio::spawn(async move {
                if let Err(err) = serve(stream, stall, report).await {
                    println!("smtp server: connection failed: {err}");
                }
            });
        }
    }

    /// One SMTP session; `stall` leaves `MAIL FROM` unanswered.
    async fn serve(stream: TcpStream, stall: bool, report: mpsc::Sender<Event>) -> io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 sink.example ESMTP ready\r\n").await?;
        let (mut from, mut to) = (String::new(), Vec::new());
        let mut stalled = false;
        while let Some(line) = lines.next_line().await? {
            if stalled {
                continue;
            }
            let verb = line.get(..4).unwrap_or(&line).to_ascii_uppercase();
            let reply = match verb.as_str() {
                "EHLO" | "HELO" => "250 sink.example",
                "MAIL" if stall => {
                    println!("smtp server: stalling, leaving {line:?} unanswered");
                    stalled = true;
                    continue;
                }
                "MAIL" => {
                    from = line.get(10..).unwrap_or_default().to_owned();
                    "250 OK"
                }
                "RCPT" => {
                    to.push(line.get(8..).unwrap_or_default().to_owned());
                    "250 OK"
                }
                "DATA" => {
                    write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                    let mut data = Vec::new();
                    while let Some(line) = lines.next_line().await? {
                        if line == "." {
                            break;
                        }
                        // The client doubles a leading dot; undo it.
                        data.push(line.strip_prefix('.').unwrap_or(&line).to_owned());
                    }
                    println!("smtp server: mail from {from} to {}:", to.join(", "));
                    for line in &data {
                        println!("smtp server: | {line}");
                    }
                    let _ = report.send(Event::Delivered);
                    "250 OK queued"
                }
                "RSET" | "NOOP" => "250 OK",
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => "502 command not implemented",
            };
            write.write_all(format!("{reply}\r\n").as_bytes()).await?;
        }
        if stalled {
            println!("smtp server: the client closed the stalled connection");
            let _ = report.send(Event::ClosedWhileStalled);
        }
        Ok(())
    }
}
