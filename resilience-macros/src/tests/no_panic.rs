//! The macros never panic, whatever tokens they get.
//!
//! A small deterministic generator builds attribute arguments from each attribute's real
//! keys (read back from the parsers' own "expected one of" message, so the list cannot go
//! stale) with values of every kind, mutates valid inputs token by token, and pairs them with
//! functions of every shape and with items that are not functions at all. Each input goes
//! through [`expand`](super::expand) under `catch_unwind`; it must give a `compile_error!` or a valid
//! expansion, never a panic.
//!
//! `RESILIENCE_FUZZ_SEED` and `RESILIENCE_FUZZ_CASES` run another seed or a longer search.

use std::{
    fmt::Write as _,
    panic::{AssertUnwindSafe, catch_unwind},
    time::Instant,
};

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::ToTokens;

use super::{expand, is_ours};
use crate::attribute::Attribute;

/// Inputs tried by default: enough to reach every branch of the parsers many times over,
/// few enough to stay within seconds in a debug build.
const DEFAULT_CASES: usize = 24_000;
/// The property fails if fewer inputs than this were tried, so that a generator broken into
/// producing nothing cannot pass.
const FLOOR: usize = 20_000;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn word(&mut self, words: &[&'static str]) -> &'static str {
        words[self.below(words.len())]
    }
}

// Values of every kind an argument could be given.

const INTEGERS: &[&str] = &[
    "0",
    "1",
    "3",
    "10",
    "-1",
    "-0",
    "4294967295",
    "4294967296",
    "99999999999999999999",
    "340282366920938463463374607431768211456",
    "1u8",
    "3i64",
    "0x10",
    "0b101",
    "0o7",
    "1_000",
];

const FLOATS: &[&str] = &[
    "0.0",
    "-0.0",
    "0.5",
    "1.0",
    "1.0000000000000002",
    "1.5",
    "2.0",
    "-2.0",
    "1e309",
    "-1e309",
    "1e-400",
    "1e308",
    "2.5f32",
    "1f64",
    "1e3",
    "NaN",
    "nan",
    "inf",
    "f64::NAN",
    "f64::INFINITY",
    "(0.0 / 0.0)",
];

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "1.5",
    "250",
    "0.001",
    ".5",
    "1.",
    "1..2",
    "-1",
    "1e3",
    "0.0000000000000000001",
    "18446744073709551615",
    "99999999999999999999999999999999999999999",
    "\u{0661}",
    "",
];

const UNITS: &[&str] = &[
    "ns", "us", "ms", "s", "m", "h", "", "sec", "secs", "min", "µs", "d", "x", "MS", " s", "s ",
    "ms\\n", "🕐",
];

const WORDS: &[&str] = &[
    "constant",
    "linear",
    "exponential",
    "fibonacci",
    "none",
    "full",
    "equal",
    "decorrelated",
    "true",
    "false",
    "fast",
    "self",
    "Self",
    "crate",
    "super",
    "_",
    "r#type",
    "async",
    "fn",
    "LIMIT",
    "is_transient",
];

const PATHS: &[&str] = &[
    "is_transient",
    "errors::is_transient",
    "::errors::is_transient",
    "crate::policy::FAST",
    "super::x",
    "self::x",
    "<T as Trait>::check",
    "Vec::<u8>::new",
    "a::b::<c, d>",
    "Self::fallback",
    "std::time::Duration::ZERO",
];

const CLOSURES: &[&str] = &[
    "|e| true",
    "|e: &E| e.is_transient()",
    "move || 1",
    "async || 1",
    "|_, _, _| {}",
];

const EXPRESSIONS: &[&str] = &[
    "Duration::from_millis(250)",
    "::core::time::Duration::from_secs(1)",
    "1 + 2",
    "!0",
    "&x",
    "*x",
    "x?",
    "x.await",
    "if a { 1 } else { 2 }",
    "match x {}",
    "[1, 2]",
    "(1,)",
    "()",
    "{}",
    "{ \"1s\" }",
    "((\"1s\"))",
    "[\"1s\"]",
    "'c'",
    "b'c'",
    "b\"100ms\"",
    "c\"100ms\"",
    "r\"100ms\"",
    "r#\"100ms\"#",
    "\"100ms\"suffix",
    "'a",
    "x as u32",
    "f(\"1s\")",
    "m!(\"1s\")",
    "S { a: 1 }",
    "1..2",
    "..",
];

