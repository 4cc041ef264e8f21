//! The long soak: the reliability suite's stress engine, run round after
//! round on every runtime compiled in, for as long as asked. Each round runs
//! the random mix of calls (64 application threads on one loop) and then a
//! shutdown race, on each runtime in turn, with a new seed; every round
//! checks that nothing leaked, nothing hung and every failure was seen or
//! reported once. The first failure stops the soak with a panic.
//!
//! ```sh
//! cargo run --release --all-features --example soak -- 600      # ten minutes
//! cargo run --release --all-features --example soak -- 600 128  # 128 threads
//! ```
//!
//! The arguments are the total duration in seconds (default 60) and the
//! number of application threads (default 64). `CROCHET_STRESS_SEED` sets
//! the first round's seed. The tests run the same engine for a few seconds
//! (`cargo test --test reliability`), or for `CROCHET_SOAK_SECS` seconds
//! per runtime.

use std::time::{Duration, Instant};

use crochet_test_support::fixture::{self, Runtime};
use crochet_test_support::reliability;
use crochet_test_support::stress::{self, MixConfig, MixFigures, RaceConfig, RaceFigures};

/// The longest a runtime's mix runs in one round, so that every runtime
/// gets its turn often.
const ROUND: Duration = Duration::from_secs(10);

fn main() {
    let mut args = std::env::args().skip(1);
    let secs: u64 = args.next().map_or(60, |arg| {
        arg.parse()
            .expect("the first argument is the duration in seconds")
    });
    let threads: usize = args.next().map_or(64, |arg| {
        arg.parse()
            .expect("the second argument is the number of threads")
    });
    let runtimes = runtimes();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let mut totals: Vec<(MixFigures, RaceFigures)> = vec![Default::default(); runtimes.len()];
    let mut round = 0_u64;
    println!(
        "soaking {} runtimes for {secs} s with {threads} threads",
        runtimes.len()
    );
    // Every runtime gets at least one round, however short the soak.
    while round == 0 || Instant::now() < deadline {
        for ((name, soak), total) in runtimes.iter().zip(&mut totals) {
            let left = deadline.saturating_duration_since(Instant::now());
            if round > 0 && left.is_zero() {
                break;
            }
            let per_runtime = left / runtimes.len() as u32;
            let mix = MixConfig {
                threads,
                helpers: 4,
                duration: per_runtime.clamp(Duration::from_secs(1), ROUND),
                seed: reliability::seed() ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            };
            let (mixed, raced) = soak(mix);
            println!("round {round} {name} (seed {:#x}):", mix.seed);
            println!("  {mixed}");
            println!("  {raced}");
            total.0.add(&mixed);
            total.1.add(&raced);
        }
        round += 1;
    }
    println!("after {:.0?}, {round} rounds:", start.elapsed());
    for ((name, _), (mixed, raced)) in runtimes.iter().zip(&totals) {
        println!("{name}:\n  {mixed}\n  {raced}");
    }
}

/// A soak round on one runtime: the mix, then one shutdown race.
type Soak = fn(MixConfig) -> (MixFigures, RaceFigures);

/// Every runtime setup compiled in, by name.
fn runtimes() -> Vec<(&'static str, Soak)> {
    vec![
        ("builtin", soak::<fixture::Builtin> as Soak),
        #[cfg(feature = "tokio")]
        ("tokio_current", soak::<fixture::TokioCurrent>),
        #[cfg(feature = "tokio")]
        ("tokio_multi", soak::<fixture::TokioMulti>),
        #[cfg(feature = "tokio")]
        ("tokio_attached", soak::<fixture::TokioAttached>),
        #[cfg(feature = "smol")]
        ("smol", soak::<fixture::Smol>),
        #[cfg(feature = "async-std")]
        ("async_std", soak::<fixture::AsyncStd>),
    ]
}

fn soak<R: Runtime>(mix: MixConfig) -> (MixFigures, RaceFigures) {
    let fx = reliability::fixture::<R>();
    let mixed = stress::run_mix::<R>(&fx, mix);
    drop(fx);
    let race = RaceConfig {
        rounds: 1,
        duration: Duration::ZERO,
        seed: mix.seed,
        ..RaceConfig::from_env()
    };
    let raced = stress::run_shutdown_races::<R>(race);
    (mixed, raced)
}
