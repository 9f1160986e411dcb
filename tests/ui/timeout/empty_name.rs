use resilience::timeout;

#[timeout("1s", name = "")]
async fn fetch() -> std::io::Result<()> {
    Ok(())
}

fn main() {}
