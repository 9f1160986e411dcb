use resilience::retry;

trait Store {
    #[retry]
    fn load(&self) -> Result<u32, ()>;
}

fn main() {}
