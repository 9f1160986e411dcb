//! Function shapes users write, each compiled under the attributes and run: a policy named
//! through `Self` or a type parameter.

use std::{cell::Cell, io, time::Duration};

use resilience::{Jitter, RetryPolicy, retry};

fn transient() -> io::Error {
    io::ErrorKind::Interrupted.into()
}

const QUICK: RetryPolicy = RetryPolicy::new()
    .with_initial_delay(Duration::from_millis(1))
    .with_jitter(Jitter::None);

// `policy = Self::RETRY` on a method.

struct Client {
    calls: Cell<u32>,
}

impl Client {
    const RETRY: RetryPolicy = QUICK.with_max_attempts(4);

    #[retry(policy = Self::RETRY)]
    fn fetch(&self) -> io::Result<u32> {
        self.calls.set(self.calls.get() + 1);
        Err(transient())
    }
}

#[test]
fn a_method_names_its_policy_through_self() {
    let client = Client {
        calls: Cell::new(0),
    };
    assert!(client.fetch().is_err());
    assert_eq!(
        client.calls.get(),
        4,
        "the body ran as often as `Self::RETRY` says"
    );
}

// `policy = T::POLICY` in a generic function: each type its own policy.

trait Endpoint {
    const POLICY: RetryPolicy;
}

struct Patient;
struct Hasty;

impl Endpoint for Patient {
    const POLICY: RetryPolicy = QUICK.with_max_attempts(5);
}

impl Endpoint for Hasty {
    const POLICY: RetryPolicy = QUICK.with_max_attempts(1);
}

#[retry(policy = T::POLICY)]
fn call<T: Endpoint>(calls: &Cell<u32>) -> Result<(), ()> {
    calls.set(calls.get() + 1);
    Err(())
}

#[test]
fn a_generic_function_names_its_policy_through_a_type_parameter() {
    let calls = Cell::new(0);
    assert!(call::<Patient>(&calls).is_err());
    assert_eq!(calls.get(), 5);
    calls.set(0);
    assert!(call::<Hasty>(&calls).is_err());
    assert_eq!(calls.get(), 1);
}
