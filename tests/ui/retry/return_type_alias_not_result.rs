use resilience::retry;

type Answer = Option<u32>;

#[retry]
fn fetch() -> Answer {
    Some(1)
}

fn main() {}
