//! `block_on` keeps its own notification: a future whose `poll` parks the
//! thread itself (a std channel, a lock, another `block_on`) and is
//! unparked cannot consume the wake-up meant for `block_on`.

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

/// Wakes itself, then parks the thread inside `poll` (as a blocking call
/// would), which takes the thread's park token; ready on the next poll.
struct ParksInPoll {
    polls: u32,
}

impl Future for ParksInPoll {
    type Output = u32;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        self.polls += 1;
        if self.polls > 1 {
            return Poll::Ready(self.polls);
        }
        cx.waker().wake_by_ref();
        // Returns at once if the wake above used the park token.
        thread::park_timeout(Duration::from_secs(1));
        Poll::Pending
    }
}

#[test]
fn a_future_that_parks_in_poll_does_not_lose_its_wake_up() {
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        done.send(crochet_core::reactor::block_on(ParksInPoll { polls: 0 }))
            .unwrap();
    });
    assert_eq!(
        finished.recv_timeout(Duration::from_secs(10)),
        Ok(2),
        "block_on slept through the wake-up"
    );
}

#[test]
fn a_nested_block_on_does_not_steal_the_outer_wake_up() {
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        let outer = crochet_core::reactor::block_on(async {
            let inner = crochet_core::reactor::block_on(ParksInPoll { polls: 0 });
            ParksInPoll { polls: 0 }.await + inner
        });
        done.send(outer).unwrap();
    });
    assert_eq!(finished.recv_timeout(Duration::from_secs(10)), Ok(4));
}
