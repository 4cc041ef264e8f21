//! Makes round trips of the trivial job (`|| async { 1 }`) for one
//! contender of one runtime setup, for an instruction count per round trip
//! that does not move with the machine's noise.
//!
//! `benches/instructions.sh` runs this binary under `valgrind
//! --tool=callgrind` twice per contender, with two numbers of calls, and
//! divides the difference of the two totals (every thread of the process
//! counted) by the difference of the calls, so that starting and stopping
//! the runtimes cancels out. Run on its own, as `cargo bench` does, it lists
//! the contenders.
//!
//! Usage: `instructions <runtime> <contender> <calls>`.

// Each benchmark binary uses part of the shared modules.
#[allow(dead_code)]
mod common;
#[allow(dead_code)]
mod per_call;

use std::hint::black_box;

/// Calls made before the counted ones, so that lazily grown queues and
/// thread-locals are in place in both runs.
const WARM_UP: u32 = 200;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [runtime, contender, calls] = &args[..] else {
        // `cargo bench` runs it with `--bench`: list what can be counted.
        for build in per_call::setups() {
            let setup = build();
            for contender in &setup.contenders {
                println!("{} {}", setup.runtime, contender.name);
            }
        }
        return;
    };
    let calls: u32 = calls.parse().expect("the number of calls is not a number");
    for build in per_call::setups() {
        let setup = build();
        if setup.runtime != runtime {
            continue;
        }
        let mut found = false;
        setup.each(|candidate| {
            if candidate.name == contender {
                found = true;
                for _ in 0..WARM_UP + calls {
                    black_box((candidate.call)());
                }
            }
        });
        assert!(found, "no contender {contender} on {runtime}");
        return;
    }
    panic!("no runtime setup {runtime}");
}