/// A value for a key, of any kind.
fn value(rng: &mut Rng) -> String {
    match rng.below(9) {
        0 => rng.pick(INTEGERS).to_string(),
        1 => rng.pick(FLOATS).to_string(),
        2 | 3 => duration_string(rng),
        4 => rng.pick(WORDS).to_string(),
        5 => rng.pick(PATHS).to_string(),
        6 => rng.pick(CLOSURES).to_string(),
        7 => rng.pick(EXPRESSIONS).to_string(),
        _ => format!("({})", value(rng)),
    }
}

/// A string literal that may or may not be a duration.
fn duration_string(rng: &mut Rng) -> String {
    match rng.below(10) {
        0 => rng
            .pick(&[
                "\"\"", "\" \"", "\"\\0\"", "\"\\n\"", "\"ms\"", "\"1s1s\"", "\"+5s\"",
            ])
            .to_string(),
        _ => format!("\"{}{}\"", rng.pick(NUMBERS), rng.pick(UNITS)),
    }
}

/// A key: mostly a real one, sometimes a typo, a stranger or a keyword.
fn key(rng: &mut Rng, keys: &[String]) -> String {
    match rng.below(10) {
        0 => {
            let mut k: Vec<char> = rng.pick(keys).chars().collect();
            let at = rng.below(k.len());
            match rng.below(3) {
                0 => {
                    k.remove(at);
                }
                1 => k.insert(at, 'x'),
                _ => k[at] = k[at].to_ascii_uppercase(),
            }
            let k: String = k.into_iter().collect();
            if k.is_empty() || k.starts_with(|c: char| c.is_ascii_digit()) {
                "x".into()
            } else {
                k
            }
        }
        1 => rng
            .pick(&[
                "colour", "type", "r#type", "r#when", "self", "_", "Name", "name_",
            ])
            .to_string(),
        _ => rng.pick(keys).clone(),
    }
}

/// An argument list written as text: mostly `key = value`, and every way of getting that
/// wrong.
fn argument_list(rng: &mut Rng, keys: &[String]) -> String {
    let mut out = String::new();
    let count = rng.below(6);
    for i in 0..count {
        if i > 0 {
            let separator = match rng.below(20) {
                0 => ";",
                1 => "",
                2 => ",,",
                _ => ",",
            };
            out.push_str(separator);
            out.push(' ');
        }
        let k = key(rng, keys);
        let v = value(rng);
        let _ = match rng.below(20) {
            0 => write!(out, "{v}"),
            1 => write!(out, "{k}"),
            2 => write!(out, "{k} == {v}"),
            3 => write!(out, "{k} ="),
            4 => write!(out, "= {v}"),
            5 => write!(out, "{k}: {v}"),
            6 => write!(out, "{k}({v})"),
            7 => write!(out, "{k} = {v} = {v}"),
            _ => write!(out, "{k} = {v}"),
        };
    }
    if rng.chance(15) {
        out.push(',');
    }
    out
}

