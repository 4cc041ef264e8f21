//! Running work in the reactor: where it runs, what it may be, and what
//! comes back.

use std::future::Future;
use std::num::ParseIntError;
use std::sync::{mpsc, Arc};
use std::thread;

use crochet::{Error, EventLoop, ResultExt, WorkError};

use crochet_test_support::fixture::{Fixture, Runtime};
use crochet_test_support::helpers::{assert_panicked, fail, gate, panic_message, LONG, SHORT};

pub fn work_runs_on_a_reactor_thread<R: Runtime>() {
    let fx = Fixture::<R>::new();
    assert!(!fx.is_reactor_thread());
    let inner = (*fx).clone();
    let seen = fx.run_in_reactor(move || {
        let in_closure = (
            inner.is_reactor_thread(),
            R::in_runtime(),
            thread::current().id(),
        );
        async move {
            R::sleep(std::time::Duration::from_millis(1)).await;
            let in_future = (
                inner.is_reactor_thread(),
                R::in_runtime(),
                thread::current().id(),
            );
            (in_closure, in_future)
        }
    });
    let (in_closure, in_future) = seen.wait(LONG).unwrap();
    for (marked, in_runtime, thread) in [in_closure, in_future] {
        assert!(marked, "is_reactor_thread() is false in the work");
        assert!(in_runtime, "the work ran off the runtime");
        assert_ne!(thread, thread::current().id());
    }
}

pub fn plain_closures_run_on_a_reactor_thread<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let inner = (*fx).clone();
    let seen = fx.call_in_reactor(move || {
        (
            inner.is_reactor_thread(),
            R::in_runtime(),
            thread::current().id(),
        )
    });
    let (marked, in_runtime, thread) = seen.wait(LONG).unwrap();
    assert!(marked);
    assert!(in_runtime);
    assert_ne!(thread, thread::current().id());
}

pub fn arguments_reach_the_work<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let name = String::from("crochet");
    let numbers: Vec<u64> = (1..=3).collect();
    let shared = Arc::new(40_u64);
    let seen = fx.run_in_reactor(move || async move {
        format!("{name}:{}", numbers.iter().sum::<u64>() + *shared)
    });
    assert_eq!(seen.wait(LONG).as_deref(), Ok("crochet:46"));
    let (a, b) = (String::from("left"), 'r');
    let joined = fx.call_in_reactor(move || format!("{a}-{b}"));
    assert_eq!(joined.wait(LONG).as_deref(), Ok("left-r"));
}

pub fn methods_work_as_well_as_free_functions<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let counter = Arc::new(Counter { base: 100 });
    let by_async_method = counter.clone();
    let by_method = counter.clone();
    assert_eq!(
        fx.wait_for(LONG, move || by_async_method.add_later(1)),
        Ok(101)
    );
    assert_eq!(
        fx.call_in_reactor(move || by_method.add_now(2)).wait(LONG),
        Ok(102)
    );
    assert_eq!(fx.wait_for(LONG, || add(3, 4)), Ok(7));
    assert_eq!(fx.wait_for(LONG, forty_two), Ok(42));
    assert_eq!(fx.call_in_reactor(seven).wait(LONG), Ok(7));
}

pub fn futures_async_fns_and_plain_values_are_accepted<R: Runtime>() {
    let fx = Fixture::<R>::new();
    assert_eq!(fx.call_in_reactor(|| 1).wait(LONG), Ok(1));
    assert_eq!(
        fx.run_in_reactor(|| std::future::ready(2)).wait(LONG),
        Ok(2)
    );
    assert_eq!(fx.run_in_reactor(|| async { 3 }).wait(LONG), Ok(3));
    assert_eq!(fx.run_in_reactor(|| add(2, 2)).wait(LONG), Ok(4));
    let boxed =
        fx.run_in_reactor(|| -> futures::future::BoxFuture<'static, u32> { Box::pin(async { 5 }) });
    assert_eq!(boxed.wait(LONG), Ok(5));
    let lazy = fx.run_in_reactor(|| futures::future::lazy(|_| 6));
    assert_eq!(lazy.wait(LONG), Ok(6));
    assert_eq!(fx.call_in_reactor(|| ()).wait(LONG), Ok(()));
}

pub fn failures_pass_through_every_kind_of_work<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let plain = panic_message::<R>("fails-in-call");
    let thrown = plain.clone();
    assert_panicked(
        fx.call_in_reactor(move || -> u8 { fail(thrown) })
            .wait(LONG),
        &plain,
    );

    let in_closure = panic_message::<R>("fails-before-the-future");
    let thrown = in_closure.clone();
    let result = fx.run_in_reactor(move || -> std::future::Ready<u8> { fail(thrown) });
    assert_panicked(result.wait(LONG), &in_closure);

    let after_await = panic_message::<R>("fails-after-an-await");
    let thrown = after_await.clone();
    let result = fx.run_in_reactor(move || async move {
        R::sleep(std::time::Duration::from_millis(1)).await;
        fail::<u8>(thrown)
    });
    assert_panicked(result.wait(LONG), &after_await);

    let in_async_fn = panic_message::<R>("fails-in-an-async-fn");
    let thrown = in_async_fn.clone();
    assert_panicked(fx.wait_for(LONG, move || explode(thrown)), &in_async_fn);
}

