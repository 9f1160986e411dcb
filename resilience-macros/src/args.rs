//! The shared grammar of attribute arguments: `key = value` pairs (and, for `#[timeout]`, one
//! bare value), each key looked up in its attribute's table, repeated and unknown keys
//! reported at their span; and the readers of values, each saying what it expected.

use std::time::Duration;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{
    Expr, ExprLit, Ident, Lit, LitStr, Path, Token,
    parse::{Parse, ParseStream},
    punctuated::Punctuated,
    spanned::Spanned,
};

use crate::{
    attribute::Attribute,
    duration::{CONST_EXPRESSION, DurationArg},
    errors::Errors,
};

/// One argument as written: `key = value`, or a bare `value`.
pub(crate) enum Arg {
    KeyValue { key: Ident, value: Expr },
    Bare(Expr),
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        // `max_attempts: 3`, as in a struct literal: one error at the `:`, with the spelling
        // to use.
        if input.peek(Ident) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
            let key: Ident = input.call(syn::ext::IdentExt::parse_any)?;
            let colon = input.parse::<Token![:]>()?;
            let value = input.parse::<Expr>().ok();
            let shown = value
                .as_ref()
                .map_or_else(|| "..".to_string(), |v| v.to_token_stream().to_string());
            return Err(syn::Error::new(
                colon.span,
                format!("arguments are written `key = value`: write `{key} = {shown}`"),
            ));
        }
        if input.peek(Ident) && input.peek2(Token![=]) {
            let key: Ident = input.call(syn::ext::IdentExt::parse_any)?;
            input.parse::<Token![=]>()?;
            let value = input.parse()?;
            Ok(Arg::KeyValue { key, value })
        } else {
            Ok(Arg::Bare(input.parse()?))
        }
    }
}

/// The arguments of an attribute, as written.
pub(crate) fn list(tokens: TokenStream) -> syn::Result<Vec<Arg>> {
    let list = syn::parse::Parser::parse2(Punctuated::<Arg, Token![,]>::parse_terminated, tokens)?;
    Ok(list.into_iter().collect())
}

/// A table of spellings: each word a user may write, with what it stands for: an attribute's
/// keys, or the bare words a value takes.
pub(crate) type Table<T> = &'static [(&'static str, T)];

/// Declares an enum and its [`Table`] of spellings from one list, so that neither can miss
/// an entry of the other:
///
/// ```text
/// spelled! {
///     /// How the delay grows.
///     enum Backoff in BACKOFFS { Constant = "constant", Linear = "linear" }
/// }
/// ```
macro_rules! spelled {
    (
        $(#[$doc:meta])*
        $vis:vis enum $name:ident in $table:ident {
            $($variant:ident = $word:literal),* $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $($variant),*
        }

        /// Every spelling, in the order messages list them.
        const $table: $crate::args::Table<$name> = &[$(($word, $name::$variant)),*];
    };
}
pub(crate) use spelled;

/// An attribute whose arguments are all `key = value`: its table of keys and a reader per
/// key. Parsing, with every error collected, is shared ([`key_values`]).
pub(crate) trait KeyValueArgs: Default {
    /// Which of the attribute's arguments a key is.
    type Key: Copy + PartialEq + 'static;
    /// The attribute, for messages.
    const ATTRIBUTE: Attribute;
    /// Every key it accepts.
    const KEYS: Table<Self::Key>;
    /// One argument as an example, for the message about a value without a key.
    const EXAMPLE: &'static str;

    /// Reads the value of `key`, written `ident`, recording what is wrong with it.
    fn set(&mut self, key: Self::Key, ident: &Ident, value: &Expr, errors: &mut Errors);
}

/// The first phase of an attribute: each argument read on its own, with the keys written
/// (for the checks across arguments) and every mistake so far.
pub(crate) fn key_values<A: KeyValueArgs>(
    tokens: TokenStream,
) -> syn::Result<(A, Written<A::Key>, Errors)> {
    let list = list(tokens)?;
    let mut errors = Errors::default();
    let mut out = A::default();
    let written = for_each_key(
        A::ATTRIBUTE,
        A::KEYS,
        list,
        &mut errors,
        |value, errors| {
            errors.at(
                &value,
                format!(
                    "`#[{0}]` takes `key = value` arguments, as in `#[{0}({1})]`",
                    A::ATTRIBUTE,
                    A::EXAMPLE
                ),
            )
        },
        |key, ident, value, errors| out.set(key, ident, &value, errors),
    );
    Ok((out, written, errors))
}

/// Walks the arguments of an attribute, checking each key against the attribute's table:
/// unknown keys get a suggestion, repeated keys point at the repeat.
pub(crate) fn for_each_key<K: Copy>(
    attribute: Attribute,
    keys: Table<K>,
    args: Vec<Arg>,
    errors: &mut Errors,
    mut on_bare: impl FnMut(Expr, &mut Errors),
    mut on_key: impl FnMut(K, &Ident, Expr, &mut Errors),
) -> Written<K> {
    let mut seen: Vec<Ident> = Vec::new();
    let mut written = Vec::new();
    for arg in args {
        match arg {
            Arg::Bare(value) => on_bare(value, errors),
            Arg::KeyValue { key: ident, value } => {
                let name = ident.to_string();
                if let Some(first) = seen.iter().find(|k| **k == name) {
                    let mut error = syn::Error::new(
                        ident.span(),
                        format!("`{name}` is set more than once in `#[{attribute}]`: keep one"),
                    );
                    error.combine(syn::Error::new(
                        first.span(),
                        format!("`{name}` first set here"),
                    ));
                    errors.push(error);
                    continue;
                }
                seen.push(ident.clone());
                match lookup(keys, &name) {
                    Some(key) => {
                        on_key(key, &ident, value, errors);
                        written.push((key, ident));
                    }
                    None => errors.at(&ident, unknown_key_message(attribute, &name, keys)),
                }
            }
        }
    }
    Written(written)
}

/// What `word` stands for in `table`.
fn lookup<T: Copy>(table: Table<T>, word: &str) -> Option<T> {
    table.iter().find(|(w, _)| *w == word).map(|(_, t)| *t)
}

fn spellings<T>(table: Table<T>) -> Vec<&'static str> {
    table.iter().map(|(word, _)| *word).collect()
}

