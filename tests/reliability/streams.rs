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
use crochet_test_support::helpers::{BOUND, LONG};
use crochet_test_support::reliability::{self, join_all_by, reports_of_other_errors, Rng, Tracker};

pub fn streams_dropped_at_random_points_drop_every_producer_once_on_the_reactor<R: Runtime>() {
    const CONSUMERS: u64 = 6;
    const STREAMS: u64 = 30;
    let fx = reliability::fixture::<R>();
    let tracker = Tracker::new();
    let off_reactor = Arc::new(AtomicUsize::new(0));
    let other_reports = reports_of_other_errors();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|consumer| {
            let event_loop = (*fx).clone();
            let tracker = tracker.clone();
            let off_reactor = off_reactor.clone();
            thread::spawn(move || {
                let mut rng = Rng::new(reliability::seed(), 100 + consumer);
                for n in 0..STREAMS {
                    let id = (consumer * STREAMS + n) << 16;
                    let producer = tracker.track(id, "a stream's producer");
                    let items_tracker = tracker.clone();
                    let off_reactor = off_reactor.clone();
                    let length = rng.below(12);
                    let pause = rng.chance(30);
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
                        }
                    });
                    let reads = rng.below(14);
                    for _ in 0..reads {
                        let outcome = match rng.below(4) {
                            0 => stream.try_next(),
                            1 => stream.next_timeout(rng.millis(2)),
                            _ => stream.next_timeout(LONG),
                        };
                        match outcome {
                            Ok(Some(item)) => drop(item),
                            Ok(None) => break,
                            Err(Error::Timeout) => {}
                            Err(other) => panic!("a stream read failed with {other:?}"),
                        }
                    }
                    if rng.chance(30) {
                        stream.cancel();
                        assert_eq!(stream.try_next().err(), Some(Error::Cancelled));
                    }
                    drop(stream);
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
}

/// Runs its closure when dropped.
struct OnDrop<F: FnMut()>(F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}
