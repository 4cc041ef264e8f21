//! The stash is bounded: a capacity past which `stash` refuses and hands
//! the result back, and a time to live after which an unretrieved entry is
//! dropped, its unseen panic reported as unhandled. Both settings are
//! process-wide, so these tests live in a binary of their own and take
//! turns.

use std::sync::{Arc, Mutex, MutexGuard, Once, PoisonError};
use std::thread;
use std::time::Duration;

use crochet::{Error, StashId};

const LONG: Duration = Duration::from_secs(5);

/// The default capacity, restored after each test.
const DEFAULT_CAPACITY: usize = 65_536;

/// The default time to live, restored after each test.
const DEFAULT_TTL: Duration = Duration::from_secs(30 * 60);

#[test]
fn a_full_stash_refuses_and_hands_the_result_back() {
    let _turn = one_at_a_time();
    let reactor = crochet::start();
    crochet::set_stash_capacity(4);
    let ids: Vec<StashId> = (0..4)
        .map(|n| {
            reactor
                .run_in_reactor(move || async move { n })
                .stash()
                .unwrap()
        })
        .collect();

    let refused = reactor.run_in_reactor(|| async { 99 }).stash().unwrap_err();
    assert_eq!(refused.capacity(), 4);
    assert!(refused.to_string().contains("stash is full"), "{refused}");
    // Nothing is lost: the result comes back, and its value with it.
    assert_eq!(refused.into_result().wait(LONG), Ok(99));

    // The refusal converts into crochet's error, for `?`.
    let refused = reactor.run_in_reactor(|| async { 98 }).stash().unwrap_err();
    assert_eq!(Error::from(refused), Error::StashFull { capacity: 4 });

    // A refused failure comes back too, still there to be seen.
    let message = "a refused panic";
    let failing = reactor.call_in_reactor(move || -> i32 { panic!("{message}") });
    let refused = failing.stash().unwrap_err();
    match refused.into_result().wait(LONG) {
        Err(Error::Panicked(failure)) => assert_eq!(failure.message(), message),
        other => panic!("expected the panic back, got {other:?}"),
    }

    // Retrieving one makes room for one.
    let first = crochet::retrieve_result::<i32>(ids[0]).unwrap();
    assert_eq!(first.wait(LONG), Ok(0));
    let fifth = reactor.run_in_reactor(|| async { 4 }).stash().unwrap();
    assert!(reactor.run_in_reactor(|| async { 5 }).stash().is_err());

    // Lowering the capacity below the count drops nothing; it refuses
    // until enough are retrieved.
    crochet::set_stash_capacity(2);
    assert!(reactor.run_in_reactor(|| async { 6 }).stash().is_err());
    let held: Vec<StashId> = ids[1..].iter().copied().chain([fifth]).collect();
    for (id, n) in held[..3].iter().zip(1..) {
        let result = crochet::retrieve_result::<i32>(*id).expect("still stashed");
        assert_eq!(result.wait(LONG), Ok(n));
    }
    let sixth = reactor.run_in_reactor(|| async { 6 }).stash().unwrap();
    for (id, n) in [(held[3], 4), (sixth, 6)] {
        let result = crochet::retrieve_result::<i32>(id).expect("still stashed");
        assert_eq!(result.wait(LONG), Ok(n));
    }
    crochet::set_stash_capacity(0);
    assert!(reactor.run_in_reactor(|| async { 7 }).stash().is_err());
    crochet::set_stash_capacity(DEFAULT_CAPACITY);
    assert!(reactor.shutdown(LONG));
}

#[test]
fn a_full_stash_refuses_under_concurrent_stashing() {
    const CAPACITY: usize = 100;
    let _turn = one_at_a_time();
    let reactor = crochet::start();
    crochet::set_stash_capacity(CAPACITY);
    let stashers: Vec<_> = (0..8)
        .map(|_| {
            let reactor = reactor.clone();
            thread::spawn(move || {
                let mut stashed = Vec::new();
                let mut refused = 0;
                for n in 0..50_u32 {
                    match reactor.run_in_reactor(move || async move { n }).stash() {
                        Ok(id) => stashed.push((id, n)),
                        Err(full) => {
                            assert_eq!(full.into_result().wait(LONG), Ok(n));
                            refused += 1;
                        }
                    }
                }
                (stashed, refused)
            })
        })
        .collect();
    let outcomes: Vec<_> = stashers.into_iter().map(|s| s.join().unwrap()).collect();
    let stashed: usize = outcomes.iter().map(|(ids, _)| ids.len()).sum();
    let refused: usize = outcomes.iter().map(|(_, refused)| refused).sum();
    assert_eq!(stashed, CAPACITY, "the stash went past its capacity");
    assert_eq!(stashed + refused, 8 * 50);
    for (id, n) in outcomes.iter().flat_map(|(ids, _)| ids) {
        let result = crochet::retrieve_result::<u32>(*id).unwrap();
        assert_eq!(result.wait(LONG), Ok(*n));
    }
    crochet::set_stash_capacity(DEFAULT_CAPACITY);
    assert!(reactor.shutdown(LONG));
}

