//! Counter stripes owned by threads: the first few threads that count something each own a
//! stripe (an index into every striped counter of the crate) and add to it with a plain load
//! and store, no locked instruction; threads beyond them share one stripe and add atomically.
//! A thread's stripe is handed to the next thread when it exits; the hand-over goes through a
//! mutex, so the old owner's stores happen before the new owner's loads.

use std::{
    cell::Cell,
    sync::{
        Mutex, PoisonError,
        atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed},
    },
};

/// Stripes owned by one thread each, handed to the next thread when their owner exits.
pub(crate) const OWNED_STRIPES: usize = 8;
/// Owned stripes, and the shared one of the threads beyond them.
pub(crate) const STRIPES: usize = OWNED_STRIPES + 1;
/// The stripe of threads that own none: incremented atomically.
pub(crate) const SHARED: usize = OWNED_STRIPES;
/// A thread that has not asked for a stripe yet.
const UNASSIGNED: usize = usize::MAX;

thread_local! {
    /// The calling thread's stripe: [`UNASSIGNED`] until its first counted success.
    /// Const-initialised and without a destructor, so reading it is a plain thread-local load.
    static STRIPE: Cell<usize> = const { Cell::new(UNASSIGNED) };
    /// Gives the thread's owned stripe back when the thread exits.
    static OWNER: StripeOwner = const { StripeOwner };
}

/// Owned stripes no live thread holds. The mutex also hands each stripe's last value from its
/// old owner to its new one (the old owner's stores happen before its unlock).
static FREE: Mutex<Vec<usize>> = Mutex::new(Vec::new());
/// Owned stripes never handed out yet.
static NEVER_USED: AtomicUsize = AtomicUsize::new(0);

struct StripeOwner;

impl Drop for StripeOwner {
    fn drop(&mut self) {
        let _ = STRIPE.try_with(|cell| {
            let index = cell.replace(SHARED);
            if index < SHARED {
                FREE.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(index);
            }
        });
    }
}

/// The calling thread's stripe.
#[inline]
pub(crate) fn current() -> usize {
    match STRIPE.try_with(Cell::get) {
        Ok(UNASSIGNED) => assign_stripe(),
        Ok(index) => index,
        Err(_) => SHARED,
    }
}

/// A thread's first counted success: takes a free owned stripe, else the shared one.
#[cold]
#[inline(never)]
fn assign_stripe() -> usize {
    let index = {
        let mut free = FREE.lock().unwrap_or_else(PoisonError::into_inner);
        free.pop().unwrap_or_else(|| {
            let next = NEVER_USED.fetch_add(1, Relaxed);
            if next < OWNED_STRIPES { next } else { SHARED }
        })
    };
    // Registering the owner's destructor may fail while the thread's locals are torn down:
    // then the stripe is not kept, and the thread counts on the shared one.
    let kept = index < SHARED && OWNER.try_with(|_| ()).is_ok();
    let index = if kept {
        index
    } else {
        if index < SHARED {
            FREE.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(index);
        }
        SHARED
    };
    let _ = STRIPE.try_with(|cell| cell.set(index));
    index
}

/// Adds one to `counter`, the calling thread's stripe `index` of it (from [`current`]).
#[inline]
pub(crate) fn add_one(counter: &AtomicU64, index: usize) -> u64 {
    if index == SHARED {
        counter.fetch_add(1, Relaxed)
    } else {
        // This thread is the stripe's only writer.
        let before = counter.load(Relaxed);
        counter.store(before.wrapping_add(1), Relaxed);
        before
    }
}
