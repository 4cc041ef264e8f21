//! Streams of results: backpressure, timed reads that lose nothing, the
//! producer's failures, cancellation that reaches the producer on the
//! reactor thread, shutdown, byte streams read with `std::io::Read`, and
//! reads awaited from other runtimes.

use std::io::{self, BufRead, Read};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crochet::Error;

use crochet_test_support::fixture::{Fixture, Runtime};
use crochet_test_support::helpers::{
    assert_dropped_in_runtime, assert_panicked, eventually, fail, gate, panic_message, probe,
    reports, send_soon, LONG, SHORT,
};

pub fn stream_items_arrive_in_order_then_the_end_for_every_read<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let mut stream = fx.stream(3, |sender| async move {
        for n in 0..10_u32 {
            sender.send(n).await.expect("the consumer is still there");
            R::sleep(Duration::from_millis(1)).await;
        }
    });
    for n in 0..10 {
        assert_eq!(stream.next_timeout(LONG), Ok(Some(n)));
    }
    assert_eq!(stream.next_timeout(LONG), Ok(None));
    assert_eq!(stream.next_timeout(LONG), Ok(None));
    assert_eq!(stream.try_next(), Ok(None));
}

pub fn stream_producer_never_read_stops_at_capacity<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (sent_tx, sent) = mpsc::channel();
    let mut stream = fx.stream(4, move |sender| async move {
        for n in 0..u32::MAX {
            if sender.send(n).await.is_err() {
                return;
            }
            let _ = sent_tx.send(n);
        }
    });
    for n in 0..4 {
        assert_eq!(sent.recv_timeout(LONG), Ok(n));
    }
    assert_eq!(
        sent.recv_timeout(SHORT * 4),
        Err(mpsc::RecvTimeoutError::Timeout),
        "the producer went past the capacity"
    );
    assert_eq!(stream.buffered(), 4);
    // Reading one makes room for exactly one more.
    assert_eq!(stream.next_timeout(LONG), Ok(Some(0)));
    assert_eq!(sent.recv_timeout(LONG), Ok(4));
    assert_eq!(
        sent.recv_timeout(SHORT),
        Err(mpsc::RecvTimeoutError::Timeout)
    );
    assert_eq!(stream.buffered(), 4);
}

pub fn stream_read_that_timed_out_loses_nothing<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (open, gated) = gate::<u32>();
    let mut stream = fx.stream(1, move |sender| async move {
        let value = gated.await;
        let _ = sender.send(value).await;
    });
    assert_eq!(stream.next_timeout(SHORT), Err(Error::Timeout));
    assert_eq!(stream.try_next(), Err(Error::Timeout));
    let opener = send_soon(open, 7);
    assert_eq!(stream.next_timeout(LONG), Ok(Some(7)));
    assert_eq!(stream.next_timeout(LONG), Ok(None));
    opener.join().unwrap();
}

pub fn stream_producer_panic_reaches_every_later_read_after_its_items<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let message = panic_message::<R>("stream-producer");
    let thrown = message.clone();
    let mut stream = fx.stream(4, move |sender| async move {
        let _ = sender.send(1_u32).await;
        let _ = sender.send(2).await;
        fail::<()>(thrown);
    });
    assert_eq!(stream.next_timeout(LONG), Ok(Some(1)));
    assert_eq!(stream.next_timeout(LONG), Ok(Some(2)));
    assert_panicked(stream.next_timeout(LONG), &message);
    assert_panicked(stream.next_timeout(LONG), &message);
    assert_panicked(stream.try_next(), &message);
}

pub fn stream_producer_panic_is_reported_once_unless_a_read_saw_it<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let unseen = panic_message::<R>("stream-unseen-panic");
    let thrown = unseen.clone();
    let (panicking, panicked) = mpsc::channel();
    let stream = fx.stream(1, move |_sender: crochet::StreamSender<u8>| async move {
        panicking.send(()).unwrap();
        fail::<()>(thrown);
    });
    panicked
        .recv_timeout(LONG)
        .expect("the producer did not run");
    // Whether the drop comes before the panic (which is then reported as
    // a panic after a cancel) or after it, nobody saw it.
    drop(stream);
    eventually("the unseen panic is reported", || reports(&unseen) == 1);

    let seen = panic_message::<R>("stream-seen-panic");
    let thrown = seen.clone();
    let mut stream = fx.stream(1, move |_sender: crochet::StreamSender<u8>| async move {
        fail::<()>(thrown);
    });
    assert_panicked(stream.next_timeout(LONG), &seen);
    drop(stream);
    drop(fx);
    assert_eq!(reports(&seen), 0, "a panic a read saw was reported");
    assert_eq!(reports(&unseen), 1, "the unseen panic was reported again");
}

