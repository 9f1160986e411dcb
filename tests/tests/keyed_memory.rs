//! What a key's breaker costs in memory, its share of its family's map included, against a
//! breaker of its own: a family of a host, tenant or shard per key holds many, and each must
//! cost well under the per-thread counter stripes of a breaker of its own (about a KiB).

use std::{
    alloc::{GlobalAlloc, Layout, System},
    sync::atomic::{AtomicUsize, Ordering::Relaxed},
};

use resilience::{BreakerConfig, CircuitBreaker, KeyedBreaker, KeyedConfig};

struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts on the side.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HELD.fetch_add(layout.size(), Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size(), Relaxed);
        // SAFETY: `ptr` was allocated by `System` with `layout`, per the caller's contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The only test of this file, so that no other thread allocates meanwhile.
#[test]
fn a_keys_breaker_costs_well_under_a_breaker_of_its_own() {
    const KEYS: usize = 10_000;
    let before = HELD.load(Relaxed);
    let family = KeyedBreaker::new(
        "memory",
        BreakerConfig::new(),
        KeyedConfig::new().with_max_keys(KEYS),
    );
    for key in 0..KEYS {
        // Keys as long as a host name's.
        family.breaker(&format_args!("db-{key:05}.eu-west-1.internal"));
    }
    let per_key = (HELD.load(Relaxed) - before) / KEYS;
    let before = HELD.load(Relaxed);
    let own: Vec<_> = (0..100)
        .map(|_| CircuitBreaker::new("own", BreakerConfig::new()))
        .collect();
    let per_breaker = (HELD.load(Relaxed) - before) / own.len();
    println!("{per_key} B per key's breaker, {per_breaker} B per breaker of its own");
    assert!(per_key < 1_024, "{per_key} B per key");
    assert!(
        per_key * 2 < per_breaker,
        "{per_key} B per key, {per_breaker} B per breaker"
    );
    drop(family);
}
