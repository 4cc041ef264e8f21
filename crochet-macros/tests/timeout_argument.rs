//! A timeout taken from an argument (`timeout = timeout`) uses that
//! argument: neither function the attribute makes warns that it is unused.

#![deny(unused_variables)]

use std::time::Duration;

#[crochet::wait_for(timeout = timeout, runtime = builtin)]
async fn answer(timeout: Duration) -> u32 {
    42
}

struct Client;

impl Client {
    #[crochet::wait_for(timeout = timeout, runtime = builtin)]
    async fn answer(&self, timeout: Duration) -> u32 {
        43
    }
}

impl Clone for Client {
    fn clone(&self) -> Client {
        Client
    }
}

#[test]
fn a_timeout_from_an_argument_compiles_without_warnings_and_applies() {
    assert_eq!(answer(Duration::from_secs(5)), Ok(42));
    assert_eq!(Client.answer(Duration::from_secs(5)), Ok(43));
}
