//! A duration argument: a string such as `"250ms"`, `"1.5s"` or `"2m"`, read by the settings'
//! grammar (`resilience_settings::duration`) when the macro runs, or an expression of type
//! `Duration` (a `const`, `Duration::from_millis(250)`), checked by the compiler. The grammar,
//! its units and its messages are the settings crate's; this module only finds the literal in
//! the tokens and says what to write instead of a number without a unit.

use std::time::Duration;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{Expr, ExprLit, Lit, LitStr, spanned::Spanned};

use resilience_settings::duration::{UNITS, parse_nanos};

/// How an expression may stand for a duration where the value is built at compile time.
pub(crate) const CONST_EXPRESSION: &str = "a `const` expression of type `Duration`";

/// A duration argument as written.
#[derive(Clone)]
pub(crate) enum DurationArg {
    /// `"250ms"`: known now, so the macro checks it against the other arguments.
    Literal { nanos: u64, lit: LitStr },
    /// `LIMIT`, `Self::DELAY` or `Duration::from_millis(250)`: the compiler checks its type,
    /// and the runtime takes any value (its builders clamp what makes no sense).
    Expr(Box<Expr>),
}

impl DurationArg {
    /// Reads a duration argument: a string with a unit, or an expression of type `Duration`.
    /// A bare number is refused with the string to write instead. `what` names the argument
    /// in messages (`` `initial_delay` ``, `a timeout`), `expression` the expressions it takes
    /// ([`CONST_EXPRESSION`] where the value is built at compile time).
    pub(crate) fn parse(what: &str, expression: &str, value: &Expr) -> syn::Result<Self> {
        match value {
            // A `$d:literal` or `$d:expr` from a `macro_rules!` arrives in an invisible group.
            Expr::Group(group) => Self::parse(what, expression, &group.expr),
            Expr::Paren(paren) if matches!(&*paren.expr, Expr::Lit(_) | Expr::Group(_)) => {
                Self::parse(what, expression, &paren.expr)
            }
            Expr::Lit(ExprLit { lit, .. }) => match lit {
                Lit::Str(lit) => parse_nanos(&lit.value())
                    .map(|nanos| DurationArg::Literal {
                        nanos,
                        lit: lit.clone(),
                    })
                    .map_err(|why| syn::Error::new(lit.span(), why)),
                Lit::Int(int) => Err(needs_unit(
                    what,
                    expression,
                    int.base10_digits(),
                    int.suffix(),
                    int.span(),
                )),
                Lit::Float(float) => Err(needs_unit(
                    what,
                    expression,
                    float.base10_digits(),
                    float.suffix(),
                    float.span(),
                )),
                other => Err(syn::Error::new(
                    other.span(),
                    format!(
                        "{what} takes a duration string such as \"250ms\" or \"1.5s\", or {expression}"
                    ),
                )),
            },
            other => Ok(DurationArg::Expr(Box::new(other.clone()))),
        }
    }

    /// The value, when it is known before the code compiles: for the checks that compare it
    /// with another setting.
    pub(crate) fn known(&self) -> Option<Duration> {
        match self {
            DurationArg::Literal { nanos, .. } => Some(Duration::from_nanos(*nanos)),
            DurationArg::Expr(_) => None,
        }
    }

    /// Where it is written.
    pub(crate) fn span(&self) -> Span {
        match self {
            DurationArg::Literal { lit, .. } => lit.span(),
            DurationArg::Expr(expr) => expr.span(),
        }
    }

    /// An expression of type `::core::time::Duration`, usable in a `const` context. An
    /// expression is typed on its own, so that a mistake is reported at it as "expected
    /// `Duration`".
    pub(crate) fn to_tokens(&self) -> TokenStream {
        match self {
            // Spanned on the literal.
            DurationArg::Literal { nanos, lit } => {
                quote_spanned!(lit.span()=> ::core::time::Duration::from_nanos(#nanos))
            }
            DurationArg::Expr(expr) => {
                let local = syn::Ident::new("__resilience_duration", Span::mixed_site());
                let ty = quote_spanned!(expr.span()=> ::core::time::Duration);
                quote!({
                    let #local: #ty = #expr;
                    #local
                })
            }
        }
    }
}

/// The message for a number written without a unit: the string to write instead.
fn needs_unit(what: &str, expression: &str, digits: &str, suffix: &str, span: Span) -> syn::Error {
    let message = if UNITS.iter().any(|(unit, _)| *unit == suffix) {
        format!(
            "{what} is a string with a unit: write `\"{digits}{suffix}\"`, in quotes, or {expression}"
        )
    } else if digits.contains('.') {
        format!(
            "{what} needs a unit: add one, as in `\"{digits}s\"` ({}), or write {expression}",
            units()
        )
    } else {
        format!(
            "{what} needs a unit: add one, as in `\"{digits}ms\"` or `\"{digits}s\"` ({}), or write {expression}",
            units()
        )
    };
    syn::Error::new(span, message)
}

/// The settings' units as a message lists them: "ns, us, ms, s, m or h".
fn units() -> String {
    let names: Vec<&str> = UNITS.iter().map(|(unit, _)| *unit).collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::{CONST_EXPRESSION, DurationArg};

    /// The macro reads a duration string by the settings' grammar alone: the shared corpus
    /// reads the same here as in the environment and in files, refusals with the same words.
    #[test]
    fn reads_the_shared_corpus() {
        for (text, expected) in resilience_settings::corpus::DURATIONS {
            let value: syn::Expr = syn::parse_quote!(#text);
            match (
                DurationArg::parse("`d`", CONST_EXPRESSION, &value),
                expected,
            ) {
                (Ok(d), Ok(nanos)) => assert_eq!(
                    d.known(),
                    Some(std::time::Duration::from_nanos(*nanos)),
                    "{text:?}"
                ),
                (Err(err), Err(says)) => {
                    assert!(err.to_string().contains(says), "{text:?}: {err}")
                }
                (Ok(d), Err(says)) => {
                    panic!("{text:?}: read as {:?}, expected {says:?}", d.known())
                }
                (Err(err), Ok(_)) => panic!("{text:?}: {err}"),
            }
        }
    }

    #[test]
    fn a_number_without_a_unit_is_answered_with_the_string_to_write() {
        let message = |value: syn::Expr| {
            DurationArg::parse("`d`", CONST_EXPRESSION, &value)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(
            message(syn::parse_quote!(250))
                .contains("`\"250ms\"` or `\"250s\"` (ns, us, ms, s, m or h)")
        );
        assert!(message(syn::parse_quote!(1.5)).contains("`\"1.5s\"`"));
        assert!(message(syn::parse_quote!(5ms)).contains("write `\"5ms\"`, in quotes"));
    }
}
