//! A family's breakers by key: a map split into shards, each behind its own read-write lock,
//! so that looking up a key whose breaker exists takes one shard's read lock and no lock
//! that every call shares; a count of the keys alive bounds them; and the sweep that evicts
//! the idle ones.
//!
//! # Idle keys
//!
//! A look-up marks its slot used (a load, and a store only when the mark was clear): no
//! clock is read on the hot path. A sweep of a shard, under its write lock, clears the marks
//! it finds, noting the sweep's time as each slot's last sight of a use; a slot found
//! unmarked that was last seen `idle_timeout` ago or more has not been used since, and is
//! evicted if its breaker may be (see [`evictable`]). A key is so never evicted less than
//! `idle_timeout` after its last use, and at most one sweep interval later.
//!
//! # Orderings
//!
//! The mark is `Relaxed`: it only delays an eviction, and the sweep that reads it holds the
//! shard's write lock, which orders it after every look-up that released the read lock. A
//! breaker is held by its `Arc`: a slot whose `Arc` the map alone holds, under the write
//! lock, is held by no caller and cannot be found meanwhile (a look-up needs the read lock),
//! so no call is running through it. The count of keys alive is reserved with a
//! compare-and-swap below the maximum before a key is inserted and given back when it is
//! removed (or its insertion lost a race), so it never exceeds the maximum; `Relaxed`, as
//! nothing else is published through it.

use std::{collections::HashMap, sync::Arc};

use super::{
    super::{
        core::CircuitBreaker,
        sync::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed, RwLock},
        word,
    },
    text::{KeyBox, Seeded},
};
use crate::State;

/// Shards of a family's map: enough that two threads rarely meet on one shard's lock, few
/// enough that a family costs little when it holds few keys.
pub(super) const SHARDS: usize = if cfg!(loom) { 2 } else { 64 };

/// One key's breaker in its shard.
pub(super) struct Slot {
    pub(super) breaker: Arc<CircuitBreaker>,
    /// Set by each look-up, cleared by each sweep.
    used: AtomicBool,
    /// When a sweep (or the insertion) last saw the key used, in nanoseconds on the
    /// family's clock. Written with the shard's write lock held.
    seen: u64,
}

/// One shard, on cache lines of its own so that threads on two shards do not share one.
#[repr(align(128))]
pub(super) struct Shard {
    map: RwLock<HashMap<KeyBox, Slot, Seeded>>,
    /// When this shard was last swept, in nanoseconds on the family's clock.
    swept: AtomicU64,
}

/// The breakers of a family, by key.
pub(super) struct Keys {
    shards: Box<[Shard]>,
    hasher: Seeded,
    /// Keys alive, and insertions reserved: at most the maximum.
    len: AtomicUsize,
}

/// What a sweep removed: each evicted breaker, to drop and report with no lock held.
pub(super) type Evicted = Vec<Arc<CircuitBreaker>>;

