//! The compile-fail suite: each misuse in `ui/` with the message a user sees, kept in its
//! `.stderr`. Regenerate after reviewing a wording change with
//! `TRYBUILD=overwrite cargo test -p resilience-tests --test compile_fail`.

#[test]
fn misuse_is_reported_at_the_offending_token() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/retry/*.rs");
    cases.compile_fail("ui/circuit_breaker/*.rs");
    cases.compile_fail("ui/timeout/*.rs");
}
