//! When a filter evaluation must give up: its request's deadline passed, or whoever asked is
//! gone (the client hung up). Every evaluation loop (children of OR and n-of, n-of's count
//! levels, row-by-row checks) asks [`Stop::check`], so no query holds a query slot past either.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// A deadline and a cancellation flag, both optional; cheap to clone and to check.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    deadline: Option<Instant>,
    cancelled: Option<Arc<AtomicBool>>,
}

/// Why an evaluation stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Interrupted {
    /// The deadline passed.
    #[error("the request ran past its time limit")]
    Deadline,
    /// The flag was set: nobody waits for the answer any more.
    #[error("the request was cancelled (the client went away)")]
    Cancelled,
}

impl Stop {
    /// Never stops.
    pub fn never() -> Stop {
        Stop::default()
    }

    /// Stops at `deadline` (if any) or once `cancelled` (if any) is set.
    pub fn new(deadline: Option<Instant>, cancelled: Option<Arc<AtomicBool>>) -> Stop {
        Stop { deadline, cancelled }
    }

    /// The deadline, if any.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// `Err` once the deadline has passed or the flag is set.
    pub fn check(&self) -> Result<(), Interrupted> {
        if self.cancelled.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(Interrupted::Cancelled);
        }
        if self.deadline.is_some_and(|d| Instant::now() > d) {
            return Err(Interrupted::Deadline);
        }
        Ok(())
    }
}

/// Sets its flag when dropped: held by the future that waits for an answer, so that dropping the
/// future (axum drops a handler's future when its client disconnects) stops the evaluation
/// running for it on another thread.
#[derive(Debug)]
pub struct CancelOnDrop(Arc<AtomicBool>);

impl CancelOnDrop {
    /// A guard and the [`Stop`] it cancels, with `deadline`.
    pub fn new(deadline: Option<Instant>) -> (CancelOnDrop, Stop) {
        let flag = Arc::new(AtomicBool::new(false));
        (CancelOnDrop(flag.clone()), Stop::new(deadline, Some(flag)))
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn stops_at_the_deadline_or_when_the_guard_is_dropped() {
        assert_eq!(Stop::never().check(), Ok(()));
        let past = Stop::new(Some(Instant::now() - Duration::from_millis(1)), None);
        assert_eq!(past.check(), Err(Interrupted::Deadline));
        let (guard, stop) = CancelOnDrop::new(Some(Instant::now() + Duration::from_secs(60)));
        assert_eq!(stop.check(), Ok(()));
        drop(guard);
        assert_eq!(stop.check(), Err(Interrupted::Cancelled));
    }
}
