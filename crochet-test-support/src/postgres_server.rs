//! A PostgreSQL server for the PostgreSQL client's tests, example and
//! benchmark: the one named by `CROCHET_POSTGRES`, or else a private one
//! this process starts (and that stops when it exits).
//!
//! `CROCHET_POSTGRES` holds a connection string in tokio-postgres's
//! key-value form, as `.ci/run` exports for the server it starts:
//! `host=127.0.0.1 port=5433 user=crochet dbname=postgres`. Without it,
//! [`server`] runs `initdb` and `postgres` from `PATH` in a temporary
//! directory, listening on loopback only, with trust authentication for
//! the user `crochet`; as root it runs them as the user `postgres` (or
//! `nobody`), since PostgreSQL refuses to run as root. The server lives as
//! long as this process: a shell started with it waits on a pipe from this
//! process and stops it, and removes its directory, when the pipe closes
//! (also when this process is killed).

use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// The variable naming a server to use instead of starting one.
pub const SERVER_VAR: &str = "CROCHET_POSTGRES";

/// How long a private server may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A PostgreSQL server the tests can connect to.
#[derive(Debug)]
pub struct Server {
    config: String,
    port: u16,
}

impl Server {
    /// Its connection string, in tokio-postgres's key-value form.
    pub fn config(&self) -> &str {
        &self.config
    }

    /// Its TCP port on loopback (the one of `config`).
    pub fn port(&self) -> u16 {
        self.port
    }
}

/// The process's server: the one `CROCHET_POSTGRES` names, or a private
/// one started on the first call.
///
/// # Errors
///
/// A message saying why there is no server (no `initdb` on `PATH`, a
/// failed start with the server's log), for the caller to fail with.
pub fn server() -> Result<&'static Server, String> {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    SERVER
        .get_or_init(|| match std::env::var(SERVER_VAR) {
            Ok(config) => Ok(Server {
                port: port_of(&config).unwrap_or(5432),
                config,
            }),
            Err(_) => start_private(),
        })
        .as_ref()
        .map_err(|why| {
            format!(
                "no PostgreSQL server for this test: {why}. Set {SERVER_VAR} to a \
                 connection string (`bash .ci/run` starts a server and sets it), or put \
                 PostgreSQL's initdb and postgres on PATH"
            )
        })
}

/// The server, or a panic that says there is none.
///
/// # Panics
///
/// Without a server; see [`server`].
pub fn require() -> &'static Server {
    server().unwrap_or_else(|why| panic!("{why}"))
}

fn port_of(config: &str) -> Option<u16> {
    config
        .split_whitespace()
        .find_map(|pair| pair.strip_prefix("port="))
        .and_then(|port| port.parse().ok())
}

/// The pipe whose end stops the private server; kept open while the
/// process lives (statics are never dropped).
static KEEPER: Mutex<Option<(Child, ChildStdin)>> = Mutex::new(None);

fn start_private() -> Result<Server, String> {
    which("initdb")?;
    which("postgres")?;
    let user = if is_root() {
        Some(unprivileged_user()?)
    } else {
        None
    };
    let dir = std::env::temp_dir().join(format!("crochet-postgres-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    if let Some(user) = &user {
        run(Command::new("chown").arg(user).arg(&dir))?;
    }
    let data = dir.join("data");
    run(as_user(&user, "initdb").arg("-D").arg(&data).args([
        "-U",
        "crochet",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-sync",
    ]))?;
    let port = free_port()?;
    let log = dir.join("log");
    // The shell starts the server, waits for this process's pipe to close,
    // then stops the server (fast shutdown) and removes the directory.
    let script = r#"postgres -D "$1" -h 127.0.0.1 -p "$2" -k "$3" -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
        >"$4" 2>&1 &
        server=$!
        cat >/dev/null
        kill -INT "$server"
        wait "$server"
        rm -rf "$3""#;
    let mut child = as_user(&user, "sh")
        .arg("-c")
        .arg(script)
        .arg("sh")
        .arg(&data)
        .arg(port.to_string())
        .arg(&dir)
        .arg(&log)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start postgres: {e}"))?;
    let stdin = child.stdin.take().expect("the pipe was asked for");
    *KEEPER.lock().unwrap_or_else(|e| e.into_inner()) = Some((child, stdin));
    wait_ready(&log)?;
    Ok(Server {
        config: format!("host=127.0.0.1 port={port} user=crochet dbname=postgres"),
        port,
    })
}

/// Stops the private server now, if this process started one (the
/// benchmark, which exits through `std::process::exit`, need not).
pub fn stop_private() {
    if let Some((mut child, stdin)) = KEEPER.lock().unwrap_or_else(|e| e.into_inner()).take() {
        drop(stdin);
        let _ = child.wait();
    }
}

fn wait_ready(log: &Path) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let mut text = String::new();
        if let Ok(mut file) = fs::File::open(log) {
            let _ = file.read_to_string(&mut text);
        }
        if text.contains("ready to accept connections") {
            return Ok(());
        }
        let exited = KEEPER
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
            .map(|(child, _)| matches!(child.try_wait(), Ok(Some(_))))
            .unwrap_or(true);
        if exited || Instant::now() > deadline {
            return Err(format!(
                "the private server did not start; its log:\n{text}"
            ));
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn as_user(user: &Option<String>, program: &str) -> Command {
    match user {
        Some(user) => {
            let mut command = Command::new("runuser");
            command.args(["-u", user, "--", program]);
            command
        }
        None => Command::new(program),
    }
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn which(program: &str) -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| format!("`{program}` is not on PATH"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| out.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

fn unprivileged_user() -> Result<String, String> {
    for user in ["postgres", "nobody"] {
        if Command::new("id")
            .arg(user)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            return Ok(user.to_owned());
        }
    }
    Err("running as root, and neither user `postgres` nor `nobody` exists".into())
}

fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free loopback port: {e}"))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("no free loopback port: {e}"))?
        .port();
    // The listener only picks the port; the server binds it once it is
    // closed here.
    Ok(port)
}
