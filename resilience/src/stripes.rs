//! Counter stripes owned by threads: the first few threads that count something each own a
//! stripe (an index into every striped counter of the crate) and add to it with a plain load
//! and store, no locked instruction; threads beyond them share one stripe and add atomically.
//! A thread's stripe is handed to the next thread when it exits; the hand-over goes through a
//! mutex, so the old owner's stores happen before the new owner's loads.
//!
//! Every striped counter of the crate is on these stripes: the breakers' counts, the retry
//! sites' calls and the budgets' deposits. Under loom (`--cfg loom`), which runs its model's
//! threads on one thread, the first two threads of each execution own a stripe each, handed
//! out by loom's own thread-locals, and the others share one; stripes are not handed over.

#[cfg(not(loom))]
use std::sync::{Mutex, PoisonError, atomic::AtomicUsize};
use std::{
    cell::Cell,
    sync::atomic::{self, Ordering::Relaxed},
};

/// Stripes owned by one thread each, handed to the next thread when their owner exits.
pub(crate) const OWNED_STRIPES: usize = if cfg!(loom) { 2 } else { 8 };
/// Owned stripes, and the shared one of the threads beyond them.
pub(crate) const STRIPES: usize = OWNED_STRIPES + 1;
/// The stripe of threads that own none: incremented atomically.
pub(crate) const SHARED: usize = OWNED_STRIPES;
/// A thread that has not asked for a stripe yet.
const UNASSIGNED: usize = usize::MAX;

#[cfg(not(loom))]
thread_local! {
    /// The calling thread's stripe: [`UNASSIGNED`] until its first counted success.
    /// Const-initialised and without a destructor, so reading it is a plain thread-local load.
    static STRIPE: Cell<usize> = const { Cell::new(UNASSIGNED) };
    /// Gives the thread's owned stripe back when the thread exits.
    static OWNER: StripeOwner = const { StripeOwner };
}

/// Owned stripes no live thread holds. The mutex also hands each stripe's last value from its
/// old owner to its new one (the old owner's stores happen before its unlock).
#[cfg(not(loom))]
static FREE: Mutex<Vec<usize>> = Mutex::new(Vec::new());
/// Owned stripes never handed out yet.
#[cfg(not(loom))]
static NEVER_USED: AtomicUsize = AtomicUsize::new(0);

#[cfg(not(loom))]
struct StripeOwner;

#[cfg(not(loom))]
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
#[cfg(not(loom))]
#[inline]
pub(crate) fn current() -> usize {
    match STRIPE.try_with(Cell::get) {
        Ok(UNASSIGNED) => assign_stripe(),
        Ok(index) => index,
        Err(_) => SHARED,
    }
}

/// A thread's first counted success: takes a free owned stripe, else the shared one.
#[cfg(not(loom))]
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

#[cfg(loom)]
loom::lazy_static! {
    /// Owned stripes handed out in this execution of the model.
    static ref HANDED_OUT: loom::sync::atomic::AtomicUsize = loom::sync::atomic::AtomicUsize::new(0);
}

#[cfg(loom)]
loom::thread_local! {
    /// The model thread's stripe.
    static MODEL_STRIPE: Cell<usize> = Cell::new(UNASSIGNED);
}

/// The calling model thread's stripe: the first two threads of an execution own one each.
#[cfg(loom)]
pub(crate) fn current() -> usize {
    MODEL_STRIPE.with(|cell| {
        if cell.get() == UNASSIGNED {
            let next = HANDED_OUT.fetch_add(1, Relaxed);
            cell.set(if next < OWNED_STRIPES { next } else { SHARED });
        }
        cell.get()
    })
}

/// Adds one to `counter`, the calling thread's stripe `index` of it (from [`current`]).
/// Returns the count before.
#[inline]
pub(crate) fn add_one(counter: &impl Counter, index: usize) -> u64 {
    if index == SHARED {
        counter.increment()
    } else {
        // This thread is the stripe's only writer.
        let before = counter.load();
        counter.store(before.wrapping_add(1));
        before
    }
}

/// A striped counter: std's atomic, or under loom the model's (the breaker's counters, whose
/// every access loom checks).
pub(crate) trait Counter {
    /// The count, `Relaxed`.
    fn load(&self) -> u64;
    /// Sets the count, `Relaxed`: for the stripe's owner, its only writer.
    fn store(&self, count: u64);
    /// Adds one atomically, `Relaxed`, and returns the count before.
    fn increment(&self) -> u64;
}

impl Counter for atomic::AtomicU64 {
    #[inline]
    fn load(&self) -> u64 {
        self.load(Relaxed)
    }

    #[inline]
    fn store(&self, count: u64) {
        self.store(count, Relaxed)
    }

    #[inline]
    fn increment(&self) -> u64 {
        self.fetch_add(1, Relaxed)
    }
}

#[cfg(loom)]
impl Counter for loom::sync::atomic::AtomicU64 {
    fn load(&self) -> u64 {
        self.load(Relaxed)
    }

    fn store(&self, count: u64) {
        self.store(count, Relaxed)
    }

    fn increment(&self) -> u64 {
        self.fetch_add(1, Relaxed)
    }
}