/// Arguments each attribute accepts, to mutate.
fn valid_arguments(attribute: &str) -> &'static [&'static str] {
    match attribute {
        "retry" => &[
            "",
            "max_attempts = 5",
            "max_attempts = 5, backoff = exponential, initial_delay = \"10ms\", multiplier = 3.0, max_delay = \"1s\", jitter = none, max_elapsed = \"10s\", when = is_transient, on_retry = log_retry",
            "policy = FAST, when = errors::is_transient, on_retry = log_retry",
            "backoff = constant, jitter = 0.1",
            "backoff = linear, initial_delay = \"1.5s\", jitter = decorrelated",
            "backoff = fibonacci, max_attempts = 4294967295",
            "policy = Self::RETRY",
            "initial_delay = DELAY, max_delay = Duration::from_secs(1), max_elapsed = Self::BUDGET",
        ],
        "circuit_breaker" => &[
            "",
            "name = \"payments\", failure_threshold = 3, recovery_timeout = \"30s\", half_open_max_calls = 2, success_threshold = 2, when = counts",
            "failure_rate = 0.5, window = 20, minimum_calls = 5",
            "failure_rate = 1, window = \"30s\"",
            "slow_call = \"1s\", recovery_backoff = 2.0, max_recovery_timeout = \"10m\"",
            "fallback = cached, fallback_on_failure = true",
            "fallback = Self::cached",
            "recovery_timeout = RECOVERY, failure_rate = 0.5, window = Duration::from_secs(30)",
        ],
        _ => &[
            "\"250ms\"",
            "\"1.5s\", name = \"db\"",
            "LIMIT",
            "Duration::from_millis(250)",
            "\"2h\"",
            "Self::LIMIT, name = \"db\"",
        ],
    }
}

/// Functions of every shape the attributes meet, the ones that should expand and the ones
/// they must refuse.
const FUNCTIONS: &[&str] = &[
    "fn f() -> Result<u32, E> { Ok(1) }",
    "async fn f(x: u32) -> Result<u32, E> { Ok(x) }",
    "pub(crate) fn f<T: Clone + Send + 'static>(t: T) -> io::Result<T> { Ok(t) }",
    "fn m(&self, a: &str) -> Result<(), Error> { self.go(a)?; Ok(()) }",
    "async fn m(&mut self, (a, b): (u8, u8)) -> Result<u8, E> { Ok(a + b) }",
    "fn m(self, n: usize) -> Result<Self, E> { Ok(self) }",
    "fn m(self: Arc<Self>, mut n: usize) -> Result<usize, E> { n += 1; Ok(n) }",
    "#[doc = \"docs\"] #[inline] pub fn f<'a>(x: &'a str) -> Result<&'a str, E> where E: Debug { Ok(x) }",
    "/// docs\n#[must_use] pub async fn f<T>(x: Vec<T>) -> anyhow::Result<usize> { if x.is_empty() { return Err(anyhow!(\"empty\")); } Ok(x.len()) }",
    "fn f() -> Result<impl Display, E> { Ok(1) }",
    "async fn f() -> Result<Box<dyn Fn() -> u8 + Send>, E> { Ok(Box::new(|| 1)) }",
    "unsafe extern \"C\" fn f() -> Result<(), ()> { Ok(()) }",
    "unsafe extern \"C\" fn f(x: i32, ...) -> Result<(), ()> { Ok(()) }",
    "const fn f() -> Result<(), ()> { Ok(()) }",
    "async unsafe fn f() -> Result<(), ()> { Ok(()) }",
    "fn f() {}",
    "fn f() -> () {}",
    "fn f() -> (u8, u8) { (1, 2) }",
    "fn f() -> Option<u8> { None }",
    "fn f() -> ! { loop {} }",
    "fn f() -> &'static str { \"\" }",
    "fn f() -> [u8; 2] { [1, 2] }",
    "fn f() -> impl Future<Output = Result<(), E>> { async { Ok(()) } }",
    "fn f() -> Self { todo!() }",
    "fn f() -> <T as Trait>::Output { todo!() }",
    "fn f() -> String { String::new() }",
    "fn f(_: u8, S { a, .. }: S) -> Result<(), E> { 'l: loop { break 'l; } Ok(()) }",
    "fn r#try(r#type: u8) -> Result<u8, E> { Ok(r#type) }",
    "async fn f(x: &mut Vec<u8>) -> Result<(), E> { let y = async move { 1 }.await; x.push(y); Ok(()) }",
    "fn f() -> Result<(), E> { let c = || -> Result<(), E> { Err(e())? }; c() }",
    "fn f() -> Result<(), E> { macro_rules! m { () => {} } m!(); Ok(()) }",
    "fn f((name, n): (String, u32), Job { id, .. }: Job, label: impl AsRef<str> + Clone) -> Result<usize, E> { Ok(n as usize) }",
    "fn m(&mut self, key: &str) -> Result<&mut u8, E> { Ok(&mut self.v) }",
    "fn f(mut log: Vec<u8>, (mut a, ref b): (u8, u8)) -> io::Result<impl Iterator<Item = u8>> { Ok(log.into_iter()) }",
    "fn new() -> Result<Self, E> { Ok(Self { inner: Self::make() }) }",
];