/// The keys an attribute was given, in order, whether their values were valid or not: the
/// checks across keys use it so that a bad value is not also reported as a missing one.
pub(crate) struct Written<K>(Vec<(K, Ident)>);

impl<K: Copy + PartialEq> Written<K> {
    /// Where `key` was written, if it was.
    pub(crate) fn get(&self, key: K) -> Option<&Ident> {
        self.0
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, ident)| ident)
    }

    /// Whether `key` was written.
    pub(crate) fn contains(&self, key: K) -> bool {
        self.get(key).is_some()
    }

    /// Every key written, with where.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (K, &Ident)> {
        self.0.iter().map(|(k, ident)| (*k, ident))
    }
}

fn unknown_key_message<K>(attribute: Attribute, name: &str, keys: Table<K>) -> String {
    let known = spellings(keys);
    let list = known
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match closest(name, &known) {
        Some(near) => format!(
            "unknown argument `{name}` for `#[{attribute}]`: did you mean `{near}`? (expected one of {list})"
        ),
        None => format!("unknown argument `{name}` for `#[{attribute}]`: expected one of {list}"),
    }
}

/// The known key nearest to `name` by edit distance, if it is near enough to be a typo.
pub(crate) fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, k)| *d <= (k.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Edit distance counting a swap of two neighbours as one edit (`nmae` is one from `name`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

// Value readers: each says what it expected, at the value's span.

fn literal(value: &Expr) -> Option<&Lit> {
    match value {
        Expr::Lit(ExprLit { lit, .. }) => Some(lit),
        Expr::Group(group) => literal(&group.expr),
        _ => None,
    }
}

/// A duration: a string with a unit, or a `const` expression of type `Duration`.
pub(crate) fn duration(key: &str, value: &Expr) -> syn::Result<DurationArg> {
    DurationArg::parse(&format!("`{key}`"), CONST_EXPRESSION, value)
}

/// An integer literal, possibly negative, for a setting's check in `resilience_settings`.
pub(crate) fn integer(key: &str, value: &Expr) -> syn::Result<(i128, Span)> {
    let negative = matches!(value, Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)));
    let inner = match value {
        Expr::Unary(u) if negative => &*u.expr,
        other => other,
    };
    let Some(Lit::Int(lit)) = literal(inner) else {
        return Err(syn::Error::new(
            value.span(),
            format!("`{key}` takes an integer, as in `{key} = 3`"),
        ));
    };
    let n: u128 = lit.base10_parse().map_err(|_| {
        syn::Error::new(
            lit.span(),
            format!("`{key}` is too large: at most {}", u32::MAX),
        )
    })?;
    let n = i128::try_from(n).unwrap_or(i128::MAX);
    Ok((if negative { -n } else { n }, value.span()))
}

/// The value a setting's check in `resilience_settings` accepted, or its refusal at `span`.
pub(crate) fn checked<T>(
    span: Span,
    result: Result<T, resilience_settings::Invalid>,
) -> syn::Result<T> {
    result.map_err(|invalid| syn::Error::new(span, invalid))
}

/// A duration whose value, when written as a string, `check` accepts. An expression is left
/// to the runtime, whose builders take any value.
pub(crate) fn checked_duration(
    key: &str,
    value: &Expr,
    check: fn(Duration) -> Result<Duration, resilience_settings::Invalid>,
) -> syn::Result<DurationArg> {
    let d = duration(key, value)?;
    if let Some(known) = d.known() {
        checked(d.span(), check(known))?;
    }
    Ok(d)
}

