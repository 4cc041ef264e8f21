//! The stash's ids are capabilities: distinct, unguessable from one
//! another, useless when forged or mutated, and good for one retrieval even
//! when several threads race for it. Independent of the runtime, so these
//! run on the built-in reactor only. (Capacity and time to live are
//! process-wide settings: `tests/stash_limits.rs`.)

use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use std::thread;

use crochet::{Error, StashId};

use crochet_test_support::fixture::Builtin;
use crochet_test_support::helpers::LONG;
use crochet_test_support::reliability::{self, Rng};

/// Ids from many stashes, made by 8 threads at once, are distinct, and no
/// id says anything about the next: every bit is set about half the time,
/// consecutive ids differ in about half their bits and never by a small
/// amount.
#[test]
fn stash_ids_are_distinct_and_unpredictable() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 2_500;
    let fx = reliability::fixture::<Builtin>();
    let makers: Vec<_> = (0..THREADS)
        .map(|_| {
            let event_loop = (*fx).clone();
            thread::spawn(move || {
                (0..PER_THREAD)
                    .map(|n| {
                        event_loop
                            .run_in_reactor(move || async move { n })
                            .stash()
                            .expect("the stash has room")
                    })
                    .collect::<Vec<StashId>>()
            })
        })
        .collect();
    let per_thread: Vec<Vec<StashId>> = makers.into_iter().map(|m| m.join().unwrap()).collect();
    let ids: Vec<u128> = per_thread.iter().flatten().map(|id| bits(*id)).collect();
    let total = ids.len();

    let distinct: HashSet<u128> = ids.iter().copied().collect();
    assert_eq!(distinct.len(), total, "two stashes got the same id");

    // Each bit is a fair coin: its count of ones is binomial with standard
    // deviation sqrt(n)/2; six deviations leave no room for a counter.
    let deviation = (total as f64).sqrt() / 2.0;
    for bit in 0..128 {
        let ones = ids.iter().filter(|id| (*id >> bit) & 1 == 1).count();
        let off = (ones as f64 - total as f64 / 2.0).abs();
        assert!(
            off < 6.0 * deviation,
            "bit {bit} is set in {ones} of {total} ids"
        );
    }

    // Consecutive ids of one thread, as an attacker holding one id and
    // guessing the next would see them.
    let mut distances = 0_u64;
    let mut pairs = 0_u64;
    for thread_ids in &per_thread {
        for pair in thread_ids.windows(2) {
            let (a, b) = (bits(pair[0]), bits(pair[1]));
            let differing = (a ^ b).count_ones();
            assert!(
                differing >= 24,
                "consecutive ids {} and {} differ in {differing} bits",
                pair[0],
                pair[1]
            );
            let gap = a.wrapping_sub(b).min(b.wrapping_sub(a));
            assert!(
                gap > 1 << 80,
                "consecutive ids {} and {} are {gap} apart",
                pair[0],
                pair[1]
            );
            distances += u64::from(differing);
            pairs += 1;
        }
    }
    let mean = distances as f64 / pairs as f64;
    assert!(
        (60.0..68.0).contains(&mean),
        "consecutive ids differ in {mean:.1} bits on average, not about 64"
    );
    let strides: HashSet<u128> = per_thread
        .iter()
        .flat_map(|ids| ids.windows(2).map(|p| bits(p[1]).wrapping_sub(bits(p[0]))))
        .collect();
    assert_eq!(strides.len() as u64, pairs, "two pairs share a stride");

    for thread_ids in &per_thread {
        for (n, id) in thread_ids.iter().enumerate() {
            let result = crochet::retrieve_result::<usize>(*id).expect("still stashed");
            assert_eq!(result.wait(LONG), Ok(n));
        }
    }
    eprintln!(
        "stash ids: {total} distinct ids from {THREADS} threads; \
         consecutive ids differ in {mean:.1} of 128 bits on average"
    );
}

