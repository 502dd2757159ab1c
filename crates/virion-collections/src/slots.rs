//! Query slots: how many questions run at once (each on a blocking thread), in two classes.
//! Heavy questions (by estimated cost) take slots of their own class only, so however many of
//! them arrive, cheap questions (a count, a short filtered list) keep slots that they alone
//! use; a cheap question borrows a free heavy slot when its own are busy.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How expensive a question is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    /// Bounded work: an indexed filter and a count or a short page.
    Cheap,
    /// Work that may take the whole deadline: many-child n-of, scans, negations, mutation
    /// tables, sequences, trees.
    Heavy,
}

/// The two classes of slots.
#[derive(Debug, Clone)]
pub struct QuerySlots {
    cheap: Arc<Semaphore>,
    heavy: Arc<Semaphore>,
    total: usize,
}

impl QuerySlots {
    /// `total` slots (at least 4): half for heavy questions, the rest for cheap ones only.
    pub fn new(total: usize) -> QuerySlots {
        let total = total.max(4);
        let heavy = total / 2;
        QuerySlots {
            cheap: Arc::new(Semaphore::new(total - heavy)),
            heavy: Arc::new(Semaphore::new(heavy)),
            total,
        }
    }

    /// Waits for a slot of `cost`'s class (a cheap question takes a free heavy slot rather
    /// than wait).
    pub async fn acquire(&self, cost: Cost) -> OwnedSemaphorePermit {
        let wait = match cost {
            Cost::Heavy => self.heavy.clone(),
            Cost::Cheap => {
                if let Ok(p) = self.cheap.clone().try_acquire_owned() {
                    return p;
                }
                if let Ok(p) = self.heavy.clone().try_acquire_owned() {
                    return p;
                }
                self.cheap.clone()
            }
        };
        // The semaphores are never closed.
        wait.acquire_owned().await.expect("query slots are never closed")
    }

    /// Slots of all classes.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Slots in use: (cheap, heavy).
    pub fn busy(&self) -> (usize, usize) {
        let total_heavy = self.total / 2;
        (
            (self.total - total_heavy) - self.cheap.available_permits(),
            total_heavy - self.heavy.available_permits(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn heavy_questions_cannot_take_the_cheap_slots() {
        let slots = QuerySlots::new(4);
        let _h1 = slots.acquire(Cost::Heavy).await;
        let _h2 = slots.acquire(Cost::Heavy).await;
        // Both heavy slots are held: a third heavy question waits ...
        let third =
            tokio::time::timeout(std::time::Duration::from_millis(50), slots.acquire(Cost::Heavy)).await;
        assert!(third.is_err());
        // ... while cheap ones still get theirs.
        let _c1 = slots.acquire(Cost::Cheap).await;
        let _c2 = slots.acquire(Cost::Cheap).await;
        assert_eq!(slots.busy(), (2, 2));
    }

    #[tokio::test]
    async fn a_cheap_question_borrows_a_free_heavy_slot() {
        let slots = QuerySlots::new(4);
        let _c1 = slots.acquire(Cost::Cheap).await;
        let _c2 = slots.acquire(Cost::Cheap).await;
        let _c3 = slots.acquire(Cost::Cheap).await;
        assert_eq!(slots.busy(), (2, 1));
    }
}
