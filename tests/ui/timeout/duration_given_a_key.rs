use resilience::timeout;

#[timeout(duration = "1s")]
async fn fetch() -> std::io::Result<()> {
    Ok(())
}

fn main() {}
