//! A value that reports where it was dropped.

use std::sync::mpsc::Sender;
use std::thread;

/// Sends the name of the thread that drops it (`None` for an unnamed
/// thread). Moved into work, it tells which thread dropped the work: the
/// reactor's, the application's runtime's, or the caller's.
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use crochet_test_support::ThreadNameOnDrop;
///
/// let (dropped_tx, dropped) = mpsc::channel();
/// let guard = ThreadNameOnDrop(dropped_tx);
/// std::thread::Builder::new()
///     .name("elsewhere".to_owned())
///     .spawn(move || drop(guard))
///     .unwrap()
///     .join()
///     .unwrap();
/// assert_eq!(dropped.recv().unwrap().as_deref(), Some("elsewhere"));
/// ```
pub struct ThreadNameOnDrop(pub Sender<Option<String>>);

impl Drop for ThreadNameOnDrop {
    fn drop(&mut self) {
        let name = thread::current().name().map(String::from);
        // The test may have stopped listening; the report is then unwanted.
        let _ = self.0.send(name);
    }
}
