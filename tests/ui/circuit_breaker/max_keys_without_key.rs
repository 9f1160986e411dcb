use resilience::{circuit_breaker, Error};

#[circuit_breaker(name = "shards", max_keys = 100, idle_timeout = "0s")]
fn query(shard_id: u32) -> Result<u32, Error> {
    Ok(shard_id)
}

fn main() {}
