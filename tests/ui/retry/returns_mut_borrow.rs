use resilience::retry;

struct Cache {
    value: Option<String>,
}

impl Cache {
    // Each attempt borrows `self` anew inside the retry loop; the borrow checker cannot yet
    // tell that a failed attempt's borrow has ended. Fix: retry a method that returns no
    // borrow (`refresh`), then borrow after it.
    #[retry]
    fn value_mut(&mut self) -> Result<&mut String, std::io::Error> {
        self.value
            .as_mut()
            .ok_or_else(|| std::io::Error::other("not loaded"))
    }
}

fn main() {}
