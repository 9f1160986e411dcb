//! What a key's breaker costs in memory, its share of its family's map included, against a
//! breaker of its own: a family of a host, tenant or shard per key holds many, and each must
//! cost well under the per-thread counter stripes of a breaker of its own (about a KiB).

use resilience::{BreakerConfig, CircuitBreaker, KeyedBreaker, KeyedConfig};
use resilience_tests::counting::{Counting, held};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The only test of this file, so that no other thread allocates meanwhile.
#[test]
fn a_keys_breaker_costs_well_under_a_breaker_of_its_own() {
    const KEYS: usize = 10_000;
    let before = held();
    let family = KeyedBreaker::new(
        "memory",
        BreakerConfig::new(),
        KeyedConfig::new().with_max_keys(KEYS),
    );
    for key in 0..KEYS {
        // Keys as long as a host name's.
        family.breaker(&format_args!("db-{key:05}.eu-west-1.internal"));
    }
    let per_key = (held() - before) / KEYS;
    let before = held();
    let own: Vec<_> = (0..100)
        .map(|_| CircuitBreaker::new("own", BreakerConfig::new()))
        .collect();
    let per_breaker = (held() - before) / own.len();
    println!("{per_key} B per key's breaker, {per_breaker} B per breaker of its own");
    assert!(per_key < 1_024, "{per_key} B per key");
    assert!(
        per_key * 2 < per_breaker,
        "{per_key} B per key, {per_breaker} B per breaker"
    );
    drop(family);
}