/// Attributes put above a function, so that stacks are expanded with generated arguments
/// too; `{}` is replaced by an argument list.
const STACKED: &[&str] = &[
    "#[retry({})]",
    "#[circuit_breaker({})]",
    "#[timeout({})]",
    "#[resilience::retry({})]",
    "#[resilience::timeout({})]",
    "#[retry]",
    "#[timeout]",
    "#[circuit_breaker]",
    "#[retry = 3]",
    "#[timeout = \"1s\"]",
    "#[other::retry({})]",
    "#[a::resilience::timeout({})]",
    "#[allow(unused)]",
];

/// Items that are not functions, and tokens that are not items.
const NOT_FUNCTIONS: &[&str] = &[
    "",
    "struct S;",
    "struct S { a: u8 }",
    "enum E { A, B }",
    "union U { a: u8 }",
    "impl S { fn f() -> Result<(), E> { Ok(()) } }",
    "trait T { fn f(&self) -> Result<(), E>; }",
    "fn f(&self) -> Result<(), E>;",
    "async fn f(&self) -> Result<(), E>;",
    "fn f() -> Result<(), E>;",
    "mod m {}",
    "mod m;",
    "const C: u8 = 1;",
    "static S: u8 = 1;",
    "type T = u8;",
    "use std::io;",
    "extern crate core;",
    "extern \"C\" { fn f(); }",
    "macro_rules! m { () => {} }",
    "m!();",
    "fn",
    "fn f",
    "fn f()",
    "fn f() ->",
    "fn f() -> Result<(), E>",
    "fn f() -> Result<(), E> {} {}",
    "fn f() -> Result<(), E> {} fn g() -> Result<(), E> {}",
    "async",
    "pub",
    "#[retry]",
    "1 2 3",
    "{ }",
    "let x = 1;",
    "impl Trait for S { async fn f(&self) -> Result<(), E> { Ok(()) } }",
    "trait T { fn f(&self) -> Result<(), E> { Ok(()) } }",
];

/// Tokens to splice into inputs.
fn random_token(rng: &mut Rng) -> TokenTree {
    match rng.below(8) {
        0 => Punct::new(
            *rng.pick(&[
                ',', '=', ':', '#', '!', '-', '&', '|', '<', '>', '.', ';', '\'',
            ]),
            Spacing::Alone,
        )
        .into(),
        1 => Punct::new(*rng.pick(&['=', ':', '-', '.', '&']), Spacing::Joint).into(),
        2 => Ident::new(
            rng.word(&[
                "max_attempts",
                "name",
                "when",
                "x",
                "fn",
                "self",
                "async",
                "_",
            ]),
            Span::call_site(),
        )
        .into(),
        3 => Literal::u64_unsuffixed(rng.next() >> rng.below(64)).into(),
        4 => Literal::string(&duration_string(rng).replace('"', "")).into(),
        5 => Literal::f64_unsuffixed(f64::from_bits(rng.next() & 0x7FEF_FFFF_FFFF_FFFF)).into(),
        6 => Group::new(
            *rng.pick(&[
                Delimiter::Parenthesis,
                Delimiter::Bracket,
                Delimiter::Brace,
                Delimiter::None,
            ]),
            TokenStream::new(),
        )
        .into(),
        _ => Literal::i128_suffixed(-(rng.next() as i128)).into(),
    }
}

