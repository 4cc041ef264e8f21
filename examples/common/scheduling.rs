//! The program of the `scheduling` examples, after Crochet's scheduling
//! example: a task on the reactor refreshes an exchange rate periodically,
//! and the blocking method `latest_value()` reads it through `wait_for` with
//! a short timeout (the first call, made before any rate came in, times
//! out). Each example supplies only the runtime: its loop and its timer.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crochet::{EventLoop, EventualResult};

/// What the program needs from a runtime: its loop and its timer. The
/// examples `scheduling` and `scheduling_smol` differ only in this.
pub trait Runtime: 'static {
    /// The process-wide loop of the runtime.
    fn setup() -> EventLoop;
    /// The runtime's timer.
    fn sleep(delay: Duration) -> impl std::future::Future<Output = ()> + Send;
}

/// Layer 1, the async code: fetches rates periodically and keeps the latest.
mod rates {
    use std::sync::{Mutex, PoisonError};
    use std::time::{Duration, Instant};

    use futures::channel::oneshot;

    use super::Runtime;

    /// One exchange rate, as the (simulated) rate service gave it.
    #[derive(Clone, Debug)]
    pub struct Quote {
        pub number: u32,
        pub euros_per_dollar: f64,
        pub fetched_at: Instant,
    }

    /// The latest quote, and the readers waiting for the first one.
    #[derive(Default)]
    pub struct Latest {
        state: Mutex<State>,
    }

    #[derive(Default)]
    struct State {
        quote: Option<Quote>,
        waiting: Vec<oneshot::Sender<Quote>>,
    }

    impl Latest {
        /// The latest quote; waits for the first one if none came yet.
        pub async fn get(&self) -> Quote {
            let first = {
                let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(quote) = &state.quote {
                    return quote.clone();
                }
                let (sender, receiver) = oneshot::channel();
                state.waiting.push(sender);
                receiver
            };
            first.await.expect("`self` holds the sender")
        }

        fn publish(&self, quote: Quote) {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            for reader in state.waiting.drain(..) {
                // A reader that timed out is gone; nothing to tell it.
                let _ = reader.send(quote.clone());
            }
            state.quote = Some(quote);
        }
    }

    /// Fetches a quote every `period`, forever; each fetch takes `latency`.
    pub async fn refresh<R: Runtime>(latest: &Latest, period: Duration, latency: Duration) {
        for number in 1.. {
            let quote = fetch::<R>(number, latency).await;
            latest.publish(quote);
            R::sleep(period).await;
        }
    }

    /// Asks the rate service for quote number `number`.
    async fn fetch<R: Runtime>(number: u32, latency: Duration) -> Quote {
        R::sleep(latency).await;
        Quote {
            number,
            euros_per_dollar: 0.92 + f64::from(number % 7) / 1000.0,
            fetched_at: Instant::now(),
        }
    }
}

/// Layers 2 and 3: the blocking API, whose methods are each one crochet
/// call, as Crochet's `@run_in_reactor` and `@wait_for` methods are.
pub struct ExchangeRate {
    reactor: EventLoop,
    latest: Arc<rates::Latest>,
    refreshing: EventualResult<()>,
}

impl ExchangeRate {
    /// Starts refreshing the rate in the background on `R`'s loop, every
    /// `period`.
    pub fn start<R: Runtime>(period: Duration, latency: Duration) -> ExchangeRate {
        let reactor = R::setup();
        let latest = Arc::new(rates::Latest::default());
        let refreshed = latest.clone();
        let refreshing = reactor.run_in_reactor(move || async move {
            rates::refresh::<R>(&refreshed, period, latency).await;
        });
        ExchangeRate {
            reactor,
            latest,
            refreshing,
        }
    }

    /// The latest rate, waiting at most 100 ms for the first one.
    pub fn latest_value(&self) -> Result<rates::Quote, crochet::Error> {
        let latest = self.latest.clone();
        self.reactor
            .wait_for(Duration::from_millis(100), move || async move {
                latest.get().await
            })
    }

    /// Stops the background refresh, and the loop.
    pub fn stop(self) -> bool {
        self.refreshing.cancel();
        self.reactor.shutdown(Duration::from_secs(1))
    }
}

/// The program: reads the rate ten times, 300 ms apart, on `R`.
pub fn main<R: Runtime>() {
    let started = Instant::now();
    // A quote every 400 ms; the rate service takes 250 ms to answer.
    let rate = ExchangeRate::start::<R>(Duration::from_millis(400), Duration::from_millis(250));
    let mut quotes = Vec::new();
    for _ in 0..10 {
        let at = started.elapsed().as_secs_f64();
        match rate.latest_value() {
            Ok(quote) => {
                println!(
                    "t={at:.1}s latest_value() -> quote #{}: {:.3} EUR per USD, {} ms old",
                    quote.number,
                    quote.euros_per_dollar,
                    quote.fetched_at.elapsed().as_millis()
                );
                quotes.push(quote.number);
            }
            Err(err) => println!("t={at:.1}s latest_value() -> {err}"),
        }
        thread::sleep(Duration::from_millis(300));
    }
    let stopped = rate.stop();
    println!("reactor stopped cleanly: {stopped}");
    // The first call came before the first quote; later ones saw new quotes.
    assert!(quotes.len() < 10 && quotes.first() < quotes.last());
}
