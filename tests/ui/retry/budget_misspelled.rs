use resilience::retry;

// A budget is named with a string, or switched off with the bare word `none`.
#[retry(budget = orders)]
fn place() -> Result<(), ()> {
    Ok(())
}

#[retry(budget = "")]
fn cancel() -> Result<(), ()> {
    Ok(())
}

#[retry(budget = false)]
fn refund() -> Result<(), ()> {
    Ok(())
}

fn main() {}