/// A float (or integer) literal, finite.
pub(crate) fn float(key: &str, value: &Expr) -> syn::Result<(f64, Span)> {
    let negative = matches!(value, Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)));
    let inner = match value {
        Expr::Unary(u) if negative => &*u.expr,
        other => other,
    };
    let parsed = match literal(inner) {
        Some(Lit::Float(lit)) => lit.base10_parse::<f64>(),
        Some(Lit::Int(lit)) => lit.base10_parse::<f64>(),
        _ => {
            return Err(syn::Error::new(
                value.span(),
                format!("`{key}` takes a number, as in `{key} = 2.0`"),
            ));
        }
    };
    let n = parsed?;
    let n = if negative { -n } else { n };
    if !n.is_finite() {
        return Err(syn::Error::new(
            value.span(),
            format!("`{key}` must be finite"),
        ));
    }
    Ok((n, value.span()))
}

/// A bare word of `table`: what it stands for, and where it is written.
pub(crate) fn word<T: Copy>(key: &str, value: &Expr, table: Table<T>) -> syn::Result<(T, Ident)> {
    let choices = spellings(table);
    let list = choices
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let ident = match value {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident().cloned(),
        _ => None,
    };
    let Some(ident) = ident else {
        let quoted = matches!(literal(value), Some(Lit::Str(_)));
        let hint = if quoted {
            " (a bare word, without quotes)"
        } else {
            ""
        };
        return Err(syn::Error::new(
            value.span(),
            format!("`{key}` takes one of {list}{hint}"),
        ));
    };
    let name = ident.to_string();
    if let Some(found) = lookup(table, &name) {
        return Ok((found, ident));
    }
    let near = closest(&name, &choices)
        .map(|c| format!("did you mean `{c}`? "))
        .unwrap_or_default();
    Err(syn::Error::new(
        ident.span(),
        format!("unknown `{key}` value `{name}`: {near}expected one of {list}"),
    ))
}

/// A path to a function or constant.
pub(crate) fn path(key: &str, value: &Expr, what: &str) -> syn::Result<Path> {
    match value {
        Expr::Path(p) if p.qself.is_none() => Ok(p.path.clone()),
        // A `$p:path` from a `macro_rules!` arrives wrapped in an invisible group.
        Expr::Group(group) => path(key, &group.expr, what),
        Expr::Closure(_) => Err(syn::Error::new(
            value.span(),
            format!(
                "`{key}` takes a path to {what}, not a closure: move the closure into a named `fn` and write its name"
            ),
        )),
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Err(syn::Error::new(
            value.span(),
            format!(
                "`{key}` takes a path to {what}, without quotes: `{key} = {}`",
                s.value()
            ),
        )),
        // `when = is_transient()`: the function is called by the attribute, not here.
        Expr::Call(call) if !what.contains("`const`") => {
            let callee = match &*call.func {
                Expr::Path(p) if p.qself.is_none() => path_text(&p.path),
                _ => "my_module::name".to_string(),
            };
            Err(syn::Error::new(
                call.paren_token.span.join(),
                format!(
                    "`{key}` takes a path to {what}, which the attribute calls: name the function without calling it, `{key} = {callee}`"
                ),
            ))
        }
        Expr::Call(_) | Expr::MethodCall(_) => Err(syn::Error::new(
            value.span(),
            format!(
                "`{key}` takes a path to {what}: declare it as a constant (`const POLICY: RetryPolicy = RetryPolicy::new()...;`) and write `{key} = POLICY`"
            ),
        )),
        _ => Err(syn::Error::new(
            value.span(),
            format!("`{key}` takes a path to {what}, as in `{key} = my_module::name`"),
        )),
    }
}

/// A path as written, without its generic arguments: `errors::is_transient`.
fn path_text(path: &Path) -> String {
    let segments = path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::");
    if path.leading_colon.is_some() {
        format!("::{segments}")
    } else {
        segments
    }
}

/// A name: a string literal that is not blank. `example` shows one, as in
/// `` `name = "payments"` ``.
pub(crate) fn name(key: &str, value: &Expr, example: &str) -> syn::Result<LitStr> {
    let lit = string(key, value)?;
    if lit.value().trim().is_empty() {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "`{key}` must not be empty: name what it stands for, as in {example}, or drop it to use the function's path"
            ),
        ));
    }
    Ok(lit)
}

/// A string literal.
pub(crate) fn string(key: &str, value: &Expr) -> syn::Result<LitStr> {
    match literal(value) {
        Some(Lit::Str(lit)) => Ok(lit.clone()),
        _ => Err(syn::Error::new(
            value.span(),
            format!("`{key}` takes a string literal, as in `{key} = \"payments\"`"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_near_misses_only() {
        let known = ["max_attempts", "backoff", "initial_delay", "when"];
        assert_eq!(closest("max_atempts", &known), Some("max_attempts"));
        assert_eq!(closest("backof", &known), Some("backoff"));
        assert_eq!(closest("wen", &known), Some("when"));
        assert_eq!(closest("colour", &known), None);
        assert_eq!(closest("nmae", &["name"]), Some("name"));
    }
}
