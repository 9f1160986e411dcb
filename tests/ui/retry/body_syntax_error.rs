// A syntax error in the body is the compiler's to report, once, at the user's token: the
// attributes do not parse the body.
use resilience::retry;

#[retry(max_attempts = 2)]
fn fetch() -> Result<u32, std::io::Error> {
    let n = ;
    Ok(n)
}

fn main() {}