/// Deletes, duplicates, swaps, truncates, inserts, regroups or descends into tokens of
/// `tokens`, one to three times.
fn mutate(rng: &mut Rng, tokens: TokenStream, depth: usize) -> TokenStream {
    let mut tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for _ in 0..1 + rng.below(3) {
        let len = tokens.len();
        if len == 0 {
            tokens.push(random_token(rng));
            continue;
        }
        let at = rng.below(len);
        match rng.below(9) {
            0 => {
                tokens.remove(at);
            }
            1 => {
                let copy = tokens[at].clone();
                tokens.insert(at, copy);
            }
            2 => tokens.swap(at, rng.below(len)),
            3 => tokens.truncate(at),
            4 => tokens.insert(at, random_token(rng)),
            5 => tokens[at] = random_token(rng),
            6 => {
                // Wrap a token in a group, invisible ones included (as `macro_rules!`
                // expansions pass them).
                let delimiter = *rng.pick(&[
                    Delimiter::None,
                    Delimiter::None,
                    Delimiter::Parenthesis,
                    Delimiter::Bracket,
                ]);
                let inner = TokenStream::from(tokens[at].clone());
                tokens[at] = Group::new(delimiter, inner).into();
            }
            _ => {
                let groups: Vec<usize> = (0..len)
                    .filter(|&i| matches!(tokens[i], TokenTree::Group(_)))
                    .collect();
                if let (Some(&i), true) = (groups.get(rng.below(groups.len().max(1))), depth < 4) {
                    if let TokenTree::Group(g) = &tokens[i] {
                        let inner = mutate(rng, g.stream(), depth + 1);
                        let mut group = Group::new(g.delimiter(), inner);
                        group.set_span(g.span());
                        tokens[i] = group.into();
                    }
                } else {
                    tokens.insert(at, random_token(rng));
                }
            }
        }
    }
    tokens.into_iter().collect()
}

fn lex(text: impl AsRef<str>) -> TokenStream {
    let text = text.as_ref();
    text.parse()
        .unwrap_or_else(|e| panic!("the generator wrote text that does not lex: {text:?}: {e}"))
}

/// The keys `attribute` accepts, read from its "unknown argument" message.
fn known_keys(attribute: &str) -> Vec<String> {
    let args = match attribute {
        "timeout" => lex("\"1s\", no_such_key = 1"),
        _ => lex("no_such_key = 1"),
    };
    let out = expand(attribute, args, lex("fn f() -> Result<(), E> { Ok(()) }")).to_string();
    let list = out
        .split("expected one of ")
        .nth(1)
        .unwrap_or_else(|| panic!("no list of keys in `#[{attribute}]`'s message: {out}"));
    let list = &list[..list.find('"').unwrap_or(list.len())];
    let keys: Vec<String> = list
        .split(", ")
        .map(|k| k.trim_matches('`').to_string())
        .filter(|k| !k.is_empty())
        .collect();
    assert!(!keys.is_empty(), "no keys read from {out}");
    keys
}

/// What one input did.
#[derive(Debug)]
enum Outcome {
    /// Returned tokens.
    Expanded(TokenStream),
    /// Panicked, with the panic's message.
    Panicked(String),
}

/// Runs `expand` and catches a panic, keeping its message.
fn run(expand: impl FnOnce() -> TokenStream) -> Outcome {
    match catch_unwind(AssertUnwindSafe(expand)) {
        Ok(tokens) => Outcome::Expanded(tokens),
        Err(payload) => Outcome::Panicked(
            payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".into()),
        ),
    }
}

/// One generated input.
struct Case {
    attribute: &'static str,
    args: TokenStream,
    item: TokenStream,
}

impl std::fmt::Display for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "stack::expand({:?}, quote!({}), quote!({}))",
            self.attribute, self.args, self.item
        )
    }
}

