//! The facade's feature `stream`: an `EventualStream` as a
//! `futures_core::Stream`, and any `futures_core::Stream` run on the
//! reactor as an `EventualStream`.

#![cfg(feature = "stream")]

use std::sync::mpsc;
use std::time::Duration;

use crochet::stream::{EventLoopExt, Items};
use crochet::Error;
use futures::stream::{self, FusedStream, StreamExt};

const LONG: Duration = Duration::from_secs(5);

#[test]
fn an_eventual_stream_is_a_futures_stream_that_ends_after_its_items() {
    let reactor = crochet::start();
    let numbers = reactor.stream(2, |sender| async move {
        for n in 0..5_u32 {
            let _ = sender.send(n).await;
        }
    });
    let mut items = Items::new(numbers);
    let read: Vec<_> = futures::executor::block_on((&mut items).collect());
    assert_eq!(read, [Ok(0), Ok(1), Ok(2), Ok(3), Ok(4)]);
    assert!(items.is_terminated());
}

#[test]
fn a_futures_stream_ends_after_the_first_error() {
    let reactor = crochet::start();
    let failing = reactor.stream(2, |sender| async move {
        let _ = sender.send(1_u32).await;
        panic!("the producer broke");
    });
    let read: Vec<_> = futures::executor::block_on(Items::from(failing).collect());
    assert_eq!(read.len(), 2);
    assert_eq!(read[0], Ok(1));
    match &read[1] {
        Err(Error::Panicked(failure)) => assert_eq!(failure.message(), "the producer broke"),
        other => panic!("expected the producer's panic, got {other:?}"),
    }
}

#[test]
fn a_futures_stream_runs_on_the_reactor_as_an_eventual_stream() {
    let reactor = crochet::start();
    let mut counted = reactor.stream_from(3, || stream::iter(0..10_u32));
    let read: Result<Vec<_>, _> = counted.iter_timeout(LONG).collect();
    assert_eq!(read, Ok((0..10).collect::<Vec<_>>()));
}

#[test]
fn a_source_stream_is_made_and_dropped_on_the_reactor() {
    let reactor = crochet::start();
    let (dropped_tx, dropped) = mpsc::channel();
    let (made_tx, made) = mpsc::channel();
    let mut endless = reactor.stream_from(1, move || {
        made_tx.send(thread_name()).unwrap();
        let guard = OnDrop(Some(move || dropped_tx.send(thread_name()).unwrap()));
        stream::repeat(7_u8).map(move |n| {
            let _ = &guard;
            n
        })
    });
    assert_eq!(endless.next_timeout(LONG), Ok(Some(7)));
    assert_eq!(endless.next_timeout(LONG), Ok(Some(7)));
    drop(endless);
    assert_eq!(
        made.recv_timeout(LONG).unwrap().as_deref(),
        Some("crochet-reactor")
    );
    assert_eq!(
        dropped.recv_timeout(LONG).unwrap().as_deref(),
        Some("crochet-reactor")
    );
}

#[cfg(feature = "tokio")]
#[test]
fn a_tokio_driven_stream_is_awaited_from_another_runtime() {
    let reactor = crochet::tokio::start();
    let ticks = reactor.stream_from(2, || {
        stream::iter(0..3_u32).then(|n| async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            n
        })
    });
    let read: Vec<_> = smol::block_on(Items::new(ticks).collect());
    assert_eq!(read, [Ok(0), Ok(1), Ok(2)]);
}

fn thread_name() -> Option<String> {
    std::thread::current().name().map(String::from)
}

/// Runs its closure once, when dropped.
struct OnDrop<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}
