// A bare word that is neither a keyword nor an argument: a misspelt keyword or a value
// without its quotes, answered by the attribute rather than by "cannot find value".
use resilience::retry;

#[retry(max_attempts = unlimted)]
fn misspelt_unlimited() -> Result<(), ()> {
    Ok(())
}

#[retry(max_retries = unlimited)]
fn retries_unlimited() -> Result<(), ()> {
    Ok(())
}

#[retry(max_delay = nnone)]
fn misspelt_none() -> Result<(), ()> {
    Ok(())
}

#[retry(max_attempts = retries)]
fn not_an_argument(tries: u32) -> Result<(), ()> {
    let _ = tries;
    Ok(())
}

// An argument and a constant are taken as written.
const FACTOR: f64 = 1.5;

#[retry(max_attempts = tries, multiplier = FACTOR)]
fn fine(tries: u32) -> Result<(), ()> {
    let _ = tries;
    Ok(())
}

fn main() {}
