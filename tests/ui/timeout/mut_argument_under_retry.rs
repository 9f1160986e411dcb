use resilience::{retry, timeout};

// Under `#[retry]` a `mut` argument carries its changes from one attempt to the next; a sync
// `#[timeout]` below the retry gives each attempt its own copy on a worker thread, which would
// lose them. Fix: `let mut data = data;` in the body (each attempt changes its own copy).
#[retry]
#[timeout("1s")]
fn upload(mut data: Vec<u8>, (mut tries, label): (u32, String)) -> std::io::Result<usize> {
    data.push(b'\n');
    tries += 1;
    Ok(data.len() + tries as usize + label.len())
}

fn main() {}
