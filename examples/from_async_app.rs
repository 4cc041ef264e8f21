//! An application that runs tokio itself hands its runtime to crochet with
//! `no_setup`. A library with a blocking API, which calls
//! `crochet::tokio::setup()` as libraries do, then runs its async work on
//! the application's runtime: no second runtime, no extra thread.
//!
//! The application calls the library from `spawn_blocking` and from a plain
//! thread; called straight from an async task, the blocking API is refused
//! instead of blocking a worker of the runtime.
//!
//! Run it with `cargo run --example from_async_app --features tokio`.

use tokio::runtime::Handle;

/// A library with a blocking API, written against crochet. It knows nothing
/// of the application, and would start a runtime of its own if the
/// application had not set one up.
mod geo {
    use std::time::Duration;

    /// A place, and where the library's async work ran to find it.
    #[derive(Debug)]
    pub struct Place {
        pub city: String,
        pub timezone: &'static str,
        pub runtime: tokio::runtime::Id,
        pub thread: String,
    }

    /// Looks `city` up, waiting at most two seconds.
    ///
    /// # Errors
    ///
    /// [`crochet::Error::Timeout`] if the lookup took longer (it is then
    /// cancelled), [`crochet::Error::WaitInReactorThread`] if called from an
    /// async task of the runtime the work runs on.
    pub fn lookup(city: &str) -> Result<Place, crochet::Error> {
        let city = city.to_owned();
        crochet::tokio::setup().wait_for(Duration::from_secs(2), move || find(city))
    }

    /// The async layer: a pretend network lookup.
    async fn find(city: String) -> Place {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let timezone = match city.as_str() {
            "Paris" | "Oslo" => "Europe",
            "Lima" => "America",
            "Kyoto" => "Asia",
            _ => "unknown",
        };
        Place {
            city,
            timezone,
            runtime: tokio::runtime::Handle::current().id(),
            thread: std::thread::current()
                .name()
                .unwrap_or("unnamed")
                .to_owned(),
        }
    }
}

fn main() {
    // The application's runtime, built as it sees fit.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("app-worker")
        .enable_all()
        .build()
        .expect("the application's runtime starts");
    runtime.block_on(app());
}

async fn app() {
    let app_runtime = Handle::current();
    crochet::tokio::no_setup(app_runtime.clone()).expect("crochet was not set up before");
    println!("app: runtime {} handed to crochet", app_runtime.id());

    // Blocking calls belong in `spawn_blocking`, off the runtime's workers.
    let lookups: Vec<_> = ["Paris", "Lima", "Oslo"]
        .into_iter()
        .map(|city| tokio::task::spawn_blocking(move || geo::lookup(city)))
        .collect();
    for lookup in lookups {
        let place = lookup.await.expect("the lookup thread ran");
        show("spawn_blocking", place, &app_runtime);
    }

    // A plain thread of the application can call the library too.
    let place = std::thread::spawn(|| geo::lookup("Kyoto"))
        .join()
        .expect("the lookup thread ran");
    show("std thread", place, &app_runtime);

    // Straight from an async task the blocking call would hold a worker of
    // the runtime the work needs: crochet refuses it at once.
    let refused = geo::lookup("Cairo");
    println!("async task:     lookup(Cairo) -> {refused:?}");
    assert_eq!(refused.unwrap_err(), crochet::Error::WaitInReactorThread);
}

/// Prints where the lookup ran, and checks it was the application's runtime.
fn show(caller: &str, place: Result<geo::Place, crochet::Error>, app_runtime: &Handle) {
    let place = place.expect("the lookup succeeds");
    println!(
        "{:<15} lookup({}) -> {}, run on runtime {} by thread {}",
        format!("{caller}:"),
        place.city,
        place.timezone,
        place.runtime,
        place.thread
    );
    assert_eq!(place.runtime, app_runtime.id(), "the application's runtime");
    assert_eq!(place.thread, "app-worker", "a worker of the application");
}
