//! Regression tests for expansions that were once wrong, each named for what must hold.

use proc_macro2::TokenStream;

fn expand(attribute: &str, args: &str, item: &str) -> TokenStream {
    super::expand(
        attribute,
        args.parse().expect("args lex"),
        item.parse().expect("item lexes"),
    )
}

fn refused(output: &TokenStream) -> bool {
    output.to_string().contains("compile_error")
}

#[test]
fn inner_attributes_stay_in_the_body() {
    let output = expand(
        "retry",
        "",
        "fn f() -> Result<(), E> { #![allow(unused)] Ok(()) }",
    );
    let file: syn::File = syn::parse2(output.clone()).expect("items");
    assert!(
        file.attrs.is_empty(),
        "`#![allow(unused)]` moved out of the function:\n{output}"
    );
}

#[test]
fn a_static_bound_is_not_a_borrow() {
    for argument in [
        "f: Box<dyn Fn() -> u8 + Send + 'static>",
        "name: Cow<'static, str>",
        "x: impl Clone + Send + 'static",
    ] {
        let item = format!("fn f({argument}) -> Result<(), E> {{ Ok(()) }}");
        let output = expand("timeout", "\"1s\"", &item);
        assert!(!refused(&output), "`{argument}` refused:\n{output}");
    }
}

#[test]
fn arc_self_under_retry_and_sync_timeout_is_refused_with_workable_advice() {
    let output = expand(
        "retry",
        "",
        "#[timeout(\"1s\")] fn m(self: Arc<Self>) -> Result<(), E> { Ok(()) }",
    );
    assert!(refused(&output), "{output}");
    let text = output.to_string();
    assert!(text.contains("make the function `async`"), "{text}");
    assert!(!text.contains("take `self: Arc<Self>`"), "{text}");
}

#[test]
fn a_raw_identifier_names_its_breaker_without_r_hash() {
    for attribute in ["circuit_breaker", "timeout"] {
        let args = if attribute == "timeout" { "\"1s\"" } else { "" };
        let output = expand(
            attribute,
            args,
            "async fn r#try() -> Result<(), E> { Ok(()) }",
        );
        assert!(
            !output.to_string().contains("\"r#try\""),
            "#[{attribute}]: {output}"
        );
    }
}

#[test]
fn a_keyword_fallback_is_reported_not_written_out() {
    for fallback in ["Self", "self", "super", "crate"] {
        for function in [
            "fn m(self, n: usize) -> Result<Self, E> { Ok(self) }",
            "async fn f(n: usize) -> Result<usize, E> { Ok(n) }",
        ] {
            let output = expand(
                "circuit_breaker",
                &format!("fallback = {fallback}"),
                function,
            );
            assert!(
                syn::parse2::<syn::File>(output.clone()).is_ok(),
                "`fallback = {fallback}` on `{function}` expands to tokens that do not parse:\n{output}"
            );
        }
    }
}
