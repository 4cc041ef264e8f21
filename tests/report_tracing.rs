//! With the `tracing` feature, the default reports are events: a failure
//! nobody looked at is an `error` event with the failure's message and the
//! submit location as fields, a stall a `warn` event; a hook set by the
//! application still wins. The subscriber is the process's global one, so
//! this is a test binary of its own.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{mpsc, Mutex, PoisonError};
use std::time::Duration;

use crochet_test_support::reliability::poll_until;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

/// One event of target `crochet`: its level and its fields.
#[derive(Clone, Debug)]
struct Seen {
    level: Level,
    fields: BTreeMap<String, String>,
}

static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

struct Recorder;

impl<S: Subscriber> Layer<S> for Recorder {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != "crochet" {
            return;
        }
        let mut fields = Fields(BTreeMap::new());
        event.record(&mut fields);
        SEEN.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Seen {
                level: *event.metadata().level(),
                fields: fields.0,
            });
    }
}

/// The first event whose `field` contains `text`, waiting for it up to `patience`.
fn event_with(field: &str, text: &str, patience: Duration) -> Option<Seen> {
    let find = || {
        SEEN.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|seen| {
                seen.fields
                    .get(field)
                    .is_some_and(|value| value.contains(text))
            })
            .cloned()
    };
    poll_until(patience, || find().is_some());
    find()
}

// One test, in order, since the hooks and the subscriber are process-wide.
#[test]
fn reports_are_events_unless_a_hook_is_set() {
    tracing::subscriber::set_global_default(Registry::default().with(Recorder)).unwrap();
    crochet::tracing::install();
    std::panic::set_hook(Box::new(|_| {}));
    let reactor = crochet::start();

    // An unhandled failure.
    let line = line!() + 1;
    let dropped = reactor.call_in_reactor(|| -> u8 { panic!("nobody waits for this one") });
    let (done, finished) = mpsc::channel();
    drop(reactor.call_in_reactor(move || done.send(()).unwrap()));
    finished.recv_timeout(Duration::from_secs(5)).unwrap();
    drop(dropped);
    let seen = event_with(
        "failure",
        "nobody waits for this one",
        Duration::from_secs(5),
    )
    .expect("an error event");
    assert_eq!(seen.level, Level::ERROR);
    let here = format!("{}:{line}:", file!());
    assert!(seen.fields["submitted_at"].starts_with(&here), "{seen:?}");
    assert!(
        seen.fields["message"].contains("unhandled error"),
        "{seen:?}"
    );

    // A stall.
    reactor.set_stall_threshold(Duration::from_millis(20));
    let line = line!() + 1;
    let slow = reactor.call_in_reactor(|| std::thread::sleep(Duration::from_millis(60)));
    slow.wait(Duration::from_secs(5)).unwrap();
    let here = format!("{}:{line}:", file!());
    let seen = event_with("submitted_at", &here, Duration::from_secs(5)).expect("a stall event");
    assert_eq!(seen.level, Level::WARN);
    assert!(seen.fields.contains_key("blocked_ms"), "{seen:?}");
    assert!(seen.fields["message"].contains("blocked"), "{seen:?}");

    // The application's hook wins.
    let (hooked, hook_seen) = mpsc::channel();
    let hooked = Mutex::new(hooked);
    crochet::set_unhandled_error_hook(move |err| {
        let _ = hooked.lock().unwrap().send(err.to_string());
    });
    drop(reactor.call_in_reactor(|| -> u8 { panic!("this one goes to the hook") }));
    let line = hook_seen.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(line.contains("this one goes to the hook"));
    assert!(event_with("failure", "this one goes to the hook", Duration::ZERO).is_none());
}