fn generate(rng: &mut Rng, keys: &[(&'static str, Vec<String>)]) -> Case {
    let (attribute, attribute_keys) = rng.pick(keys);
    let args = match rng.below(10) {
        0..=3 => lex(argument_list(rng, attribute_keys)),
        4 | 5 => {
            let valid = lex(rng.pick(valid_arguments(attribute)));
            mutate(rng, valid, 0)
        }
        6 => (0..rng.below(8)).map(|_| random_token(rng)).collect(),
        _ => lex(rng.pick(valid_arguments(attribute))),
    };
    let item = match rng.below(20) {
        0..=10 => {
            let mut text = String::new();
            for _ in 0..rng.below(4) {
                let (other, other_keys) = rng.pick(keys);
                let stacked = rng.pick(STACKED);
                let inner = if rng.chance(70) {
                    rng.pick(valid_arguments(other)).to_string()
                } else {
                    argument_list(rng, other_keys)
                };
                text.push_str(&stacked.replace("{}", &inner));
                text.push('\n');
            }
            text.push_str(rng.word(FUNCTIONS));
            lex(&text)
        }
        11..=14 => {
            let function = lex(rng.pick(FUNCTIONS));
            mutate(rng, function, 0)
        }
        15..=18 => lex(rng.pick(NOT_FUNCTIONS)),
        _ => (0..rng.below(12)).map(|_| random_token(rng)).collect(),
    };
    Case {
        attribute,
        args,
        item,
    }
}

/// What must hold of a panic-free expansion: when the item is a function, the output parses
/// as items, and unless it reports an error it is that function, signature and other
/// attributes as written.
fn check(case: &Case, output: &TokenStream) -> Result<(), String> {
    if output.is_empty() {
        return Err("the expansion is empty: the item vanished without an error".into());
    }
    if let Some(message) = error_messages(output)
        .into_iter()
        .find(|m| m.contains("__private"))
    {
        return Err(format!(
            "a message names the hidden support module, which users never write: {message}"
        ));
    }
    let Ok(function) = syn::parse2::<syn::ItemFn>(case.item.clone()) else {
        return Ok(());
    };
    let file = match syn::parse2::<syn::File>(output.clone()) {
        Ok(file) => file,
        Err(e) => {
            return Err(format!(
                "the expansion of a function does not parse as items: {e}\n{output}"
            ));
        }
    };
    if output.to_string().contains("compile_error") {
        return Ok(());
    }
    let [syn::Item::Fn(expanded)] = file.items.as_slice() else {
        return Err(format!("the expansion is not one function:\n{output}"));
    };
    let sig = |f: &syn::ItemFn| f.sig.to_token_stream().to_string();
    if sig(expanded) != sig(&function) {
        return Err(format!(
            "the signature changed:\n  written: {}\n expanded: {}",
            sig(&function),
            sig(expanded)
        ));
    }
    let attrs = |attrs: &[syn::Attribute]| {
        attrs
            .iter()
            .filter(|a| !is_ours(a))
            .map(|a| a.to_token_stream().to_string())
            .collect::<Vec<_>>()
    };
    if !file.attrs.is_empty() {
        return Err(format!(
            "inner attributes moved out of the function: {:?}",
            attrs(&file.attrs)
        ));
    }
    if attrs(&expanded.attrs) != attrs(&function.attrs) {
        return Err(format!(
            "the attributes changed:\n  written: {:?}\n expanded: {:?}",
            attrs(&function.attrs),
            attrs(&expanded.attrs)
        ));
    }
    Ok(())
}

/// The messages of the `compile_error!`s in `output`.
fn error_messages(output: &TokenStream) -> Vec<String> {
    let mut messages = Vec::new();
    let tokens: Vec<TokenTree> = output.clone().into_iter().collect();
    for (i, tt) in tokens.iter().enumerate() {
        match tt {
            TokenTree::Ident(ident) if ident == "compile_error" => {
                if let Some(TokenTree::Group(group)) = tokens.get(i + 2) {
                    messages.extend(group.stream().into_iter().map(|t| t.to_string()));
                }
            }
            TokenTree::Group(group) => messages.extend(error_messages(&group.stream())),
            _ => {}
        }
    }
    messages
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn the_macros_never_panic_whatever_tokens_they_get() {
    let seed = env_number("RESILIENCE_FUZZ_SEED").unwrap_or(0x5EED_2024);
    let cases = env_number("RESILIENCE_FUZZ_CASES").map_or(DEFAULT_CASES, |n| n as usize);
    let keys: Vec<(&'static str, Vec<String>)> = Attribute::ALL
        .iter()
        .map(|attribute| (attribute.name(), known_keys(attribute.name())))
        .collect();
    let mut rng = Rng::new(seed);
    let started = Instant::now();
    let mut tried = 0;
    let mut functions = 0;
    let mut expanded = 0;
    let mut failures = Vec::new();
    for _ in 0..cases {
        let case = generate(&mut rng, &keys);
        tried += 1;
        let is_function = syn::parse2::<syn::ItemFn>(case.item.clone()).is_ok();
        functions += usize::from(is_function);
        let outcome = run(|| expand(case.attribute, case.args.clone(), case.item.clone()));
        let verdict = match &outcome {
            Outcome::Panicked(message) => Err(format!("panicked: {message}")),
            Outcome::Expanded(output) => {
                if !output.to_string().contains("compile_error") {
                    expanded += 1;
                }
                check(&case, output)
            }
        };
        if let Err(why) = verdict {
            if failures.len() < 10 {
                failures.push(format!("{case}\n  {why}"));
            }
        }
    }
    let elapsed = started.elapsed();
    eprintln!(
        "no_panic: tried {tried} inputs (seed {seed:#x}) in {elapsed:.2?}: {functions} on valid functions, {expanded} expanded without an error"
    );
    assert!(
        failures.is_empty(),
        "{} failing inputs, the first ones:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(tried >= FLOOR.min(cases), "only {tried} inputs were tried");
    // The generator must reach both sides: inputs refused with an error, and inputs that
    // expand, or the property says little.
    assert!(
        expanded > cases / 50,
        "only {expanded} of {tried} inputs expanded"
    );
    assert!(
        functions > cases / 4,
        "only {functions} of {tried} inputs were functions"
    );
}

#[test]
fn the_harness_sees_a_panic() {
    match run(|| panic!("deliberate")) {
        Outcome::Panicked(message) => assert_eq!(message, "deliberate"),
        Outcome::Expanded(_) => panic!("a panic went unseen"),
    }
    match run(|| -> TokenStream { panic!("{} formatted", 1) }) {
        Outcome::Panicked(message) => assert_eq!(message, "1 formatted"),
        Outcome::Expanded(_) => panic!("a panic went unseen"),
    }
    assert!(matches!(run(TokenStream::new), Outcome::Expanded(_)));
}

#[test]
fn the_checker_sees_a_broken_expansion() {
    let case = Case {
        attribute: "retry",
        args: TokenStream::new(),
        item: lex("#[inline] fn f(x: u8) -> Result<u8, E> { Ok(x) }"),
    };
    assert!(check(&case, &TokenStream::new()).is_err());
    assert!(
        check(
            &case,
            &lex("::core::compile_error! { \"use ::resilience::__private::x\" }")
        )
        .is_err()
    );
    assert!(
        check(
            &case,
            &lex("::core::compile_error! { \"write `when = f`\" }")
        )
        .is_ok()
    );
    assert!(check(&case, &lex("fn f(x: u8) -> Result<u8, E> { Ok(x) } +")).is_err());
    assert!(
        check(
            &case,
            &lex("#[inline] fn f(x: u16) -> Result<u8, E> { Ok(x) }")
        )
        .is_err()
    );
    assert!(check(&case, &lex("fn f(x: u8) -> Result<u8, E> { Ok(x) }")).is_err());
    assert!(
        check(
            &case,
            &lex("#![inline] fn f(x: u8) -> Result<u8, E> { Ok(x) }")
        )
        .is_err()
    );
    assert!(
        check(
            &case,
            &lex("#[inline] fn f(x: u8) -> Result<u8, E> { loop {} }")
        )
        .is_ok()
    );
}

#[test]
fn the_generator_uses_every_key() {
    for attribute in Attribute::ALL {
        let keys = known_keys(attribute.name());
        assert!(
            keys.iter().all(|k| syn::parse_str::<syn::Ident>(k).is_ok()),
            "{keys:?}"
        );
    }
    assert!(known_keys("retry").contains(&"max_attempts".to_string()));
    assert!(known_keys("circuit_breaker").contains(&"failure_threshold".to_string()));
    assert_eq!(known_keys("timeout"), ["name"]);
}
