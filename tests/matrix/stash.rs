//! The stash: each id retrieves once, with the right type only, and
//! survives a trip through text.

use std::thread;

use crochet::{Error, StashId};

use crochet_test_support::fixture::{Fixture, Runtime};
use crochet_test_support::helpers::{gate, send_soon, LONG};

pub fn stashed_result_is_retrieved_once<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let id = fx.run_in_reactor(|| async { 5_u32 }).stash().unwrap();
    let result = crochet::retrieve_result::<u32>(id).unwrap();
    assert_eq!(result.wait(LONG), Ok(5));
    assert_eq!(
        crochet::retrieve_result::<u32>(id).unwrap_err(),
        Error::UnknownStashId(id)
    );
}

pub fn unknown_stash_id_is_refused<R: Runtime>() {
    let _fx = Fixture::<R>::new();
    let id: StashId = "0123456789abcdef0123456789abcdef".parse().unwrap();
    assert_eq!(
        crochet::retrieve_result::<u32>(id).unwrap_err(),
        Error::UnknownStashId(id)
    );
}

pub fn wrong_type_leaves_the_result_stashed<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let id = fx.run_in_reactor(|| async { 5_u32 }).stash().unwrap();
    match crochet::retrieve_result::<String>(id) {
        Err(Error::StashTypeMismatch {
            id: refused,
            expected,
            found,
        }) => {
            assert_eq!(refused, id);
            assert!(expected.contains("String"), "{expected}");
            assert_eq!(found, "u32");
        }
        other => panic!("expected a type mismatch, got {other:?}"),
    }
    let result = crochet::retrieve_result::<u32>(id).expect("still stashed");
    assert_eq!(result.wait(LONG), Ok(5));
}

pub fn stash_id_text_round_trips_and_garbage_is_refused<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let first = fx.run_in_reactor(|| async { 1_u8 }).stash().unwrap();
    let second = fx.run_in_reactor(|| async { 2_u8 }).stash().unwrap();
    assert_ne!(first, second);
    let text = first.to_string();
    assert_eq!(text.len(), 32);
    assert!(text.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(text.parse::<StashId>(), Ok(first));
    assert_eq!(text.to_uppercase().parse::<StashId>(), Ok(first));
    // Consecutive ids share no obvious prefix or suffix to guess from.
    let other = second.to_string();
    assert_ne!(&text[..16], &other[..16]);
    assert_ne!(&text[16..], &other[16..]);
    let garbage = [
        String::new(),
        "not an id".to_owned(),
        text[..31].to_owned(),
        format!("{text}0"),
        format!("+{}", &text[1..]),
        format!("0x{}", &text[2..]),
        format!("{}g", &text[..31]),
        format!(" {}", &text[1..]),
    ];
    for input in garbage {
        assert_eq!(
            input.parse::<StashId>(),
            Err(Error::InvalidStashId),
            "{input:?}"
        );
    }
    for id in [first, second] {
        crochet::retrieve_result::<u8>(id).unwrap();
    }
}

pub fn stashed_pending_result_is_delivered_to_another_thread<R: Runtime>() {
    let fx = Fixture::<R>::new();
    let (open, gated) = gate::<u32>();
    let cookie = fx
        .run_in_reactor(move || gated)
        .stash()
        .unwrap()
        .to_string();
    let sender = send_soon(open, 12);
    let later = thread::spawn(move || {
        let id: StashId = cookie.parse().unwrap();
        crochet::retrieve_result::<u32>(id).unwrap().wait(LONG)
    });
    assert_eq!(later.join().unwrap(), Ok(12));
    sender.join().unwrap();
}