#[test]
fn time_to_live_drops_unretrieved_entries_and_reports_their_panics() {
    const TTL: Duration = Duration::from_millis(100);
    let _turn = one_at_a_time();
    let reactor = crochet::start();
    crochet::set_stash_time_to_live(TTL);

    let message = "a stashed panic nobody retrieved";
    let failing = reactor.call_in_reactor(move || -> u32 { panic!("{message}") });
    while !failing.is_ready() {
        thread::yield_now();
    }
    let panicked = failing.stash().unwrap();
    let value = Arc::new(7_u32);
    let kept = Arc::downgrade(&value);
    let holding = reactor.run_in_reactor(move || async move { value });
    while !holding.is_ready() {
        thread::yield_now();
    }
    let valued = holding.stash().unwrap();
    assert_eq!(reports(message), 0, "reported while stashed");

    // Time has to pass; no event marks it.
    thread::sleep(TTL + Duration::from_millis(50));
    // Any use of the stash expires what is too old: here, a stash.
    let fresh = reactor.run_in_reactor(|| async { 8_u32 }).stash().unwrap();
    assert_eq!(
        reports(message),
        1,
        "the expired panic was not reported once"
    );
    assert_eq!(kept.strong_count(), 0, "the expired value is still kept");
    for id in [panicked, valued] {
        assert_eq!(
            crochet::retrieve_result::<u32>(id).unwrap_err(),
            Error::UnknownStashId(id)
        );
    }
    // Young enough, the fresh entry is still there.
    let result = crochet::retrieve_result::<u32>(fresh).unwrap();
    assert_eq!(result.wait(LONG), Ok(8));

    // A retrieval expires old entries too, even of another id.
    let late = reactor.run_in_reactor(|| async { 9_u32 }).stash().unwrap();
    thread::sleep(TTL + Duration::from_millis(50));
    let unknown: StashId = "0123456789abcdef0123456789abcdef".parse().unwrap();
    assert!(crochet::retrieve_result::<u32>(unknown).is_err());
    assert_eq!(
        crochet::retrieve_result::<u32>(late).unwrap_err(),
        Error::UnknownStashId(late)
    );

    crochet::set_stash_time_to_live(DEFAULT_TTL);
    assert!(reactor.shutdown(LONG));
    assert_eq!(reports(message), 1, "reported again at shutdown");
}

/// Ids handed out and never retrieved (abandoned cookies) fill the stash
/// at its default capacity; once they are older than the time to live, the
/// stash has room again, and their unseen panics are reported.
#[test]
fn abandoned_ids_do_not_fill_the_stash_for_good() {
    const TTL: Duration = Duration::from_millis(200);
    let _turn = one_at_a_time();
    let reactor = crochet::start();

    let message = "an abandoned stashed panic";
    let failing = reactor.call_in_reactor(move || -> u32 { panic!("{message}") });
    while !failing.is_ready() {
        thread::yield_now();
    }
    failing.stash().unwrap();
    for n in 1..DEFAULT_CAPACITY {
        let n = n as u32;
        reactor
            .run_in_reactor(move || async move { n })
            .stash()
            .expect("the stash filled before its default capacity");
    }
    let refused = reactor
        .run_in_reactor(|| async { 0_u32 })
        .stash()
        .unwrap_err();
    assert_eq!(refused.capacity(), DEFAULT_CAPACITY);

    // Filled under the default time to live; a short one set now applies
    // to the entries already there.
    crochet::set_stash_time_to_live(TTL);
    // Time has to pass; no event marks it.
    thread::sleep(TTL + Duration::from_millis(50));
    let id = reactor
        .run_in_reactor(|| async { 7_u32 })
        .stash()
        .expect("the stash is still full after the time to live");
    assert_eq!(
        reports(message),
        1,
        "the expired panic was not reported once"
    );
    let result = crochet::retrieve_result::<u32>(id).unwrap();
    assert_eq!(result.wait(LONG), Ok(7));

    crochet::set_stash_time_to_live(DEFAULT_TTL);
    assert!(reactor.shutdown(LONG));
}

/// The tests change process-wide settings: they take turns.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        crochet::set_unhandled_error_hook(|err| {
            if let Error::Panicked(failure) = err {
                reported().push(failure.message().to_owned());
            }
        });
    });
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How many times the panic `message` was reported as unhandled.
fn reports(message: &str) -> usize {
    reported().iter().filter(|seen| *seen == message).count()
}

fn reported() -> MutexGuard<'static, Vec<String>> {
    static REPORTED: Mutex<Vec<String>> = Mutex::new(Vec::new());
    REPORTED.lock().unwrap_or_else(PoisonError::into_inner)
}
