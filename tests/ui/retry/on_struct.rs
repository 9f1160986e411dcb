use resilience::retry;

#[retry]
struct Client;

fn main() {}
