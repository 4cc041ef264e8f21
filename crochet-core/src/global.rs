//! The process-wide loop of one runtime, behind `setup()` and `no_setup()`.

use std::sync::OnceLock;

use crate::error::Error;
use crate::event_loop::EventLoop;

/// Holds the process-wide loop of one runtime: the one `setup()` starts on
/// its first call, or the one `no_setup()` installed first.
///
/// Each adapter keeps one in a `static`, so that its `setup()` and
/// `no_setup()` are one line each and behave alike for every runtime.
///
/// # Examples
///
/// ```
/// use crochet_core::reactor::GlobalLoop;
/// use crochet_core::Error;
///
/// static LOOP: GlobalLoop = GlobalLoop::new();
///
/// assert!(LOOP.get().is_none());
/// let first = LOOP.get_or_start(crochet_core::start);
/// let again = LOOP.get_or_start(|| unreachable!("started only once"));
/// assert_eq!(first.id(), again.id());
/// assert_eq!(LOOP.install(crochet_core::start).unwrap_err(), Error::AlreadySetUp);
/// ```
#[derive(Debug)]
pub struct GlobalLoop {
    cell: OnceLock<EventLoop>,
}

impl GlobalLoop {
    /// An empty holder, for a `static`.
    ///
    /// # Examples
    ///
    /// See [`GlobalLoop`].
    pub const fn new() -> GlobalLoop {
        GlobalLoop {
            cell: OnceLock::new(),
        }
    }

    /// The loop, started by `start` if there is none yet. Concurrent first
    /// calls start one loop.
    ///
    /// # Examples
    ///
    /// See [`GlobalLoop`].
    pub fn get_or_start(&self, start: impl FnOnce() -> EventLoop) -> EventLoop {
        let mut started = false;
        let current = self.cell.get_or_init(|| {
            started = true;
            start()
        });
        if started {
            offer_default(current);
        }
        current.clone()
    }

    /// Installs the loop `build` makes as the process-wide one, for
    /// applications that run the runtime themselves (an adapter's
    /// `no_setup()`).
    ///
    /// # Errors
    ///
    /// [`Error::AlreadySetUp`] if a loop was already started or installed;
    /// `build` is not called then.
    ///
    /// # Examples
    ///
    /// See [`GlobalLoop`].
    pub fn install(&self, build: impl FnOnce() -> EventLoop) -> Result<EventLoop, Error> {
        let mut installed = false;
        let current = self.cell.get_or_init(|| {
            installed = true;
            build()
        });
        if installed {
            offer_default(current);
            Ok(current.clone())
        } else {
            Err(Error::AlreadySetUp)
        }
    }

    /// The loop, if one was started or installed.
    ///
    /// # Examples
    ///
    /// See [`GlobalLoop`].
    pub fn get(&self) -> Option<EventLoop> {
        self.cell.get().cloned()
    }
}

impl Default for GlobalLoop {
    fn default() -> GlobalLoop {
        GlobalLoop::new()
    }
}

/// The loop code should use when it names none: the first loop that any
/// runtime's `setup()` started or `no_setup()` attached in this process.
///
/// This is what lets a library (or the attribute macros) call into "the"
/// reactor without knowing which runtime the application chose.
///
/// # Errors
///
/// [`Error::NotSetUp`] if no `setup()` or `no_setup()` has run yet.
///
/// # Examples
///
/// ```
/// let reactor = crochet_core::setup();
/// assert_eq!(crochet_core::default_loop().unwrap().id(), reactor.id());
/// ```
pub fn default_loop() -> Result<EventLoop, Error> {
    DEFAULT.get().cloned().ok_or(Error::NotSetUp)
}

static DEFAULT: OnceLock<EventLoop> = OnceLock::new();

/// Makes `candidate` the default loop unless there is one already.
fn offer_default(candidate: &EventLoop) {
    DEFAULT.get_or_init(|| candidate.clone());
}