pub fn stream_dropped_midway_drops_its_producer_on_the_reactor_after_the_token<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (probe, report) = probe::<R>();
    let (token_seen, token_report) = mpsc::channel();
    let mut stream = fx.stream(2, move |sender| async move {
        let _probe = probe;
        let token = sender.token().clone();
        let _check = OnDrop(move || {
            let _ = token_seen.send(token.is_cancelled());
        });
        let mut n = 0_u64;
        while sender.send(n).await.is_ok() {
            n += 1;
        }
        // Unreachable in this test: the future is dropped while it waits.
        std::future::pending::<()>().await;
    });
    assert_eq!(stream.next_timeout(LONG), Ok(Some(0)));
    assert_eq!(stream.next_timeout(LONG), Ok(Some(1)));
    assert!(report.alive());
    drop(stream);
    assert_dropped_in_runtime(&report.dropped());
    assert_eq!(token_report.recv_timeout(LONG), Ok(true));
}

pub fn stream_cancel_drops_unread_items_and_later_reads_are_cancelled<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (item_probe, item_report) = probe::<R>();
    let (producer_probe, producer_report) = probe::<R>();
    let (sent, was_sent) = mpsc::channel();
    let mut stream = fx.stream(2, move |sender| async move {
        let _probe = producer_probe;
        let _ = sender.send(Some(item_probe)).await;
        let _ = sent.send(());
        std::future::pending::<()>().await;
    });
    was_sent
        .recv_timeout(LONG)
        .expect("the producer did not send");
    assert!(item_report.alive());
    stream.cancel();
    // The unread item goes with the cancel, on the cancelling thread.
    assert_eq!(item_report.dropped().thread, thread::current().id());
    assert_dropped_in_runtime(&producer_report.dropped());
    assert_eq!(stream.next_timeout(LONG).err(), Some(Error::Cancelled));
    assert_eq!(stream.try_next().err(), Some(Error::Cancelled));
    stream.cancel();
    assert_eq!(stream.next_timeout(LONG).err(), Some(Error::Cancelled));
}

pub fn stream_read_blocked_at_shutdown_is_released<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let mut stream = fx.stream(1, |sender| async move {
        let _ = sender.send(1_u8).await;
        std::future::pending::<()>().await;
    });
    assert_eq!(stream.next_timeout(LONG), Ok(Some(1)));
    let (reading, started) = mpsc::channel();
    let reader = thread::spawn(move || {
        reading.send(()).unwrap();
        let outcome = stream.next_timeout(LONG * 4);
        (outcome, stream.next_timeout(LONG))
    });
    started.recv().unwrap();
    // No channel can tell that the thread is blocked inside the read; this
    // pause makes it likely. Either way the read must end.
    thread::sleep(Duration::from_millis(20));
    assert!(fx.shutdown(LONG));
    let (outcome, again) = reader.join().unwrap();
    assert_eq!(outcome, Err(Error::ReactorStopped));
    assert_eq!(again, Err(Error::ReactorStopped));
    // A stream made after the shutdown fails at once.
    let mut late = fx.stream(1, |sender| async move {
        let _ = sender.send(1_u8).await;
    });
    assert_eq!(late.try_next(), Err(Error::ReactorStopped));
}

pub fn stream_of_chunks_reads_to_the_end_through_into_reader<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let chunks: Vec<Vec<u8>> = (0..20_u8).map(|n| vec![n; usize::from(n) * 7]).collect();
    let expected: Vec<u8> = chunks.concat();
    let body = fx.stream(2, move |sender| async move {
        for chunk in chunks {
            let _ = sender.send(chunk).await;
            R::sleep(Duration::from_millis(1)).await;
        }
    });
    let mut read = Vec::new();
    body.into_reader(LONG).read_to_end(&mut read).unwrap();
    assert_eq!(read, expected);

    let lines = fx.stream(1, |sender| async move {
        let _ = sender.send("first\nsec").await;
        let _ = sender.send("").await;
        let _ = sender.send("ond\n").await;
    });
    let lines: Vec<String> = lines
        .into_reader(LONG)
        .lines()
        .map(Result::unwrap)
        .collect();
    assert_eq!(lines, ["first", "second"]);
}