pub fn a_panic_does_not_take_the_runtime_down<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let message = panic_message::<R>("panic-then-more-work");
    let results: Vec<_> = (0..20_u32)
        .map(|i| {
            let thrown = message.clone();
            let failing = fx.run_in_reactor(move || async move { fail::<u32>(thrown) });
            let working = fx.run_in_reactor(move || async move { i });
            (failing, working)
        })
        .collect();
    for (i, (failing, working)) in (0..).zip(results) {
        assert_panicked(failing.wait(LONG), &message);
        assert_eq!(working.wait(LONG), Ok(i));
    }
    assert_eq!(
        fx.wait_for(LONG, || async { "still serving" }),
        Ok("still serving")
    );
}

pub fn result_returning_work_flattens_for_question_mark<R: Runtime>() {
    let fx = Fixture::<R>::new();
    assert_eq!(double(&fx, "21"), Ok(42));
    assert!(matches!(double(&fx, "x"), Err(WorkError::Work(_))));
    let late = fx
        .wait_for(SHORT, std::future::pending::<Result<u32, ParseIntError>>)
        .flatten_work();
    assert_eq!(late, Err(WorkError::Crochet(Error::Timeout)));
    let message = panic_message::<R>("flattened-panic");
    let thrown = message.clone();
    let failed = fx
        .call_in_reactor(move || -> Result<u32, ParseIntError> { fail(thrown) })
        .wait(LONG)
        .flatten_work();
    match failed {
        Err(WorkError::Crochet(err)) => assert_panicked::<()>(Err(err), &message),
        other => panic!("expected a crochet error, got {other:?}"),
    }
}

pub fn work_can_await_results_of_its_own_loop<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (open, gated) = gate::<u32>();
    let first = fx.run_in_reactor(move || gated);
    let second = fx.run_in_reactor(move || async move { first.await.map(|n| n + 1) });
    assert_eq!(second.wait(SHORT), Err(Error::Timeout));
    open.send(1).unwrap();
    assert_eq!(second.wait(LONG), Ok(Ok(2)));
}

pub fn futures_on_the_reactor_interleave<R: Runtime>() {
    let fx = Fixture::<R>::new();
    // The first job can only finish once the second one has run, so a
    // reactor that ran each future to completion before the next would hang.
    let (open, gated) = gate::<u32>();
    let first = fx.run_in_reactor(move || gated);
    let second = fx.run_in_reactor(move || async move { open.send(3).is_ok() });
    assert_eq!(first.wait(LONG), Ok(3));
    assert_eq!(second.wait(LONG), Ok(true));
}

pub fn work_from_several_threads_all_completes<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (sums, collected) = mpsc::channel();
    let submitters: Vec<_> = (0..4_u64)
        .map(|t| {
            let event_loop: EventLoop = (*fx).clone();
            let sums = sums.clone();
            thread::spawn(move || {
                let results: Vec<_> = (0..50_u64)
                    .map(|i| event_loop.run_in_reactor(move || async move { t * 1000 + i }))
                    .collect();
                let sum: u64 = results.iter().map(|r| r.wait(LONG).unwrap()).sum();
                sums.send(sum).unwrap();
            })
        })
        .collect();
    for submitter in submitters {
        submitter.join().unwrap();
    }
    drop(sums);
    let total: u64 = collected.iter().sum();
    let expected: u64 = (0..4_u64)
        .flat_map(|t| (0..50_u64).map(move |i| t * 1000 + i))
        .sum();
    assert_eq!(total, expected);
}

/// The blocking API of the seed's third layer, with `?` over one error type.
fn double(event_loop: &EventLoop, text: &'static str) -> Result<u32, WorkError<ParseIntError>> {
    let n = event_loop
        .wait_for(LONG, move || async move { text.parse::<u32>() })
        .flatten_work()?;
    Ok(n * 2)
}

struct Counter {
    base: u32,
}

impl Counter {
    async fn add_later(self: Arc<Self>, n: u32) -> u32 {
        self.base + n
    }

    fn add_now(&self, n: u32) -> u32 {
        self.base + n
    }
}

async fn add(a: u32, b: u32) -> u32 {
    a + b
}

fn forty_two() -> impl Future<Output = u32> {
    std::future::ready(42)
}

fn seven() -> u32 {
    7
}

async fn explode(message: String) -> u8 {
    fail(message)
}
