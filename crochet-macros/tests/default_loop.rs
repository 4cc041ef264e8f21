//! Without `runtime` or `event_loop`, the work goes to the loop of the first
//! runtime the program set up; before any, the functions say so.
//!
//! One test in a binary of its own: the default loop is process-wide.

use std::time::Duration;

use crochet::{Error, EventualResult, WorkError};

#[crochet::wait_for(timeout = "5s")]
async fn on_smol() -> bool {
    crochet::smol::setup().is_reactor_thread()
}

#[crochet::wait_for(timeout = "5s")]
async fn parse(text: String) -> Result<u8, std::num::ParseIntError> {
    text.parse()
}

#[crochet::run_in_reactor]
async fn later(x: u32) -> u32 {
    smol::Timer::after(Duration::from_millis(1)).await;
    x + 1
}

#[test]
fn the_default_loop_is_the_first_one_set_up() {
    assert_eq!(on_smol(), Err(Error::NotSetUp));
    assert_eq!(
        parse("1".to_owned()),
        Err(WorkError::Crochet(Error::NotSetUp))
    );
    let refused: Result<EventualResult<u32>, Error> = later(1);
    assert_eq!(refused.unwrap_err(), Error::NotSetUp);

    crochet::smol::setup();
    // A loop set up later does not replace the first.
    crochet::tokio::setup();

    assert_eq!(on_smol(), Ok(true));
    assert_eq!(parse("7".to_owned()), Ok(7));
    assert_eq!(later(1).unwrap().wait(Duration::from_secs(5)), Ok(2));
}
