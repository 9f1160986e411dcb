use resilience::retry;

struct Client;

#[retry]
impl Client {
    fn fetch(&self) -> Result<(), ()> {
        Ok(())
    }
}

fn main() {}
