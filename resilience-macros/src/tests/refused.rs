//! The values every front door refuses (`resilience_settings::corpus::REFUSED`), written as
//! attribute arguments: each is one compile error saying what the shared rule says. The
//! runtime runs the same table through the environment and configuration files.

use resilience_settings::corpus::{REFUSED, Target, Value};

fn argument(key: &str, value: Value) -> String {
    match value {
        Value::Int(n) => format!("{key} = {n}"),
        Value::Float(x) => format!("{key} = {x:?}"),
        Value::Duration(text) => format!("{key} = {text:?}"),
        Value::Word(word) => format!("{key} = {word}"),
    }
}

#[test]
fn every_value_the_settings_refuse_is_one_compile_error() {
    let mut seen = 0;
    for case in REFUSED {
        let attribute = match case.target {
            Target::Breaker => "circuit_breaker",
            Target::Retry => "retry",
            Target::Budget => continue, // no attribute configures a budget's settings
        };
        let args: Vec<String> = case
            .settings
            .iter()
            .map(|(key, value)| argument(key, *value))
            .collect();
        let args = args.join(", ");
        let output = super::expand(
            attribute,
            args.parse().expect("arguments lex"),
            "fn f() -> Result<(), E> { Ok(()) }"
                .parse()
                .expect("item lexes"),
        )
        .to_string();
        let errors = output.matches("compile_error").count();
        assert_eq!(errors, 1, "#[{attribute}({args})]:\n{output}");
        assert!(
            output.contains(case.says),
            "#[{attribute}({args})] does not say {:?}:\n{output}",
            case.says
        );
        assert!(output.contains(&format!("`{}", case.refused)), "{output}");
        seen += 1;
    }
    assert!(seen >= 20, "the table lost its cases");
}
