use resilience::timeout;

#[timeout("1s")]
static LIMIT: u32 = 1;

fn main() {}
