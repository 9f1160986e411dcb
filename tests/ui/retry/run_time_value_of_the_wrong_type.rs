use resilience::retry;

struct Client {
    retries: String,
}

impl Client {
    // A setting read from a field at run time must have the setting's type.
    #[retry(max_attempts = self.retries)]
    fn get(&self) -> Result<(), String> {
        Ok(())
    }
}

fn main() {
    let _ = Client { retries: "3".into() }.get();
}