fn read<T>(lock: &RwLock<T>) -> impl std::ops::Deref<Target = T> + '_ {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> impl std::ops::DerefMut<Target = T> + '_ {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Keys {
    pub(super) fn new() -> Self {
        let hasher = Seeded::new();
        Keys {
            shards: (0..SHARDS)
                .map(|_| Shard {
                    map: RwLock::new(HashMap::with_hasher(hasher)),
                    swept: AtomicU64::new(0),
                })
                .collect(),
            hasher,
            len: AtomicUsize::new(0),
        }
    }

    /// The shard of a key's bytes. The bits that pick it are neither the low ones the map's
    /// table indexes by nor the high ones it tags its entries with.
    #[inline]
    pub(super) fn shard(&self, key: &[u8]) -> &Shard {
        let hash = self.hasher.hash(key);
        &self.shards[(hash >> 40) as usize % SHARDS]
    }

    /// The breaker of `key`, if it has one, marked used.
    #[inline]
    pub(super) fn find(&self, shard: &Shard, key: &[u8]) -> Option<Arc<CircuitBreaker>> {
        let map = read(&shard.map);
        let slot = map.get(key)?;
        if !slot.used.load(Relaxed) {
            slot.used.store(true, Relaxed);
        }
        Some(Arc::clone(&slot.breaker))
    }

    /// Keys alive (and insertions under way).
    pub(super) fn len(&self) -> usize {
        self.len.load(Relaxed)
    }

    /// Reserves room for one more key, if fewer than `max` are alive.
    pub(super) fn reserve(&self, max: usize) -> bool {
        self.len
            .fetch_update(Relaxed, Relaxed, |n| (n < max).then_some(n + 1))
            .is_ok()
    }

    /// Gives back a reservation that inserted nothing.
    pub(super) fn unreserve(&self) {
        self.len.fetch_sub(1, Relaxed);
    }

    /// Inserts `breaker` for `key` (its own, with room reserved), unless another thread did
    /// first: then that one's, marked used, and the reservation is given back.
    pub(super) fn insert(
        &self,
        shard: &Shard,
        key: Arc<str>,
        breaker: Arc<CircuitBreaker>,
        now: u64,
    ) -> Result<Arc<CircuitBreaker>, Arc<CircuitBreaker>> {
        let key = KeyBox(key);
        let mut map = write(&shard.map);
        if let Some(slot) = map.get(key.0.as_bytes()) {
            slot.used.store(true, Relaxed);
            let found = Arc::clone(&slot.breaker);
            drop(map);
            self.unreserve();
            return Err(found);
        }
        map.insert(
            key,
            Slot {
                breaker: Arc::clone(&breaker),
                used: AtomicBool::new(false),
                seen: now,
            },
        );
        Ok(breaker)
    }

    /// Whether `shard` was last swept `interval` ago or more (or never).
    pub(super) fn due(&self, shard: &Shard, now: u64, interval: u64) -> bool {
        now.saturating_sub(shard.swept.load(Relaxed)) >= interval
    }

    /// Sweeps `shard` at `now` (see the module's documentation), evicting what was idle for
    /// `idle` nanoseconds into `evicted`.
    pub(super) fn sweep(&self, shard: &Shard, now: u64, idle: u64, evicted: &mut Evicted) {
        let mut map = write(&shard.map);
        shard.swept.store(now, Relaxed);
        let mut idle_keys = Vec::new();
        for (key, slot) in map.iter_mut() {
            if slot.used.load(Relaxed) {
                slot.used.store(false, Relaxed);
                slot.seen = now;
            } else if now.saturating_sub(slot.seen) >= idle && evictable(&slot.breaker) {
                idle_keys.push(key.clone());
            }
        }
        // `evicted` may hold what earlier sweeps removed: only this one's are given back.
        let mut removed = 0;
        for key in idle_keys {
            if let Some(slot) = map.remove(key.0.as_bytes()) {
                evicted.push(slot.breaker);
                removed += 1;
            }
        }
        // Given back before the lock is released: a call that then misses the key finds its
        // room (the lock orders this before its look-up).
        if removed > 0 {
            self.len.fetch_sub(removed, Relaxed);
        }
        drop(map);
    }

    /// Every shard.
    pub(super) fn shards(&self) -> &[Shard] {
        &self.shards
    }

    /// Every breaker of the family, cloned out so that the caller works with no lock held.
    pub(super) fn breakers(&self) -> Vec<Arc<CircuitBreaker>> {
        let mut all = Vec::with_capacity(self.len());
        for shard in self.shards.iter() {
            all.extend(read(&shard.map).values().map(|s| Arc::clone(&s.breaker)));
        }
        all
    }

    /// The breaker of `key`, without marking it used: an operator's look-up.
    pub(super) fn get(&self, key: &[u8]) -> Option<Arc<CircuitBreaker>> {
        let shard = self.shard(key);
        read(&shard.map).get(key).map(|s| Arc::clone(&s.breaker))
    }

    /// The number of keys in each state, in `State`'s order of declaration.
    pub(super) fn count_states(&self) -> [usize; 5] {
        let mut counts = [0; 5];
        for shard in self.shards.iter() {
            for slot in read(&shard.map).values() {
                counts[word::tag(slot.breaker.state()) as usize] += 1;
            }
        }
        counts
    }
}

/// Whether a breaker no call holds may be evicted: closed; half-open with no trial running
/// (none holds it); open with its open period over, so that its next call would be a trial.
/// Never while open before its recovery timeout, nor forced open or disabled, which an
/// operator asked for and would see undone.
fn evictable(breaker: &Arc<CircuitBreaker>) -> bool {
    if Arc::strong_count(breaker) != 1 {
        return false; // a call (or an operator) holds it
    }
    let word = breaker.word.load(super::super::sync::Ordering::Acquire);
    match word::state(word) {
        State::Closed | State::HalfOpen => true,
        State::Open => breaker.now_nanos() >= breaker.open_until.load(Relaxed),
        State::ForcedOpen | State::Disabled => false,
    }
}