pub fn stream_of_fallible_chunks_reads_up_to_the_failure_which_is_the_reads_error<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let body = fx.stream(1, |sender| async move {
        for chunk in [&b"part one, "[..], b"part two"] {
            let _ = sender.send(Ok(chunk.to_vec())).await;
            R::sleep(Duration::from_millis(1)).await;
        }
        let broken = io::Error::new(io::ErrorKind::ConnectionReset, "the peer reset the body");
        let _ = sender.send(Err(broken)).await;
    });
    let mut reader = body.into_try_reader(LONG);
    let mut read = Vec::new();
    let err = reader.read_to_end(&mut read).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    assert_eq!(err.to_string(), "the peer reset the body");
    assert_eq!(read, b"part one, part two", "the bytes before the failure");
    // The producer ended after it: the end follows.
    let mut rest = Vec::new();
    assert_eq!(reader.read_to_end(&mut rest).unwrap(), 0);
}

pub fn stream_reader_read_that_times_out_is_timed_out_and_loses_nothing<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (open, gated) = gate::<&'static [u8]>();
    let message = panic_message::<R>("stream-reader");
    let thrown = message.clone();
    let body = fx.stream(1, move |sender| async move {
        let _ = sender.send(&b"ab"[..]).await;
        let _ = sender.send(gated.await).await;
        fail::<()>(thrown);
    });
    let mut reader = body.into_reader(SHORT);
    let mut buf = [0_u8; 8];
    assert_eq!(reader.read(&mut buf).unwrap(), 2);
    let err = reader.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert_eq!(error_of(&err), Some(&Error::Timeout));
    open.send(b"cd").unwrap();
    let mut reader = reader.into_inner().into_reader(LONG);
    assert_eq!(reader.read(&mut buf).unwrap(), 2);
    assert_eq!(&buf[..2], b"cd");
    // Crochet's other errors are the source of an error of another kind.
    let err = reader.read(&mut buf).unwrap_err();
    assert_ne!(err.kind(), io::ErrorKind::TimedOut);
    match error_of(&err) {
        Some(Error::Panicked(failure)) => assert_eq!(failure.message(), message),
        other => panic!("expected the producer's panic as the source, got {other:?}"),
    }
}

pub fn stream_iter_timeout_ends_after_the_last_item_or_the_first_error<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let mut all = fx.stream(2, |sender| async move {
        for n in 0..5_u32 {
            let _ = sender.send(n).await;
        }
    });
    let items: Vec<_> = all.iter_timeout(LONG).collect();
    assert_eq!(items, [Ok(0), Ok(1), Ok(2), Ok(3), Ok(4)]);
    assert_eq!(all.iter_timeout(LONG).count(), 0);

    let (_open, gated) = gate::<()>();
    let mut stuck = fx.stream(2, move |sender| async move {
        let _ = sender.send(1_u32).await;
        gated.await;
    });
    let items: Vec<_> = stuck.iter_timeout(SHORT).collect();
    assert_eq!(items, [Ok(1), Err(Error::Timeout)]);
}

pub fn stream_is_awaited_from_a_task_of_another_runtime<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (open, gated) = gate::<u32>();
    let mut stream = fx.stream(2, move |sender| async move {
        let _ = sender.send(1).await;
        let last = gated.await;
        let _ = sender.send(last).await;
    });
    let opener = send_soon(open, 2);
    let read = R::await_in_foreign_task(Box::pin(async move {
        let mut read = Vec::new();
        while let Some(item) = stream.next().await.expect("the producer finishes") {
            read.push(item);
        }
        read
    }));
    assert_eq!(read, [1, 2]);
    opener.join().unwrap();
}

pub fn stream_try_next_never_blocks_and_blocking_reads_are_refused_on_the_reactor<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (open, gated) = gate::<u32>();
    let mut stream = fx.stream(1, move |sender| async move {
        let value = gated.await;
        let _ = sender.send(value).await;
    });
    assert_eq!(stream.try_next(), Err(Error::Timeout));
    let on_reactor = fx.call_in_reactor(move || {
        let refused = stream.next_timeout(LONG);
        let checked = stream.try_next();
        (stream, refused, checked)
    });
    let (mut stream, refused, checked) = on_reactor.wait(LONG).unwrap();
    assert_eq!(refused, Err(Error::WaitInReactorThread));
    assert_eq!(checked, Err(Error::Timeout));
    open.send(3).unwrap();
    assert_eq!(stream.next_timeout(LONG), Ok(Some(3)));
    // An async read on the reactor itself is allowed.
    let awaited = fx.run_in_reactor(move || async move {
        let mut stream = stream;
        stream.next().await
    });
    assert_eq!(awaited.wait(LONG), Ok(Ok(None)));
}

/// The crochet error an `io::Error` of a stream reader carries.
fn error_of(err: &io::Error) -> Option<&Error> {
    err.get_ref()
        .and_then(|source| source.downcast_ref::<Error>())
}

/// Runs its closure when dropped.
struct OnDrop<F: FnMut()>(F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}
