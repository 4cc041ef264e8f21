//! Streams under careless consumers: each stream is read by a consumer
//! that gives up at a random point (after a random number of items, a
//! timed-out read, a cancel), and every producer must still be dropped
//! exactly once, on the reactor thread, with nothing left behind.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crochet::Error;

use crochet_test_support::fixture::Runtime;
use crochet_test_support::helpers::{fail, panic_message, BOUND, LONG};
use crochet_test_support::reliability::{
    self, join_all_by, poll_until, reports, reports_of_other_errors, Rng, Tracker,
};

pub fn streams_dropped_at_random_points_drop_every_producer_once_on_the_reactor<R: Runtime>() {
    const CONSUMERS: u64 = 6;
    const STREAMS: u64 = 30;
    let fx = reliability::fixture::<R>();
    let tracker = Tracker::new();
    let off_reactor = Arc::new(AtomicUsize::new(0));
    let other_reports = reports_of_other_errors();
    let message = panic_message::<R>("stream-producer-at-random");
    let panics = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(AtomicUsize::new(0));
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|consumer| {
            let event_loop = (*fx).clone();
            let tracker = tracker.clone();
            let off_reactor = off_reactor.clone();
            let (message, panics, seen) = (message.clone(), panics.clone(), seen.clone());
            thread::spawn(move || {
                let mut rng = Rng::new(reliability::seed(), 100 + consumer);
                for n in 0..STREAMS {
                    let id = (consumer * STREAMS + n) << 16;
                    let producer = tracker.track(id, "a stream's producer");
                    let items_tracker = tracker.clone();
                    let off_reactor = off_reactor.clone();
                    let length = rng.below(12);
                    let pause = rng.chance(30);
                    let panic_at_end = rng.chance(20).then(|| (message.clone(), panics.clone()));
                    let mut stream = event_loop.stream(1 + rng.below(3) as usize, move |sender| {
                        let on_drop = OnDrop(move || {
                            if !R::in_runtime() {
                                off_reactor.fetch_add(1, Ordering::SeqCst);
                            }
                        });
                        async move {
                            let _producer = producer;
                            let _on_drop = on_drop;
                            for item in 0..length {
                                let tracked = items_tracker.track(id + 1 + item, "a stream's item");
                                if sender.send(tracked).await.is_err() {
                                    return;
                                }
                                if pause {
                                    R::sleep(Duration::from_millis(1)).await;
                                }
                            }
                            if let Some((message, panics)) = panic_at_end {
                                panics.fetch_add(1, Ordering::SeqCst);
                                fail::<()>(message);
                            }
                        }
                    });
                    let reads = rng.below(14);
                    let mut saw_the_panic = false;
                    for _ in 0..reads {
                        let outcome = match rng.below(4) {
                            0 => stream.try_next(),
                            1 => stream.next_timeout(rng.millis(2)),
                            _ => stream.next_timeout(LONG),
                        };
                        match outcome {
                            Ok(Some(item)) => drop(item),
                            Ok(None) => break,
                            Err(err) if err.is_timeout() => {}
                            Err(Error::Panicked(failure)) if failure.message() == message => {
                                saw_the_panic = true;
                                break;
                            }
                            Err(other) => panic!("a stream read failed with {other:?}"),
                        }
                    }
                    if rng.chance(30) {
                        stream.cancel();
                        match stream.try_next() {
                            Err(Error::Cancelled) => {}
                            // The producer panicked before the cancel: the
                            // failure stands, and this read saw it.
                            Err(Error::Panicked(failure)) if failure.message() == message => {
                                saw_the_panic = true;
                            }
                            other => panic!("a read after cancel gave {other:?}"),
                        }
                    }
                    drop(stream);
                    if saw_the_panic {
                        seen.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    join_all_by("stream consumers", consumers, Instant::now() + LONG * 6);
    tracker.assert_all_dropped_once("stream producers and items", BOUND * 2);
    assert!(tracker.made() >= CONSUMERS * STREAMS);
    assert_eq!(
        off_reactor.load(Ordering::SeqCst),
        0,
        "a producer's future was dropped off the reactor"
    );
    assert_eq!(
        reports_of_other_errors(),
        other_reports,
        "something was reported"
    );
    // Every panic nobody read is reported once; none that a read returned.
    let expected = panics.load(Ordering::SeqCst) - seen.load(Ordering::SeqCst);
    let settled = poll_until(BOUND, || reports(&message) == expected);
    assert!(
        settled,
        "{} reports of {expected} unread producer panics",
        reports(&message)
    );
    assert!(panics.load(Ordering::SeqCst) > 0, "no producer panicked");
}

/// Runs its closure when dropped.
struct OnDrop<F: FnMut()>(F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}
