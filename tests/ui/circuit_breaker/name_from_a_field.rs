// A breaker's name is a literal; a value known at run time is a key of a family.
use resilience::circuit_breaker;

struct Client {
    host: String,
}

impl Client {
    #[circuit_breaker(name = self.host)]
    fn get(&self) -> Result<u32, resilience::Error> {
        Ok(self.host.len() as u32)
    }
}

fn main() {}
