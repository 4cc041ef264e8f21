//! With the `log` feature, the default reports are log records: a failure
//! nobody looked at is an `error` record with the failure's message and the
//! submit location as key-values, a stall a `warn` record; a hook set by
//! the application still wins. The logger is the process's, so this is a
//! test binary of its own.

use std::collections::BTreeMap;
use std::sync::{mpsc, Mutex, PoisonError};
use std::time::Duration;

use crochet_test_support::reliability::poll_until;

use log::kv::{Error as KvError, Key, Value, VisitSource};
use log::{Level, Log, Metadata, Record};

/// One record of target `crochet`: its level, message and key-values.
#[derive(Clone, Debug)]
struct Seen {
    level: Level,
    message: String,
    values: BTreeMap<String, String>,
}

static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

struct Recorder;

struct Values(BTreeMap<String, String>);

impl<'kvs> VisitSource<'kvs> for Values {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), KvError> {
        self.0.insert(key.to_string(), value.to_string());
        Ok(())
    }
}

impl Log for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &Record<'_>) {
        if record.target() != "crochet" {
            return;
        }
        let mut values = Values(BTreeMap::new());
        let _ = record.key_values().visit(&mut values);
        SEEN.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Seen {
                level: record.level(),
                message: record.args().to_string(),
                values: values.0,
            });
    }

    fn flush(&self) {}
}

static LOGGER: Recorder = Recorder;

/// The first record whose key-value `key` contains `text`, waiting up to `patience`.
fn record_with(key: &str, text: &str, patience: Duration) -> Option<Seen> {
    let find = || {
        SEEN.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|seen| {
                seen.values
                    .get(key)
                    .is_some_and(|value| value.contains(text))
            })
            .cloned()
    };
    poll_until(patience, || find().is_some());
    find()
}

// One test, in order, since the hooks and the logger are process-wide.
#[test]
fn reports_are_records_unless_a_hook_is_set() {
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    crochet::log::install();
    std::panic::set_hook(Box::new(|_| {}));
    let reactor = crochet::start();

    // An unhandled failure.
    let line = line!() + 1;
    drop(reactor.call_in_reactor(|| -> u8 { panic!("nobody waits for this one") }));
    let seen = record_with(
        "failure",
        "nobody waits for this one",
        Duration::from_secs(5),
    )
    .expect("an error record");
    assert_eq!(seen.level, Level::Error);
    let here = format!("{}:{line}:", file!());
    assert!(seen.values["submitted_at"].starts_with(&here), "{seen:?}");
    assert!(seen.message.contains("unhandled error"), "{seen:?}");

    // A stall.
    reactor.set_stall_threshold(Duration::from_millis(20));
    let line = line!() + 1;
    let slow = reactor.call_in_reactor(|| std::thread::sleep(Duration::from_millis(60)));
    slow.wait(Duration::from_secs(5)).unwrap();
    let here = format!("{}:{line}:", file!());
    let seen = record_with("submitted_at", &here, Duration::from_secs(5)).expect("a stall record");
    assert_eq!(seen.level, Level::Warn);
    assert!(seen.values.contains_key("blocked_ms"), "{seen:?}");
    assert!(seen.message.contains("blocked"), "{seen:?}");

    // The application's hook wins.
    let (hooked, hook_seen) = mpsc::channel();
    let hooked = Mutex::new(hooked);
    crochet::set_unhandled_error_hook(move |err| {
        let _ = hooked.lock().unwrap().send(err.to_string());
    });
    drop(reactor.call_in_reactor(|| -> u8 { panic!("this one goes to the hook") }));
    let line = hook_seen.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(line.contains("this one goes to the hook"));
    assert!(record_with("failure", "this one goes to the hook", Duration::ZERO).is_none());
}
