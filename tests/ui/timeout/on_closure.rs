use resilience::timeout;

fn main() {
    let fetch = #[timeout("1s")]
    || -> std::io::Result<()> { Ok(()) };
    let _ = fetch;
}
