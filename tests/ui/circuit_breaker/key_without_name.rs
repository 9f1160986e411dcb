use resilience::{circuit_breaker, Error};

#[circuit_breaker(key = shard_id, failure_threshold = 2)]
fn query(shard_id: u32) -> Result<u32, Error> {
    Ok(shard_id)
}

fn main() {}
