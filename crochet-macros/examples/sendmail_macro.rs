//! Crochet's `sendmail` example with the attribute: an `async fn` that talks
//! to a mail server over tokio's TCP, called as a plain blocking function
//! with a timeout.
//!
//! Run it with `cargo run -p crochet-macros --example sendmail_macro`. It
//! starts two toy mail servers on loopback: one that answers, and one that
//! never does, so that the second send times out and is cancelled.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crochet::WorkError;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Sends `body` to `to` through the mail server at `server`, waiting at
/// most half a second.
///
/// The body runs on tokio's reactor thread; the caller blocks. On timeout
/// the send is cancelled: its future, and the connection it holds, are
/// dropped on the reactor thread.
#[crochet::wait_for(timeout = "500ms", runtime = tokio)]
async fn sendmail(server: SocketAddr, to: String, body: String) -> std::io::Result<()> {
    let mut connection = TcpStream::connect(server).await?;
    connection
        .write_all(format!("TO {to}\n{body}\n.\n").as_bytes())
        .await?;
    let mut reply = String::new();
    BufReader::new(connection).read_line(&mut reply).await?;
    if reply.starts_with("250") {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("the server said {reply:?}")))
    }
}

fn main() -> Result<(), WorkError<std::io::Error>> {
    let (hung_up, hang_up) = mpsc::channel();
    let answering = start_server(true, hung_up.clone())?;
    let silent = start_server(false, hung_up)?;

    // The application layer: a blocking call, and `?` for every error.
    sendmail(answering, "ada@example.com".into(), "hello".into())?;
    println!("sent to ada@example.com");

    let started = Instant::now();
    let late = sendmail(silent, "bob@example.com".into(), "hello?".into());
    println!("the silent server: {late:?} after {:?}", started.elapsed());
    assert!(matches!(
        late,
        Err(WorkError::Crochet(crochet::Error::Timeout))
    ));
    // The cancelled send dropped its connection, so the server saw the
    // client hang up.
    hang_up
        .recv_timeout(Duration::from_secs(5))
        .expect("the cancelled send closes its connection");
    println!("the silent server saw the cancelled send hang up");
    Ok(())
}

/// Starts a toy mail server on the reactor: it reads one message and
/// answers `250 OK` if `answers`, or waits for the client to hang up
/// (and reports it on `hung_up`) if not.
fn start_server(
    answers: bool,
    hung_up: mpsc::Sender<()>,
) -> Result<SocketAddr, WorkError<std::io::Error>> {
    #[crochet::wait_for(timeout = "5s", runtime = tokio)]
    async fn listen() -> std::io::Result<TcpListener> {
        TcpListener::bind("127.0.0.1:0").await
    }

    let listener = listen()?;
    let address = listener.local_addr().map_err(WorkError::Work)?;
    crochet::tokio::setup().run_in_reactor(move || async move {
        let Ok((mut connection, _)) = listener.accept().await else {
            return;
        };
        if answers {
            // Reads the message up to its closing `.` line, then answers.
            let mut lines = BufReader::new(&mut connection).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if line == "." {
                    break;
                }
            }
            let _ = connection.write_all(b"250 OK\n").await;
        } else {
            // Reads until the client closes the connection.
            let _ = connection.read_to_end(&mut Vec::new()).await;
            let _ = hung_up.send(());
        }
    });
    Ok(address)
}
