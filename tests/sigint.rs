//! Ctrl-C ends a program blocked in a wait, as it would any other program:
//! nothing in crochet's waits blocks or swallows SIGINT.

#![cfg(unix)]

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Set in the child process, which blocks in a wait until it is killed.
const CHILD: &str = "CROCHET_SIGINT_CHILD";

#[test]
fn sigint_ends_a_program_blocked_in_wait() {
    if std::env::var_os(CHILD).is_some() {
        let reactor = crochet::setup();
        let never = reactor.run_in_reactor(std::future::pending::<()>);
        println!("waiting");
        let _ = never.wait(Duration::MAX);
        unreachable!("the wait returned without a result");
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sigint_ends_a_program_blocked_in_wait",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the child says it is about to block.
    let mut out = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0_u8; 256];
    while !String::from_utf8_lossy(&seen).contains("waiting") {
        let n = std::io::Read::read(&mut out, &mut buf).unwrap();
        assert!(n > 0, "the child ended before it waited");
        seen.extend_from_slice(&buf[..n]);
    }
    // Nothing tells from outside that the child is inside `wait`; a pause
    // makes it likely. Either way SIGINT must end it.
    std::thread::sleep(Duration::from_millis(50));
    let sent = Instant::now();
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = sent + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("SIGINT did not end a program blocked in wait");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.signal(), Some(2), "the child ended with {status:?}");
}
