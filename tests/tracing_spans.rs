//! With the `tracing` feature, work runs in the span it was submitted in,
//! on every runtime: its events (from the closure, from later polls, and
//! from the drop of the work) carry the caller's span and its fields. Work
//! submitted outside any span runs in none. The subscriber is the
//! process's global one, so this is a test binary of its own.

use std::fmt;
use std::sync::{Mutex, Once, PoisonError};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};

use crochet_test_support::fixture::{Fixture, Runtime};
use crochet_test_support::helpers::LONG;

crochet_test_support::stamp_suite! {
    spans::events_of_the_work_carry_the_callers_span,
    spans::work_submitted_outside_any_span_runs_in_none,
}

/// One event: its `marker` field, and its spans from the root, each as
/// `name{fields}`.
#[derive(Clone, Debug)]
struct Seen {
    marker: String,
    spans: Vec<String>,
}

static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

/// The fields of a span, as `name=value` separated by spaces.
struct Fields(String);

#[derive(Default)]
struct Text {
    fields: Vec<String>,
    marker: Option<String>,
}

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.fields.push(format!("{}={value:?}", field.name()));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "marker" {
            self.marker = Some(value.to_owned());
        }
        self.fields.push(format!("{}={value}", field.name()));
    }
}

struct Recorder;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut text = Text::default();
        attrs.record(&mut text);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Fields(text.fields.join(" ")));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut text = Text::default();
        event.record(&mut text);
        let Some(marker) = text.marker else { return };
        let spans = ctx
            .event_scope(event)
            .map(|scope| {
                scope
                    .from_root()
                    .map(|span| {
                        let fields = span
                            .extensions()
                            .get::<Fields>()
                            .map(|fields| fields.0.clone())
                            .unwrap_or_default();
                        format!("{}{{{fields}}}", span.name())
                    })
                    .collect()
            })
            .unwrap_or_default();
        SEEN.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Seen { marker, spans });
    }
}

fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        tracing::subscriber::set_global_default(Registry::default().with(Recorder))
            .expect("no other global subscriber");
        crochet::tracing::install();
    });
}

/// The spans of the events with `marker`, one entry per event.
fn spans_of(marker: &str) -> Vec<Vec<String>> {
    SEEN.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter(|seen| seen.marker == marker)
        .map(|seen| seen.spans.clone())
        .collect()
}

/// Emits an event with `marker` when dropped.
struct SaysWhenDropped(String);

impl Drop for SaysWhenDropped {
    fn drop(&mut self) {
        tracing::info!(marker = self.0.as_str(), "dropped");
    }
}

mod spans {
    use super::*;

    pub fn events_of_the_work_carry_the_callers_span<R: Runtime>() {
        init();
        let fx = Fixture::<R>::new();
        let marker = format!("{}-in-span", R::NAME);
        let span = tracing::info_span!("request", id = 42_u64, runtime = R::NAME);
        let entered = span.enter();

        let m = marker.clone();
        let waited = fx.wait_for(LONG, move || async move {
            tracing::info!(marker = m.as_str(), "first poll");
            // A later poll, after the runtime's timer woke the work.
            R::sleep(Duration::from_millis(1)).await;
            tracing::info!(marker = m.as_str(), "later poll");
        });
        assert_eq!(waited, Ok(()));
        let m = marker.clone();
        let called = fx.call_in_reactor(move || tracing::info!(marker = m.as_str(), "closure"));
        assert_eq!(called.wait(LONG), Ok(()));
        let m = marker.clone();
        let run = fx.run_in_reactor(move || async move {
            tracing::info!(marker = m.as_str(), "future");
        });
        assert_eq!(run.wait(LONG), Ok(()));
        // Dropped on the reactor when cancelled: in the span too.
        let (dropped, drop_seen) = std::sync::mpsc::channel::<()>();
        let says = SaysWhenDropped(marker.clone());
        let cancelled = fx.run_in_reactor(move || async move {
            let _says = says;
            let _dropped = dropped;
            std::future::pending::<()>().await;
        });
        cancelled.cancel();
        assert_eq!(
            drop_seen.recv_timeout(LONG),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected)
        );
        drop(entered);

        let expected = vec![format!("request{{id=42 runtime={}}}", R::NAME)];
        let seen = spans_of(&marker);
        assert_eq!(seen.len(), 5, "{seen:?}");
        for spans in seen {
            assert_eq!(spans, expected);
        }
    }

    pub fn work_submitted_outside_any_span_runs_in_none<R: Runtime>() {
        init();
        let fx = Fixture::<R>::new();
        let marker = format!("{}-no-span", R::NAME);
        let m = marker.clone();
        let waited = fx.wait_for(LONG, move || async move {
            tracing::info!(marker = m.as_str(), "first poll");
            R::sleep(Duration::from_millis(1)).await;
            tracing::info!(marker = m.as_str(), "later poll");
        });
        assert_eq!(waited, Ok(()));
        let m = marker.clone();
        let called = fx.call_in_reactor(move || tracing::info!(marker = m.as_str(), "closure"));
        assert_eq!(called.wait(LONG), Ok(()));
        let seen = spans_of(&marker);
        assert_eq!(seen, vec![Vec::<String>::new(); 3]);
    }
}

/// The attribute macros submit through the same calls: their work runs in
/// the caller's span too.
#[cfg(feature = "macros")]
mod macros {
    use std::sync::LazyLock;

    use crochet::EventLoop;

    use super::{init, spans_of};

    static LOOP: LazyLock<EventLoop> = LazyLock::new(crochet::start);

    #[crochet::wait_for(timeout = "5s", event_loop = LOOP.clone())]
    async fn emit_and_wait(marker: String) {
        tracing::info!(marker = marker.as_str(), "wait_for macro");
    }

    #[crochet::run_in_reactor(event_loop = LOOP.clone())]
    async fn emit_eventually(marker: String) {
        tracing::info!(marker = marker.as_str(), "run_in_reactor macro");
    }

    #[test]
    fn the_macros_work_runs_in_the_callers_span() {
        init();
        let marker = "macros-in-span".to_owned();
        let span = tracing::info_span!("request", id = 7_u64);
        let entered = span.enter();
        assert_eq!(emit_and_wait(marker.clone()), Ok(()));
        let eventual = emit_eventually(marker.clone());
        assert_eq!(eventual.wait(std::time::Duration::from_secs(5)), Ok(()));
        drop(entered);
        assert_eq!(spans_of(&marker), vec![vec!["request{id=7}".to_owned()]; 2]);
    }
}
