use resilience::{circuit_breaker, Error};

struct Shard {
    id: u32,
}

#[circuit_breaker(name = "shards", key = shard)]
fn query(shard: &Shard) -> Result<u32, Error> {
    Ok(shard.id)
}

fn main() {}
