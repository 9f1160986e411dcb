use resilience::circuit_breaker;

fn cached(_pair: (u32, u32)) -> Result<u32, resilience::Error> {
    Ok(0)
}

#[circuit_breaker(fallback = cached)]
fn sum((a, b): (u32, u32)) -> Result<u32, resilience::Error> {
    Ok(a + b)
}

fn main() {}
