use resilience::circuit_breaker;

#[circuit_breaker]
enum Dependency {
    Db,
}

fn main() {}