/// Every id one hexadecimal digit away from a real one, and random ids,
/// are unknown; the attempts leave the real one intact.
#[test]
fn forged_or_mutated_ids_are_rejected() {
    let fx = reliability::fixture::<Builtin>();
    let id = fx.run_in_reactor(|| async { 42_u32 }).stash().unwrap();
    let text = id.to_string();
    let mut forgeries = 0;
    for position in 0..text.len() {
        for digit in "0123456789abcdef".chars() {
            if text[position..].starts_with(digit) {
                continue;
            }
            let mut mutated = text.clone();
            mutated.replace_range(position..=position, &digit.to_string());
            let forged: StashId = mutated.parse().expect("32 hex digits parse");
            assert_ne!(forged, id);
            assert_eq!(
                crochet::retrieve_result::<u32>(forged).unwrap_err(),
                Error::UnknownStashId(forged),
                "{mutated}"
            );
            // With another type too: an unknown id says nothing of types.
            assert_eq!(
                crochet::retrieve_result::<String>(forged).unwrap_err(),
                Error::UnknownStashId(forged)
            );
            forgeries += 1;
        }
    }
    let mut rng = Rng::new(reliability::seed(), 7);
    for _ in 0..1_000 {
        let random = format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
        let forged: StashId = random.parse().unwrap();
        assert_eq!(
            crochet::retrieve_result::<u32>(forged).unwrap_err(),
            Error::UnknownStashId(forged)
        );
        forgeries += 1;
    }
    assert_eq!(forgeries, 32 * 15 + 1_000);
    let result = crochet::retrieve_result::<u32>(id).expect("the real id still works");
    assert_eq!(result.wait(LONG), Ok(42));
}

/// Eight threads race to retrieve each of 200 ids: each id is handed out
/// exactly once, and the losers get `UnknownStashId`.
#[test]
fn concurrent_retrievals_hand_each_result_out_once() {
    const IDS: usize = 200;
    const THREADS: usize = 8;
    let fx = reliability::fixture::<Builtin>();
    let ids: Arc<Vec<StashId>> = Arc::new(
        (0..IDS)
            .map(|n| fx.run_in_reactor(move || async move { n }).stash().unwrap())
            .collect(),
    );
    let start = Arc::new(Barrier::new(THREADS));
    let racers: Vec<_> = (0..THREADS)
        .map(|_| {
            let ids = ids.clone();
            let start = start.clone();
            thread::spawn(move || {
                start.wait();
                ids.iter()
                    .enumerate()
                    .map(|(n, id)| match crochet::retrieve_result::<usize>(*id) {
                        Ok(result) => {
                            assert_eq!(result.wait(LONG), Ok(n));
                            1
                        }
                        Err(err) => {
                            assert_eq!(err, Error::UnknownStashId(*id));
                            0
                        }
                    })
                    .collect::<Vec<u32>>()
            })
        })
        .collect();
    let mut handed_out = vec![0; IDS];
    for racer in racers {
        for (n, won) in racer.join().unwrap().into_iter().enumerate() {
            handed_out[n] += won;
        }
    }
    assert!(
        handed_out.iter().all(|&count| count == 1),
        "handed out {handed_out:?}"
    );
}

/// Any string parses as an id or is refused with `InvalidStashId`, never a
/// panic: exactly 32 ASCII hexadecimal digits parse, and print back in
/// lower case. Strings of 32 bytes that are not 32 ASCII characters are
/// refused.
#[test]
fn stash_id_parsing_is_total() {
    const HEX: &[u8] = b"0123456789abcdefABCDEF";
    let mut rng = Rng::new(reliability::seed(), 11);
    let alphabet: Vec<char> = "0123456789abcdefABCDEF +-_xgé０\u{0}\u{1F980}"
        .chars()
        .collect();
    let mut parsed = 0;
    for round in 0..30_000 {
        let text: String = match round % 3 {
            // 32 hexadecimal digits of either case.
            0 => (0..32)
                .map(|_| char::from(HEX[rng.below(HEX.len() as u64) as usize]))
                .collect(),
            // The same with one character drawn from anything.
            1 => (0..32)
                .map(|i| {
                    if i == round % 32 {
                        alphabet[rng.below(alphabet.len() as u64) as usize]
                    } else {
                        char::from(HEX[rng.below(HEX.len() as u64) as usize])
                    }
                })
                .collect(),
            // Anything, of any length around 32.
            _ => (0..rng.below(40))
                .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
                .collect(),
        };
        let valid = text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit());
        match text.parse::<StashId>() {
            Ok(id) => {
                assert!(valid, "{text:?} parsed");
                assert_eq!(id.to_string(), text.to_ascii_lowercase());
                parsed += 1;
            }
            Err(err) => {
                assert!(!valid, "{text:?} refused");
                assert_eq!(err, Error::InvalidStashId);
            }
        }
    }
    assert!(parsed >= 10_000, "only {parsed} valid ids parsed");
    // Multi-byte characters that make 32 bytes from fewer characters.
    for text in [
        "é".repeat(16),
        "０".repeat(10) + "ab",
        "\u{1F980}".repeat(8),
    ] {
        assert_eq!(text.len(), 32);
        assert_eq!(text.parse::<StashId>(), Err(Error::InvalidStashId));
    }
}

/// An id as the 128-bit number its text spells.
fn bits(id: StashId) -> u128 {
    u128::from_str_radix(&id.to_string(), 16).expect("an id prints as hex")
}
