//! The attributes' expansions reach the runtime through absolute paths and private locals:
//! a user's `core`, `resilience` or locals of the same names cannot capture them.

#![allow(dead_code, non_snake_case, clippy::disallowed_names)]

mod core {}

mod shadowing {
    use ::resilience::retry;
    #[allow(unused_imports)]
    use std as resilience;

    struct Step;
    struct Clock;

    #[retry(max_attempts = 2, initial_delay = "1ms")]
    pub(crate) fn uses_our_names(
        __resilience_attempts: u32,
        __resilience_result: u32,
    ) -> Result<u32, ()> {
        let __RESILIENCE_POLICY = 1;
        let __resilience_retry = 2;
        Ok(__resilience_attempts + __resilience_result + __RESILIENCE_POLICY + __resilience_retry)
    }
}

mod keyed_shadowing {
    use ::resilience::circuit_breaker;
    #[allow(unused_imports)]
    use std as resilience;

    struct KeyedSite;

    /// The key is the user's expression, over the user's names: the expansion's own locals
    /// (`__resilience_breaker`) do not capture an argument of that name.
    #[circuit_breaker(name = "hygiene.keyed", key = __resilience_breaker)]
    pub(crate) fn keyed(__resilience_breaker: u32) -> Result<u32, ::resilience::Error> {
        Ok(__resilience_breaker)
    }
}

#[test]
fn user_names_do_not_collide() {
    assert_eq!(shadowing::uses_our_names(1, 2), Ok(6));
    assert_eq!(keyed_shadowing::keyed(7), Ok(7));
    let family = ::resilience::breakers::keyed("hygiene.keyed").unwrap();
    assert_eq!(
        family.keys().iter().map(|k| &**k).collect::<Vec<_>>(),
        ["7"]
    );
}

/// Attributes applied by the one above them are never expanded by rustc; their imports must
/// still count as used.
#[deny(unused_imports)]
mod stacked_imports_are_used {
    use resilience::{circuit_breaker, retry, timeout};

    #[retry(max_attempts = 1)]
    #[circuit_breaker(name = "hygiene.stacked")]
    #[timeout("1s")]
    pub(crate) async fn stacked() -> std::io::Result<u8> {
        Ok(1)
    }
}

#[tokio::test]
async fn stacked_attributes_keep_their_imports_used() {
    assert_eq!(stacked_imports_are_used::stacked().await.unwrap(), 1);
}
