use resilience::retry;

unsafe extern "C" {
    #[retry]
    fn abs(input: i32) -> i32;
}

fn main() {}
