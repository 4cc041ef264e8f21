//! The methods of [`EventLoop`] that observe it: its statistics and its
//! stall threshold. Kept beside the handle so that the handle's file holds
//! only what submits and stops work.

use std::time::Duration;

use crate::event_loop::EventLoop;
use crate::stats::LoopStats;

impl EventLoop {
    /// What the loop has done since it started: work submitted, settled
    /// (by how), pending now, and its longest single poll. Cheap: a few
    /// relaxed loads, and one lock nobody holds for long.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::start();
    /// reactor.wait_for(Duration::from_secs(5), || async {}).unwrap();
    /// let stats = reactor.stats();
    /// assert_eq!((stats.submitted(), stats.completed(), stats.pending()), (1, 1, 0));
    /// ```
    pub fn stats(&self) -> LoopStats {
        self.core().monitor.stats.snapshot()
    }

    /// How long one poll of one piece of work may keep a reactor thread of
    /// this loop before it is reported as a [`Stall`](crate::Stall); 100 ms
    /// unless set.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = crochet_core::start();
    /// assert_eq!(reactor.stall_threshold(), std::time::Duration::from_millis(100));
    /// ```
    pub fn stall_threshold(&self) -> std::time::Duration {
        self.core().monitor.threshold()
    }

    /// Sets the stall threshold of this loop, for every handle of it;
    /// `Duration::MAX` turns stall reports off.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = crochet_core::start();
    /// reactor.set_stall_threshold(Duration::from_millis(250));
    /// assert_eq!(reactor.stall_threshold(), Duration::from_millis(250));
    /// ```
    pub fn set_stall_threshold(&self, threshold: Duration) {
        self.core().monitor.set_threshold(threshold);
    }
}
