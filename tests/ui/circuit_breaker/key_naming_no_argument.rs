use resilience::{circuit_breaker, Error};

// A misspelt argument.
#[circuit_breaker(name = "shards", key = shard)]
fn query(shard_id: u32, sql: &str) -> Result<usize, Error> {
    Ok(shard_id as usize + sql.len())
}

// No argument to pick a key from.
#[circuit_breaker(name = "hosts", key = "eu-1")]
fn ping() -> Result<(), Error> {
    Ok(())
}

fn main() {}
